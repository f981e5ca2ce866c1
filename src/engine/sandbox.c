/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
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

typedef int (*ChildFn)(void *userdata, int fd);

/*
 * Forks a child that enters kind and runs fn(userdata, fd), fd being the
 * child's end of a SOCK_SEQPACKET pair whose other end becomes ret->done_fd.
 * fn's negative errno becomes the exit status.
 */
static int fork_child(SandboxKind kind, ChildFn fn, void *userdata, SandboxChild *ret) {
        int sv[2];
        pid_t pid;
        int r;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        fflush(NULL); /* nothing buffered may be written twice */
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(sv[0]);
                close(sv[1]);
                return r;
        }
        if (pid == 0) {
                /* The child's end stays open until it exits, however it exits. */
                close(sv[0]);
                reset_signals();
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if ((r = enter(kind)) < 0)
                        _exit(EXIT_ENTER_BASE + clamp_status(-r, EXIT_ENTER_BASE));
                r = fn(userdata, sv[1]);
                _exit(r < 0 ? clamp_status(-r, EXIT_ENTER_BASE) : 0);
        }
        close(sv[1]);
        *ret = (SandboxChild) { .pid = pid, .done_fd = sv[0], .slot = -1 };
        return 0;
}

typedef struct OneShot {
        SandboxFn fn;
        void *userdata;
        unsigned timeout_s;
} OneShot;

static int run_once(void *userdata, int fd) {
        const OneShot *o = userdata;

        alarm(o->timeout_s);
        return o->fn(o->userdata);
}

