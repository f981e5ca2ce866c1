/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/pfkeyv2.h>

#include "xfrm.h"

/*
 * PF_KEY v2 (RFC 2367) messages, parsed strictly: every length the message
 * claims (sadb_msg_len and sadb_ext_len in 8-byte units, the algorithm
 * count implied by sadb_supported_len) is checked against the bytes
 * actually there before anything is read. The parser sees untrusted bytes
 * and is fuzzed (tests/fuzz-pfkey.c).
 */

#define PFKEY_MAX_ALGS 64
#define PFKEY_UNIT 8 /* PF_KEY lengths count 64-bit words */

typedef struct PfkeyAlg {
        uint8_t id;
        uint8_t ivlen;
        uint16_t minbits, maxbits;
} PfkeyAlg;

typedef struct PfkeyMsg {
        uint8_t type;    /* SADB_REGISTER, ... */
        uint8_t err;     /* sadb_msg_errno: the kernel's answer */
        uint8_t satype;  /* SADB_SATYPE_ESP, ... */
        uint32_t seq, pid;
        uint32_t ext_seen; /* bit n: extension type n was present */
        uint32_t ext_off[SADB_EXT_MAX + 1]; /* where extension n starts in the parsed buffer */
        unsigned n_auth, n_encrypt;
        PfkeyAlg auth[PFKEY_MAX_ALGS];    /* SADB_EXT_SUPPORTED_AUTH */
        PfkeyAlg encrypt[PFKEY_MAX_ALGS]; /* SADB_EXT_SUPPORTED_ENCRYPT */
} PfkeyMsg;

/*
 * Parses exactly one message occupying all len bytes. -EBADMSG for anything
 * malformed (short, wrong version, lengths that disagree, zero-length or
 * overrunning extensions, duplicate or unknown extension types, a supported
 * extension whose size is not a whole number of algorithms), -E2BIG for more
 * than PFKEY_MAX_ALGS algorithms in one extension. *ret is written only on success.
 */
int pfkey_parse(const void *buf, size_t len, PfkeyMsg *ret);

/* Builds an SADB_REGISTER request for satype; *ret_len is its size in bytes. */
int pfkey_build_register(void *buf, size_t size, uint8_t satype, uint32_t seq, uint32_t pid, size_t *ret_len);
/* Builds a request that is a bare header (SADB_REGISTER, SADB_X_SPDDUMP, ...). */
int pfkey_build_header(void *buf, size_t size, uint8_t type, uint8_t satype, uint32_t seq, uint32_t pid,
                       size_t *ret_len);

/* Linux crypto names for PF_KEY algorithm ids ("hmac(sha256)"), NULL for ids we do not know. */
const char *pfkey_auth_name(uint8_t id);
const char *pfkey_encrypt_name(uint8_t id);
const char *pfkey_comp_name(uint8_t id);

/*
 * The trials' SAs and policies as PF_KEY requests, for kernels without XFRM
 * netlink (src/xfrm/pfkey-sa.c). PF_KEY says less than XFRM netlink:
 * pfkey_sa_inexpressible() / pfkey_policy_inexpressible() name the first
 * thing asked for that it has no field for (NULL: everything fits), and the
 * builders refuse such requests with -EOPNOTSUPP. It has no ICV length
 * either (the kernel applies its default truncation): pfkey_sa_as_carried()
 * gives the SA as PF_KEY can state it, which is what a read-back is
 * compared with. Sequence number and pid are left zero for the sender.
 */
const char *pfkey_sa_inexpressible(const XfrmSa *sa);
const char *pfkey_policy_inexpressible(const XfrmPolicy *p);
void pfkey_sa_as_carried(const XfrmSa *sa, XfrmSa *ret);

/* SADB_ADD (everything) or SADB_GET (SPI, protocol and addresses). */
int pfkey_build_sa(void *buf, size_t size, uint8_t type, const XfrmSa *sa, size_t *ret_len);
/* SADB_X_SPDADD: selector as source and destination addresses, then the policy with its requests. */
int pfkey_build_spdadd(void *buf, size_t size, const XfrmPolicy *p, size_t *ret_len);
/* A bare sadb_x_policy with its requests: the value of IP_IPSEC_POLICY / IPV6_IPSEC_POLICY. */
int pfkey_build_socket_policy(void *buf, size_t size, const XfrmPolicy *p, size_t *ret_len);

/* Replies (SADB_GET's, SADB_X_SPDDUMP's) parsed back; -EBADMSG when malformed or incomplete. */
int pfkey_sa_from_msg(const void *buf, size_t len, XfrmSa *ret);
int pfkey_policy_from_msg(const void *buf, size_t len, XfrmPolicy *ret);
