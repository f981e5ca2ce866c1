/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* XFRM messages as built and parsed, and trials against a scripted kernel. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <libmnl/libmnl.h>
#include <cmocka.h>

#include "fake-kernel.h"
#include "macro.h"
#include "netlink.h"
#include "trial.h"

static XfrmNl *nl;

/* Sockets of a family: counted, and refused as a kernel without it would when family_off is set. */
static unsigned family_sockets;
static int family_off = AF_UNSPEC;

static int setup(void **state) {
        fake_reset();
        family_off = AF_UNSPEC;
        return xfrm_nl_open(&nl);
}

static int teardown(void **state) {
        xfrm_nl_free(nl);
        nl = NULL;
        return 0;
}

static XfrmSa esp_natt_sa(void) {
        XfrmSa sa;

        assert_int_equal(trial_sa_init(&sa, &trial_families[0], IPPROTO_ESP, XFRM_MODE_TUNNEL, 0x5000), 0);
        sa.encap = true;
        sa.encap_type = UDP_ENCAP_ESPINUDP;
        sa.encap_sport = 4500;
        sa.encap_dport = 4500;
        return sa;
}

static XfrmPolicy bundle_policy(void) {
        XfrmPolicy p;

        assert_int_equal(trial_policy_init(&p, &trial_families[1], XFRM_POLICY_OUT), 0);
        assert_int_equal(trial_policy_add_tmpl(&p, &trial_families[1], IPPROTO_AH, XFRM_MODE_TRANSPORT, 7), 0);
        assert_int_equal(trial_policy_add_tmpl(&p, &trial_families[1], IPPROTO_ESP, XFRM_MODE_TUNNEL, 8), 0);
        return p;
}

static const struct nlattr *find_attr(const struct nlmsghdr *nlh, size_t fixed, uint16_t type) {
        const struct nlattr *a;

        mnl_attr_for_each(a, nlh, fixed)
                if (mnl_attr_get_type(a) == type)
                        return a;
        return NULL;
}

static void test_sa_request_layout(void **state) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        XfrmSa sa = esp_natt_sa();
        const struct xfrm_usersa_info *info;
        const struct xfrm_algo *crypt;
        const struct xfrm_algo_auth *auth;
        const struct xfrm_encap_tmpl *encap;
        const struct nlattr *a;

        assert_int_equal(xfrm_sa_build_new(buf, sizeof(buf), &sa, &nlh), 0);
        assert_int_equal(nlh->nlmsg_type, XFRM_MSG_NEWSA);
        assert_true(nlh->nlmsg_flags & NLM_F_REQUEST);
        assert_true(nlh->nlmsg_flags & NLM_F_EXCL);
        info = mnl_nlmsg_get_payload(nlh);
        assert_int_equal(info->family, AF_INET);
        assert_int_equal(info->id.spi, htonl(0x5000));
        assert_int_equal(info->id.proto, IPPROTO_ESP);
        assert_int_equal(info->mode, XFRM_MODE_TUNNEL);
        assert_true(info->lft.hard_byte_limit == XFRM_INF);

        a = find_attr(nlh, sizeof(*info), XFRMA_ALG_CRYPT);
        assert_non_null(a);
        crypt = mnl_attr_get_payload(a);
        assert_string_equal(crypt->alg_name, "cbc(aes)");
        assert_int_equal(crypt->alg_key_len, 128);
        assert_int_equal(mnl_attr_get_payload_len(a), sizeof(*crypt) + 16);

        a = find_attr(nlh, sizeof(*info), XFRMA_ALG_AUTH_TRUNC);
        assert_non_null(a);
        auth = mnl_attr_get_payload(a);
        assert_string_equal(auth->alg_name, "hmac(sha256)");
        assert_int_equal(auth->alg_trunc_len, 128);
        assert_int_equal(mnl_attr_get_payload_len(a), sizeof(*auth) + 32);

        a = find_attr(nlh, sizeof(*info), XFRMA_ENCAP);
        assert_non_null(a);
        encap = mnl_attr_get_payload(a);
        assert_int_equal(encap->encap_type, UDP_ENCAP_ESPINUDP);
        assert_int_equal(encap->encap_dport, htons(4500));
        assert_null(find_attr(nlh, sizeof(*info), XFRMA_ALG_AEAD));
}