int sandbox_start(SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata, SandboxChild *ret) {
        OneShot o = { fn, userdata, timeout_s }; /* the child has its own copy */

        return fork_child(kind, run_once, &o, ret);
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

/* What the pool and a worker say to each other, one datagram each way per job. */
typedef struct JobRequest {
        uint32_t job; /* JOB_NONE: run nothing, only answer */
        uint32_t timeout_s;
        uint8_t enter; /* then leave the host's namespace for one of our own (sandbox_pool_queue_then_enter()) */
} JobRequest;

typedef struct JobReply {
        uint32_t job;  /* the request's, so that an answer cannot be taken for another job's */
        int32_t r;     /* fn's: 0 or -errno */
        uint8_t reuse; /* SandboxReuse */
} JobReply;

#define JOB_NONE UINT32_MAX

typedef struct WorkerArgs {
        SandboxJobFn fn;
        void *ctx;
        SandboxKind kind;
        bool keep; /* may run more than one job */
} WorkerArgs;

static ino_t netns_inode(void) {
        struct stat st;

        return stat("/proc/self/ns/net", &st) < 0 ? 0 : st.st_ino;
}

static int cmp_int(const void *a, const void *b) {
        return (*(const int *) a > *(const int *) b) - (*(const int *) a < *(const int *) b);
}

/* Every descriptor but 0, 1, 2 and the n in keep: nothing the caller or a job opened is left to the next job. */
static int close_all_but(int *keep, size_t n) {
        unsigned first = 3;

        qsort(keep, n, sizeof(*keep), cmp_int);
        for (size_t i = 0; i < n; i++) {
                if (keep[i] < (int) first)
                        continue;
                if ((unsigned) keep[i] > first && close_range(first, (unsigned) keep[i] - 1, 0) < 0)
                        return -errno;
                first = (unsigned) keep[i] + 1;
        }
        return close_range(first, ~0U, 0) < 0 ? -errno : 0;
}

/*
 * What a job could leave in the process itself for the next one: a child
 * (which could change the namespace after the scrub), a pending signal, an
 * interval timer. None of the probes makes one; a job that did ends its worker.
 */
static bool process_clean(void) {
        struct itimerval virt, prof;
        sigset_t pending;

        if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
                return false;
        if (sigpending(&pending) < 0 || !sigisemptyset(&pending))
                return false;
        if (getitimer(ITIMER_VIRTUAL, &virt) < 0 || getitimer(ITIMER_PROF, &prof) < 0)
                return false;
        return !timerisset(&virt.it_value) && !timerisset(&prof.it_value);
}

/* After a job that returned, whether the next may have the worker (its namespace scrubbed here). */
static SandboxReuse after_job(SandboxKind kind, ino_t own, NetnsWatch *watch) {
        int r;

        /* A job that left the worker elsewhere (a datapath's setns) would have us scrub the wrong namespace. */
        if (netns_inode() != own || !process_clean())
                return SANDBOX_REUSE_NO;
        /* The host's namespace is not ours to flush: only read-only jobs run there. */
        if (kind == SANDBOX_HOST)
                return SANDBOX_REUSE_YES;
        /* With the job's descriptors still open: a socket policy it left counts against the namespace.
         * Closing them afterwards only takes state away. */
        r = netns_scrub(watch);
        return r > 0 ? SANDBOX_REUSE_YES : r < 0 ? SANDBOX_REUSE_NEVER : SANDBOX_REUSE_NO;
}

/* /proc/self/status, opened once by a worker: its signal state in one read. */
typedef struct SelfStatus {
        int fd;
        struct stat st;  /* as opened */
        char masks[256]; /* as the worker began */
} SelfStatus;

/* Whether the descriptor is still the file the worker opened: a job could have closed it or put its own there. */
static bool self_status_same(const SelfStatus *s) {
        struct stat st;

        return s->fd >= 0 && fstat(s->fd, &st) == 0 && st.st_dev == s->st.st_dev && st.st_ino == s->st.st_ino;
}

/* The lines from SigPnd to SigCgt: the signals pending, blocked, ignored and caught, every one of them, as hex masks. */
static bool signal_masks(const SelfStatus *s, char ret[static sizeof(s->masks)]) {
        char buf[4096];
        const char *from, *to;
        ssize_t n;

        if ((n = pread(s->fd, buf, sizeof(buf) - 1, 0)) <= 0)
                return false;
        buf[n] = '\0';
        if (!(from = strstr(buf, "\nSigPnd:")) || !(to = strstr(from, "\nSigCgt:")) || !(to = strchr(to + 1, '\n')) ||
            (size_t) (to - from) >= sizeof(s->masks))
                return false;
        memcpy(ret, from, (size_t) (to - from));
        ret[to - from] = '\0';
        return true;
}

static void self_status_open(SelfStatus *s) {
        s->fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (s->fd >= 0 && (fstat(s->fd, &s->st) < 0 || !signal_masks(s, s->masks))) {
                close(s->fd);
                s->fd = -1;
        }
}

static void self_status_close(SelfStatus *s) {
        if (s->fd >= 0)
                close(s->fd);
}

/*
 * Whether the job changed no signal's mask: one read rather than the 64
 * sigaction() calls that set them again. Compared with the worker's own
 * beginning rather than with none: SIG_IGN is inherited through exec, and
 * libc keeps its own two signals from sigaction().
 */
static bool signals_untouched(const SelfStatus *s) {
        char now[sizeof(s->masks)];

        return s->fd >= 0 && signal_masks(s, now) && strcmp(now, s->masks) == 0;
}

/* Between jobs: the signal state a new worker has. */
static void reset_signals_after_job(const SelfStatus *s) {
        static const struct sigaction dfl = { .sa_handler = SIG_DFL };

        /* SIGCHLD's SA_NOCLDWAIT counts with the default action too, and no mask shows it. */
        if (signals_untouched(s))
                (void) sigaction(SIGCHLD, &dfl, NULL);
        else
                reset_signals();
}

/*
 * A worker in the host's namespace that is to serve in one of its own enters
 * it and opens the watch there, as a new worker would have: whether it can.
 */
static SandboxReuse enter_own_namespace(SandboxKind *kind, NetnsWatch **watch, ino_t *own, int *keep, size_t *n_keep) {
        if (enter(SANDBOX_NETNS) < 0)
                return SANDBOX_REUSE_NO;
        *kind = SANDBOX_NETNS;
        if (netns_watch_open(watch) < 0 || (*own = netns_inode()) == 0)
                return SANDBOX_REUSE_NEVER;
        netns_watch_fds(*watch, keep + *n_keep);
        *n_keep += NETNS_WATCH_FDS;
        return close_all_but(keep, *n_keep) < 0 ? SANDBOX_REUSE_NEVER : SANDBOX_REUSE_YES;
}

static int reply(int fd, uint32_t job, int r, SandboxReuse reuse) {
        JobReply a;

        memset(&a, 0, sizeof(a)); /* no uninitialised padding on the wire */
        a.job = job;
        a.r = r;
        a.reuse = reuse;
        return send(fd, &a, sizeof(a), MSG_NOSIGNAL) == (ssize_t) sizeof(a) ? 0 : -errno;
}

/* A worker's life: jobs read from fd, one at a time, until one leaves the worker unfit or fd closes. */
static int worker_main(void *userdata, int fd) {
        const WorkerArgs *w = userdata;
        _cleanup_(netns_watch_freep) NetnsWatch *watch = NULL;
        _cleanup_(self_status_close) SelfStatus status = {};
        SandboxKind kind = w->kind;
        bool checkable = w->keep && (kind == SANDBOX_HOST || netns_watch_open(&watch) >= 0);
        ino_t own = checkable ? netns_inode() : 0;
        int keep[2 + NETNS_WATCH_FDS] = { fd };
        size_t n_keep = 1;

        self_status_open(&status);
        if (status.fd >= 0)
                keep[n_keep++] = status.fd;
        if (watch) {
                netns_watch_fds(watch, keep + n_keep);
                n_keep += NETNS_WATCH_FDS;
        }
        /* Without /proc a job that left the namespace would go unseen; without close_range, its descriptors. */
        checkable = checkable && own != 0 && close_all_but(keep, n_keep) >= 0;
        for (;;) {
                SandboxReuse reuse = checkable ? SANDBOX_REUSE_YES : w->keep ? SANDBOX_REUSE_NEVER : SANDBOX_REUSE_NO;
                JobRequest q;
                ssize_t n = recv(fd, &q, sizeof(q), 0);
                int r = 0;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n != (ssize_t) sizeof(q))
                        return 0; /* the pool is done with us */
                if (q.job != JOB_NONE) {
                        alarm(q.timeout_s);
                        r = w->fn(w->ctx, q.job);
                        /* The scrub is not under the job's timeout, whose signal would read as the job's:
                         * its netlink requests time out on their own. */
                        alarm(0);
                        if (r < 0)
                                reuse = SANDBOX_REUSE_NO;
                        else if (checkable)
                                reuse = after_job(kind, own, watch);
                        if (close_all_but(keep, n_keep) < 0)
                                reuse = SANDBOX_REUSE_NO;
                        /* Whatever a job left on the worker's own descriptor's number would stay open for the next. */
                        if (status.fd >= 0 && !self_status_same(&status))
                                reuse = SANDBOX_REUSE_NO;
                        /* Only for a next job: unblocking a signal the job left pending would end us unheard. */
                        if (reuse == SANDBOX_REUSE_YES)
                                reset_signals_after_job(&status);
                        /* The answer waits for it: the pool counts us as busy until then. */
                        if (q.enter && kind == SANDBOX_HOST && reuse == SANDBOX_REUSE_YES)
                                reuse = enter_own_namespace(&kind, &watch, &own, keep, &n_keep);
                }
                /* A job queued behind this one stays unread when we exit: the pool gives it to another worker. */
                if (reply(fd, q.job, r, reuse) < 0 || reuse != SANDBOX_REUSE_YES)
                        return 0;
        }
}

