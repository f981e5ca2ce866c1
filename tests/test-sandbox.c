/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pool's workers, with real namespaces (root): a worker gets another job
 * only after it flushed its namespace and found it as it was made, and the
 * job left no descriptor, signal disposition or namespace change behind;
 * anything else, or a job that died, costs a new worker. iproute2 is the
 * oracle for what the next job finds.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
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
#include <sys/wait.h>
#include <unistd.h>
#include <linux/xfrm.h>
#include <cmocka.h>

#include "engine/netns-scrub.h"
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

/* A job that records where it ran, then leaves a descriptor open: the worker must close it. */
static int child_leaves_fd(void *userdata) {
        *seen = netns_inode();
        return socket(AF_INET, SOCK_DGRAM, 0) < 0 ? -errno : 0; /* no O_CLOEXEC: nothing closes it but the worker */
}

/* Puts a netlink socket of its own in the place of every one it finds open: the worker's watch must notice. */
static int child_replaces_netlink(void *userdata) {
        for (int fd = 3; fd < 1024; fd++) {
                int domain, protocol, s;
                socklen_t len = sizeof(domain);

                if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_NETLINK)
                        continue;
                len = sizeof(protocol);
                if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) < 0 ||
                    (s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)) < 0)
                        return -errno;
                if (dup3(s, fd, O_CLOEXEC) < 0)
                        return -errno;
                close(s);
        }
        return 0;
}

/* Descriptors open in the job, besides 0, 1, 2 and the worker's: through shared memory too. */
static int *open_fds;

static int child_counts_fds(void *userdata) {
        int n = 0;

        *seen = netns_inode();
        for (int fd = 3; fd < 1024; fd++)
                n += fcntl(fd, F_GETFD) >= 0;
        /* Not counted: the worker's own, its socket to the pool, /proc/self/status and its namespace's watch. */
        *open_fds = n - 2 - NETNS_WATCH_FDS;
        return 0;
}

static int child_ignores_alarm(void *userdata) {
        *seen = netns_inode();
        signal(SIGALRM, SIG_IGN);
        return 0;
}

static void on_signal(int sig) {
}

/* What a job can change of the signal state without a signal pending: the next job must find none of it. */
static int child_changes_signals(void *userdata) {
        struct sigaction caught = { .sa_handler = on_signal }, nocldwait = { .sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT };
        sigset_t usr1;

        *seen = netns_inode();
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        if (sigaction(SIGUSR2, &caught, NULL) < 0 || sigaction(SIGRTMIN + 3, &caught, NULL) < 0 ||
            sigaction(SIGCHLD, &nocldwait, NULL) < 0 || sigprocmask(SIG_BLOCK, &usr1, NULL) < 0)
                return -errno;
        return 0;
}

/* Only SA_NOCLDWAIT, which no mask in /proc/self/status shows. */
static int child_sets_nocldwait(void *userdata) {
        struct sigaction nocldwait = { .sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT };

        *seen = netns_inode();
        return sigaction(SIGCHLD, &nocldwait, NULL) < 0 ? -errno : 0;
}

/*
 * Every read-only descriptor replaced by a copy of /proc/self/status as it is
 * now, then the signal state changed: a worker that took the file it reads
 * for the one it opened would find no change, and keep the copy open for the
 * next job.
 */