static void test_sa_round_trip(void **state) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        XfrmSa sa = esp_natt_sa(), got;
        char what[64];

        assert_int_equal(xfrm_sa_build_new(buf, sizeof(buf), &sa, &nlh), 0);
        assert_int_equal(xfrm_sa_parse(nlh, &got), 0);
        assert_int_equal(xfrm_sa_compare(&sa, &got, what, sizeof(what)), 0);

        got.encap = false;
        assert_int_equal(xfrm_sa_compare(&sa, &got, what, sizeof(what)), 1);
        assert_string_equal(what, "XFRMA_ENCAP missing");
}

/* km.replay_esn's SAs: the ESN flag and XFRMA_REPLAY_ESN_VAL with its bitmap, and back. */
static void test_sa_esn_round_trip(void **state) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        struct xfrm_replay_state_esn rs;
        struct xfrm_usersa_info *info;
        const struct nlattr *a;
        XfrmSa sa, got;
        char what[64];

        assert_int_equal(trial_sa_init(&sa, &trial_families[0], IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x9001), 0);
        sa.esn = true;
        sa.esn_window = 128;
        assert_int_equal(xfrm_sa_build_new(buf, sizeof(buf), &sa, &nlh), 0);
        info = mnl_nlmsg_get_payload(nlh);
        assert_true(info->flags & XFRM_STATE_ESN);
        assert_int_equal(info->replay_window, 0);
        assert_non_null(a = find_attr(nlh, sizeof(*info), XFRMA_REPLAY_ESN_VAL));
        assert_int_equal(mnl_attr_get_payload_len(a), sizeof(rs) + 4 * sizeof(uint32_t));
        memcpy(&rs, mnl_attr_get_payload(a), sizeof(rs));
        assert_int_equal(rs.bmp_len, 4);
        assert_int_equal(rs.replay_window, 128);

        assert_int_equal(xfrm_sa_parse(nlh, &got), 0);
        assert_int_equal(xfrm_sa_compare(&sa, &got, what, sizeof(what)), 0);
        got.esn_window = 64;
        assert_int_equal(xfrm_sa_compare(&sa, &got, what, sizeof(what)), 1);
        assert_string_equal(what, "XFRMA_REPLAY_ESN_VAL window");
        got.esn = false;
        assert_int_equal(xfrm_sa_compare(&sa, &got, what, sizeof(what)), 1);
        assert_string_equal(what, "XFRM_STATE_ESN flag");

        /* A bitmap longer than the attribute is malformed. */
        ((struct xfrm_replay_state_esn *) mnl_attr_get_payload(a))->bmp_len = 5;
        assert_int_equal(xfrm_sa_parse(nlh, &got), -EBADMSG);

        /* The legacy window travels in the fixed header and is compared when asked for. */
        sa.esn = false;
        sa.replay_window = 32;
        assert_int_equal(xfrm_sa_build_new(buf, sizeof(buf), &sa, &nlh), 0);
        assert_null(find_attr(nlh, sizeof(*info), XFRMA_REPLAY_ESN_VAL));
        assert_int_equal(xfrm_sa_parse(nlh, &got), 0);
        assert_int_equal(got.replay_window, 32);
        got.replay_window = 0;
        assert_int_equal(xfrm_sa_compare(&sa, &got, what, sizeof(what)), 1);
        assert_string_equal(what, "replay window");

        sa.esn = true;
        sa.esn_window = 0;
        assert_int_equal(xfrm_sa_build_new(buf, sizeof(buf), &sa, &nlh), -EINVAL);
}

static void test_sa_parse_rejects_short_key(void **state) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        struct nlattr *a;
        struct xfrm_algo *alg;
        XfrmSa sa = esp_natt_sa(), got;

        assert_int_equal(xfrm_sa_build_new(buf, sizeof(buf), &sa, &nlh), 0);
        /* Claim a longer key than the attribute carries. */
        a = (struct nlattr *) find_attr(nlh, sizeof(struct xfrm_usersa_info), XFRMA_ALG_CRYPT);
        alg = mnl_attr_get_payload(a);
        alg->alg_key_len = 4096;
        assert_int_equal(xfrm_sa_parse(nlh, &got), -EBADMSG);

        /* A message too short for its fixed header. */
        nlh->nlmsg_len = mnl_nlmsg_size(8);
        assert_int_equal(xfrm_sa_parse(nlh, &got), -EBADMSG);
        nlh->nlmsg_type = XFRM_MSG_NEWPOLICY;
        assert_int_equal(xfrm_sa_parse(nlh, &got), -EBADMSG);
}

