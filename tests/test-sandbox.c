/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The namespace pool, with real namespaces (root): a namespace is served
 * again only after the child that used it flushed it and found it as it was
 * made; anything else left in it, or a child that died, costs a new one.
 * iproute2 is the oracle for what the next child finds.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/xfrm.h>
#include <cmocka.h>

#include "macro.h"
#include "sandbox.h"

/* The namespace each child ran in, seen by the test through shared memory. */
static ino_t *seen;

static ino_t netns_inode(void) {
        struct stat st;

        return stat("/proc/self/ns/net", &st) < 0 ? 0 : st.st_ino;
}

static int sh(const char *cmd) {
        return system(cmd) == 0 ? 0 : -EIO;
}

/* Each child: records its namespace, then does what its command says. */
static int child(void *userdata) {
        const char *cmd = userdata;

        *seen = netns_inode();
        return cmd ? sh(cmd) : 0;
}

static int child_crash(void *userdata) {
        *seen = netns_inode();
        raise(SIGSEGV);
        return 0;
}

/* A per-socket policy that stays while its socket does: the fd is left open for the scrub to find. */
static int child_socket_policy(void *userdata) {
        struct xfrm_userpolicy_info p = {
                .sel = { .family = AF_INET },
                .dir = XFRM_POLICY_OUT,
                .action = XFRM_POLICY_ALLOW,
                .lft = { .soft_byte_limit = XFRM_INF, .hard_byte_limit = XFRM_INF,
                         .soft_packet_limit = XFRM_INF, .hard_packet_limit = XFRM_INF },
        };
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        *seen = netns_inode();
        if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_XFRM_POLICY, &p, sizeof(p)) < 0)
                return -errno;
        return 0;
}

static int run(SandboxPool *pool, SandboxFn fn, void *userdata, SandboxExit *e) {
        SandboxChild c;
        int r = sandbox_pool_start(pool, SANDBOX_NETNS, 10, fn, userdata, &c);

        return r < 0 ? r : sandbox_pool_wait(pool, &c, e);
}

static int setup(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxKind kind;
        int err;

        seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (seen == MAP_FAILED)
                return -1;
        if (sandbox_pool_new(&pool) < 0 || sandbox_detect(pool, &kind, &err) < 0)
                return -1;
        if (kind != SANDBOX_NETNS || system("ip -V >/dev/null 2>&1") != 0)
                *state = (void *) "needs root (network namespaces) and iproute2";
        return 0;
}

#define SKIP_UNLESS_ROOT(state)                                                   \
        do {                                                                      \
                if (*(state)) {                                                   \
                        print_message("%s\n", (const char *) *(state));           \
                        skip();                                                   \
                }                                                                 \
        } while (0)

static void test_flushed_namespace_is_served_again(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxExit e;
        unsigned made, reused;
        ino_t first;

        SKIP_UNLESS_ROOT(state);
        assert_int_equal(sandbox_pool_new(&pool), 0);
        assert_int_equal(run(pool, child, "ip xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 dir out priority 7 && "
                                          "ip xfrm policy add src 192.0.2.2/32 dst 192.0.2.1/32 dir in", &e), 0);
        assert_int_equal(e.err, 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_YES);
        first = *seen;
        /* The same namespace (the pool holds it open, so its inode is not reused), and empty. */
        assert_int_equal(run(pool, child, "test -z \"$(ip xfrm policy list)\" && test -z \"$(ip xfrm state list)\"", &e), 0);
        assert_int_equal(e.err, 0);
        assert_true(*seen == first);
        sandbox_pool_stats(pool, &made, &reused);
        assert_int_equal(made, 1);
        assert_int_equal(reused, 1);
}

/*
 * Dirties the pool's namespace with fn (which must succeed, unless it fails on
 * purpose), then checks that the next child has a new, clean one.
 */
static void assert_retired(SandboxFn fn, void *userdata, bool fails) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxExit e;
        unsigned made, reused;

        assert_int_equal(sandbox_pool_new(&pool), 0);
        assert_int_equal(run(pool, fn, userdata, &e), 0);
        if (fails ? !(e.err || e.signal) : e.err || e.signal)
                print_message("%s: err %d, signal %d\n", userdata ? (const char *) userdata : "(fn)", e.err, e.signal);
        assert_true(fails ? e.err || e.signal : !e.err && !e.signal);
        assert_int_not_equal(e.reuse, SANDBOX_REUSE_YES);
        assert_int_equal(run(pool, child, "! ip -o link show lo | grep -q ',UP' && test -z \"$(ip -o addr show)\" && "
                                          "test \"$(ip -o link show | wc -l)\" = 1", &e), 0);
        assert_int_equal(e.err, 0);
        sandbox_pool_stats(pool, &made, &reused);
        assert_int_equal(made, 2);
        assert_int_equal(reused, 0);
}

static void test_changed_namespace_is_retired(void **state) {
        SKIP_UNLESS_ROOT(state);
        assert_retired(child, "ip link set lo up", false);
        assert_retired(child, "ip addr add 192.0.2.9/32 dev lo", false);
        assert_retired(child, "ip link add ipsa-test0 type dummy 2>/dev/null || "
                              "ip link add ipsa-test0 type veth peer ipsa-test1", false);
        assert_retired(child_socket_policy, NULL, false);
        assert_retired(child_crash, NULL, true);
        assert_retired(child, "false", true);
}

static int child_holds(void *userdata) {
        *seen = netns_inode();
        pause();
        return 0;
}

static void test_children_at_once_have_their_own(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxChild a, b;
        SandboxExit e;
        ino_t first;
        unsigned made, reused;

        SKIP_UNLESS_ROOT(state);
        assert_int_equal(sandbox_pool_new(&pool), 0);
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_NETNS, 10, child_holds, NULL, &a), 0);
        while (*seen == 0 || *seen == netns_inode())
                usleep(1000);
        first = *seen;
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_NETNS, 10, child_holds, NULL, &b), 0);
        while (*seen == first || *seen == netns_inode())
                usleep(1000);
        kill(a.pid, SIGTERM);
        kill(b.pid, SIGTERM);
        assert_int_equal(sandbox_pool_wait(pool, &a, &e), 0);
        assert_int_equal(e.signal, SIGTERM);
        assert_int_equal(sandbox_pool_wait(pool, &b, &e), 0);
        sandbox_pool_stats(pool, &made, &reused);
        assert_int_equal(made, 2);
        assert_int_equal(reused, 0);
}

int main(void) {
        const struct rlimit no_core = {};
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flushed_namespace_is_served_again),
                cmocka_unit_test(test_changed_namespace_is_retired),
                cmocka_unit_test(test_children_at_once_have_their_own),
        };

        (void) setrlimit(RLIMIT_CORE, &no_core);
        return cmocka_run_group_tests(tests, setup, NULL);
}
