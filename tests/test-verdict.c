/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verdicts from checks, blocked_by, errno mapping and the Section 4 derivation. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "result.h"
#include "section4.h"
#include "synthetic.h"

static void add(CapResult *r, const char *group, CheckOutcome o, int err, const char *blocked_by) {
        Check *c = result_add_check(r, group, "trial SA");
        assert_non_null(c);
        c->outcome = o;
        c->err = err;
        c->read_back = o == CHECK_ACCEPTED;
        c->blocked_by = blocked_by;
}

static void test_all_groups_accepted(void **state) {
        CapResult r = {};

        add(&r, "IPv4", CHECK_ACCEPTED, 0, NULL);
        add(&r, "IPv6", CHECK_ACCEPTED, 0, NULL);
        result_conclude(&r, "proto.esp");
        assert_int_equal(r.verdict, VERDICT_AVAILABLE);
        assert_int_equal(r.level, LEVEL_API);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.n_blocked_by, 0);
        assert_string_equal(r.evidence, "The kernel accepted and read back trial SA (IPv4, IPv6).");
}

static Check *add_datapath(CapResult *r, const char *group, CheckOutcome o, int err, const char *note) {
        Check *c = result_add_datapath_check(r, group, "UDP through transport ESP");
        assert_non_null(c);
        c->outcome = o;
        c->err = err;
        STRSCPY(c->note, note);
        return c;
}

/* Every datapath check carried its traffic: the level rises, the verdict stays. */
static void test_datapath_all_carried(void **state) {
        CapResult r = {};

        add(&r, "IPv4", CHECK_ACCEPTED, 0, NULL);
        add(&r, "IPv6", CHECK_ACCEPTED, 0, NULL);
        add_datapath(&r, "IPv4", CHECK_ACCEPTED, 0, "");
        add_datapath(&r, "IPv6", CHECK_ACCEPTED, 0, "");
        result_conclude(&r, "proto.esp");
        assert_int_equal(r.verdict, VERDICT_AVAILABLE);
        assert_int_equal(r.level, LEVEL_DATAPATH);
        assert_string_equal(r.evidence, "The kernel accepted and read back trial SA (IPv4, IPv6); "
                                        "carried UDP through transport ESP (IPv4, IPv6).");
}

/* Accepted configuration that did not carry the traffic is RFC 5406's finding: partial, and why. */
static void test_datapath_not_carried_is_partial(void **state) {
        CapResult r = {};

        add(&r, "IPv4", CHECK_ACCEPTED, 0, NULL);
        add(&r, "IPv6", CHECK_ACCEPTED, 0, NULL);
        add_datapath(&r, "IPv4", CHECK_ACCEPTED, 0, "");
        add_datapath(&r, "IPv6", CHECK_ALTERED, 0, "no ESP frame with SPI 0x1000; payload not delivered");
        result_conclude(&r, "proto.esp");
        assert_int_equal(r.verdict, VERDICT_PARTIAL);
        assert_int_equal(r.level, LEVEL_API);
        assert_non_null(strstr(r.evidence, "accepted but did not carry UDP through transport ESP (IPv6) "
                                           "(no ESP frame with SPI 0x1000; payload not delivered)"));
}

/* Traffic that could not be sent says nothing about the capability: API verdict and level stand. */
static void test_datapath_untried_keeps_api(void **state) {
        CapResult r = {};
        Check *c;

        add(&r, "IPv4", CHECK_ACCEPTED, 0, NULL);
        c = add_datapath(&r, "IPv4", CHECK_UNTRIED, EPROTONOSUPPORT, "SA refused in the datapath namespaces");
        c->blocked_by = "proto.esp";
        result_conclude(&r, "selector.ports");
        assert_int_equal(r.verdict, VERDICT_AVAILABLE);
        assert_int_equal(r.level, LEVEL_API);
        assert_int_equal(r.n_blocked_by, 0);
        assert_non_null(strstr(r.evidence, "could not send UDP through transport ESP (IPv4) with EPROTONOSUPPORT"));
}

