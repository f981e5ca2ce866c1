/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
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

int sandbox_start(SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata, SandboxChild *ret) {
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
                r = enter(kind);
                if (r < 0)
                        _exit(EXIT_ENTER_BASE + clamp_status(-r, EXIT_ENTER_BASE));
                alarm(timeout_s);
                r = fn(userdata);
                _exit(r < 0 ? clamp_status(-r, EXIT_ENTER_BASE) : 0);
        }
        close(pipefd[1]);
        *ret = (SandboxChild) { .pid = pid, .done_fd = pipefd[0] };
        return 0;
}

int sandbox_wait(SandboxChild *c, SandboxExit *ret) {
        int status;

        if (c->done_fd >= 0) {
                close(c->done_fd);
                c->done_fd = -1;
        }
        while (waitpid(c->pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;

        *ret = (SandboxExit) {};
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

static int nothing(void *userdata) {
        return 0;
}

int sandbox_detect(SandboxKind *ret, int *ret_err) {
        static const SandboxKind order[] = { SANDBOX_NETNS, SANDBOX_USERNS };
        int first_err = 0;

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