static void test_policy_bundle_layout(void **state) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        XfrmPolicy p = bundle_policy(), got;
        const struct nlattr *a;
        const struct xfrm_user_tmpl *t;
        char what[64];

        assert_int_equal(xfrm_policy_build_new(buf, sizeof(buf), &p, &nlh), 0);
        assert_int_equal(nlh->nlmsg_type, XFRM_MSG_NEWPOLICY);
        a = find_attr(nlh, sizeof(struct xfrm_userpolicy_info), XFRMA_TMPL);
        assert_non_null(a);
        assert_int_equal(mnl_attr_get_payload_len(a), 2 * sizeof(struct xfrm_user_tmpl));
        t = mnl_attr_get_payload(a);
        assert_int_equal(t[0].id.proto, IPPROTO_AH);
        assert_int_equal(t[0].mode, XFRM_MODE_TRANSPORT);
        assert_int_equal(t[1].id.proto, IPPROTO_ESP);
        assert_int_equal(t[1].mode, XFRM_MODE_TUNNEL);
        assert_int_equal(t[1].family, AF_INET6);
        assert_int_equal(t[1].ealgos, ~0U);

        assert_int_equal(xfrm_policy_parse(nlh, &got), 0);
        assert_int_equal(xfrm_policy_compare(&p, &got, what, sizeof(what)), 0);
        got.n_tmpl = 1;
        assert_int_equal(xfrm_policy_compare(&p, &got, what, sizeof(what)), 1);
        assert_string_equal(what, "1 of 2 templates kept");

        p.n_tmpl = XFRM_MAX_DEPTH + 1;
        assert_int_equal(xfrm_policy_build_new(buf, sizeof(buf), &p, &nlh), -EINVAL);
}

static void test_policy_ports_round_trip(void **state) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        XfrmPolicy p, got;
        const struct xfrm_userpolicy_info *info;
        char what[64];

        assert_int_equal(trial_policy_init(&p, &trial_families[0], XFRM_POLICY_OUT), 0);
        p.sel.proto = IPPROTO_SCTP;
        p.sel.dport = 179;
        p.sel.dport_mask = 0xffff;
        assert_int_equal(xfrm_policy_build_new(buf, sizeof(buf), &p, &nlh), 0);
        info = mnl_nlmsg_get_payload(nlh);
        assert_int_equal(info->sel.dport, htons(179));
        assert_int_equal(info->sel.proto, IPPROTO_SCTP);
        assert_int_equal(info->sel.prefixlen_d, 32);
        assert_int_equal(xfrm_policy_parse(nlh, &got), 0);
        got.sel.dport = 0;
        got.sel.dport_mask = 0;
        assert_int_equal(xfrm_policy_compare(&p, &got, what, sizeof(what)), 1);
        assert_string_equal(what, "selector destination port");
}

/* The selector's user field and a security context travel in requests and come back from replies. */
static void test_policy_user_and_context_round_trip(void **state) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        XfrmPolicy p, got;
        const struct xfrm_userpolicy_info *info;
        struct nlattr *attr;
        bool ctx_sent = false;
        size_t len;
        char what[64];

        assert_int_equal(trial_policy_init(&p, &trial_families[0], XFRM_POLICY_OUT), 0);
        p.sel.user = 4242;
        STRSCPY(p.sec_ctx, "system_u:object_r:ipsec_spd_t:s0");
        assert_int_equal(xfrm_policy_build_new(buf, sizeof(buf), &p, &nlh), 0);
        info = mnl_nlmsg_get_payload(nlh);
        assert_int_equal(info->sel.user, 4242);
        assert_int_equal(xfrm_policy_parse(nlh, &got), 0);
        assert_int_equal(got.sel.user, 4242);
        assert_string_equal(got.sec_ctx, p.sec_ctx);
        assert_int_equal(xfrm_policy_compare(&p, &got, what, sizeof(what)), 0);
        got.sec_ctx[0] = '\0';
        assert_int_equal(xfrm_policy_compare(&p, &got, what, sizeof(what)), 1);
        assert_string_equal(what, "security context");

        /* The lookup (GETPOLICY) carries both too: they are part of the policy's identity. */
        assert_int_equal(xfrm_policy_build_get(buf, sizeof(buf), &p, &nlh), 0);
        assert_int_equal(((const struct xfrm_userpolicy_id *) mnl_nlmsg_get_payload(nlh))->sel.user, 4242);
        mnl_attr_for_each(attr, nlh, sizeof(struct xfrm_userpolicy_id))
                ctx_sent |= mnl_attr_get_type(attr) == XFRMA_SEC_CTX;
        assert_true(ctx_sent);

        /* IP_XFRM_POLICY takes no attributes: a context cannot go there. */
        assert_int_equal(xfrm_socket_policy_build(nl, &p, buf, sizeof(buf), &len), -EOPNOTSUPP);
        p.sec_ctx[0] = '\0';
        assert_int_equal(xfrm_socket_policy_build(nl, &p, buf, sizeof(buf), &len), 0);
        assert_int_equal(len, sizeof(struct xfrm_userpolicy_info));
}