/* Datapath checks never decide a group: a refused SA stays unavailable whatever the traffic did. */
static void test_datapath_never_rescues_refusal(void **state) {
        CapResult r = {};

        add(&r, "IPv4", CHECK_REFUSED, EPROTONOSUPPORT, "proto.esp");
        add_datapath(&r, "IPv4", CHECK_ACCEPTED, 0, "");
        result_conclude(&r, "proto.esp");
        assert_int_equal(r.verdict, VERDICT_UNAVAILABLE);
        assert_int_equal(r.level, LEVEL_API);
}

static void test_one_family_missing_is_partial(void **state) {
        CapResult r = {};

        add(&r, "IPv4", CHECK_ACCEPTED, 0, NULL);
        add(&r, "IPv6", CHECK_REFUSED, EAFNOSUPPORT, NULL);
        result_conclude(&r, "proto.esp");
        assert_int_equal(r.verdict, VERDICT_PARTIAL);
        assert_int_equal(r.err, EAFNOSUPPORT);
        assert_non_null(strstr(r.evidence, "refused trial SA (IPv6) with EAFNOSUPPORT"));
}

/* A group needs every check: an accepted policy does not rescue a refused SA. */
static void test_group_needs_every_check(void **state) {
        CapResult r = {};

        add(&r, "IPv4", CHECK_ACCEPTED, 0, NULL);
        add(&r, "IPv4", CHECK_REFUSED, EPROTONOSUPPORT, "proto.esp");
        add(&r, "IPv6", CHECK_ACCEPTED, 0, NULL);
        add(&r, "IPv6", CHECK_REFUSED, EPROTONOSUPPORT, "proto.esp");
        result_conclude(&r, "sa.multicast");
        assert_int_equal(r.verdict, VERDICT_UNAVAILABLE);
        assert_int_equal(r.n_blocked_by, 1);
        assert_string_equal(r.blocked_by[0], "proto.esp");
        assert_int_equal(r.err, EPROTONOSUPPORT);
}

static void test_blocked_by_never_self_and_deduplicated(void **state) {
        CapResult r = {};

        add(&r, "ESP IPv4", CHECK_REFUSED, EPROTONOSUPPORT, "proto.esp");
        add(&r, "ESP IPv6", CHECK_REFUSED, EPROTONOSUPPORT, "proto.esp");
        add(&r, "AH IPv4", CHECK_REFUSED, EPROTONOSUPPORT, "proto.ah");
        result_conclude(&r, "proto.esp");
        assert_int_equal(r.verdict, VERDICT_UNAVAILABLE);
        assert_int_equal(r.n_blocked_by, 1);
        assert_string_equal(r.blocked_by[0], "proto.ah");
}

static Check *add_optional(CapResult *r, const char *group, CheckOutcome o, int err, const char *blocked_by) {
        add(r, group, o, err, blocked_by);
        r->checks[r->n_checks - 1].optional = true;
        return &r->checks[r->n_checks - 1];
}

/* AH is a MAY (RFC 4301): its refusal neither lowers a mode ESP provides nor names a blocker. */
static void test_optional_refused_keeps_available(void **state) {
        CapResult r = {};

        add(&r, "ESP IPv4", CHECK_ACCEPTED, 0, NULL);
        add(&r, "ESP IPv6", CHECK_ACCEPTED, 0, NULL);
        add_optional(&r, "AH IPv4", CHECK_REFUSED, EPROTONOSUPPORT, "proto.ah");
        add_optional(&r, "AH IPv6", CHECK_REFUSED, EPROTONOSUPPORT, "proto.ah");
        result_conclude(&r, "mode.tunnel");
        assert_int_equal(r.verdict, VERDICT_AVAILABLE);
        assert_int_equal(r.n_blocked_by, 0);
        assert_int_equal(r.err, 0);
}

