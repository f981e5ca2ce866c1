/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "host-cause.h"
#include "string-table.h"
#include "trial.h"

const TrialFamily trial_families[2] = {
        {
                .family = AF_INET, .name = "IPv4",
                .local = "192.0.2.1", .peer = "192.0.2.2",
                .gw_local = "198.51.100.1", .gw_peer = "198.51.100.2",
                .group = "239.1.1.1", .host_prefix = 32,
        },
        {
                .family = AF_INET6, .name = "IPv6",
                .local = "2001:db8::1", .peer = "2001:db8::2",
                .gw_local = "2001:db8:1::1", .gw_peer = "2001:db8:1::2",
                .group = "ff0e::1234", .host_prefix = 128,
        },
};

static const char *const proto_capability_table[] = {
        [IPPROTO_ESP] = "proto.esp",
        [IPPROTO_AH] = "proto.ah",
        [IPPROTO_COMP] = "proto.ipcomp",
};

static const char *const proto_name_table[] = {
        [IPPROTO_ESP] = "ESP",
        [IPPROTO_AH] = "AH",
        [IPPROTO_COMP] = "IPComp",
};

const char *proto_capability(uint8_t proto) {
        return string_table_to_string(proto_capability_table, ELEMENTSOF(proto_capability_table), proto);
}

const char *proto_name(uint8_t proto) {
        return string_table_to_string(proto_name_table, ELEMENTSOF(proto_name_table), proto) ?: "?";
}

/*
 * The algorithm suites a transform is tried with, RFC 8221's MUST set first.
 * A transform is judged with whatever suite the kernel has: a missing
 * algorithm or crypto template is crypto.algorithms' finding, not the
 * transform's.
 */
#define ALG(n, k, i) { .name = n, .key_bits = k, .icv_bits = i }
static const TrialSuite esp_suites[] = {
        { "AES-CBC with HMAC-SHA2-256", .enc = ALG("cbc(aes)", 128, 0), .auth = ALG("hmac(sha256)", 256, 128) },
        { "AES-GCM-16", .aead = ALG("rfc4106(gcm(aes))", 128 + 32, 128) },
        { "ChaCha20-Poly1305", .aead = ALG("rfc7539esp(chacha20,poly1305)", 256 + 32, 128) },
        { "AES-CCM-16", .aead = ALG("rfc4309(ccm(aes))", 128 + 24, 128) },
        { "AES-CBC with HMAC-SHA1", .enc = ALG("cbc(aes)", 128, 0), .auth = ALG("hmac(sha1)", 160, 96) },
};
static const TrialSuite ah_suites[] = {
        { "HMAC-SHA2-256", .auth = ALG("hmac(sha256)", 256, 128) },
        { "HMAC-SHA2-512", .auth = ALG("hmac(sha512)", 512, 256) },
        { "HMAC-SHA1", .auth = ALG("hmac(sha1)", 160, 96) },
        { "AES-XCBC", .auth = ALG("xcbc(aes)", 128, 96) },
};
/* RFC 3173: deflate is the one every implementation has. */
static const TrialSuite comp_suites[] = {
        { "deflate", .comp = ALG("deflate", 0, 0) },
        { "LZS", .comp = ALG("lzs", 0, 0) },
        { "LZJH", .comp = ALG("lzjh", 0, 0) },
};
#undef ALG

/*
 * Per transform, the suite the kernel last accepted: what one trial learned
 * serves the probe's SAs after it (the datapath flows' too). Not the next
 * probe's, which may run in the same worker process: its notes would then
 * depend on the order (trial_forget()).
 */
static struct {
        uint8_t proto;
        const TrialSuite *suites;
        size_t n;
        size_t chosen;
} suite_table[] = {
        { IPPROTO_ESP, esp_suites, ELEMENTSOF(esp_suites), 0 },
        { IPPROTO_AH, ah_suites, ELEMENTSOF(ah_suites), 0 },
        { IPPROTO_COMP, comp_suites, ELEMENTSOF(comp_suites), 0 },
};

static size_t suite_slot(uint8_t proto) {
        for (size_t i = 0; i < ELEMENTSOF(suite_table); i++)
                if (suite_table[i].proto == proto)
                        return i;
        return SIZE_MAX;
}

const TrialSuite *trial_suites(uint8_t proto, size_t *ret_n) {
        size_t i = suite_slot(proto);

        *ret_n = i == SIZE_MAX ? 0 : suite_table[i].n;
        return i == SIZE_MAX ? NULL : suite_table[i].suites;
}

void trial_suite_apply(XfrmSa *sa, const TrialSuite *s) {
        sa->enc = s->enc;
        sa->auth = s->auth;
        sa->aead = s->aead;
        sa->comp = s->comp;
}