static int child_replaces_fds(void *userdata) {
        int fake = memfd_create("status", MFD_CLOEXEC), now = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        char buf[4096];
        ssize_t n;

        *seen = netns_inode();
        if (fake < 0 || now < 0 || (n = read(now, buf, sizeof(buf))) <= 0 || write(fake, buf, (size_t) n) != n)
                return -errno;
        close(now);
        for (int fd = 3; fd < 64; fd++)
                if (fd != fake && fcntl(fd, F_GETFD) >= 0 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
                        (void) dup3(fake, fd, O_CLOEXEC);
        close(fake);
        return child_changes_signals(userdata);
}

/* Fails unless every signal has the default action, no flags, and none is blocked. */
static int child_expects_default_signals(void *userdata) {
        sigset_t blocked;

        *seen = netns_inode();
        if (sigprocmask(SIG_BLOCK, NULL, &blocked) < 0 || !sigisemptyset(&blocked))
                return -EBUSY;
        for (int sig = 1; sig < NSIG; sig++) {
                struct sigaction old;

                if (sigaction(sig, NULL, &old) < 0)
                        continue; /* libc's own */
                if (old.sa_handler != SIG_DFL || (old.sa_flags & (SA_NOCLDWAIT | SA_NOCLDSTOP)))
                        return -EEXIST;
        }
        return 0;
}

static int child_leaves_namespace(void *userdata) {
        *seen = netns_inode();
        return unshare(CLONE_NEWNET) < 0 ? -errno : 0;
}

static pid_t *job_pid;

static int child_records_pid(void *userdata) {
        *job_pid = getpid();
        return 0;
}

/* A child the job does not wait for: it could change the namespace after the scrub. */
static int child_leaves_child(void *userdata) {
        pid_t pid = fork();

        *seen = netns_inode();
        if (pid == 0)
                _exit(0);
        return pid < 0 ? -errno : 0;
}

/* A signal blocked and raised: the next job would get it once the mask is cleared. */
static int child_leaves_signal(void *userdata) {
        sigset_t usr1;

        *seen = netns_inode();
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        if (sigprocmask(SIG_BLOCK, &usr1, NULL) < 0)
                return -errno;
        return raise(SIGUSR1) < 0 ? -errno : 0;
}

static int child_holds(void *userdata) {
        *seen = netns_inode();
        pause();
        return 0;
}

/* The jobs the pool runs, by number: a worker has the table it was forked with. */
typedef struct Job {
        SandboxFn fn;
        const char *cmd;
} Job;

enum {
        ADD_POLICIES,
        EXPECT_EMPTY,
        EXPECT_NEW,
        LO_UP,
        ADDRESS,
        LINK,
        LINK_GONE,
        ROUTE,
        ROUTE6,
        ADDRESS6,
        RULE,
        REPLACE_NETLINK,
        SOCKET_POLICY,
        CRASH,
        FAIL,
        LEAVE_FD,
        COUNT_FDS,
        IGNORE_ALARM,
        SLEEP,
        HOLD,
        LEAVE_NAMESPACE,
        RECORD_PID,
        LEAVE_CHILD,
        LEAVE_SIGNAL,
        CHANGE_SIGNALS,
        SET_NOCLDWAIT,
        REPLACE_FDS,
        EXPECT_DEFAULT_SIGNALS,
};

static const Job jobs[] = {
        [ADD_POLICIES] = { child, "ip xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 dir out priority 7 && "
                                  "ip xfrm policy add src 192.0.2.2/32 dst 192.0.2.1/32 dir in" },
        [EXPECT_EMPTY] = { child, "test -z \"$(ip xfrm policy list)\" && test -z \"$(ip xfrm state list)\"" },
        [EXPECT_NEW] = { child, "! ip -o link show lo | grep -q ',UP' && test -z \"$(ip -o addr show)\" && "
                                "test \"$(ip -o link show | wc -l)\" = 1" },
        [LO_UP] = { child, "ip link set lo up" },
        [ADDRESS] = { child, "ip addr add 192.0.2.9/32 dev lo" },
        [LINK] = { child, "ip link add ipsa-test0 type dummy 2>/dev/null || "
                          "ip link add ipsa-test0 type veth peer ipsa-test1" },
        /* Made and deleted again: the link's number is spent, and the kernel said so. */
        [LINK_GONE] = { child, "{ ip link add ipsa-test0 type dummy 2>/dev/null || "
                               "ip link add ipsa-test0 type veth peer ipsa-test1; } && ip link del ipsa-test0" },
        /* No device needed: a route the probes could find in the namespace. */
        [ROUTE] = { child, "ip route add unreachable 198.51.100.0/24" },
        [ROUTE6] = { child, "ip -6 route add unreachable 2001:db8:1::/48" },
        [ADDRESS6] = { child, "ip -6 addr add 2001:db8::9/128 dev lo nodad" },
        [RULE] = { child, "ip rule add from 198.51.100.1 table 100" },
        [REPLACE_NETLINK] = { child_replaces_netlink, NULL },
        [SOCKET_POLICY] = { child_socket_policy, NULL },
        [CRASH] = { child_crash, NULL },
        [FAIL] = { child, "false" },
        [LEAVE_FD] = { child_leaves_fd, NULL },
        [COUNT_FDS] = { child_counts_fds, NULL },
        [IGNORE_ALARM] = { child_ignores_alarm, NULL },
        [SLEEP] = { child, "sleep 3" },
        [HOLD] = { child_holds, NULL },
        [LEAVE_NAMESPACE] = { child_leaves_namespace, NULL },
        [RECORD_PID] = { child_records_pid, NULL },
        [LEAVE_CHILD] = { child_leaves_child, NULL },
        [LEAVE_SIGNAL] = { child_leaves_signal, NULL },
        [CHANGE_SIGNALS] = { child_changes_signals, NULL },
        [SET_NOCLDWAIT] = { child_sets_nocldwait, NULL },
        [REPLACE_FDS] = { child_replaces_fds, NULL },
        [EXPECT_DEFAULT_SIGNALS] = { child_expects_default_signals, NULL },
};

static int run_job(void *ctx, unsigned job) {
        const Job *table = ctx;

        return table[job].fn((void *) table[job].cmd);
}

static int new_pool(SandboxPool **ret) {
        return sandbox_pool_new(run_job, (void *) jobs, ret);
}

static int run_in(SandboxPool *pool, SandboxKind kind, unsigned job, unsigned timeout_s, SandboxExit *e) {
        SandboxChild c;
        int r = sandbox_pool_start(pool, kind, timeout_s, job, &c);

        return r < 0 ? r : sandbox_pool_wait(pool, &c, e);
}

static int run_timeout(SandboxPool *pool, unsigned job, unsigned timeout_s, SandboxExit *e) {
        return run_in(pool, SANDBOX_NETNS, job, timeout_s, e);
}

static int run(SandboxPool *pool, unsigned job, SandboxExit *e) {
        return run_timeout(pool, job, 10, e);
}

static int setup(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxKind kind;
        int err;

        seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        open_fds = mmap(NULL, sizeof(*open_fds), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        job_pid = mmap(NULL, sizeof(*job_pid), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (seen == MAP_FAILED || open_fds == MAP_FAILED || job_pid == MAP_FAILED)
                return -1;
        if (new_pool(&pool) < 0 || sandbox_detect(pool, &kind, &err) < 0)
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
        assert_int_equal(new_pool(&pool), 0);
        assert_int_equal(run(pool, ADD_POLICIES, &e), 0);
        assert_int_equal(e.err, 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_YES);
        first = *seen;
        /* The same namespace (the worker holds it, so its inode is not reused), and empty. */
        assert_int_equal(run(pool, EXPECT_EMPTY, &e), 0);
        assert_int_equal(e.err, 0);
        assert_true(*seen == first);
        sandbox_pool_stats(pool, &made, &reused);
        assert_int_equal(made, 1);
        assert_int_equal(reused, 1);
}

/*
 * Dirties the worker's namespace with job (which must succeed, unless it fails on
 * purpose), then checks that the next job has a new, clean one.
 */
static void assert_retired(unsigned job, bool fails) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxExit e;
        unsigned made, reused;

        assert_int_equal(new_pool(&pool), 0);
        assert_int_equal(run(pool, job, &e), 0);
        if (fails ? !(e.err || e.signal) : e.err || e.signal)
                print_message("job %u: err %d, signal %d\n", job, e.err, e.signal);
        assert_true(fails ? e.err || e.signal : !e.err && !e.signal);
        if (e.reuse == SANDBOX_REUSE_YES)
                print_message("job %u: its worker was kept\n", job);
        assert_int_not_equal(e.reuse, SANDBOX_REUSE_YES);
        /* (Not by the namespace's inode: the dead one's number may be the new one's.) */
        assert_int_equal(run(pool, EXPECT_NEW, &e), 0);
        assert_int_equal(e.err, 0);
        sandbox_pool_stats(pool, &made, &reused);
        assert_int_equal(made, 2);
        assert_int_equal(reused, 0);
}

static void test_changed_namespace_is_retired(void **state) {
        SKIP_UNLESS_ROOT(state);
        assert_retired(LO_UP, false);
        assert_retired(ADDRESS, false);
        assert_retired(LINK, false);
        assert_retired(LINK_GONE, false);
        assert_retired(ROUTE, false);
        assert_retired(ROUTE6, false);
        assert_retired(ADDRESS6, false);
        assert_retired(RULE, false);
        assert_retired(REPLACE_NETLINK, false);
        assert_retired(SOCKET_POLICY, false);
        assert_retired(LEAVE_NAMESPACE, false);
        assert_retired(LEAVE_CHILD, false);
        assert_retired(LEAVE_SIGNAL, false);
        assert_retired(CRASH, true);
        assert_retired(FAIL, true);
}

/* What a job leaves in the process rather than the namespace: the next job in the same worker does not see it. */
static void test_worker_is_reset_between_jobs(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxExit e;
        unsigned made, reused;

        SKIP_UNLESS_ROOT(state);
        assert_int_equal(new_pool(&pool), 0);
        assert_int_equal(run(pool, COUNT_FDS, &e), 0);
        assert_int_equal(*open_fds, 0);
        assert_int_equal(run(pool, LEAVE_FD, &e), 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_YES);
        assert_int_equal(run(pool, COUNT_FDS, &e), 0);
        assert_int_equal(*open_fds, 0);
        /* Handlers, a blocked signal and SIGCHLD's flags. */
        for (unsigned k = 0; k < 2; k++) {
                static const unsigned change[] = { CHANGE_SIGNALS, SET_NOCLDWAIT };

                assert_int_equal(run(pool, change[k], &e), 0);
                assert_int_equal(e.err, 0);
                assert_int_equal(e.reuse, SANDBOX_REUSE_YES);
                assert_int_equal(run(pool, EXPECT_DEFAULT_SIGNALS, &e), 0);
                if (e.err)
                        print_message("after job %u: %s\n", change[k], strerror(e.err));
                assert_int_equal(e.err, 0);
        }
        /* A job that ignores SIGALRM would take the next one's timeout with it. */
        assert_int_equal(run(pool, IGNORE_ALARM, &e), 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_YES);
        assert_int_equal(run_timeout(pool, SLEEP, 1, &e), 0);
        assert_int_equal(e.signal, SIGALRM);
        sandbox_pool_stats(pool, &made, &reused);
        assert_int_equal(made, 1);
        assert_int_equal(reused, 8);
        /* The timed-out worker is gone: the next job has a new one. */
        assert_int_equal(run(pool, EXPECT_NEW, &e), 0);
        assert_int_equal(e.err, 0);
        sandbox_pool_stats(pool, &made, &reused);
        assert_int_equal(made, 2);
        /* A job that put a file of its own where the worker keeps its state file: that file would stay
         * open for the next job, and the worker's signal check would read it. The worker retires. */
        assert_int_equal(run(pool, REPLACE_FDS, &e), 0);
        assert_int_equal(e.err, 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_NO);
        assert_int_equal(run(pool, EXPECT_DEFAULT_SIGNALS, &e), 0);
        assert_int_equal(e.err, 0);
}

/* Read-only jobs in the host's namespace share a worker too, unless one leaves it. */
static void test_host_worker_is_reused(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxExit e;
        pid_t first;
        ino_t host = netns_inode();

        assert_int_equal(new_pool(&pool), 0);
        assert_int_equal(run_in(pool, SANDBOX_HOST, RECORD_PID, 10, &e), 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_YES);
        first = *job_pid;
        assert_int_equal(run_in(pool, SANDBOX_HOST, COUNT_FDS, 10, &e), 0);
        assert_true(*seen == host);
        assert_int_equal(run_in(pool, SANDBOX_HOST, RECORD_PID, 10, &e), 0);
        assert_int_equal(*job_pid, first);
        if (getuid() != 0)
                return; /* leaving the namespace needs CAP_SYS_ADMIN */
        assert_int_equal(run_in(pool, SANDBOX_HOST, LEAVE_NAMESPACE, 10, &e), 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_NO);
        assert_int_equal(run_in(pool, SANDBOX_HOST, RECORD_PID, 10, &e), 0);
        assert_int_not_equal(*job_pid, first);
}

/*
 * A worker in the host's namespace, told to leave it after a job: the pool's
 * next namespace job runs in that same process, in a namespace as new as a new
 * worker's, and no other worker is made.
 */
static void test_host_worker_enters_own_namespace(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxChild first, last, more;
        SandboxExit e;
        unsigned made, reused;
        ino_t host = netns_inode();
        pid_t pid;

        SKIP_UNLESS_ROOT(state);
        assert_int_equal(new_pool(&pool), 0);
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_HOST, 10, RECORD_PID, &first), 0);
        assert_int_equal(sandbox_pool_queue_then_enter(pool, &first, 10, COUNT_FDS, &last), 0);
        assert_int_equal(sandbox_pool_wait(pool, &first, &e), 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_YES);
        pid = *job_pid;
        /* It will not be in the host's namespace for another. */
        assert_int_equal(sandbox_pool_queue(pool, &last, 10, RECORD_PID, &more), -EBUSY);
        assert_int_equal(sandbox_pool_wait(pool, &last, &e), 0);
        assert_int_equal(e.err, 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_YES);
        assert_true(*seen == host);

        assert_int_equal(run(pool, EXPECT_NEW, &e), 0);
        assert_int_equal(e.err, 0);
        assert_true(*seen != host);
        assert_int_equal(run(pool, RECORD_PID, &e), 0);
        assert_int_equal(*job_pid, pid);
        /* Its watch is the one of its new namespace: what a job leaves there retires it. */
        assert_int_equal(run(pool, LO_UP, &e), 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_NO);
        sandbox_pool_stats(pool, &made, &reused);
        assert_int_equal(made, 1);
        /* And only a worker in the host's namespace is told so. */
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_NETNS, 10, RECORD_PID, &first), 0);
        assert_int_equal(sandbox_pool_queue_then_enter(pool, &first, 10, RECORD_PID, &last), -EBUSY);
        assert_int_equal(sandbox_pool_wait(pool, &first, &e), 0);
}