/* Only the optional transform works: partial, blocked by the mandatory one only. */
static void test_only_optional_is_partial(void **state) {
        CapResult r = {};

        add(&r, "ESP IPv4", CHECK_REFUSED, EPROTONOSUPPORT, "proto.esp");
        add_optional(&r, "AH IPv4", CHECK_ACCEPTED, 0, NULL);
        add_optional(&r, "AH IPv6", CHECK_REFUSED, EPROTONOSUPPORT, "proto.ah");
        result_conclude(&r, "mode.transport");
        assert_int_equal(r.verdict, VERDICT_PARTIAL);
        assert_int_equal(r.n_blocked_by, 1);
        assert_string_equal(r.blocked_by[0], "proto.esp");
        assert_int_equal(r.err, EPROTONOSUPPORT);
}

/*
 * ESP in TCP without espintcp and without esp6: IPv4 refused for its own
 * cause (no such encapsulation), IPv6 both blocked and refused on its own:
 * no prerequisite explains a variant alone, so none is named.
 */
static void test_own_cause_names_no_blocker(void **state) {
        CapResult r = {};

        add(&r, "IPv4", CHECK_REFUSED, EINVAL, NULL);
        add(&r, "IPv4", CHECK_REFUSED, ENOENT, NULL);
        add(&r, "IPv6", CHECK_REFUSED, EPROTONOSUPPORT, "proto.esp");
        add(&r, "IPv6", CHECK_REFUSED, ENOENT, NULL);
        result_conclude(&r, "natt.tcp_encap");
        assert_int_equal(r.verdict, VERDICT_UNAVAILABLE);
        assert_int_equal(r.n_blocked_by, 0);

        /* Where the IPv6 variant is explained by esp6 alone, the blocker is named. */
        r = (CapResult) {};
        add(&r, "IPv4", CHECK_ACCEPTED, 0, NULL);
        add(&r, "IPv6", CHECK_REFUSED, EPROTONOSUPPORT, "proto.esp");
        add(&r, "IPv6", CHECK_ACCEPTED, 0, NULL);
        result_conclude(&r, "km.replay_esn");
        assert_int_equal(r.verdict, VERDICT_PARTIAL);
        assert_int_equal(r.n_blocked_by, 1);
        assert_string_equal(r.blocked_by[0], "proto.esp");
}

/* A run-time cause on the deciding check is the result's cause. */
static void test_cause_follows_reason(void **state) {
        CapResult r = {};

        add(&r, "ESP IPv4", CHECK_REFUSED, EPROTONOSUPPORT, "proto.esp");
        r.checks[0].cause = HOST_CAUSE_DISABLED;
        add(&r, "ESP IPv6", CHECK_ACCEPTED, 0, NULL);
        result_conclude(&r, "proto.esp");
        assert_int_equal(r.verdict, VERDICT_PARTIAL);
        assert_int_equal(r.cause, HOST_CAUSE_DISABLED);
        r.checks[0] = r.checks[1];
        result_conclude(&r, "proto.esp");
        assert_int_equal(r.cause, HOST_CAUSE_UNKNOWN);
}

static void test_privilege_is_unknown_not_unavailable(void **state) {
        CapResult r = {};

        add(&r, "IPv4", CHECK_REFUSED, EPERM, NULL);
        add(&r, "IPv6", CHECK_REFUSED, EPERM, NULL);
        result_conclude(&r, "proto.ah");
        assert_int_equal(r.verdict, VERDICT_UNKNOWN);
        assert_int_equal(r.level, LEVEL_NONE);
        assert_int_equal(r.n_blocked_by, 0);
}

static void test_altered_counts_as_missing(void **state) {
        CapResult r = {};
        Check *c;

        add(&r, "IPv4", CHECK_ACCEPTED, 0, NULL);
        c = result_add_check(&r, "IPv6", "ESP-in-UDP SA");
        c->outcome = CHECK_ALTERED;
        strcpy(c->note, "read back differs: XFRMA_ENCAP missing");
        result_conclude(&r, "natt.udp_encap");
        assert_int_equal(r.verdict, VERDICT_PARTIAL);
        assert_non_null(strstr(r.evidence, "accepted but read back altered ESP-in-UDP SA (IPv6)"));
        assert_non_null(strstr(r.evidence, "XFRMA_ENCAP missing"));
}

