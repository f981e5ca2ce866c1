/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "probes.h"
#include "trial.h"

/*
 * Per-socket policy (RFC 5406 Section 3.4's "application asks for IPsec"):
 * setsockopt(IP_XFRM_POLICY / IPV6_XFRM_POLICY) with one xfrm_userpolicy_info
 * and one ESP transport template, as racoon and Linux's own tests send it.
 * Linux has no getsockopt for these options, so the read-back is the SPD
 * counters: XFRM_MSG_GETSPDINFO counts per-socket policies separately.
 */

#define SOCKET_POLICY_GETSOCKOPT "getsockopt_read_back"
/* A policy with one template, in either API's form. */
#define SOCKET_POLICY_BUF 256

/*
 * One ESP transport template to the peer. Without XFRM netlink, af_key
 * compiles the per-socket policy instead: the same request as an
 * sadb_x_policy (RFC 2367's KAME extension, what setkey-era applications
 * pass) under IP_IPSEC_POLICY / IPV6_IPSEC_POLICY.
 */
static int socket_policy_req(XfrmNl *nl, const TrialFamily *f, uint8_t *buf, size_t size, size_t *ret_len) {
        XfrmPolicy p = {
                .sel.family = f->family,
                .dir = XFRM_POLICY_OUT,
                .action = XFRM_POLICY_ALLOW,
        };
        int r;

        if ((r = trial_policy_add_tmpl(&p, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0)) < 0 ||
            (r = xfrm_addr(f->family, f->peer, &p.tmpl[0].daddr)) < 0)
                return r;
        return xfrm_socket_policy_build(nl, &p, buf, size, ret_len);
}

static const char *socket_count_name(const XfrmNl *nl) {
        return xfrm_api(nl) == XFRM_API_PFKEY ? "SADB_X_SPDDUMP" : "XFRM_MSG_GETSPDINFO";
}

static int socket_policy_opt(const XfrmNl *nl, uint16_t family) {
        bool v6 = family == AF_INET6;

        if (xfrm_api(nl) == XFRM_API_PFKEY)
                return v6 ? IPV6_IPSEC_POLICY : IP_IPSEC_POLICY;
        return v6 ? IPV6_XFRM_POLICY : IP_XFRM_POLICY;
}

static const char *socket_policy_what(const XfrmNl *nl, uint16_t family) {
        switch (socket_policy_opt(nl, family)) {
        case IPV6_IPSEC_POLICY:
                return "IPV6_IPSEC_POLICY on a UDP socket";
        case IP_IPSEC_POLICY:
                return "IP_IPSEC_POLICY on a UDP socket";
        case IPV6_XFRM_POLICY:
                return "IPV6_XFRM_POLICY on a UDP socket";
        default:
                return "IP_XFRM_POLICY on a UDP socket";
        }
}

