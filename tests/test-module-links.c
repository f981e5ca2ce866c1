/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Links that keep a module loaded: the kinds a module provides, from a fake
 * modules.alias; someone's link of a kind, in a real namespace bound under
 * /run/netns (root; iproute2 makes it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "engine/module-links.h"

#define REL "6.1.0-test"

static char root[] = "/tmp/ipsec-audit-modlinks.XXXXXX";

static int setup(void **state) {
        char path[128];
        FILE *f;

        if (!mkdtemp(root))
                return -1;
        snprintf(path, sizeof(path), "mkdir -p %s/lib/modules/" REL, root);
        if (system(path) != 0)
                return -1;
        snprintf(path, sizeof(path), "%s/lib/modules/" REL "/modules.alias", root);
        if (!(f = fopen(path, "we")))
                return -1;
        fputs("# Aliases extracted from modules themselves.\n"
              "alias rtnl-link-vti ip_vti\n"
              "alias net-pf-16-proto-6 xfrm_user\n"
              "alias rtnl-link-veth veth\n"
              "alias rtnl-link-xfrm xfrm-interface\n"
              "alias rtnl-link-ip6tnl ip6_tunnel\n"
              "alias rtnl-link-ip6gre ip6_gre\n"
              "alias rtnl-link-ip6gretap ip6_gre\n"
              "alias rtnl-link-a-kind-name-far-too-long longkind\n",
              f);
        fclose(f);
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd);
}

static void test_kinds_from_modules_alias(void **state) {
        char kinds[4][16];

        assert_int_equal(module_link_kinds(root, REL, "ip_vti", kinds, 4), 1);
        assert_string_equal(kinds[0], "vti");
        /* modprobe's '-' and '_' alike, both ways. */
        assert_int_equal(module_link_kinds(root, REL, "xfrm_interface", kinds, 4), 1);
        assert_string_equal(kinds[0], "xfrm");
        assert_int_equal(module_link_kinds(root, REL, "ip6-tunnel", kinds, 4), 1);
        assert_string_equal(kinds[0], "ip6tnl");
        assert_int_equal(module_link_kinds(root, REL, "ip6_gre", kinds, 4), 2);
        assert_string_equal(kinds[0], "ip6gre");
        assert_string_equal(kinds[1], "ip6gretap");
        /* Other aliases are not kinds of link. */
        assert_int_equal(module_link_kinds(root, REL, "xfrm_user", kinds, 4), 0);
        /* What cannot be told is an error, never "no kinds": a kind too long to hold, more kinds than
         * room, no modules.alias. */
        assert_int_equal(module_link_kinds(root, REL, "longkind", kinds, 4), -E2BIG);
        assert_int_equal(module_link_kinds(root, REL, "ip6_gre", kinds, 1), -E2BIG);
        assert_int_equal(module_link_kinds(root, "0.0-none", "veth", kinds, 4), -ENOENT);
}

/*
 * module_links_in_use() in a PID namespace of its own, with its own /proc: a
 * machine whose PID 1 lives in a user namespace above ours (a sandbox, a
 * container) has processes no one here may look into, which make the answer
 * "cannot tell" (-EACCES). Namespaces bound by ip netns add are still seen:
 * the new mount namespace is a copy.
 */
static int in_own_pid_namespace(char (*kinds)[16], size_t n, bool *in_use) {
        struct { int r; bool in_use[4]; } *shared;
        int status, r;
        pid_t pid;

        shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED || n > ELEMENTSOF(shared->in_use))
                return -ENOMEM;
        pid = fork();
        if (pid == 0) {
                if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(1);
                pid = fork(); /* the new namespace's PID 1 */
                if (pid == 0) {
                        if (mount("proc", "/proc", "proc", 0, NULL) < 0)
                                _exit(1);
                        shared->r = module_links_in_use(kinds, n, shared->in_use);
                        _exit(0);
                }
                _exit(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : 1);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                r = -ECHILD;
        else {
                r = shared->r;
                memcpy(in_use, shared->in_use, n * sizeof(bool));
        }
        munmap(shared, sizeof(*shared));
        return r;
}

/* A process whose namespace root may not open here (PID 1 of an enclosing sandbox). */
static bool other_user_namespace_visible(void) {
        _cleanup_close_ int fd = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);

        return fd < 0 && errno == EACCES;
}

static void test_someones_link_is_in_use(void **state) {
        char kinds[2][16] = { "veth", "ipsa-no-kind" };
        bool in_use[2] = {};

        int r;

        (void) !system("ip netns del ipsa-links-test 2>/dev/null"); /* one a failed run left */
        if (geteuid() != 0 || system("ip netns add ipsa-links-test 2>/dev/null") != 0) {
                print_message("needs root and iproute2 (ip netns add)\n");
                skip();
        }
        if (system("ip -n ipsa-links-test link add ipsa-l0 type veth peer name ipsa-l1 2>/dev/null") != 0) {
                (void) !system("ip netns del ipsa-links-test");
                print_message("no veth in this kernel\n");
                skip();
        }
        r = in_own_pid_namespace(kinds, 2, in_use);
        assert_int_equal(system("ip netns del ipsa-links-test"), 0);
        assert_int_equal(r, 0);
        assert_true(in_use[0]);
        assert_false(in_use[1]);
        /* Every process's namespace it may not enter makes it say it cannot tell. */
        if (other_user_namespace_visible())
                assert_int_equal(module_links_in_use(kinds, 2, in_use), -EACCES);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kinds_from_modules_alias),
                cmocka_unit_test(test_someones_link_is_in_use),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