static void test_error_extack(void **state) {
        XfrmAnswer ans;
        XfrmSa sa = esp_natt_sa();

        /* Capped (NETLINK_CAP_ACK) and uncapped errors carry the text at different offsets. */
        for (int capped = 0; capped <= 1; capped++) {
                fake_reset();
                fake_push_ack(EPROTONOSUPPORT, "Requested type not found", capped);
                assert_int_equal(xfrm_sa_add(nl, &sa, &ans), 0);
                assert_int_equal(ans.err, EPROTONOSUPPORT);
                assert_string_equal(ans.extack, "Requested type not found");
        }

        /* Kernels before 4.12 send no TLVs. */
        fake_reset();
        fake_push_ack(ENOSYS, NULL, 1);
        assert_int_equal(xfrm_sa_add(nl, &sa, &ans), 0);
        assert_int_equal(ans.err, ENOSYS);
        assert_string_equal(ans.extack, "");

        /* The request went out once, as a NEWSA asking for an ACK. */
        assert_int_equal(fake_request_count(), 1);
        assert_int_equal(fake_request(0)->nlmsg_type, XFRM_MSG_NEWSA);
        assert_true(fake_request(0)->nlmsg_flags & NLM_F_ACK);
}

static void test_error_malformed(void **state) {
        uint8_t buf[256] = {};
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nlmsgerr *e;
        char extack[64];
        int err;

        nlh->nlmsg_type = NLMSG_ERROR;
        assert_int_equal(netlink_parse_error(nlh, &err, extack, sizeof(extack)), -EBADMSG);

        e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
        e->error = 5; /* positive: not an errno the kernel sends */
        assert_int_equal(netlink_parse_error(nlh, &err, extack, sizeof(extack)), -EBADMSG);

        /* Uncapped, claiming an echoed request longer than the message. */
        e->error = -EINVAL;
        e->msg.nlmsg_len = 200;
        nlh->nlmsg_flags = NLM_F_ACK_TLVS;
        assert_int_equal(netlink_parse_error(nlh, &err, extack, sizeof(extack)), -EBADMSG);
}

static void test_trial_accepted(void **state) {
        XfrmSa sa = esp_natt_sa();
        Check c = {};

        fake_push_ack(0, NULL, 1);
        fake_push_sa(&sa);
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_ACCEPTED);
        assert_true(c.read_back);
        assert_int_equal(fake_request_count(), 2);
        assert_int_equal(fake_request(1)->nlmsg_type, XFRM_MSG_GETSA);
        /* A read-back is answered by the SA alone: no acknowledgement is asked for after it. */
        assert_true(fake_request(0)->nlmsg_flags & NLM_F_ACK);
        assert_false(fake_request(1)->nlmsg_flags & NLM_F_ACK);
}

static void test_trial_refused(void **state) {
        XfrmSa sa = esp_natt_sa();
        Check c = {};

        fake_push_ack(EPROTONOSUPPORT, "Requested type not found", 1);
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_REFUSED);
        assert_int_equal(c.err, EPROTONOSUPPORT);
        assert_string_equal(c.extack, "Requested type not found");
        assert_string_equal(c.blocked_by, "proto.esp");
        /* A refused SA is not read back. */
        assert_int_equal(fake_request_count(), 1);
}

/* The host's answer to why a transform's module is missing, numbered by how often it was asked. */
static unsigned module_cause_calls;

HostCause __wrap_module_cause(const char *root, const char *release, const char *module, char *ret, size_t size);
HostCause __wrap_module_cause(const char *root, const char *release, const char *module, char *ret, size_t size) {
        snprintf(ret, size, "%s asked (%u)", module, ++module_cause_calls);
        return HOST_CAUSE_NOT_BUILT;
}

