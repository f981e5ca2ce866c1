/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include "netlink.h"

/*
 * XFRM netlink, the pieces the probes need: SA and policy round trips
 * (add, read back) from plain descriptions, the kernel's answer kept with its
 * extended-ACK text, and replies parsed back into the same descriptions so
 * "what was sent" and "what the kernel kept" compare. The messages travel
 * through the netlink transport (netlink.h).
 */

/* The kernel's limit on templates in one bundle (include/net/xfrm.h, not exported). */
#ifndef XFRM_MAX_DEPTH
#define XFRM_MAX_DEPTH 6
#endif

typedef struct XfrmNl XfrmNl;

/*
 * The API a handle speaks. Kernels without xfrm_user (XFRM netlink) may
 * still have af_key: the same SA and policy round trips then go through
 * PF_KEY v2 (RFC 2367), which cannot say everything (xfrm_sa_inexpressible()).
 */
typedef enum XfrmApi {
        XFRM_API_NETLINK,
        XFRM_API_PFKEY,
} XfrmApi;

/* What the kernel said to one request; PF_KEY answers are stated the same way. */
typedef NetlinkAnswer XfrmAnswer;

int xfrm_nl_open(XfrmNl **ret);
/* A PF_KEY v2 socket behind the same handle. */
int xfrm_pfkey_open(XfrmNl **ret);
/*
 * XFRM netlink, or PF_KEY where the kernel has no XFRM netlink at all
 * (EPROTONOSUPPORT: xfrm_user is not built or cannot load). On failure the
 * return is XFRM netlink's error and *ret_pfkey_err PF_KEY's (0: not tried).
 */
int xfrm_open(XfrmNl **ret, int *ret_pfkey_err);
XfrmApi xfrm_api(const XfrmNl *nl);
/* The descriptor of the socket behind the handle (XFRM netlink's or PF_KEY's). */
int xfrm_nl_fd(const XfrmNl *nl);
void xfrm_nl_free(XfrmNl *nl);
static inline void xfrm_nl_freep(XfrmNl **nl) {
        if (*nl)
                xfrm_nl_free(*nl);
}

#define XFRM_ALG_NAME_MAX 64

typedef struct XfrmAlg {
        char name[XFRM_ALG_NAME_MAX]; /* empty: not present */
        unsigned key_bits;
        unsigned icv_bits;            /* truncation (auth) or ICV length (AEAD) */
} XfrmAlg;

typedef struct XfrmSa {
        uint16_t family;
        xfrm_address_t saddr, daddr;
        uint8_t proto;   /* IPPROTO_ESP, IPPROTO_AH, IPPROTO_COMP */
        uint32_t spi;    /* host byte order */
        uint8_t mode;    /* XFRM_MODE_* */
        uint32_t reqid;
        XfrmAlg enc, auth, aead, comp;
        bool encap;
        uint16_t encap_type, encap_sport, encap_dport; /* ports in host byte order */
        uint8_t replay_window; /* legacy window in xfrm_usersa_info; 0: none (not compared) */
        bool esn;              /* XFRM_STATE_ESN with XFRMA_REPLAY_ESN_VAL */
        uint32_t esn_window;   /* XFRMA_REPLAY_ESN_VAL's replay_window, in packets */
        /* Read back only (curlft): what the SA has carried so far; never compared. */
        uint64_t cur_bytes, cur_packets;
} XfrmSa;

typedef struct XfrmSelector {
        uint16_t family;
        xfrm_address_t saddr, daddr;
        uint8_t prefixlen_s, prefixlen_d;
        uint8_t proto;
        uint16_t sport, dport; /* host byte order; 0 with a zero mask: any */
        uint16_t sport_mask, dport_mask;
        uint32_t user; /* stored and echoed, part of the lookup key; xfrm_selector_match() ignores it */
} XfrmSelector;

typedef struct XfrmTmpl {
        uint16_t family;
        xfrm_address_t saddr, daddr; /* tunnel endpoints; zero for transport */
        uint8_t proto;
        uint8_t mode;
        uint32_t reqid;
} XfrmTmpl;

#define XFRM_SEC_CTX_MAX 64

typedef struct XfrmPolicy {
        XfrmSelector sel;
        uint8_t dir;    /* XFRM_POLICY_IN/OUT/FWD */
        uint8_t action; /* XFRM_POLICY_ALLOW/BLOCK */
        uint32_t priority;
        unsigned n_tmpl; /* outer first, up to XFRM_MAX_DEPTH */
        XfrmTmpl tmpl[XFRM_MAX_DEPTH];
        /* XFRMA_SEC_CTX, an LSM (SELinux) context; empty: none. Part of the lookup key, as the selector. */
        char sec_ctx[XFRM_SEC_CTX_MAX];
} XfrmPolicy;