/*
 * What a probe asked of the host once: whether each family's sockets exist,
 * and why each transform's module is missing. A probe tries several SAs of a
 * family, each refused for the same module; the host's answer cannot change
 * within a probe but by an autoload, and a loaded module stops the refusals.
 * Forgotten with the suites, so no probe starts from what another found.
 */
#define MODULES_EXPLAINED 8

static struct {
        int family_err[ELEMENTSOF(trial_families)]; /* -1: not asked; 0 or the socket's errno */
        struct {
                const char *module; /* transform_module()'s, or the caller's constant */
                HostCause cause;
                char note[sizeof(((Check *) NULL)->note)];
        } explained[MODULES_EXPLAINED];
        size_t n_explained;
} host_seen = { .family_err = { -1, -1 } };

void trial_forget(void) {
        for (size_t i = 0; i < ELEMENTSOF(suite_table); i++)
                suite_table[i].chosen = 0;
        for (size_t i = 0; i < ELEMENTSOF(host_seen.family_err); i++)
                host_seen.family_err[i] = -1;
        host_seen.n_explained = 0;
}

int trial_sa_init(XfrmSa *sa, const TrialFamily *f, uint8_t proto, uint8_t mode, uint32_t spi) {
        bool tunnel = mode == XFRM_MODE_TUNNEL;
        size_t slot = suite_slot(proto);
        int r;

        if (slot == SIZE_MAX)
                return -EPROTONOSUPPORT;
        /* The SPI field of an IPComp SA carries the 16-bit CPI (RFC 3173). */
        if (proto == IPPROTO_COMP && spi > 0xffff)
                return -EINVAL;
        *sa = (XfrmSa) { .family = f->family, .proto = proto, .mode = mode, .spi = spi };
        if ((r = xfrm_addr(f->family, tunnel ? f->gw_local : f->local, &sa->saddr)) < 0 ||
            (r = xfrm_addr(f->family, tunnel ? f->gw_peer : f->peer, &sa->daddr)) < 0)
                return r;
        trial_suite_apply(sa, &suite_table[slot].suites[suite_table[slot].chosen]);
        return 0;
}

int trial_encap_sa_init(XfrmSa *sa, const TrialFamily *f, uint8_t mode, uint32_t spi, uint16_t encap_type) {
        int r = trial_sa_init(sa, f, IPPROTO_ESP, mode, spi);

        if (r < 0)
                return r;
        sa->encap = true;
        sa->encap_type = encap_type;
        sa->encap_sport = sa->encap_dport = 4500;
        return 0;
}

void trial_sockopt(Check *c, int fd, int level, int opt, const void *value, socklen_t len, const char *name) {
        char got[64] = "";
        socklen_t got_len = sizeof(got);

        assert(len <= sizeof(got));
        if (setsockopt(fd, level, opt, value, len) < 0) {
                c->outcome = CHECK_REFUSED;
                c->err = errno;
                return;
        }
        if (getsockopt(fd, level, opt, got, &got_len) < 0) {
                int err = errno;
                char note[64];

                snprintf(note, sizeof(note), "getsockopt(%s) failed", name);
                check_set_untried(c, err, note);
                return;
        }
        /* Some options (TCP_ULP) answer with the whole buffer: compare what was set. */
        if (got_len < len || memcmp(got, value, len) != 0) {
                c->outcome = CHECK_ALTERED;
                snprintf(c->note, sizeof(c->note), "read back differs: %s", name);
                return;
        }
        c->outcome = CHECK_ACCEPTED;
        c->read_back = true;
}

int trial_policy_init(XfrmPolicy *p, const TrialFamily *f, uint8_t dir) {
        int r;

        *p = (XfrmPolicy) {
                .sel = {
                        .family = f->family,
                        .prefixlen_s = f->host_prefix,
                        .prefixlen_d = f->host_prefix,
                },
                .dir = dir,
                .action = XFRM_POLICY_ALLOW,
        };
        /* Inbound policies select traffic from the peer. */
        if ((r = xfrm_addr(f->family, dir == XFRM_POLICY_OUT ? f->local : f->peer, &p->sel.saddr)) < 0 ||
            (r = xfrm_addr(f->family, dir == XFRM_POLICY_OUT ? f->peer : f->local, &p->sel.daddr)) < 0)
                return r;
        return 0;
}

