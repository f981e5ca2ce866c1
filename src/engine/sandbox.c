/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "netns-scrub.h"
#include "sandbox.h"
#include "string-table.h"

/* Exit statuses at and above this report a failure to enter the sandbox. */
#define EXIT_ENTER_BASE 128

static const char *const sandbox_kind_table[_SANDBOX_KIND_MAX] = {
        [SANDBOX_HOST] = "host",
        [SANDBOX_NETNS] = "netns",
        [SANDBOX_USERNS] = "userns+netns",
};

DEFINE_STRING_TABLE_TO_STRING(sandbox_kind, SandboxKind)

static int write_proc(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(text);

        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len)
                return -errno;
        return 0;
}

static int enter_userns(void) {
        char map[64];
        uid_t uid = geteuid();
        gid_t gid = getegid();
        int r;

        if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
                return -errno;
        /* An unprivileged process may map only itself, and only after giving up setgroups(). */
        r = write_proc("/proc/self/setgroups", "deny");
        if (r < 0 && r != -ENOENT)
                return r;
        snprintf(map, sizeof(map), "0 %u 1", (unsigned) uid);
        if ((r = write_proc("/proc/self/uid_map", map)) < 0)
                return r;
        snprintf(map, sizeof(map), "0 %u 1", (unsigned) gid);
        return write_proc("/proc/self/gid_map", map);
}

static int enter(SandboxKind kind) {
        switch (kind) {
        case SANDBOX_HOST:
                return 0;
        case SANDBOX_NETNS:
                return unshare(CLONE_NEWNET) < 0 ? -errno : 0;
        case SANDBOX_USERNS:
                return enter_userns();
        default:
                return -EINVAL;
        }
}

/*
 * The child must die of its own faults and of its timeout: handlers and
 * blocked signals inherited from the caller (a test framework, an event loop
 * with signalfd) would otherwise catch or hold them.
 */
static void reset_signals(void) {
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigset_t none;

        for (int sig = 1; sig < NSIG; sig++)
                (void) sigaction(sig, &dfl, NULL);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
}

static int clamp_status(int err, int limit) {
        return err > 0 && err < limit ? err : limit - 1;
}

/* A pooled namespace, as the child that uses it inherits it. */
typedef struct PoolSlot {
        int fd; /* -1: none made (yet) */
        bool busy;
        bool used; /* has served a child */
        NetnsSnapshot made; /* links and addresses when it was made */
} PoolSlot;

/*
 * In a pooled namespace's child, after fn: one byte on the pipe says whether
 * the next probe may have it. Not under fn's timeout, whose signal would read
 * as fn's: the scrub's netlink requests time out on their own.
 */
static void tell_reuse(int fd, const PoolSlot *slot) {
        char b;
        int r;

        alarm(0);
        r = netns_scrub(&slot->made);
        b = r > 0 ? SANDBOX_REUSE_YES : r < 0 ? SANDBOX_REUSE_NEVER : SANDBOX_REUSE_NO;
        (void) !write(fd, &b, 1);
}

static int start(SandboxKind kind, const PoolSlot *slot, unsigned timeout_s, SandboxFn fn, void *userdata,
                 SandboxChild *ret) {
        int pipefd[2];
        pid_t pid;
        int r;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        fflush(NULL); /* nothing buffered may be written twice */
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                /* The write end stays open until the child exits, however it exits. */
                close(pipefd[0]);
                reset_signals();
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                r = slot ? (setns(slot->fd, CLONE_NEWNET) < 0 ? -errno : 0) : enter(kind);
                if (r < 0)
                        _exit(EXIT_ENTER_BASE + clamp_status(-r, EXIT_ENTER_BASE));
                alarm(timeout_s);
                r = fn(userdata);
                if (r >= 0 && slot)
                        tell_reuse(pipefd[1], slot);
                _exit(r < 0 ? clamp_status(-r, EXIT_ENTER_BASE) : 0);
        }
        close(pipefd[1]);
        *ret = (SandboxChild) { .pid = pid, .done_fd = pipefd[0], .slot = -1 };
        return 0;
}

int sandbox_start(SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata, SandboxChild *ret) {
        return start(kind, NULL, timeout_s, fn, userdata, ret);
}