static void test_untried_and_refused(void **state) {
        CapResult r = {};

        add(&r, "IPv4", CHECK_REFUSED, EPROTONOSUPPORT, NULL);
        add(&r, "IPv6", CHECK_UNTRIED, ETIMEDOUT, NULL);
        result_conclude(&r, "proto.ah");
        /* One variant refused, one never answered: not enough for "unavailable". */
        assert_int_equal(r.verdict, VERDICT_UNKNOWN);
        assert_int_equal(r.err, EPROTONOSUPPORT);
}

/* crypto.algorithms: the RFC 8221 mandatory suites decide available; anything else working is partial. */
extern const Probe probe_crypto_algorithms;

static void crypto_checks(CapResult *r, CheckOutcome gcm, int gcm_err, CheckOutcome cbc, int cbc_err) {
        *r = (CapResult) {};
        add(r, "ENCR_AES_GCM_16", gcm, gcm_err, gcm_err == EPROTONOSUPPORT ? "proto.esp" : NULL);
        add(r, "AUTH_HMAC_SHA2_256_128", cbc, cbc_err, cbc_err == EPROTONOSUPPORT ? "proto.esp" : NULL);
        add(r, "ENCR_3DES", CHECK_REFUSED, ENOSYS, NULL);
        add(r, "IPCOMP_LZS", CHECK_REFUSED, ENOSYS, NULL);
        add(r, "ESP without integrity", cbc, cbc_err, cbc_err == EPROTONOSUPPORT ? "proto.esp" : NULL);
        probe_crypto_algorithms.conclude(r, probe_crypto_algorithms.id);
}

static void test_crypto_verdicts(void **state) {
        CapResult r;

        crypto_checks(&r, CHECK_ACCEPTED, 0, CHECK_ACCEPTED, 0);
        assert_int_equal(r.verdict, VERDICT_AVAILABLE);
        assert_int_equal(r.n_blocked_by, 0);
        assert_string_equal(result_find_detail(&r, "accepted")->value, "rfc4106(gcm(aes)), hmac(sha256)");
        assert_string_equal(result_find_detail(&r, "accepted_ikev2")->value, "ENCR_AES_GCM_16, AUTH_HMAC_SHA2_256_128");
        assert_string_equal(result_find_detail(&r, "algorithm_missing")->value, "cbc(des3_ede), lzs");
        assert_non_null(strstr(result_find_detail(&r, "confidentiality_only_esp")->value, "discouraged"));
        assert_non_null(strstr(r.evidence, "2 of 4 algorithms accepted"));

        crypto_checks(&r, CHECK_REFUSED, ENOSYS, CHECK_ACCEPTED, 0);
        assert_int_equal(r.verdict, VERDICT_PARTIAL);

        crypto_checks(&r, CHECK_REFUSED, ENOSYS, CHECK_REFUSED, EPROTONOSUPPORT);
        assert_int_equal(r.verdict, VERDICT_UNAVAILABLE);
        assert_int_equal(r.n_blocked_by, 1);
        assert_string_equal(r.blocked_by[0], "proto.esp");
        assert_string_equal(result_find_detail(&r, "transform_missing")->value, "hmac(sha256)");
        assert_string_equal(result_find_detail(&r, "confidentiality_only_esp")->value, "refused");
}

static void test_no_checks_is_unknown(void **state) {
        CapResult r = {};

        result_conclude(&r, "proto.ah");
        assert_int_equal(r.verdict, VERDICT_UNKNOWN);
        assert_true(r.done);
}

static void test_result_full(void **state) {
        CapResult r = {};

        for (unsigned i = 0; i < RESULT_MAX_CHECKS; i++)
                assert_non_null(result_add_check(&r, "g", "w"));
        assert_null(result_add_check(&r, "g", "w"));
}