#define POOL_MAX 16

typedef struct Worker {
        SandboxChild c; /* c.pid 0: none */
        SandboxKind kind;
        bool keep;      /* may run more than one job */
        unsigned busy;  /* jobs sent and not yet answered: the one it runs, and one queued */
        bool used;      /* has run a job */
        bool dismissed; /* exits, or has: c.done_fd closed, c.pid not reaped yet */
        bool entering;  /* leaves the host's namespace after enter_job (sandbox_pool_queue_then_enter()) */
        unsigned enter_job;
} Worker;

#define QUEUE_MAX 2

struct SandboxPool {
        SandboxJobFn fn;
        void *ctx;
        Worker worker[POOL_MAX];
        bool off; /* a namespace's state could not be checked: every job gets a worker of its own */
        unsigned made, reused;
};

int sandbox_pool_new(SandboxJobFn fn, void *ctx, SandboxPool **ret) {
        SandboxPool *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        p->fn = fn;
        p->ctx = ctx;
        *ret = p;
        return 0;
}

static void worker_end(Worker *w, SandboxExit *ret) {
        SandboxExit ignored;

        if (w->c.pid > 0 && sandbox_wait(&w->c, ret ?: &ignored) < 0 && ret)
                *ret = (SandboxExit) { .err = EIO };
        *w = (Worker) {};
}

/*
 * A worker that will not be given another job: its socket closed, which ends
 * an idle one, and reaped later (worker_reaped()). A process's exit costs a
 * cross-CPU wake-up and the tearing down of its memory and namespace, which
 * the pool need not wait for while it has jobs to hand out or a report to make.
 */
static void worker_dismiss(Worker *w) {
        if (w->c.done_fd >= 0) {
                close(w->c.done_fd);
                w->c.done_fd = -1;
        }
        w->busy = 0;
        w->dismissed = true;
}