/* Message builders write into buf (at least XFRM_MSG_BUF bytes) and return the header. */
#define XFRM_MSG_BUF 4096
int xfrm_sa_build_new(void *buf, size_t size, const XfrmSa *sa, struct nlmsghdr **ret);
int xfrm_sa_build_get(void *buf, size_t size, const XfrmSa *sa, struct nlmsghdr **ret);
int xfrm_policy_build_new(void *buf, size_t size, const XfrmPolicy *p, struct nlmsghdr **ret);
int xfrm_policy_build_get(void *buf, size_t size, const XfrmPolicy *p, struct nlmsghdr **ret);

/*
 * The value of a per-socket policy option for the handle's API: IP_XFRM_POLICY's
 * xfrm_userpolicy_info and templates, or PF_KEY's sadb_x_policy for
 * IP_IPSEC_POLICY; -EOPNOTSUPP for what the option cannot carry (a context).
 */
int xfrm_socket_policy_build(const XfrmNl *nl, const XfrmPolicy *p, void *buf, size_t size, size_t *ret_len);

/* Reply parsers: -EBADMSG for anything truncated or of the wrong type. */
int xfrm_sa_parse(const struct nlmsghdr *nlh, XfrmSa *ret);
int xfrm_policy_parse(const struct nlmsghdr *nlh, XfrmPolicy *ret);

/* 0 if got carries everything want asked for; 1 and the first difference's name otherwise. */
int xfrm_sa_compare(const XfrmSa *want, const XfrmSa *got, char *what, size_t size);
int xfrm_policy_compare(const XfrmPolicy *want, const XfrmPolicy *got, char *what, size_t size);

/*
 * What the handle's API has no way to say in sa or p (PF_KEY: ESN, AEAD, ...),
 * NULL when it can say all of it; the round trips refuse such requests with
 * -EOPNOTSUPP. xfrm_sa_as_carried() is sa as the API states it, what a
 * read-back is compared with (PF_KEY carries no ICV length).
 */
const char *xfrm_sa_inexpressible(const XfrmNl *nl, const XfrmSa *sa);
const char *xfrm_policy_inexpressible(const XfrmNl *nl, const XfrmPolicy *p);
void xfrm_sa_as_carried(const XfrmNl *nl, const XfrmSa *sa, XfrmSa *ret);

/* The request names for evidence: "XFRM_MSG_NEWSA" or "SADB_ADD", ... */
typedef enum XfrmOp {
        XFRM_OP_SA_ADD,
        XFRM_OP_SA_GET,
        XFRM_OP_POLICY_ADD,
        XFRM_OP_POLICY_GET,
        _XFRM_OP_MAX,
} XfrmOp;
const char *xfrm_op_name(const XfrmNl *nl, XfrmOp op);

/* Round trips: add, and read back. Kernel refusals land in ans; negative returns are our faults. */
int xfrm_sa_add(XfrmNl *nl, const XfrmSa *sa, XfrmAnswer *ans);
int xfrm_sa_get(XfrmNl *nl, const XfrmSa *key, XfrmSa *ret, XfrmAnswer *ans);
int xfrm_policy_add(XfrmNl *nl, const XfrmPolicy *p, XfrmAnswer *ans);
int xfrm_policy_get(XfrmNl *nl, const XfrmPolicy *key, XfrmPolicy *ret, XfrmAnswer *ans);
/* Removes the policy with p's selector and direction. */
int xfrm_policy_del(XfrmNl *nl, const XfrmPolicy *p, XfrmAnswer *ans);

/*
 * Empties the namespace's SAD and SPD (XFRM_MSG_FLUSHSA for every protocol,
 * XFRM_MSG_FLUSHPOLICY): XFRM netlink only, -EOPNOTSUPP through PF_KEY.
 */
int xfrm_flush(XfrmNl *nl, XfrmAnswer *ans);

/* Read-only counters (XFRM_MSG_GETSADINFO / GETSPDINFO): the API probe's question. */
int xfrm_sad_info(XfrmNl *nl, uint32_t *ret_count, XfrmAnswer *ans);
int xfrm_spd_info(XfrmNl *nl, uint32_t *ret_count, XfrmAnswer *ans);
/*
 * Per-socket policies (IP_XFRM_POLICY) in the namespace: GETSPDINFO's inscnt + outscnt + fwdscnt;
 * through PF_KEY, the SADB_X_SPDDUMP entries with a socket direction.
 */
int xfrm_spd_socket_count(XfrmNl *nl, uint32_t *ret_count, XfrmAnswer *ans);
/* Both of GETSPDINFO's counts in one question (XFRM netlink only). */
int xfrm_spd_counts(XfrmNl *nl, uint32_t *ret_count, uint32_t *ret_socket_count, XfrmAnswer *ans);

/* Address helpers for probes: parse a literal of the given family. */
int xfrm_addr(uint16_t family, const char *s, xfrm_address_t *ret);

/* "transport", "tunnel", "BEET", ... for evidence sentences. */
const char *xfrm_mode_name(uint8_t mode);
