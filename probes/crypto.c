/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "crypto-template.h"
#include "macro.h"
#include "probes.h"
#include "trial.h"

/*
 * XFRM has no "list algorithms" call: one trial SA per algorithm (transport
 * mode, IPv4 or else IPv6) is the measurement. The kernel looks the algorithms up
 * before the transform, so ENOSYS (or ENOENT) means the algorithm is missing
 * even where the transform is too, and EPROTONOSUPPORT means the algorithm
 * passed the lookup but no SA can exist without the transform.
 */

typedef enum AlgKind { ALG_ENC, ALG_AUTH, ALG_AEAD, ALG_COMP } AlgKind;

typedef struct AlgTrial {
        AlgKind kind;
        const char *name;  /* the kernel's (crypto API) name */
        const char *ikev2; /* IKEv2 transform name (RFC 7296 registry); IPComp: IKEv2 IPCOMP_ID */
        unsigned key_bits, icv_bits;
} AlgTrial;

/* Encryption is tried with HMAC-SHA2-256, integrity with AES-CBC: the pairs IKEv2 peers propose. */
static const AlgTrial alg_trials[] = {
        { ALG_AEAD, "rfc4106(gcm(aes))", "ENCR_AES_GCM_16", 128 + 32, 128 },
        { ALG_AUTH, "hmac(sha256)", "AUTH_HMAC_SHA2_256_128", 256, 128 },
        { ALG_AEAD, "rfc7539esp(chacha20,poly1305)", "ENCR_CHACHA20_POLY1305", 256 + 32, 128 },
        { ALG_AEAD, "rfc4309(ccm(aes))", "ENCR_AES_CCM_16", 128 + 24, 128 },
        { ALG_AEAD, "rfc4543(gcm(aes))", "ENCR_NULL_AUTH_AES_GMAC", 128 + 32, 128 },
        { ALG_ENC, "rfc3686(ctr(aes))", "ENCR_AES_CTR", 128 + 32, 0 },
        { ALG_ENC, "cbc(des3_ede)", "ENCR_3DES", 192, 0 },
        { ALG_ENC, "cbc(camellia)", "ENCR_CAMELLIA_CBC", 128, 0 },
        { ALG_ENC, "ecb(cipher_null)", "ENCR_NULL", 0, 0 },
        { ALG_AUTH, "hmac(sha1)", "AUTH_HMAC_SHA1_96", 160, 96 },
        { ALG_AUTH, "hmac(sha384)", "AUTH_HMAC_SHA2_384_192", 384, 192 },
        { ALG_AUTH, "hmac(sha512)", "AUTH_HMAC_SHA2_512_256", 512, 256 },
        { ALG_AUTH, "xcbc(aes)", "AUTH_AES_XCBC_96", 128, 96 },
        { ALG_AUTH, "cmac(aes)", "AUTH_AES_CMAC_96", 128, 96 },
        { ALG_AUTH, "hmac(md5)", "AUTH_HMAC_MD5_96", 128, 96 },
        { ALG_COMP, "deflate", "IPCOMP_DEFLATE", 0, 0 },
        { ALG_COMP, "lzs", "IPCOMP_LZS", 0, 0 },
        { ALG_COMP, "lzjh", "IPCOMP_LZJH", 0, 0 },
};

/* RFC 8221's mandatory-to-implement ESP algorithms: the groups the verdict rests on. */
#define MTI_GCM "ENCR_AES_GCM_16"
#define MTI_CBC "AUTH_HMAC_SHA2_256_128"
#define CONF_ONLY "ESP without integrity"

static void set_alg(XfrmAlg *a, const char *name, unsigned key_bits, unsigned icv_bits) {
        STRSCPY(a->name, name);
        a->key_bits = key_bits;
        a->icv_bits = icv_bits;
}