static void test_children_at_once_have_their_own(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxChild a, b;
        SandboxExit e;
        ino_t first;
        unsigned made, reused;

        SKIP_UNLESS_ROOT(state);
        assert_int_equal(new_pool(&pool), 0);
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_NETNS, 10, HOLD, &a), 0);
        while (*seen == 0 || *seen == netns_inode())
                usleep(1000);
        first = *seen;
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_NETNS, 10, HOLD, &b), 0);
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

/* How pid ended, once it has (within 10 s), without reaping it: -1 if it has not or is not ours to wait for. */
static int exit_status_unreaped(pid_t pid) {
        for (unsigned i = 0; i < 1000; i++) {
                siginfo_t si = {};

                if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
                        return -1;
                if (si.si_pid == pid)
                        return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
                usleep(10000);
        }
        return -1;
}

/*
 * A worker that will not serve again is not waited for: one retired by its job,
 * or an idle one dismissed. Each exits by itself, its slot serves again, and
 * freeing the pool reaps them all.
 */
static void test_dismissed_workers_exit_unwaited(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxExit e;
        pid_t retired, idle;

        SKIP_UNLESS_ROOT(state);
        assert_int_equal(new_pool(&pool), 0);
        assert_int_equal(run(pool, RECORD_PID, &e), 0);
        retired = *job_pid;
        assert_int_equal(run(pool, ROUTE, &e), 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_NO);
        /* Still ours to reap: the pool did not wait for it. */
        assert_int_equal(exit_status_unreaped(retired), 0);

        assert_int_equal(run(pool, RECORD_PID, &e), 0);
        idle = *job_pid;
        assert_int_not_equal(idle, retired);
        sandbox_pool_dismiss_idle(pool);
        assert_int_equal(exit_status_unreaped(idle), 0);

        /* More retirements than the pool has slots: dismissed workers give theirs back. */
        for (unsigned i = 0; i < 20; i++) {
                assert_int_equal(run(pool, ROUTE, &e), 0);
                assert_int_equal(e.err, 0);
        }
        sandbox_pool_free(TAKE_PTR(pool));
        assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
        assert_int_equal(errno, ECHILD);
}