/* Whether a dismissed worker has exited, reaping it: its slot is free again. */
static bool worker_reaped(Worker *w) {
        pid_t pid;

        while ((pid = waitpid(w->c.pid, NULL, WNOHANG)) < 0 && errno == EINTR)
                ;
        if (pid == 0)
                return false;
        *w = (Worker) {};
        return true;
}

void sandbox_pool_dismiss_idle(SandboxPool *p) {
        for (size_t i = 0; i < POOL_MAX; i++)
                if (p->worker[i].c.pid > 0 && !p->worker[i].busy)
                        worker_dismiss(&p->worker[i]);
}

void sandbox_pool_free(SandboxPool *p) {
        /* All killed first, so that they exit side by side; a dismissed one is ours until reaped. */
        for (size_t i = 0; i < POOL_MAX; i++)
                if (p->worker[i].c.pid > 0)
                        (void) kill(p->worker[i].c.pid, SIGKILL);
        for (size_t i = 0; i < POOL_MAX; i++)
                worker_end(&p->worker[i], NULL);
        free(p);
}

static int worker_make(SandboxPool *p, Worker *w, SandboxKind kind, bool keep) {
        WorkerArgs args = { p->fn, p->ctx, kind, keep };
        int r = fork_child(kind, worker_main, &args, &w->c);

        if (r < 0)
                return r;
        w->kind = kind;
        w->keep = keep;
        p->made += keep && kind == SANDBOX_NETNS;
        return 0;
}

/* An idle worker that keeps its namespace, or a new one; NULL with errno-style r when none can be had. */
static Worker *worker_take(SandboxPool *p, SandboxKind kind, int *ret_err) {
        bool keep = (kind == SANDBOX_NETNS && !p->off) || kind == SANDBOX_HOST;
        Worker *free_slot = NULL, *idle = NULL;

        for (size_t i = 0; i < POOL_MAX; i++) {
                Worker *w = &p->worker[i];
                if (w->dismissed && !worker_reaped(w))
                        continue;
                if (w->c.pid == 0)
                        free_slot = free_slot ?: w;
                else if (!w->busy && keep && w->kind == kind)
                        return w;
                else if (!w->busy)
                        idle = idle ?: w;
        }
        if (!free_slot && idle) { /* the pool is full of idle workers: one makes room */
                (void) kill(idle->c.pid, SIGKILL);
                worker_end(idle, NULL);
                free_slot = idle;
        }
        for (size_t i = 0; !free_slot && i < POOL_MAX; i++)
                if (p->worker[i].dismissed) { /* one is on its way out: wait for it */
                        worker_end(&p->worker[i], NULL);
                        free_slot = &p->worker[i];
                }
        if (!free_slot) {
                *ret_err = -EBUSY;
                return NULL;
        }
        if ((*ret_err = worker_make(p, free_slot, kind, keep)) < 0)
                return NULL;
        return free_slot;
}

static int submit(Worker *w, uint32_t job, unsigned timeout_s, bool enter) {
        JobRequest q;

        memset(&q, 0, sizeof(q)); /* no uninitialised padding on the wire */
        q.job = job;
        q.timeout_s = timeout_s;
        q.enter = enter;
        return send(w->c.done_fd, &q, sizeof(q), MSG_NOSIGNAL) == (ssize_t) sizeof(q) ? 0 : -errno;
}

static void job_of(const Worker *w, const SandboxPool *p, unsigned job, SandboxChild *ret) {
        *ret = w->c;
        ret->slot = (int) (w - p->worker);
        ret->job = job;
}

int sandbox_pool_start(SandboxPool *p, SandboxKind kind, unsigned timeout_s, unsigned job, SandboxChild *ret) {
        int r;

        if (job == JOB_NONE)
                return -EINVAL;
        for (;;) {
                Worker *w = worker_take(p, kind, &r);

                if (!w)
                        return r;
                /* An idle worker that died meanwhile (killed from outside): the job goes to another.
                 * A new one that did (it could not enter its namespace) says why in sandbox_pool_wait();
                 * one still alive that the job did not reach is ended, so that the wait cannot hang. */
                if (submit(w, job, timeout_s, false) < 0) {
                        if (w->used) {
                                worker_end(w, NULL);
                                continue;
                        }
                        (void) kill(w->c.pid, SIGKILL);
                }
                p->reused += w->used;
                w->used = true;
                w->busy = 1;
                job_of(w, p, job, ret);
                return 0;
        }
}