/* EPROTONOSUPPORT, EAFNOSUPPORT: this family lacks the transform, not the algorithm. */
static bool family_refused(const Check *c) {
        return c->outcome == CHECK_REFUSED && (c->err == EPROTONOSUPPORT || c->err == EAFNOSUPPORT);
}

/*
 * One trial per algorithm, in the first family whose transform exists: a
 * kernel with esp6 but not esp4 still has every algorithm. ENOENT (a template
 * missing, not the algorithm) names the template in the check's note.
 */
static int trial_alg(const ProbeContext *ctx, CapResult *res, XfrmSa *sa, const char *group, const char *what,
                     Check *c) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                char name[64];
                int r;

                if ((r = xfrm_addr(f->family, f->local, &sa->saddr)) < 0 ||
                    (r = xfrm_addr(f->family, f->peer, &sa->daddr)) < 0)
                        return r;
                sa->family = f->family;
                *c = (Check) {};
                STRSCPY(c->group, group);
                snprintf(c->what, sizeof(c->what), "%s (%s)", what, f->name);
                if ((r = trial_sa_exact(ctx->xfrm, sa, c)) < 0)
                        return r;
                if (c->outcome == CHECK_REFUSED && c->err == ENOENT &&
                    crypto_missing_template(sa, name, sizeof(name)) == 0) {
                        snprintf(c->note, sizeof(c->note), "crypto template %s missing", name);
                        /* Bounded by the templates ESP uses; a full list loses names, never checks. */
                        (void) result_append_detail(res, "template_missing", name);
                }
                if (!family_refused(c))
                        break;
        }
        return 0;
}

static int run(const ProbeContext *ctx, CapResult *res) {
        const TrialFamily *f = &trial_families[0];
        uint32_t spi = TRIAL_SPI_CRYPTO;
        XfrmSa sa;
        char what[64];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(alg_trials); i++, spi++) {
                const AlgTrial *t = &alg_trials[i];

                r = trial_sa_init(&sa, f, t->kind == ALG_COMP ? IPPROTO_COMP : IPPROTO_ESP, XFRM_MODE_TRANSPORT,
                                  t->kind == ALG_COMP ? spi & 0xffff : spi);
                if (r < 0)
                        return r;
                /* The pairs IKEv2 peers propose, whatever suite the transforms were found with. */
                sa.enc = sa.auth = sa.aead = sa.comp = (XfrmAlg) {};
                switch (t->kind) {
                case ALG_ENC:
                        set_alg(&sa.enc, t->name, t->key_bits, 0);
                        set_alg(&sa.auth, "hmac(sha256)", 256, 128);
                        break;
                case ALG_AUTH:
                        set_alg(&sa.enc, "cbc(aes)", 128, 0);
                        set_alg(&sa.auth, t->name, t->key_bits, t->icv_bits);
                        break;
                case ALG_AEAD:
                        set_alg(&sa.aead, t->name, t->key_bits, t->icv_bits);
                        break;
                case ALG_COMP:
                        set_alg(&sa.comp, t->name, 0, 0);
                        break;
                }
                snprintf(what, sizeof(what), "%s %s", t->kind == ALG_COMP ? "IPComp SA" : "ESP SA", t->name);
                if ((r = trial_alg(ctx, res, &sa, t->ikev2, what, ADD_CHECK(res, t->ikev2, what))) < 0)
                        return r;
        }

        /* RFC 5406 Section 3.1: ESP with encryption only is allowed, and discouraged. */
        r = trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, spi);
        if (r < 0)
                return r;
        sa.enc = sa.auth = sa.aead = (XfrmAlg) {};
        set_alg(&sa.enc, "cbc(aes)", 128, 0);
        return trial_alg(ctx, res, &sa, CONF_ONLY, "ESP SA cbc(aes), no integrity", ADD_CHECK(res, CONF_ONLY, ""));
}

static const Check *find_group(const CapResult *r, const char *group) {
        for (unsigned i = 0; i < r->n_checks; i++)
                if (strcmp(r->checks[i].group, group) == 0)
                        return &r->checks[i];
        return NULL;
}

