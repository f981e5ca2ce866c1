/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The datapath machinery against the real kernel, no mocks: two namespaces,
 * a veth pair, sockets and an AF_PACKET capture. Needs no ESP: clear traffic
 * must be seen and delivered, and an expectation of ESP must fail with the
 * reason. Where the kernel has no ESP the SA must be refused, and the check
 * left untried, never passed. Skips where no namespace can be made.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "datapath.h"
#include "macro.h"
#include "trial.h"

/* The probe's own XFRM socket, which the datapath borrows, opened in the test's namespace. */
static XfrmNl *xfrm;

static int setup(void **state) {
        Datapath *dp = NULL;
        int pfkey_err;

        assert_int_equal(xfrm_open(&xfrm, &pfkey_err), 0);
        assert_int_equal(datapath_open(xfrm, &dp), 0);
        *state = dp;
        return 0;
}

static int teardown(void **state) {
        datapath_free(*state);
        xfrm_nl_free(xfrm);
        return 0;
}

static Check new_check(void) {
        Check c = { .datapath = true };
        STRSCPY(c.group, "test");
        STRSCPY(c.what, "flow");
        return c;
}

static void test_clear_udp_and_tcp_are_seen_and_delivered(void **state) {
        Datapath *dp = *state;

        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP };

                if (datapath_family_error(dp, f->family)) {
                        print_message("# %s not configurable here, skipped\n", f->name);
                        continue;
                }
                for (size_t j = 0; j < ELEMENTSOF(protos); j++) {
                        DpFlow flow = { .family = f, .proto = protos[j], .port = (uint16_t) (9000 + i * 10 + j) };
                        DpTrace t;
                        unsigned seen = 0;

                        assert_int_equal(datapath_send(dp, &flow, "test", &t), 0);
                        assert_int_equal(t.err, 0);
                        assert_true(t.delivered);
                        for (unsigned k = 0; k < t.n_frames; k++)
                                seen += t.frames[k].kind == datapath_clear_kind(protos[j]) &&
                                        t.frames[k].dport == flow.port && t.frames[k].family == f->family;
                        assert_true(seen >= 1);
                }
        }
}

static void test_check_passes_clear_and_fails_missing_esp(void **state) {
        Datapath *dp = *state;
        const TrialFamily *f = &trial_families[0];
        DpFlow flow = { .family = f, .proto = IPPROTO_UDP, .port = 9100 };
        DpExpect clear = { .kind = FRAME_UDP };
        XfrmSa sa;
        DpExpect esp = { .kind = FRAME_ESP, .spi = 0x9100, .sas = &sa, .n_sas = 1 };
        Check c = new_check();

        assert_int_equal(datapath_check(dp, &flow, &clear, &c), 0);
        assert_int_equal(c.outcome, CHECK_ACCEPTED);

        /* No policy: the datagram goes out clear, which an ESP expectation must call out. */
        assert_int_equal(trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x9100), 0);
        c = new_check();
        flow.port = 9101;
        assert_int_equal(datapath_check(dp, &flow, &esp, &c), 0);
        assert_int_equal(c.outcome, CHECK_ALTERED);
        assert_non_null(strstr(c.note, "no ESP frame with SPI 0x9100"));
        assert_non_null(strstr(c.note, "1 clear UDP frame;"));
        assert_non_null(strstr(c.note, "SA counters unchanged"));
}

/* Whatever this kernel has, the datapath must agree with the API: never a pass without ESP. */
static void test_protected_flow_matches_kernel(void **state) {
        Datapath *dp = *state;
        const TrialFamily *f = &trial_families[0];
        DpFlow flow = { .family = f, .proto = IPPROTO_UDP, .port = 9200 };
        XfrmSa sa;
        XfrmPolicy out;
        DpExpect e = { .kind = FRAME_ESP, .spi = 0x9200, .sas = &sa, .n_sas = 1 };
        Check c = new_check();
        int r;

        assert_int_equal(trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x9200), 0);
        assert_int_equal(trial_policy_init(&out, f, XFRM_POLICY_OUT), 0);
        assert_int_equal(trial_policy_add_tmpl(&out, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x9200), 0);
        sa.reqid = 0x9200;
        out.sel.proto = IPPROTO_UDP;
        out.sel.dport = 9200;
        out.sel.dport_mask = 0xffff;

        r = datapath_protect(dp, &sa, 1, &out, DP_ONE_WAY, &c);
        assert_true(r == 0 || r == 1);
        if (r == 0) {
                /* This machine's kernel: no esp4, and the datapath says so. */
                print_message("# ESP SA refused (%s): datapath untried\n", strerror(c.err));
                assert_int_equal(c.outcome, CHECK_UNTRIED);
                assert_int_equal(c.err, EPROTONOSUPPORT);
                assert_string_equal(c.blocked_by, "proto.esp");
                return;
        }
        assert_int_equal(datapath_check(dp, &flow, &e, &c), 0);
        assert_int_equal(c.outcome, CHECK_ACCEPTED);
}

static ino_t current_netns(void) {
        struct stat st;

        assert_int_equal(stat("/proc/self/ns/net", &st), 0);
        return st.st_ino;
}

/*
 * A flow whose SA the kernel refuses builds nothing: the SA is tried in the
 * caller's namespace first, and the caller stays there (building moves it).
 */
static void test_refused_sa_builds_nothing(void **state) {
        const TrialFamily *f = &trial_families[0];
        _cleanup_(datapath_freep) Datapath *dp = NULL;
        ino_t before = current_netns();
        XfrmSa sa;
        XfrmPolicy out;
        Check c = new_check();
        int r;

        (void) state;
        assert_int_equal(datapath_open(xfrm, &dp), 0);
        assert_int_equal(trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x9300), 0);
        assert_int_equal(trial_policy_init(&out, f, XFRM_POLICY_OUT), 0);
        assert_int_equal(trial_policy_add_tmpl(&out, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x9300), 0);
        r = datapath_protect(dp, &sa, 1, &out, DP_ONE_WAY, &c);
        assert_true(r == 0 || r == 1);
        if (r == 1) {
                print_message("# ESP SA accepted: the datapath was built for it\n");
                assert_int_not_equal(current_netns(), before);
                return;
        }
        assert_int_equal(c.outcome, CHECK_UNTRIED);
        assert_int_equal(c.err, EPROTONOSUPPORT);
        assert_string_equal(c.blocked_by, "proto.esp");
        assert_non_null(strstr(c.note, "no datapath was built"));
        assert_true(current_netns() == before);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                /* First: the borrowed socket is in the namespace the caller is in until one is built. */
                cmocka_unit_test(test_refused_sa_builds_nothing),
                cmocka_unit_test(test_clear_udp_and_tcp_are_seen_and_delivered),
                cmocka_unit_test(test_check_passes_clear_and_fails_missing_esp),
                cmocka_unit_test(test_protected_flow_matches_kernel),
        };

        /*
         * The test's own namespace, so nothing it does can reach the host's;
         * without root, inside a user namespace as the audit does. The TAP
         * driver counts a "1..0 # SKIP" plan as a skip (exit 0; 77 would be
         * an error under tap-driver.sh).
         */
        if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
                printf("1..0 # SKIP cannot create a network namespace (%s)\n", strerror(errno));
                return 0;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