int trial_policy_add_tmpl(XfrmPolicy *p, const TrialFamily *f, uint8_t proto, uint8_t mode, uint32_t reqid) {
        XfrmTmpl *t;
        int r;

        if (p->n_tmpl >= XFRM_MAX_DEPTH)
                return -E2BIG;
        t = &p->tmpl[p->n_tmpl];
        *t = (XfrmTmpl) { .family = f->family, .proto = proto, .mode = mode, .reqid = reqid };
        if (mode == XFRM_MODE_TUNNEL) {
                bool out = p->dir == XFRM_POLICY_OUT;
                if ((r = xfrm_addr(f->family, out ? f->gw_local : f->gw_peer, &t->saddr)) < 0 ||
                    (r = xfrm_addr(f->family, out ? f->gw_peer : f->gw_local, &t->daddr)) < 0)
                        return r;
        }
        p->n_tmpl++;
        return 0;
}

/* A failed conversation is a check we could not make, not a kernel verdict. */
static int record_fault(Check *c, int r, const char *stage) {
        char note[96];

        if (r == -ENOMEM)
                return r;
        snprintf(note, sizeof(note), "%s: no usable answer from the kernel", stage);
        check_set_untried(c, -r, note);
        return 0;
}

int trial_record_answer(Check *c, int r, const XfrmAnswer *ans, const char *stage) {
        if (r < 0)
                return record_fault(c, r, stage);
        if (ans->err == 0)
                return 1;
        c->outcome = CHECK_REFUSED;
        c->err = ans->err;
        STRSCPY(c->extack, ans->extack);
        if (c->err == EACCES)
                c->cause = host_cause_lsm("", c->note, sizeof(c->note));
        return 0;
}

/* The module that provides a transform type for a family (net/ipv4, net/ipv6). */
static const char *transform_module(uint8_t proto, uint16_t family) {
        bool v6 = family == AF_INET6;

        switch (proto) {
        case IPPROTO_ESP:
                return v6 ? "esp6" : "esp4";
        case IPPROTO_AH:
                return v6 ? "ah6" : "ah4";
        case IPPROTO_COMP:
                return v6 ? "ipcomp6" : "ipcomp";
        default:
                return NULL;
        }
}

void trial_explain_module(Check *c, const char *module) {
        for (size_t i = 0; i < host_seen.n_explained; i++)
                if (strcmp(host_seen.explained[i].module, module) == 0) {
                        c->cause = host_seen.explained[i].cause;
                        STRSCPY(c->note, host_seen.explained[i].note);
                        return;
                }
        c->cause = module_cause("", NULL, module, c->note, sizeof(c->note));
        if (host_seen.n_explained < MODULES_EXPLAINED) {
                host_seen.explained[host_seen.n_explained].module = module;
                host_seen.explained[host_seen.n_explained].cause = c->cause;
                STRSCPY(host_seen.explained[host_seen.n_explained++].note, c->note);
        }
}

/* Returns 1 if the object is in and should be read back, else records why not. */
static int record_add(Check *c, int r, const XfrmAnswer *ans, uint8_t proto, uint16_t family, const char *stage) {
        r = trial_record_answer(c, r, ans, stage);
        /* EPROTONOSUPPORT on a new SA: the transform type is not in the kernel; the host may say why. */
        if (r == 0 && c->outcome == CHECK_REFUSED && c->err == EPROTONOSUPPORT) {
                c->blocked_by = proto_capability(proto);
                if (transform_module(proto, family))
                        trial_explain_module(c, transform_module(proto, family));
        }
        return r;
}

static int record_read_back(Check *c, int r, const XfrmAnswer *ans, int differs, const char *diff, const char *stage) {
        if (r < 0)
                return record_fault(c, r, stage);
        if (ans->err != 0) {
                c->outcome = CHECK_ALTERED;
                snprintf(c->note, sizeof(c->note), "not found on read-back: %s", errno_name(ans->err) ?: "error");
        } else if (differs) {
                c->outcome = CHECK_ALTERED;
                snprintf(c->note, sizeof(c->note), "read back differs: %s", diff);
        } else {
                c->outcome = CHECK_ACCEPTED;
                c->read_back = true;
        }
        return 0;
}

/*
 * Returns 1 if the kernel has the address family, else records that it has
 * not. With ipv6.disable=1 the kernel still stores IPv6 policies and refuses
 * IPv6 SAs only because esp6 cannot load: both answers hide the real cause.
 */
static int socket_err(uint16_t family) {
        _cleanup_close_ int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        return fd >= 0 ? 0 : errno;
}

static int family_err(uint16_t family) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++)
                if (trial_families[i].family == family) {
                        if (host_seen.family_err[i] < 0)
                                host_seen.family_err[i] = socket_err(family);
                        return host_seen.family_err[i];
                }
        return socket_err(family);
}

