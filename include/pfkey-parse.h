/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/pfkeyv2.h>

/*
 * PF_KEY v2 (RFC 2367) messages (src/xfrm/pfkey-parse.c), parsed strictly: every length the message
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