static void test_errno_mapping(void **state) {
        assert_int_equal(verdict_from_errno(EPROTONOSUPPORT), VERDICT_UNAVAILABLE);
        assert_int_equal(verdict_from_errno(ENOSYS), VERDICT_UNAVAILABLE);
        assert_int_equal(verdict_from_errno(ENOENT), VERDICT_UNAVAILABLE);
        assert_int_equal(verdict_from_errno(EAFNOSUPPORT), VERDICT_UNAVAILABLE);
        assert_int_equal(verdict_from_errno(EINVAL), VERDICT_UNAVAILABLE);
        assert_int_equal(verdict_from_errno(EPERM), VERDICT_UNKNOWN);
        assert_int_equal(verdict_from_errno(EACCES), VERDICT_UNKNOWN);
        assert_int_equal(verdict_from_errno(ENOMEM), VERDICT_UNKNOWN);
        assert_int_equal(verdict_from_errno(EEXIST), VERDICT_UNKNOWN);
        assert_int_equal(verdict_from_errno(ETIMEDOUT), VERDICT_UNKNOWN);
        assert_string_equal(errno_name(EPROTONOSUPPORT), "EPROTONOSUPPORT");
        assert_null(errno_name(0));
}

static void test_names_round_trip(void **state) {
        for (int v = 0; v < _VERDICT_MAX; v++) {
                Verdict back;
                assert_int_equal(verdict_from_string(verdict_to_string((Verdict) v), &back), 0);
                assert_int_equal(back, v);
        }
        for (int l = 0; l < _LEVEL_MAX; l++) {
                Level back;
                assert_int_equal(level_from_string(level_to_string((Level) l), &back), 0);
                assert_int_equal(back, l);
        }
        for (int o = 0; o < _CHECK_OUTCOME_MAX; o++) {
                CheckOutcome back;
                assert_int_equal(check_outcome_from_string(check_outcome_to_string((CheckOutcome) o), &back), 0);
                assert_int_equal(back, o);
        }
        assert_int_equal(verdict_from_string("maybe", &(Verdict) { 0 }), -EINVAL);
        assert_null(verdict_to_string(_VERDICT_MAX));
}

/* This machine's kernel: XFRM and selectors, no transforms at all. */
static void test_section4_no_transforms(void **state) {
        const SyntheticCap caps[] = {
                { "api.xfrm_netlink", VERDICT_AVAILABLE, 0 },
                { "proto.esp", VERDICT_UNAVAILABLE, EPROTONOSUPPORT },
                { "proto.ah", VERDICT_UNAVAILABLE, EPROTONOSUPPORT },
                { "mode.transport", VERDICT_UNAVAILABLE, EPROTONOSUPPORT },
                { "mode.tunnel", VERDICT_UNAVAILABLE, EPROTONOSUPPORT },
                { "selector.ports", VERDICT_AVAILABLE, 0 },
                { "sa.nested", VERDICT_UNAVAILABLE, EPROTONOSUPPORT },
        };
        Audit *a = synthetic_audit(caps, ELEMENTSOF(caps));
        Section4 s;

        section4_derive(a, &s);
        assert_int_equal(s.ipsec_available, VERDICT_UNAVAILABLE);
        assert_int_equal(s.point_to_point, VERDICT_UNAVAILABLE);
        assert_int_equal(s.vpn, VERDICT_UNAVAILABLE);
        assert_int_equal(s.multiple_layers, VERDICT_UNAVAILABLE);
        assert_int_equal(s.verdict, VERDICT_UNAVAILABLE);
        assert_non_null(strstr(s.summary, "not available on this host (Linux 6.1.0-test)"));
        assert_non_null(strstr(s.summary, "proto.esp unavailable (EPROTONOSUPPORT)"));
        synthetic_free(a);
}

static void test_section4_everything(void **state) {
        Audit *a = synthetic_audit_all(VERDICT_AVAILABLE, 0);
        Section4 s;

        section4_derive(a, &s);
        assert_int_equal(s.verdict, VERDICT_AVAILABLE);
        assert_int_equal(s.point_to_point, VERDICT_AVAILABLE);
        assert_null(strstr(s.summary, "Not available"));
        synthetic_free(a);
}