static const char *alg_name(const Check *c) {
        for (size_t i = 0; i < ELEMENTSOF(alg_trials); i++)
                if (strcmp(alg_trials[i].ikev2, c->group) == 0)
                        return alg_trials[i].name;
        return NULL;
}

/*
 * available: both RFC 8221 mandatory ESP suites (AES-GCM; AES-CBC with
 * HMAC-SHA2-256) work, whatever else is missing; partial: some algorithm
 * works but not both suites; otherwise what the trials say (unavailable,
 * blocked by the transforms, or unknown).
 */
static void conclude(CapResult *r, const char *self_id) {
        const Check *gcm = find_group(r, MTI_GCM), *cbc = find_group(r, MTI_CBC), *conf = find_group(r, CONF_ONLY);
        bool mti = gcm && cbc && gcm->outcome == CHECK_ACCEPTED && cbc->outcome == CHECK_ACCEPTED;
        unsigned accepted = 0, missing = 0, templates = 0, blocked = 0, tried = 0;
        size_t len = 0;

        result_conclude(r, self_id);
        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];
                const char *name = alg_name(c);
                const char *key = NULL;

                if (!name)
                        continue;
                tried++;
                if (c->outcome == CHECK_ACCEPTED) {
                        accepted++;
                        key = "accepted";
                } else if (c->outcome == CHECK_REFUSED && c->err == ENOSYS) {
                        missing++;
                        key = "algorithm_missing";
                } else if (c->outcome == CHECK_REFUSED && c->err == ENOENT) {
                        /* The algorithm exists; what wraps it does not: name that, once. */
                        templates++;
                        continue;
                } else if (c->outcome == CHECK_REFUSED && c->err == EPROTONOSUPPORT) {
                        blocked++;
                        key = "transform_missing";
                }
                /* Each list is bounded by the table above; a full one only loses names, never checks. */
                if (key) {
                        (void) result_append_detail(r, key, name);
                        if (c->outcome == CHECK_ACCEPTED)
                                (void) result_append_detail(r, "accepted_ikev2", c->group);
                }
        }
        if (conf)
                (void) result_set_detail(r, "confidentiality_only_esp",
                                         conf->outcome == CHECK_ACCEPTED ? "accepted (discouraged: RFC 5406 Section 3.1)"
                                                                         : check_outcome_to_string(conf->outcome));

        if (r->verdict == VERDICT_AVAILABLE || r->verdict == VERDICT_PARTIAL) {
                r->verdict = mti ? VERDICT_AVAILABLE : VERDICT_PARTIAL;
                if (mti) {
                        r->n_blocked_by = 0;
                        r->err = 0;
                        r->extack[0] = '\0';
                }
        }
        r->evidence[0] = '\0';
        strbuf_appendf(r->evidence, sizeof(r->evidence), &len,
                       "Trial SAs: %u of %u algorithms accepted and read back, %u refused as missing (ENOSYS), "
                       "%u refused for a missing crypto template (ENOENT), %u found but refused because the "
                       "transform is missing (EPROTONOSUPPORT). RFC 8221 mandatory AES-GCM: %s; AES-CBC with "
                       "HMAC-SHA2-256: %s.",
                       accepted, tried, missing, templates, blocked, gcm ? check_outcome_to_string(gcm->outcome) : "untried",
                       cbc ? check_outcome_to_string(cbc->outcome) : "untried");
        if (conf && conf->outcome == CHECK_ACCEPTED)
                strbuf_appendf(r->evidence, sizeof(r->evidence), &len,
                               " ESP without integrity is accepted: allowed but discouraged (RFC 5406 Section 3.1).");
}

DEFINE_PROBE(probe_crypto_algorithms, "crypto.algorithms", "3.1", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "encryption, integrity, AEAD and compression algorithms trial SAs accept",
             run, .conclude = conclude);
