/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine around the probes: a probe that crashes, hangs or fails still
 * leaves a result that says so, and the audit completes. Real forks, no root:
 * these probes are read-only, so they run wherever the sandbox allows.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit.h"
#include "macro.h"

/* Which process ran each probe, and in which place, by probe: shared memory, as the probes run in workers. */
enum { FINE, CRASH, HANG, FAIL, ACTIVE, AFTER_CRASH, AFTER_HANG, AFTER_FAIL, AGAIN, HOST_A, HOST_B, SPENDER, _N_PROBES };
static struct {
        pid_t ran_in[_N_PROBES];
        unsigned ran_nth[_N_PROBES];
        unsigned ran;
} *shared;
#define ran_in (shared->ran_in)

static int accept_one(CapResult *r, unsigned which) {
        Check *c = result_add_check(r, "IPv4", "thing");
        c->outcome = CHECK_ACCEPTED;
        ran_in[which] = getpid();
        shared->ran_nth[which] = __atomic_add_fetch(&shared->ran, 1, __ATOMIC_SEQ_CST);
        return 0;
}

static int run_fine(const ProbeContext *ctx, CapResult *r) {
        return accept_one(r, FINE);
}

static int run_crash(const ProbeContext *ctx, CapResult *r) {
        ran_in[CRASH] = getpid();
        raise(SIGSEGV);
        return 0;
}

static int run_hang(const ProbeContext *ctx, CapResult *r) {
        ran_in[HANG] = getpid();
        for (;;)
                pause();
        return 0;
}

static int run_fail(const ProbeContext *ctx, CapResult *r) {
        ran_in[FAIL] = getpid();
        return -ENOMEM;
}

static int run_active(const ProbeContext *ctx, CapResult *r) {
        return accept_one(r, ACTIVE);
}

static int run_after_crash(const ProbeContext *ctx, CapResult *r) {
        return accept_one(r, AFTER_CRASH);
}

static int run_after_hang(const ProbeContext *ctx, CapResult *r) {
        return accept_one(r, AFTER_HANG);
}

static int run_after_fail(const ProbeContext *ctx, CapResult *r) {
        return accept_one(r, AFTER_FAIL);
}

static int run_again(const ProbeContext *ctx, CapResult *r) {
        return accept_one(r, AGAIN);
}

static int run_host_a(const ProbeContext *ctx, CapResult *r) {
        return accept_one(r, HOST_A);
}

static int run_host_b(const ProbeContext *ctx, CapResult *r) {
        return accept_one(r, HOST_B);
}

static int run_spender(const ProbeContext *ctx, CapResult *r) {
        return accept_one(r, SPENDER);
}

#define PROBE(name, flags_) \
        static const Probe probe_##name = { .id = "test." #name, .rfc5406_section = "4", \
                                            .summary = #name, .flags = flags_, .run = run_##name }
PROBE(fine, 0);
PROBE(crash, 0);
PROBE(hang, 0);
PROBE(fail, 0);
PROBE(active, PROBE_ACTIVE);
PROBE(after_crash, 0);
PROBE(after_hang, 0);
PROBE(after_fail, 0);
PROBE(again, 0);
PROBE(host_a, PROBE_HOST);
PROBE(host_b, PROBE_HOST);
PROBE(spender, PROBE_SPENDS_NAMESPACE);

static const Probe *const table[] = { &probe_fine, &probe_crash, &probe_hang, &probe_fail, &probe_active, NULL };