static void trial_refused_for_transform(const XfrmSa *sa, const char *note) {
        Check c = {};

        fake_push_ack(EPROTONOSUPPORT, "Requested type not found", 1);
        assert_int_equal(trial_sa_exact(nl, sa, &c), 0);
        assert_int_equal(c.err, EPROTONOSUPPORT);
        assert_int_equal(c.cause, HOST_CAUSE_NOT_BUILT);
        assert_string_equal(c.note, note);
}

/* A probe asks the host once per module, and the next probe asks again (trial_forget()). */
static void test_trial_asks_host_once_per_probe(void **state) {
        XfrmSa v4 = esp_natt_sa(), v6;

        assert_int_equal(trial_sa_init(&v6, &trial_families[1], IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x9002), 0);
        trial_forget();
        module_cause_calls = 0;
        trial_refused_for_transform(&v4, "esp4 asked (1)");
        trial_refused_for_transform(&v6, "esp6 asked (2)");
        trial_refused_for_transform(&v4, "esp4 asked (1)");
        trial_refused_for_transform(&v6, "esp6 asked (2)");
        assert_int_equal(module_cause_calls, 2);
        trial_forget();
        trial_refused_for_transform(&v4, "esp4 asked (3)");
}

int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol) {
        if (domain == AF_INET || domain == AF_INET6)
                family_sockets++;
        if (domain == family_off) {
                errno = EAFNOSUPPORT;
                return -1;
        }
        return __real_socket(domain, type, protocol);
}

/* Whether a family exists is asked once per probe too: a family off refuses every trial of it, unsent. */
static void test_trial_asks_family_once_per_probe(void **state) {
        XfrmSa v6;
        Check c = {};

        assert_int_equal(trial_sa_init(&v6, &trial_families[1], IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x9003), 0);
        trial_forget();
        family_sockets = 0;
        family_off = AF_INET6;
        for (unsigned i = 0; i < 2; i++) {
                c = (Check) {};
                assert_int_equal(trial_sa_exact(nl, &v6, &c), 0);
                assert_int_equal(c.outcome, CHECK_REFUSED);
                assert_int_equal(c.err, EAFNOSUPPORT);
                assert_string_equal(c.note, "IPv6 is disabled in this kernel");
        }
        assert_int_equal(family_sockets, 1);
        assert_int_equal(fake_request_count(), 0);
        /* The next probe asks again, and finds it. */
        family_off = AF_UNSPEC;
        trial_forget();
        fake_push_ack(EPROTONOSUPPORT, "Requested type not found", 1);
        c = (Check) {};
        assert_int_equal(trial_sa_exact(nl, &v6, &c), 0);
        assert_int_equal(c.err, EPROTONOSUPPORT);
        assert_int_equal(family_sockets, 2);
}

static void test_trial_missing_algorithm_not_blocked(void **state) {
        XfrmSa sa = esp_natt_sa();
        Check c = {};

        fake_push_ack(ENOSYS, "Requested CRYPT algorithm not found", 1);
        assert_int_equal(trial_sa_exact(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_REFUSED);
        assert_null(c.blocked_by);
        assert_int_equal(fake_request_count(), 1);
}

/* Without authenc, CBC+HMAC ESP is refused (ENOENT) while AES-GCM works: the transform is there. */
static void test_trial_other_suite(void **state) {
        XfrmSa sa = esp_natt_sa(), gcm = sa;
        size_t n;
        const TrialSuite *suites = trial_suites(IPPROTO_ESP, &n);
        Check c = { .optional = true };

        assert_true(n >= 2);
        assert_string_equal(suites[1].label, "AES-GCM-16");
        trial_suite_apply(&gcm, &suites[1]);
        fake_push_ack(ENOENT, NULL, 1);
        fake_push_ack(0, NULL, 1);
        fake_push_sa(&gcm);
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_ACCEPTED);
        assert_true(c.optional);
        assert_null(c.blocked_by);
        assert_non_null(strstr(c.note, "with AES-GCM-16"));
        assert_int_equal(fake_request_count(), 3);
        /* Later SAs of this probe start with the suite that worked; the next probe's with the first. */
        sa = esp_natt_sa();
        assert_string_equal(sa.aead.name, suites[1].aead.name);
        trial_forget();
        sa = esp_natt_sa();
        assert_string_equal(sa.enc.name, suites[0].enc.name);
        assert_string_equal(sa.aead.name, "");
}

