/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

/* More links than this and a namespace is simply not reused. */
#define NETNS_MAX_LINKS 32

typedef struct NetnsLink {
        int32_t ifindex;
        bool up;
} NetnsLink;

/* What of a namespace a probe could change besides XFRM state: its links and addresses. */
typedef struct NetnsSnapshot {
        unsigned n_links;
        NetnsLink links[NETNS_MAX_LINKS];
        unsigned n_addresses;
} NetnsSnapshot;

/* A NETLINK_ROUTE dump of type (fixed: its header's size), each answer to fn: 0 or -errno. */
int netns_dump(NetlinkSocket *sock, uint16_t type, size_t fixed, NetlinkReplyFn fn, NetlinkRestartFn restart,
               void *userdata);

/* The calling process's namespace, through NETLINK_ROUTE dumps: 0 or -errno. */
int netns_snapshot(NetnsSnapshot *ret);

/*
 * Flushes the namespace's SAD and SPD, then checks that it is as it was made:
 * no SA, no policy (per-socket ones included), links and addresses as in
 * base. 1 if so, 0 if anything is left, -errno if it cannot tell (no XFRM
 * netlink: PF_KEY's state cannot be counted the same way).
 */
int netns_scrub(const NetnsSnapshot *base);