static void test_broken_probes_are_contained(void **state) {
        _cleanup_(audit_freep) Audit *a = NULL;
        AuditOptions o = { .timeout_s = 1 };
        const CapResult *r;

        assert_int_equal(audit_run(&o, table, &a), 0);
        assert_int_equal(a->n_results, 5);

        r = audit_result(a, "test.fine");
        assert_int_equal(r->verdict, VERDICT_AVAILABLE);

        r = audit_result(a, "test.crash");
        assert_int_equal(r->verdict, VERDICT_UNKNOWN);
        assert_string_equal(r->evidence, "The probe process died with signal SEGV.");

        r = audit_result(a, "test.hang");
        assert_int_equal(r->verdict, VERDICT_UNKNOWN);
        assert_int_equal(r->err, ETIMEDOUT);
        assert_string_equal(r->evidence, "The probe did not finish within 1 s.");

        r = audit_result(a, "test.fail");
        assert_int_equal(r->verdict, VERDICT_UNKNOWN);
        assert_string_equal(r->evidence, "The probe failed (ENOMEM).");

        /* Active probes need a private namespace; without one they say why. */
        r = audit_result(a, "test.active");
        if (a->privilege.sandbox == SANDBOX_HOST)
                assert_non_null(strstr(r->evidence, "no private network namespace"));
        else
                assert_int_equal(r->verdict, VERDICT_AVAILABLE);

        assert_null(audit_result(a, "test.absent"));
        assert_true(audit_unknown_count(a) >= 3);
}

/*
 * One at a time, so that the probes share a worker: two that work do, and the
 * one after a broken probe runs in a new worker, with its verdict.
 */
static void test_broken_probe_costs_only_its_own_result(void **state) {
        static const Probe *const order[] = { &probe_fine, &probe_again, &probe_crash, &probe_after_crash, &probe_hang,
                                              &probe_after_hang, &probe_fail, &probe_after_fail, NULL };
        _cleanup_(audit_freep) Audit *a = NULL;
        AuditOptions o = { .timeout_s = 1 };

        assert_int_equal(audit_run(&o, order, &a), 0);
        assert_int_equal(audit_unknown_count(a), 3);
        assert_int_equal(audit_result(a, "test.after_crash")->verdict, VERDICT_AVAILABLE);
        assert_int_equal(audit_result(a, "test.after_hang")->verdict, VERDICT_AVAILABLE);
        assert_int_equal(audit_result(a, "test.after_fail")->verdict, VERDICT_AVAILABLE);
        /* (Without root, a probe's user namespace is its own: no worker serves two.) */
        if (a->privilege.sandbox != SANDBOX_USERNS)
                assert_int_equal(ran_in[AGAIN], ran_in[FINE]);
        assert_int_not_equal(ran_in[AFTER_CRASH], ran_in[CRASH]);
        assert_int_not_equal(ran_in[AFTER_HANG], ran_in[HANG]);
        assert_int_not_equal(ran_in[AFTER_FAIL], ran_in[FAIL]);
}

/* A probe that spends its namespace starts after every other, wherever the table lists it. */
static void test_spender_runs_last(void **state) {
        static const Probe *const order[] = { &probe_spender, &probe_fine, &probe_again, NULL };
        _cleanup_(audit_freep) Audit *a = NULL;
        AuditOptions o = {};

        shared->ran = 0;
        assert_int_equal(audit_run(&o, order, &a), 0);
        assert_int_equal(audit_unknown_count(a), 0);
        assert_int_equal(shared->ran_nth[FINE], 1);
        assert_int_equal(shared->ran_nth[AGAIN], 2);
        assert_int_equal(shared->ran_nth[SPENDER], 3);
}

/* Two at a time, and still the host's namespace has one worker: the second host probe waits for it. */
static void test_host_probes_share_one_worker(void **state) {
        static const Probe *const order[] = { &probe_host_a, &probe_host_b, &probe_fine, NULL };
        _cleanup_(audit_freep) Audit *a = NULL;
        AuditOptions o = {};

        assert_int_equal(audit_run(&o, order, &a), 0);
        assert_int_equal(audit_unknown_count(a), 0);
        assert_int_equal(ran_in[HOST_A], ran_in[HOST_B]);
        if (a->privilege.sandbox != SANDBOX_HOST) /* else every probe is the host's */
                assert_int_not_equal(ran_in[FINE], ran_in[HOST_A]);
}