/* Every suite refused for its algorithms: only then is the transform blocked by crypto.algorithms. */
static void test_trial_no_suite(void **state) {
        XfrmSa sa = esp_natt_sa();
        size_t n;

        (void) trial_suites(IPPROTO_ESP, &n);
        for (size_t i = 0; i < n; i++)
                fake_push_ack(i % 2 ? ENOENT : ENOSYS, NULL, 1);
        Check c = {};
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_REFUSED);
        assert_string_equal(c.blocked_by, "crypto.algorithms");
        assert_int_equal(fake_request_count(), (int) n);
}

/* Past the algorithms, the transform type is missing: that is the answer, and the search stops. */
static void test_trial_suite_then_transform(void **state) {
        XfrmSa sa = esp_natt_sa();
        Check c = {};

        fake_push_ack(ENOENT, NULL, 1);
        fake_push_ack(EPROTONOSUPPORT, "Requested type not found", 1);
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.err, EPROTONOSUPPORT);
        assert_string_equal(c.blocked_by, "proto.esp");
        assert_int_equal(fake_request_count(), 2);
}

/* The false positive the read-back exists for: accepted, attribute silently dropped. */
static void test_trial_dropped_attribute(void **state) {
        XfrmSa sa = esp_natt_sa(), kept = sa;
        Check c = {};

        kept.encap = false;
        fake_push_ack(0, NULL, 1);
        fake_push_sa(&kept);
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_ALTERED);
        assert_false(c.read_back);
        assert_non_null(strstr(c.note, "XFRMA_ENCAP"));
        assert_int_equal(check_verdict(&c), VERDICT_UNAVAILABLE);
}

static void test_trial_vanished(void **state) {
        XfrmSa sa = esp_natt_sa();
        Check c = {};

        fake_push_ack(0, NULL, 1);
        fake_push_ack(ESRCH, NULL, 1);
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_ALTERED);
        assert_non_null(strstr(c.note, "ESRCH"));
}

static void test_trial_policy_templates_dropped(void **state) {
        XfrmPolicy p = bundle_policy(), kept = p;
        Check c = {};

        kept.n_tmpl = 1;
        fake_push_ack(0, NULL, 1);
        fake_push_policy(&kept);
        assert_int_equal(trial_policy(nl, &p, &c), 0);
        assert_int_equal(c.outcome, CHECK_ALTERED);
        assert_non_null(strstr(c.note, "1 of 2 templates"));
        assert_int_equal(fake_request(1)->nlmsg_type, XFRM_MSG_GETPOLICY);
}

/* A kernel that never answers, or answers nonsense, leaves the check untried, not refused. */
static void test_trial_silence_and_nonsense(void **state) {
        XfrmSa sa = esp_natt_sa();
        XfrmPolicy wrong = bundle_policy();
        Check c = {};

        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_UNTRIED);
        assert_int_equal(c.err, ETIMEDOUT);
        assert_int_equal(check_verdict(&c), VERDICT_UNKNOWN);

        fake_reset();
        c = (Check) {};
        fake_push_ack(0, NULL, 1);
        fake_push_policy(&wrong); /* a policy where the SA should be */
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_UNTRIED);
        assert_int_equal(c.err, EBADMSG);

        fake_reset();
        c = (Check) {};
        fake_push_recv_error(ENOBUFS);
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_UNTRIED);
        assert_int_equal(c.err, ENOBUFS);
}

static void test_sad_info(void **state) {
        uint8_t buf[256] = {};
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        XfrmAnswer ans;
        uint32_t count = 0;

        nlh->nlmsg_type = XFRM_MSG_NEWSADINFO;
        mnl_nlmsg_put_extra_header(nlh, sizeof(uint32_t));
        mnl_attr_put_u32(nlh, XFRMA_SAD_CNT, 3);
        fake_push(nlh);
        assert_int_equal(xfrm_sad_info(nl, &count, &ans), 0);
        assert_int_equal(ans.err, 0);
        assert_int_equal(count, 3);

        fake_reset();
        fake_push_ack(EPERM, NULL, 1);
        assert_int_equal(xfrm_sad_info(nl, &count, &ans), 0);
        assert_int_equal(ans.err, EPERM);
}

