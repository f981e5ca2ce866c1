/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "netlink.h"
#include "xfrm.h"

/* Trial keys are a fixed pattern: the SAs live only in a throw-away namespace. */
#define TRIAL_KEY_BYTE 0x5a
#define ALG_KEY_MAX 64

/* Distinct reqids one PF_KEY handle can carry (src/xfrm-pfkey.c numbers them). */
#define PFKEY_REQIDS 256

/* One handle, either API: probes never see which (xfrm_api() tells them). */
struct XfrmNl {
        XfrmApi api;
        NetlinkSocket *sock;  /* XFRM_API_NETLINK */
        int pfkey_fd;    /* XFRM_API_PFKEY */
        unsigned portid; /* XFRM_API_PFKEY: sadb_msg_pid */
        unsigned seq;    /* XFRM_API_PFKEY: sadb_msg_seq */
        /* XFRM_API_PFKEY: the trials' reqids; reqid i + 1 on the wire stands for pfkey_reqids[i]. */
        uint32_t pfkey_reqids[PFKEY_REQIDS];
        unsigned n_pfkey_reqids;
};

/*
 * The transport's round trips (netlink.h) on the handle's XFRM netlink
 * socket; -EOPNOTSUPP on a PF_KEY handle, which speaks no netlink.
 */
int xfrm_nl_transact(XfrmNl *nl, struct nlmsghdr *req, NetlinkReplyFn fn, void *userdata, XfrmAnswer *ans);
int xfrm_nl_transact_one(XfrmNl *nl, struct nlmsghdr *req, NetlinkReplyFn parse, void *out, XfrmAnswer *ans);

/* The PF_KEY side of the round trips in xfrm.h (src/xfrm-pfkey.c). */
int xfrm_pfkey_sa_add(XfrmNl *nl, const XfrmSa *sa, XfrmAnswer *ans);
int xfrm_pfkey_sa_get(XfrmNl *nl, const XfrmSa *key, XfrmSa *ret, XfrmAnswer *ans);
int xfrm_pfkey_policy_add(XfrmNl *nl, const XfrmPolicy *p, XfrmAnswer *ans);
int xfrm_pfkey_policy_get(XfrmNl *nl, const XfrmPolicy *key, XfrmPolicy *ret, XfrmAnswer *ans);
int xfrm_pfkey_socket_count(XfrmNl *nl, uint32_t *ret_count, XfrmAnswer *ans);

/* Zeroes buf and lays down a request header plus a zeroed fixed header. */
int xfrm_msg_start(void *buf, size_t size, uint16_t type, uint16_t flags, size_t fixed, struct nlmsghdr **ret);

void xfrm_lifetime_infinite(struct xfrm_lifetime_cfg *lft);

/* The first field in which two selectors differ ("selector source port"), NULL if none. */
const char *xfrm_selector_difference(const XfrmSelector *a, const XfrmSelector *b);

bool xfrm_addr_equal(uint16_t family, const xfrm_address_t *a, const xfrm_address_t *b);