/*
 * Last in the table, and still first to run where probes run side by side: the
 * host's probes need no namespace, so they run while the first one is made.
 * One at a time, the table's order holds.
 */
static void test_host_probes_run_while_sandbox_is_made(void **state) {
        static const Probe *const order[] = { &probe_fine, &probe_again, &probe_host_a, NULL };
        _cleanup_(audit_freep) Audit *a = NULL;
        AuditOptions o = {};

        shared->ran = 0;
        assert_int_equal(audit_run(&o, order, &a), 0);
        assert_int_equal(audit_unknown_count(a), 0);
        assert_int_equal(shared->ran_nth[HOST_A], 1);
        audit_free(TAKE_PTR(a));

        assert_int_equal(setenv("IPSEC_AUDIT_PROBE_JOBS", "1", 1), 0);
        shared->ran = 0;
        assert_int_equal(audit_run(&o, order, &a), 0);
        assert_int_equal(shared->ran_nth[FINE], 1);
        assert_int_equal(shared->ran_nth[AGAIN], 2);
        assert_int_equal(shared->ran_nth[HOST_A], 3);
}

static int two_at_a_time(void **state) {
        return setenv("IPSEC_AUDIT_PROBE_JOBS", "2", 1);
}

static int one_at_a_time(void **state) {
        return setenv("IPSEC_AUDIT_PROBE_JOBS", "1", 1);
}

static int any_number_at_a_time(void **state) {
        return unsetenv("IPSEC_AUDIT_PROBE_JOBS");
}

static void test_passive_runs_no_active_probe(void **state) {
        _cleanup_(audit_freep) Audit *a = NULL;
        static const Probe *const two[] = { &probe_fine, &probe_active, NULL };
        AuditOptions o = { .passive = true };

        assert_int_equal(audit_run(&o, two, &a), 0);
        assert_true(a->passive);
        assert_int_equal(a->privilege.sandbox, SANDBOX_HOST);
        assert_int_equal(audit_result(a, "test.fine")->verdict, VERDICT_AVAILABLE);
        assert_int_equal(audit_result(a, "test.active")->verdict, VERDICT_UNKNOWN);
        assert_string_equal(audit_result(a, "test.active")->evidence,
                            "Not run: passive mode performs no active probe.");
}

static int child_exit_code(void *userdata) {
        return -*(int *) userdata;
}

static void test_sandbox_exit_codes(void **state) {
        SandboxExit e;
        int err = EPROTO;

        assert_int_equal(sandbox_run(SANDBOX_HOST, 5, child_exit_code, &err, &e), 0);
        assert_int_equal(e.err, EPROTO);
        assert_int_equal(e.signal, 0);
        assert_int_equal(e.enter_err, 0);
        err = 0;
        assert_int_equal(sandbox_run(SANDBOX_HOST, 5, child_exit_code, &err, &e), 0);
        assert_int_equal(e.err, 0);
        assert_string_equal(sandbox_kind_to_string(SANDBOX_USERNS), "userns+netns");
}

int main(void) {
        const struct rlimit no_core = {};
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_broken_probes_are_contained),
                cmocka_unit_test_setup_teardown(test_broken_probe_costs_only_its_own_result, one_at_a_time,
                                                any_number_at_a_time),
                cmocka_unit_test_setup_teardown(test_spender_runs_last, one_at_a_time, any_number_at_a_time),
                cmocka_unit_test_setup_teardown(test_host_probes_share_one_worker, two_at_a_time,
                                                any_number_at_a_time),
                cmocka_unit_test_setup_teardown(test_host_probes_run_while_sandbox_is_made, two_at_a_time,
                                                any_number_at_a_time),
                cmocka_unit_test(test_passive_runs_no_active_probe),
                cmocka_unit_test(test_sandbox_exit_codes),
        };
        /* The crashing probe should not leave a core file in the build tree. */
        (void) setrlimit(RLIMIT_CORE, &no_core);
        shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