static int count_reply(const struct nlmsghdr *nlh, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

static void forget_replies(void *userdata) {
        *(unsigned *) userdata = 0;
}

/* Queues one reply message of a dump: type, flags and an empty payload of len bytes. */
static void push_dump_msg(uint16_t type, uint16_t flags, size_t len) {
        uint8_t buf[64] = {};
        struct nlmsghdr *msg = mnl_nlmsg_put_header(buf);

        msg->nlmsg_type = type;
        msg->nlmsg_flags = flags;
        mnl_nlmsg_put_extra_header(msg, len);
        fake_push(msg);
}

/* Dumps type on a fresh transport socket; *n counts the replies the last attempt delivered. */
static int run_dump(uint16_t type, unsigned *n) {
        _cleanup_(netlink_socket_freep) NetlinkSocket *s = NULL;
        uint8_t buf[64] = {};
        struct nlmsghdr *req = mnl_nlmsg_put_header(buf);
        NetlinkAnswer ans;
        int r = netlink_socket_open(NETLINK_XFRM, NL_TIMEOUT_S, &s);

        if (r < 0)
                return r;
        req->nlmsg_type = type;
        req->nlmsg_flags = NLM_F_REQUEST;
        r = netlink_dump(s, req, count_reply, forget_replies, n, &ans);
        return r < 0 ? r : -ans.err;
}

/*
 * A dump the kernel marks NLM_F_DUMP_INTR is read to its end, then started over on the same
 * socket, with what it delivered forgotten: the second attempt's one SA is all that counts.
 */
static void test_dump_restarts_when_interrupted(void **state) {
        unsigned n = 0;

        push_dump_msg(XFRM_MSG_NEWSA, NLM_F_MULTI, 0);
        push_dump_msg(XFRM_MSG_NEWSA, NLM_F_MULTI | NLM_F_DUMP_INTR, 0);
        push_dump_msg(XFRM_MSG_NEWSA, NLM_F_MULTI, 0);
        push_dump_msg(NLMSG_DONE, NLM_F_MULTI, sizeof(int));
        push_dump_msg(XFRM_MSG_NEWSA, NLM_F_MULTI, 0);
        push_dump_msg(NLMSG_DONE, NLM_F_MULTI, sizeof(int));
        assert_int_equal(run_dump(XFRM_MSG_GETSA, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(fake_request_count(), 2);
        assert_int_equal(fake_sockets_opened(), 2); /* setup()'s, and run_dump()'s */
        assert_int_equal(fake_request(1)->nlmsg_flags & NLM_F_DUMP, NLM_F_DUMP);
        assert_false(fake_request(1)->nlmsg_flags & NLM_F_ACK);
}

/* A table that keeps changing: after NL_DUMP_TRIES attempts the dump fails as interrupted. */
static void test_dump_gives_up(void **state) {
        unsigned n = 0;

        for (int i = 0; i < NL_DUMP_TRIES + 1; i++) {
                push_dump_msg(XFRM_MSG_NEWPOLICY, NLM_F_MULTI | NLM_F_DUMP_INTR, 0);
                push_dump_msg(NLMSG_DONE, NLM_F_MULTI, sizeof(int));
        }
        assert_int_equal(run_dump(XFRM_MSG_GETPOLICY, &n), -EINTR);
        assert_int_equal(fake_request_count(), NL_DUMP_TRIES);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_sa_request_layout),
                T(test_sa_round_trip),
                T(test_sa_esn_round_trip),
                T(test_sa_parse_rejects_short_key),
                T(test_policy_bundle_layout),
                T(test_policy_ports_round_trip),
                T(test_policy_user_and_context_round_trip),
                T(test_error_extack),
                T(test_error_malformed),
                T(test_trial_accepted),
                T(test_trial_refused),
                T(test_trial_asks_host_once_per_probe),
        T(test_trial_asks_family_once_per_probe),
        T(test_trial_missing_algorithm_not_blocked),
                T(test_trial_dropped_attribute),
                T(test_trial_vanished),
                T(test_trial_policy_templates_dropped),
                T(test_trial_silence_and_nonsense),
                T(test_sad_info),
                T(test_dump_restarts_when_interrupted),
                T(test_dump_gives_up),
                /* Last: they change the suite later SAs of this process start with. */
                T(test_trial_suite_then_transform),
                T(test_trial_no_suite),
                T(test_trial_other_suite),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