/* ESP left out, AH present: SAs exist, but only partly serve the four uses. */
static void test_section4_ah_only(void **state) {
        const SyntheticCap caps[] = {
                { "api.xfrm_netlink", VERDICT_AVAILABLE, 0 },
                { "proto.esp", VERDICT_UNAVAILABLE, EPROTONOSUPPORT },
                { "proto.ah", VERDICT_AVAILABLE, 0 },
                { "mode.transport", VERDICT_PARTIAL, EPROTONOSUPPORT },
                { "mode.tunnel", VERDICT_PARTIAL, EPROTONOSUPPORT },
                { "selector.ports", VERDICT_AVAILABLE, 0 },
                { "sa.nested", VERDICT_PARTIAL, EPROTONOSUPPORT },
        };
        Audit *a = synthetic_audit(caps, ELEMENTSOF(caps));
        Section4 s;

        section4_derive(a, &s);
        assert_int_equal(s.ipsec_available, VERDICT_AVAILABLE);
        assert_int_equal(s.point_to_point, VERDICT_PARTIAL);
        assert_int_equal(s.verdict, VERDICT_PARTIAL);
        synthetic_free(a);
}

static void test_section4_unmeasured(void **state) {
        Audit *a = synthetic_audit_all(VERDICT_UNKNOWN, 0);
        Audit *none = synthetic_audit(NULL, 0);
        Section4 s;

        section4_derive(a, &s);
        assert_int_equal(s.verdict, VERDICT_UNKNOWN);
        assert_non_null(strstr(s.summary, "could not be determined"));
        section4_derive(none, &s);
        assert_int_equal(s.verdict, VERDICT_UNKNOWN);
        synthetic_free(a);
        synthetic_free(none);
}

/* PF_KEY never decides Section 4, nor appears in its summary, while XFRM netlink works. */
static void test_section4_pfkey_never_decides(void **state) {
        SyntheticCap caps[] = {
                { "api.xfrm_netlink", VERDICT_AVAILABLE, 0 },
                { "api.pfkey_v2", VERDICT_UNAVAILABLE, EAFNOSUPPORT },
                { "proto.esp", VERDICT_AVAILABLE, 0 },
                { "proto.ah", VERDICT_AVAILABLE, 0 },
        };
        Audit *a = synthetic_audit(caps, ELEMENTSOF(caps));
        Section4 s;

        section4_derive(a, &s);
        assert_int_equal(s.ipsec_available, VERDICT_AVAILABLE);
        assert_null(strstr(s.summary, "pfkey"));
        synthetic_free(a);

        caps[0].verdict = VERDICT_UNAVAILABLE;
        caps[0].err = EPROTONOSUPPORT;
        a = synthetic_audit(caps, ELEMENTSOF(caps));
        section4_derive(a, &s);
        assert_int_equal(s.ipsec_available, VERDICT_UNAVAILABLE);
        assert_non_null(strstr(s.summary, "api.pfkey_v2 unavailable (EAFNOSUPPORT)"));
        synthetic_free(a);
}

/* No XFRM API at all decides, even where nothing else was measured. */
static void test_section4_no_api(void **state) {
        const SyntheticCap caps[] = {
                { "api.xfrm_netlink", VERDICT_UNAVAILABLE, EPROTONOSUPPORT },
                { "proto.esp", VERDICT_UNKNOWN, 0 },
        };
        Audit *a = synthetic_audit(caps, ELEMENTSOF(caps));
        Section4 s;

        section4_derive(a, &s);
        assert_int_equal(s.ipsec_available, VERDICT_UNAVAILABLE);
        assert_int_equal(s.verdict, VERDICT_UNAVAILABLE);
        synthetic_free(a);
}

/* Occurrences of needle in haystack. */
static unsigned count_of(const char *haystack, const char *needle) {
        unsigned n = 0;

        for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
                n++;
        return n;
}