/* Returns 1 when the kernel took the policy and counts it, 0 when the check says why not. */
static int try_socket_policy(XfrmNl *nl, const TrialFamily *f, CapResult *res, Check *c) {
        bool v6 = f->family == AF_INET6;
        int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP, opt = socket_policy_opt(nl, f->family);
        _cleanup_close_ int fd = -1;
        uint32_t before = 0, after = 0;
        uint8_t req[SOCKET_POLICY_BUF] __attribute__((aligned(8))), got[SOCKET_POLICY_BUF];
        socklen_t len = sizeof(got);
        size_t req_len;
        XfrmAnswer ans;
        int r;

        r = socket_policy_req(nl, f, req, sizeof(req), &req_len);
        if (r < 0)
                return r;
        fd = socket(f->family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
        if (fd < 0) {
                /* No IPv6 at all (ipv6.disable=1) is a refusal of this variant. */
                c->outcome = CHECK_REFUSED;
                c->err = errno;
                STRSCPY(c->note, "no UDP socket of this family");
                return 0;
        }
        r = trial_record_answer(c, xfrm_spd_socket_count(nl, &before, &ans), &ans, socket_count_name(nl));
        if (r <= 0)
                return r;
        if (setsockopt(fd, level, opt, req, (socklen_t) req_len) < 0) {
                c->outcome = CHECK_REFUSED;
                c->err = errno;
                return 0;
        }
        /* Linux answers ENOPROTOOPT; record what this kernel says, for the day it changes. */
        if (getsockopt(fd, level, opt, got, &len) < 0) {
                char what[64];
                snprintf(what, sizeof(what), "%s %s", f->name, errno_name(errno) ?: "error");
                if ((r = result_append_detail(res, SOCKET_POLICY_GETSOCKOPT, what)) < 0 && r != -ENOBUFS)
                        return r;
        } else if ((r = result_append_detail(res, SOCKET_POLICY_GETSOCKOPT, f->name)) < 0 && r != -ENOBUFS)
                return r;

        r = trial_record_answer(c, xfrm_spd_socket_count(nl, &after, &ans), &ans, socket_count_name(nl));
        if (r <= 0)
                return r;
        if (after != before + 1) {
                c->outcome = CHECK_ALTERED;
                snprintf(c->note, sizeof(c->note), "accepted, but SPD socket-policy count went %u -> %u", before, after);
                return 0;
        }
        c->outcome = CHECK_ACCEPTED;
        c->read_back = true;
        return 1;
}

static int run_socket_policy(const ProbeContext *ctx, CapResult *res) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                int r = try_socket_policy(ctx->xfrm, f, res,
                                          ADD_CHECK(res, f->name, socket_policy_what(ctx->xfrm, f->family)));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Labeled IPsec: a policy carrying an LSM security context. */
#define SEC_CTX "system_u:object_r:ipsec_spd_t:s0"
#define SELECTOR_UID 4242

/*
 * Installs p (its selector's user field and security context included) and
 * reads it back into got: 1 when both were answered, 0 when a refusal was
 * recorded in c, negative for our own faults.
 */
static int policy_round_trip(XfrmNl *nl, const XfrmPolicy *p, Check *c, XfrmPolicy *got) {
        XfrmAnswer ans;
        int r;

        r = trial_record_answer(c, xfrm_policy_add(nl, p, &ans), &ans, xfrm_op_name(nl, XFRM_OP_POLICY_ADD));
        if (r <= 0)
                return r;
        /* The lookup compares the whole selector (user field included) and the context. */
        return trial_record_answer(c, xfrm_policy_get(nl, p, got, &ans), &ans, xfrm_op_name(nl, XFRM_OP_POLICY_GET));
}

static int run_user(const ProbeContext *ctx, CapResult *res) {
        const TrialFamily *f = &trial_families[0];
        XfrmPolicy p, got;
        Check *c;
        char value[RESULT_DETAIL_VALUE];
        int r;

        /* Per-socket granularity: an application's own socket gets its own policy. */
        r = try_socket_policy(ctx->xfrm, f, res,
                              ADD_CHECK(res, "per-socket policy", socket_policy_what(ctx->xfrm, f->family)));
        if (r < 0)
                return r;

        /* The rest asks through XFRM netlink attributes; af_key's security contexts are not tried. */
        if (xfrm_api(ctx->xfrm) == XFRM_API_PFKEY) {
                check_set_untried(ADD_CHECK(res, "security context", "policy with XFRMA_SEC_CTX"), 0,
                                  "not tried through PF_KEY; XFRM netlink could");
                return result_set_detail(res, "selector_user_field", "not tried: PF_KEY has no selector user field");
        }

        /* Context granularity: a policy that carries a security context and keeps it. */
        if ((r = trial_policy_init(&p, f, XFRM_POLICY_OUT)) < 0 ||
            (r = trial_policy_add_tmpl(&p, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0)) < 0)
                return r;
        p.sel.user = SELECTOR_UID;
        STRSCPY(p.sec_ctx, SEC_CTX);
        c = ADD_CHECK(res, "security context", "policy with XFRMA_SEC_CTX");
        r = policy_round_trip(ctx->xfrm, &p, c, &got);
        if (r < 0)
                return r;
        if (r > 0) {
                if (!got.sec_ctx[0]) {
                        c->outcome = CHECK_ALTERED;
                        /* No LSM handles XFRM contexts (CONFIG_SECURITY_NETWORK_XFRM, SELinux): the kernel drops it. */
                        STRSCPY(c->note, "read back without XFRMA_SEC_CTX: dropped, no XFRM-aware LSM");
                } else if (strcmp(got.sec_ctx, SEC_CTX) != 0) {
                        c->outcome = CHECK_ALTERED;
                        STRSCPY(c->note, "read back differs: XFRMA_SEC_CTX");
                } else {
                        c->outcome = CHECK_ACCEPTED;
                        c->read_back = true;
                }
        }

        /*
         * The selector's user field is stored and echoed, but xfrm_selector_match()
         * never looks at it: report what the read-back says, never as a capability.
         */
        p.sel.dport = 22;
        p.sel.dport_mask = 0xffff;
        p.sel.proto = IPPROTO_TCP;
        p.sec_ctx[0] = '\0';
        {
                Check scratch = {};
                r = policy_round_trip(ctx->xfrm, &p, &scratch, &got);
                if (r < 0)
                        return r;
                if (r > 0)
                        snprintf(value, sizeof(value),
                                 "uid %u sent, %u read back (part of the lookup key); not enforced: xfrm_selector_match() ignores it", SELECTOR_UID,
                                 got.sel.user);
                else
                        snprintf(value, sizeof(value), "policy %s (%s)", check_outcome_to_string(scratch.outcome),
                                 errno_name(scratch.err) ?: scratch.note);
        }
        return result_set_detail(res, "selector_user_field", value);
}

DEFINE_PROBE(probe_api_socket_policy, "api.socket_policy", "3.4, 5", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "per-socket policy with IP_XFRM_POLICY / IPV6_XFRM_POLICY",
             run_socket_policy);

DEFINE_PROBE(probe_selector_user, "selector.user", "5", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "user or context granularity: per-socket policy, XFRMA_SEC_CTX, the selector's user field",
             run_user);