/* A job queued behind another runs in the same worker once that one ends, reset as any next job. */
static void test_queued_job_follows_in_its_worker(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxChild a, b, c;
        SandboxExit e;
        unsigned made, reused;

        SKIP_UNLESS_ROOT(state);
        assert_int_equal(new_pool(&pool), 0);
        *open_fds = -1;
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_NETNS, 10, LEAVE_FD, &a), 0);
        assert_int_equal(sandbox_pool_queue(pool, &a, 10, COUNT_FDS, &b), 0);
        assert_int_equal(b.pid, a.pid);
        /* One queued at a time. */
        assert_int_equal(sandbox_pool_queue(pool, &a, 10, COUNT_FDS, &c), -EBUSY);
        assert_int_equal(sandbox_pool_wait(pool, &a, &e), 0);
        assert_int_equal(e.reuse, SANDBOX_REUSE_YES);
        assert_int_equal(sandbox_pool_wait(pool, &b, &e), 0);
        assert_false(e.unrun);
        assert_int_equal(e.err, 0);
        assert_int_equal(*open_fds, 0);
        sandbox_pool_stats(pool, &made, &reused);
        assert_int_equal(made, 1);
        assert_int_equal(reused, 1);
        /* Waited for once only. */
        assert_int_equal(sandbox_pool_wait(pool, &b, &e), -EINVAL);
}