static void add_nested(CapResult *r, const char *group, CheckOutcome bundle, CheckOutcome inner, CheckOutcome outer) {
        static const char *const whats[] = { "two-template policy bundle", "inner transport SA", "outer tunnel SA" };
        const CheckOutcome outcomes[] = { bundle, inner, outer };

        for (size_t i = 0; i < ELEMENTSOF(whats); i++) {
                Check *c = result_add_check(r, group, whats[i]);
                assert_non_null(c);
                c->outcome = outcomes[i];
                c->read_back = outcomes[i] == CHECK_ACCEPTED;
                c->err = outcomes[i] == CHECK_REFUSED ? EPROTONOSUPPORT : 0;
        }
}

/*
 * sa.nested without ESP (the no-esp kernel): each bundle is accepted, the ESP SAs refused. A
 * variant is named once per outcome, and a clause names only checks that had its answer in
 * every variant it names.
 */
static void test_evidence_names_each_variant_once(void **state) {
        static const char *const groups[] = { "ESP in ESP IPv4", "AH in ESP IPv4", "AH in AH IPv4",
                                              "ESP in ESP IPv6", "AH in ESP IPv6", "AH in AH IPv6" };
        CapResult r = {};

        for (int fam = 0; fam < 2; fam++) {
                add_nested(&r, groups[3 * fam], CHECK_ACCEPTED, CHECK_REFUSED, CHECK_REFUSED);
                add_nested(&r, groups[3 * fam + 1], CHECK_ACCEPTED, CHECK_ACCEPTED, CHECK_REFUSED);
                add_nested(&r, groups[3 * fam + 2], CHECK_ACCEPTED, CHECK_ACCEPTED, CHECK_ACCEPTED);
        }
        result_conclude(&r, "sa.nested");
        assert_int_equal(r.verdict, VERDICT_PARTIAL);
        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                assert_int_equal(count_of(r.evidence, groups[i]), 1);
        assert_string_equal(r.evidence,
                            "The kernel refused inner transport SA, outer tunnel SA (ESP in ESP IPv4, ESP in ESP IPv6) "
                            "with EPROTONOSUPPORT; refused outer tunnel SA (AH in ESP IPv4, AH in ESP IPv6) with "
                            "EPROTONOSUPPORT; accepted and read back two-template policy bundle, inner transport SA, "
                            "outer tunnel SA (AH in AH IPv4, AH in AH IPv6).");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_all_groups_accepted),
                cmocka_unit_test(test_optional_refused_keeps_available),
                cmocka_unit_test(test_only_optional_is_partial),
                cmocka_unit_test(test_own_cause_names_no_blocker),
                cmocka_unit_test(test_cause_follows_reason),
                cmocka_unit_test(test_one_family_missing_is_partial),
                cmocka_unit_test(test_group_needs_every_check),
                cmocka_unit_test(test_blocked_by_never_self_and_deduplicated),
                cmocka_unit_test(test_privilege_is_unknown_not_unavailable),
                cmocka_unit_test(test_altered_counts_as_missing),
                cmocka_unit_test(test_untried_and_refused),
                cmocka_unit_test(test_no_checks_is_unknown),
                cmocka_unit_test(test_crypto_verdicts),
                cmocka_unit_test(test_result_full),
                cmocka_unit_test(test_errno_mapping),
                cmocka_unit_test(test_names_round_trip),
                cmocka_unit_test(test_section4_no_transforms),
                cmocka_unit_test(test_datapath_all_carried),
                cmocka_unit_test(test_datapath_not_carried_is_partial),
                cmocka_unit_test(test_datapath_untried_keeps_api),
                cmocka_unit_test(test_datapath_never_rescues_refusal),
                cmocka_unit_test(test_section4_everything),
                cmocka_unit_test(test_section4_ah_only),
                cmocka_unit_test(test_section4_unmeasured),
                cmocka_unit_test(test_section4_no_api),
                cmocka_unit_test(test_section4_pfkey_never_decides),
                cmocka_unit_test(test_evidence_names_each_variant_once),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