static int queue(SandboxPool *p, const SandboxChild *behind, unsigned timeout_s, unsigned job, bool enter,
                 SandboxChild *ret) {
        Worker *w;

        if (job == JOB_NONE || behind->slot < 0 || behind->slot >= POOL_MAX)
                return -EINVAL;
        w = &p->worker[behind->slot];
        if (w->c.pid != behind->pid || w->dismissed || !w->keep || p->off || w->busy == 0 || w->busy >= QUEUE_MAX ||
            w->entering || (enter && w->kind != SANDBOX_HOST))
                return -EBUSY;
        if (submit(w, job, timeout_s, enter) < 0)
                return -EBUSY; /* it is dying: the job it runs will say how */
        p->reused++;
        w->busy++;
        w->entering = enter;
        w->enter_job = job;
        job_of(w, p, job, ret);
        return 0;
}

int sandbox_pool_queue(SandboxPool *p, const SandboxChild *behind, unsigned timeout_s, unsigned job,
                       SandboxChild *ret) {
        return queue(p, behind, timeout_s, job, false, ret);
}

int sandbox_pool_queue_then_enter(SandboxPool *p, const SandboxChild *behind, unsigned timeout_s, unsigned job,
                                  SandboxChild *ret) {
        return queue(p, behind, timeout_s, job, true, ret);
}

int sandbox_pool_wait(SandboxPool *p, SandboxChild *c, SandboxExit *ret) {
        Worker *w;
        JobReply a;
        ssize_t n;

        if (c->slot < 0 || c->slot >= POOL_MAX)
                return -EINVAL;
        w = &p->worker[c->slot];
        /* Its worker ended with the job before it: this one was never read. */
        if (w->c.pid != c->pid || w->dismissed) {
                c->slot = -1;
                *ret = (SandboxExit) { .unrun = true };
                return 0;
        }
        if (!w->busy)
                return -EINVAL;
        c->slot = -1; /* answered once */
        /* ECONNRESET: the worker exited with a queued job unread, which the kernel reports
         * once, before the answer it sent (unix_release_sock()); the next recv() has it. */
        while ((n = recv(w->c.done_fd, &a, sizeof(a), 0)) < 0 && (errno == EINTR || errno == ECONNRESET))
                ;
        if (n != (ssize_t) sizeof(a)) { /* it died in the job */
                worker_end(w, ret);
                return 0;
        }
        /* A queued job waited for before the one ahead of it: the answers can no longer be told
         * apart, so the worker ends, and whatever it had is unrun. */
        if (a.job != c->job) {
                (void) kill(w->c.pid, SIGKILL);
                worker_dismiss(w);
                return -EPROTO;
        }
        *ret = (SandboxExit) { .err = a.r < 0 ? -a.r : 0, .reuse = (SandboxReuse) a.reuse };
        if (a.reuse == SANDBOX_REUSE_NEVER)
                p->off = true;
        if (w->entering && a.job == w->enter_job) {
                w->entering = false;
                if (a.reuse == SANDBOX_REUSE_YES) {
                        w->kind = SANDBOX_NETNS;
                        w->used = false; /* a worker made, as much as a fork's */
                        p->made++;
                }
        }
        if (a.reuse == SANDBOX_REUSE_YES)
                w->busy--;
        else
                worker_dismiss(w); /* it exits after its answer */
        return 0;
}

void sandbox_pool_stats(const SandboxPool *p, unsigned *ret_made, unsigned *ret_reused) {
        *ret_made = p->made;
        *ret_reused = p->reused;
}

static int nothing(void *userdata) {
        return 0;
}

/* The pool's first worker, asked to answer without a job: it could make its namespace and watch it. */
static bool pool_can_serve(SandboxPool *p) {
        SandboxExit e;
        JobReply a;
        ssize_t n = -1;
        Worker *w;
        int r;

        if (!(w = worker_take(p, SANDBOX_NETNS, &r)))
                return false;
        if (submit(w, JOB_NONE, 0, false) == 0)
                while ((n = recv(w->c.done_fd, &a, sizeof(a), 0)) < 0 && errno == EINTR)
                        ;
        if (n != (ssize_t) sizeof(a) || a.reuse != SANDBOX_REUSE_YES) {
                (void) kill(w->c.pid, SIGKILL);
                worker_end(w, &e);
                p->off = true; /* not worth a try per probe */
                return false;
        }
        return true;
}

int sandbox_detect(SandboxPool *pool, SandboxKind *ret, int *ret_err) {
        static const SandboxKind order[] = { SANDBOX_NETNS, SANDBOX_USERNS };
        int first_err = 0;

        if (pool_can_serve(pool)) {
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