/*
 * A worker that ends with its job (retired, crashed) leaves the job queued behind it unrun, to be
 * given again; the first job's answer is not lost for it, though the worker is gone before we ask.
 */
static void assert_queued_unrun(unsigned first, int err, int signal) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxChild a, b;
        SandboxExit e;

        assert_int_equal(new_pool(&pool), 0);
        *job_pid = 0;
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_NETNS, 10, first, &a), 0);
        assert_int_equal(sandbox_pool_queue(pool, &a, 10, RECORD_PID, &b), 0);
        assert_int_not_equal(exit_status_unreaped(a.pid), -1);
        assert_int_equal(sandbox_pool_wait(pool, &a, &e), 0);
        assert_int_not_equal(e.reuse, SANDBOX_REUSE_YES);
        assert_false(e.unrun);
        assert_int_equal(e.err, err);
        assert_int_equal(e.signal, signal);
        assert_int_equal(sandbox_pool_wait(pool, &b, &e), 0);
        assert_true(e.unrun);
        assert_int_equal(*job_pid, 0);
        /* Given again, it runs in a new worker. */
        assert_int_equal(run(pool, RECORD_PID, &e), 0);
        assert_false(e.unrun);
        assert_int_not_equal(*job_pid, 0);
        assert_int_not_equal(*job_pid, a.pid);
}