int sandbox_wait(SandboxChild *c, SandboxExit *ret) {
        char reuse = SANDBOX_REUSE_NO;
        int status;

        if (c->done_fd >= 0) {
                /* The byte, if the child wrote one, or end-of-file when it exited. */
                if (c->slot >= 0)
                        while (read(c->done_fd, &reuse, 1) < 0 && errno == EINTR)
                                ;
                close(c->done_fd);
                c->done_fd = -1;
        }
        while (waitpid(c->pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;

        *ret = (SandboxExit) { .reuse = (SandboxReuse) reuse };
        if (WIFSIGNALED(status))
                ret->signal = WTERMSIG(status);
        else if (WEXITSTATUS(status) >= EXIT_ENTER_BASE)
                ret->enter_err = WEXITSTATUS(status) - EXIT_ENTER_BASE;
        else
                ret->err = WEXITSTATUS(status);
        return 0;
}

int sandbox_run(SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata, SandboxExit *ret) {
        SandboxChild c;
        int r = sandbox_start(kind, timeout_s, fn, userdata, &c);

        return r < 0 ? r : sandbox_wait(&c, ret);
}

#define POOL_MAX 16

struct SandboxPool {
        PoolSlot slot[POOL_MAX];
        bool off; /* a namespace's state could not be checked: every child makes its own */
        unsigned made, reused;
};

int sandbox_pool_new(SandboxPool **ret) {
        SandboxPool *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        for (size_t i = 0; i < POOL_MAX; i++)
                p->slot[i].fd = -1;
        *ret = p;
        return 0;
}

static void slot_close(PoolSlot *s) {
        if (s->fd >= 0)
                close(s->fd);
        *s = (PoolSlot) { .fd = -1 };
}

void sandbox_pool_free(SandboxPool *p) {
        for (size_t i = 0; i < POOL_MAX; i++)
                slot_close(&p->slot[i]);
        free(p);
}

/* The child that makes a pooled namespace: says what it holds, then waits to be killed. */
static int hold(void *userdata) {
        const int *fd = userdata;
        NetnsSnapshot s = {};
        int r = netns_snapshot(&s);

        if (r < 0)
                return r;
        if (write(*fd, &s, sizeof(s)) != (ssize_t) sizeof(s))
                return -EIO;
        pause();
        return 0;
}

/* A new namespace in s, kept open by its /proc/PID/ns/net while its maker lives. */
static int slot_make(PoolSlot *s, unsigned timeout_s) {
        _cleanup_close_ int rd = -1, wr = -1;
        SandboxChild c;
        SandboxExit e;
        char path[64];
        int pipefd[2], r;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rd = pipefd[0];
        wr = pipefd[1];
        if ((r = start(SANDBOX_NETNS, NULL, timeout_s, hold, &wr, &c)) < 0)
                return r;
        close(wr); /* so that the read ends if the child does */
        wr = -1;
        r = read(rd, &s->made, sizeof(s->made)) == (ssize_t) sizeof(s->made) ? 0 : -EIO;
        if (r == 0) {
                snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) c.pid);
                s->fd = open(path, O_RDONLY | O_CLOEXEC);
                r = s->fd < 0 ? -errno : 0;
        }
        (void) kill(c.pid, SIGKILL);
        (void) sandbox_wait(&c, &e);
        return r;
}

/* An idle verified namespace, or a new one; NULL when the pool cannot serve. */
static PoolSlot *slot_take(SandboxPool *p, unsigned timeout_s) {
        PoolSlot *empty = NULL;

        if (p->off)
                return NULL;
        for (size_t i = 0; i < POOL_MAX; i++) {
                PoolSlot *s = &p->slot[i];
                if (s->busy)
                        continue;
                if (s->fd >= 0)
                        return s;
                empty = empty ?: s;
        }
        if (!empty)
                return NULL;
        if (slot_make(empty, timeout_s) < 0) {
                p->off = true; /* not worth a try per probe */
                return NULL;
        }
        p->made++;
        return empty;
}

int sandbox_pool_start(SandboxPool *p, SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata,
                       SandboxChild *ret) {
        PoolSlot *s = kind == SANDBOX_NETNS ? slot_take(p, timeout_s) : NULL;
        int r = start(kind, s, timeout_s, fn, userdata, ret);

        if (r >= 0 && s) {
                p->reused += s->used;
                s->used = s->busy = true;
                ret->slot = (int) (s - p->slot);
        }
        return r;
}

int sandbox_pool_wait(SandboxPool *p, SandboxChild *c, SandboxExit *ret) {
        int slot = c->slot;
        int r = sandbox_wait(c, ret);
        PoolSlot *s;

        if (slot < 0)
                return r;
        s = &p->slot[slot];
        s->busy = false;
        if (r < 0 || ret->reuse != SANDBOX_REUSE_YES)
                slot_close(s);
        if (r >= 0 && ret->reuse == SANDBOX_REUSE_NEVER)
                p->off = true;
        return r;
}

void sandbox_pool_stats(const SandboxPool *p, unsigned *ret_made, unsigned *ret_reused) {
        *ret_made = p->made;
        *ret_reused = p->reused;
}

static int nothing(void *userdata) {
        return 0;
}

int sandbox_detect(SandboxPool *pool, SandboxKind *ret, int *ret_err) {
        static const SandboxKind order[] = { SANDBOX_NETNS, SANDBOX_USERNS };
        int first_err = 0;

        /* The pool's first namespace is the proof that one can be made. */
        if (slot_take(pool, 5)) {
                *ret = SANDBOX_NETNS;
                *ret_err = 0;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                SandboxExit e;
                int r = sandbox_run(order[i], 5, nothing, NULL, &e);
                if (r < 0)
                        return r;
                if (e.enter_err == 0 && e.signal == 0 && e.err == 0) {
                        *ret = order[i];
                        *ret_err = 0;
                        return 0;
                }
                if (!first_err)
                        first_err = e.enter_err ?: EIO;
        }
        *ret = SANDBOX_HOST;
        *ret_err = first_err;
        return 0;
}
