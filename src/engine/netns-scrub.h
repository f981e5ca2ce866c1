/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

/*
 * A worker's watch on its namespace, opened in it while it is new: an XFRM
 * netlink socket that counts and flushes, and a NETLINK_ROUTE socket in every
 * rtnetlink group it can join by bind(), which hears every change to links,
 * addresses, routes, rules, neighbours, traffic control and netconf. Both stay
 * open from job to job (NETNS_WATCH_FDS descriptors, which the worker keeps).
 */
typedef struct NetnsWatch NetnsWatch;

#define NETNS_WATCH_FDS 2

/* -errno if the namespace cannot be watched so (no XFRM netlink: PF_KEY's state is not counted the same way). */
int netns_watch_open(NetnsWatch **ret);
void netns_watch_free(NetnsWatch *w);
static inline void netns_watch_freep(NetnsWatch **w) {
        if (*w)
                netns_watch_free(*w);
}

/* The watch's descriptors, which the caller must not close. */
void netns_watch_fds(const NetnsWatch *w, int ret[NETNS_WATCH_FDS]);

/*
 * Flushes the namespace's SAD and SPD if they hold anything, then checks that
 * it is as it was made: no SA, no policy (per-socket ones included), and
 * nothing announced on rtnetlink since the watch opened. 1 if so, 0 if
 * anything is left or changed (or the watch's own descriptors are not what
 * they were), -errno if it cannot tell.
 */
int netns_scrub(NetnsWatch *w);