static int record_family(Check *c, uint16_t family) {
        if (family_err(family) != EAFNOSUPPORT)
                return 1;
        c->outcome = CHECK_REFUSED;
        c->err = EAFNOSUPPORT;
        snprintf(c->note, sizeof(c->note), "%s is disabled in this kernel",
                 family == AF_INET6 ? "IPv6" : "IPv4");
        return 0;
}

/* What the API cannot say is not tried: the kernel was never asked, so it is no refusal. */
static bool record_inexpressible(Check *c, const char *what) {
        char note[128];

        if (!what)
                return false;
        snprintf(note, sizeof(note), "PF_KEY cannot express %s; XFRM netlink could", what);
        check_set_untried(c, 0, note);
        return true;
}

int trial_sa_exact(XfrmNl *nl, const XfrmSa *sa, Check *c) {
        XfrmAnswer ans;
        XfrmSa got = {}, want;
        char diff[64] = "";
        int r;

        if (!record_family(c, sa->family) || record_inexpressible(c, xfrm_sa_inexpressible(nl, sa)))
                return 0;
        r = record_add(c, xfrm_sa_add(nl, sa, &ans), &ans, sa->proto, sa->family, xfrm_op_name(nl, XFRM_OP_SA_ADD));
        if (r <= 0)
                return r;
        xfrm_sa_as_carried(nl, sa, &want);
        r = xfrm_sa_get(nl, sa, &got, &ans);
        return record_read_back(c, r, &ans, r >= 0 && ans.err == 0 && xfrm_sa_compare(&want, &got, diff, sizeof(diff)),
                                diff, xfrm_op_name(nl, XFRM_OP_SA_GET));
}

static bool same_suite(const XfrmSa *sa, const TrialSuite *s) {
        return strcmp(sa->enc.name, s->enc.name) == 0 && strcmp(sa->auth.name, s->auth.name) == 0 &&
               strcmp(sa->aead.name, s->aead.name) == 0 && strcmp(sa->comp.name, s->comp.name) == 0;
}

/* ENOSYS: an algorithm the SA names is unknown; ENOENT: a crypto template it needs (authenc, seqiv) is. */
static bool algorithm_refused(const Check *c) {
        return c->outcome == CHECK_REFUSED && (c->err == ENOSYS || c->err == ENOENT);
}

int trial_sa(XfrmNl *nl, const XfrmSa *sa, Check *c) {
        size_t slot = suite_slot(sa->proto);
        Check first;
        int r;

        if ((r = trial_sa_exact(nl, sa, c)) < 0 || slot == SIZE_MAX || !algorithm_refused(c))
                return r;

        first = *c;
        for (size_t i = 0; i < suite_table[slot].n; i++) {
                const TrialSuite *s = &suite_table[slot].suites[i];
                XfrmSa alt = *sa;

                if (same_suite(sa, s))
                        continue; /* what was just refused */
                trial_suite_apply(&alt, s);
                check_reset(c);
                if ((r = trial_sa_exact(nl, &alt, c)) < 0)
                        return r;
                if (c->outcome == CHECK_ACCEPTED) {
                        snprintf(c->note, sizeof(c->note), "with %s; the first suite tried was refused with %s",
                                 s->label, errno_name(first.err) ?: "an error");
                        suite_table[slot].chosen = i;
                        return 0;
                }
                /* Past the algorithms, refused by something else (the transform type): that is the answer. */
                if (!algorithm_refused(c) && c->outcome != CHECK_UNTRIED)
                        return 0;
        }
        /* No suite at all (or none the API can express): now the algorithms are what blocks the transform. */
        *c = first;
        c->blocked_by = "crypto.algorithms";
        STRSCPY(c->note, "no algorithm suite was accepted");
        return 0;
}

int trial_policy(XfrmNl *nl, const XfrmPolicy *p, Check *c) {
        XfrmAnswer ans;
        XfrmPolicy got = {};
        char diff[64] = "";
        int r;

        if (!record_family(c, p->sel.family) || record_inexpressible(c, xfrm_policy_inexpressible(nl, p)))
                return 0;
        r = record_add(c, xfrm_policy_add(nl, p, &ans), &ans, p->n_tmpl > 0 ? p->tmpl[0].proto : 0, p->sel.family,
                       xfrm_op_name(nl, XFRM_OP_POLICY_ADD));
        if (r <= 0)
                return r;
        r = xfrm_policy_get(nl, p, &got, &ans);
        return record_read_back(c, r, &ans,
                                r >= 0 && ans.err == 0 && xfrm_policy_compare(p, &got, diff, sizeof(diff)), diff,
                                xfrm_op_name(nl, XFRM_OP_POLICY_GET));
}
