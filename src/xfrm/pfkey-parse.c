/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <linux/pfkeyv2.h>

#include "macro.h"
#include "pfkey-parse.h"

#define UNIT PFKEY_UNIT

_Static_assert(sizeof(struct sadb_msg) == 16, "sadb_msg is two words");
_Static_assert(sizeof(struct sadb_ext) == 4, "sadb_ext header");
_Static_assert(sizeof(struct sadb_supported) == 8, "sadb_supported is one word");
_Static_assert(sizeof(struct sadb_alg) == 8, "sadb_alg is one word");
_Static_assert(SADB_EXT_MAX < 32, "ext_seen holds one bit per extension type");

static int parse_supported(const uint8_t *ext, size_t len, PfkeyAlg *algs, unsigned *ret_n) {
        size_t n;

        if (len < sizeof(struct sadb_supported) || (len - sizeof(struct sadb_supported)) % sizeof(struct sadb_alg))
                return -EBADMSG;
        n = (len - sizeof(struct sadb_supported)) / sizeof(struct sadb_alg);
        if (n > PFKEY_MAX_ALGS)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                struct sadb_alg a;

                memcpy(&a, ext + sizeof(struct sadb_supported) + i * sizeof(a), sizeof(a));
                if (a.sadb_alg_minbits > a.sadb_alg_maxbits)
                        return -EBADMSG;
                algs[i] = (PfkeyAlg) {
                        .id = a.sadb_alg_id,
                        .ivlen = a.sadb_alg_ivlen,
                        .minbits = a.sadb_alg_minbits,
                        .maxbits = a.sadb_alg_maxbits,
                };
        }
        *ret_n = (unsigned) n;
        return 0;
}

int pfkey_parse(const void *buf, size_t len, PfkeyMsg *ret) {
        const uint8_t *p = buf;
        struct sadb_msg hdr;
        PfkeyMsg m = {};
        size_t off;
        int r;

        if (!buf || len < sizeof(hdr))
                return -EBADMSG;
        memcpy(&hdr, p, sizeof(hdr));
        /* Linux puts a policy's reference count in sadb_msg_reserved (af_key.c, pfkey_xfrm_policy2msg). */
        if (hdr.sadb_msg_version != PF_KEY_V2 ||
            (hdr.sadb_msg_reserved != 0 && (hdr.sadb_msg_type < SADB_X_SPDUPDATE || hdr.sadb_msg_type > SADB_X_SPDDELETE2)) ||
            (size_t) hdr.sadb_msg_len * UNIT != len)
                return -EBADMSG;
        m.type = hdr.sadb_msg_type;
        m.err = hdr.sadb_msg_errno;
        m.satype = hdr.sadb_msg_satype;
        m.seq = hdr.sadb_msg_seq;
        m.pid = hdr.sadb_msg_pid;

        for (off = sizeof(hdr); off < len;) {
                struct sadb_ext ext;
                size_t ext_len;

                if (len - off < sizeof(ext))
                        return -EBADMSG;
                memcpy(&ext, p + off, sizeof(ext));
                ext_len = (size_t) ext.sadb_ext_len * UNIT;
                if (ext_len < sizeof(ext) || ext_len > len - off)
                        return -EBADMSG;
                if (ext.sadb_ext_type == SADB_EXT_RESERVED || ext.sadb_ext_type > SADB_EXT_MAX ||
                    (m.ext_seen & (1u << ext.sadb_ext_type)))
                        return -EBADMSG;
                m.ext_seen |= 1u << ext.sadb_ext_type;
                m.ext_off[ext.sadb_ext_type] = (uint32_t) off;

                if (ext.sadb_ext_type == SADB_EXT_SUPPORTED_AUTH)
                        r = parse_supported(p + off, ext_len, m.auth, &m.n_auth);
                else if (ext.sadb_ext_type == SADB_EXT_SUPPORTED_ENCRYPT)
                        r = parse_supported(p + off, ext_len, m.encrypt, &m.n_encrypt);
                else
                        r = 0;
                if (r < 0)
                        return r;
                off += ext_len;
        }
        *ret = m;
        return 0;
}