static void test_queued_job_outlives_its_worker(void **state) {
        SKIP_UNLESS_ROOT(state);
        assert_queued_unrun(ROUTE, 0, 0);
        assert_queued_unrun(CRASH, 0, SIGSEGV);
        assert_queued_unrun(FAIL, EIO, 0);
}

/* Nothing is queued where it could not run next, and answers are taken in order. */
static void test_queue_refusals(void **state) {
        _cleanup_(sandbox_pool_freep) SandboxPool *pool = NULL;
        SandboxChild a, b, c;
        SandboxExit e;

        SKIP_UNLESS_ROOT(state);
        assert_int_equal(new_pool(&pool), 0);
        /* A worker of its own, for one job only. */
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_USERNS, 10, RECORD_PID, &a), 0);
        assert_int_equal(sandbox_pool_queue(pool, &a, 10, RECORD_PID, &b), -EBUSY);
        assert_int_equal(sandbox_pool_wait(pool, &a, &e), 0);
        /* Behind a job already answered: its worker is idle, and gets jobs by sandbox_pool_start(). */
        assert_int_equal(sandbox_pool_queue(pool, &a, 10, RECORD_PID, &b), -EINVAL);
        assert_int_equal(sandbox_pool_start(pool, SANDBOX_NETNS, 10, RECORD_PID, &a), 0);
        assert_int_equal(sandbox_pool_queue(pool, &a, 10, COUNT_FDS, &b), 0);
        c = b;
        assert_int_equal(sandbox_pool_wait(pool, &c, &e), -EPROTO);
        /* That worker is ended: what it had is unrun, not taken for another's answer. */
        assert_int_equal(sandbox_pool_wait(pool, &a, &e), 0);
        assert_true(e.unrun);
        assert_int_equal(sandbox_pool_wait(pool, &b, &e), 0);
        assert_true(e.unrun);
}

int main(void) {
        const struct rlimit no_core = {};
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flushed_namespace_is_served_again),
                cmocka_unit_test(test_changed_namespace_is_retired),
                cmocka_unit_test(test_worker_is_reset_between_jobs),
                cmocka_unit_test(test_host_worker_is_reused),
                cmocka_unit_test(test_host_worker_enters_own_namespace),
                cmocka_unit_test(test_children_at_once_have_their_own),
                cmocka_unit_test(test_dismissed_workers_exit_unwaited),
                cmocka_unit_test(test_queued_job_follows_in_its_worker),
                cmocka_unit_test(test_queued_job_outlives_its_worker),
                cmocka_unit_test(test_queue_refusals),
        };

        (void) setrlimit(RLIMIT_CORE, &no_core);
        return cmocka_run_group_tests(tests, setup, NULL);
}