int pfkey_build_register(void *buf, size_t size, uint8_t satype, uint32_t seq, uint32_t pid, size_t *ret_len) {
        return pfkey_build_header(buf, size, SADB_REGISTER, satype, seq, pid, ret_len);
}

int pfkey_build_header(void *buf, size_t size, uint8_t type, uint8_t satype, uint32_t seq, uint32_t pid,
                       size_t *ret_len) {
        struct sadb_msg hdr = {
                .sadb_msg_version = PF_KEY_V2,
                .sadb_msg_type = type,
                .sadb_msg_satype = satype,
                .sadb_msg_len = sizeof(hdr) / UNIT,
                .sadb_msg_seq = seq,
                .sadb_msg_pid = pid,
        };

        if (size < sizeof(hdr))
                return -ENOBUFS;
        memcpy(buf, &hdr, sizeof(hdr));
        *ret_len = sizeof(hdr);
        return 0;
}

/* The kernel's own mapping (net/xfrm/xfrm_algo.c, sadb_alg_id of each entry). */
const char *pfkey_auth_name(uint8_t id) {
        switch (id) {
        case SADB_AALG_MD5HMAC: return "hmac(md5)";
        case SADB_AALG_SHA1HMAC: return "hmac(sha1)";
        case SADB_X_AALG_SHA2_256HMAC: return "hmac(sha256)";
        case SADB_X_AALG_SHA2_384HMAC: return "hmac(sha384)";
        case SADB_X_AALG_SHA2_512HMAC: return "hmac(sha512)";
        case SADB_X_AALG_RIPEMD160HMAC: return "hmac(rmd160)";
        case SADB_X_AALG_AES_XCBC_MAC: return "xcbc(aes)";
        case SADB_X_AALG_SM3_256HMAC: return "hmac(sm3)";
        case SADB_X_AALG_NULL: return "digest_null";
        default: return NULL;
        }
}

const char *pfkey_encrypt_name(uint8_t id) {
        switch (id) {
        case SADB_EALG_DESCBC: return "cbc(des)";
        case SADB_EALG_3DESCBC: return "cbc(des3_ede)";
        case SADB_X_EALG_CASTCBC: return "cbc(cast5)";
        case SADB_X_EALG_BLOWFISHCBC: return "cbc(blowfish)";
        case SADB_EALG_NULL: return "ecb(cipher_null)";
        case SADB_X_EALG_AESCBC: return "cbc(aes)";
        case SADB_X_EALG_AESCTR: return "rfc3686(ctr(aes))";
        case SADB_X_EALG_AES_CCM_ICV8:
        case SADB_X_EALG_AES_CCM_ICV12:
        case SADB_X_EALG_AES_CCM_ICV16: return "rfc4309(ccm(aes))";
        case SADB_X_EALG_AES_GCM_ICV8:
        case SADB_X_EALG_AES_GCM_ICV12:
        case SADB_X_EALG_AES_GCM_ICV16: return "rfc4106(gcm(aes))";
        case SADB_X_EALG_CAMELLIACBC: return "cbc(camellia)";
        case SADB_X_EALG_NULL_AES_GMAC: return "rfc4543(gcm(aes))";
        case SADB_X_EALG_SM4CBC: return "cbc(sm4)";
        case SADB_X_EALG_SERPENTCBC: return "cbc(serpent)";
        case SADB_X_EALG_TWOFISHCBC: return "cbc(twofish)";
        default: return NULL;
        }
}

const char *pfkey_comp_name(uint8_t id) {
        switch (id) {
        case SADB_X_CALG_DEFLATE: return "deflate";
        case SADB_X_CALG_LZS: return "lzs";
        case SADB_X_CALG_LZJH: return "lzjh";
        default: return NULL;
        }
}
