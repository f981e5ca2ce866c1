/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Where a probe runs. Active probes only ever run in a forked child, in a
 * network namespace no other probe uses while they run: XFRM state belongs to
 * the namespace, so the host's SPD and SAD cannot be touched. What a probe
 * made is flushed and checked before another probe may run there
 * (SandboxPool), or the namespace dies with its process.
 */
typedef enum SandboxKind {
        SANDBOX_HOST,   /* the host's namespace: read-only probes only */
        SANDBOX_NETNS,  /* unshare(CLONE_NEWNET) */
        SANDBOX_USERNS, /* unshare(CLONE_NEWUSER|CLONE_NEWNET), for unprivileged users */
        _SANDBOX_KIND_MAX,
} SandboxKind;

const char *sandbox_kind_to_string(SandboxKind k);

/* What a pool's worker said of its namespace after a job. */
typedef enum SandboxReuse {
        SANDBOX_REUSE_NO,    /* something is left, or the worker could not say: a new worker next time */
        SANDBOX_REUSE_YES,   /* flushed and verified as it was made */
        SANDBOX_REUSE_NEVER, /* the namespace's state cannot be checked here: no pooling at all */
} SandboxReuse;

typedef struct SandboxExit {
        int enter_err; /* positive errno: the child could not enter the sandbox */
        int err;       /* positive errno: fn failed */
        int signal;    /* the child was killed (SIGALRM: timed out) */
        SandboxReuse reuse;
        bool unrun;    /* a queued job whose worker ended before it: give it to another */
} SandboxExit;

typedef int (*SandboxFn)(void *userdata);

/*
 * A started child: done_fd reads end-of-file once it has exited. From
 * sandbox_pool_start() it is a pool's worker, and done_fd (the pool's) becomes
 * readable when the job is done.
 */
typedef struct SandboxChild {
        pid_t pid;
        int done_fd;
        int slot;     /* its worker's place in a SandboxPool, or -1 (and once waited for) */
        unsigned job; /* in a SandboxPool */
} SandboxChild;

/*
 * Forks a child that enters the sandbox and runs fn with a timeout; several
 * may run at once, each in its own namespace, made for it. Returns a negative errno only if
 * the child could not be started.
 */
int sandbox_start(SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata, SandboxChild *ret);

/* Reaps a started child (waiting for it if need be) and closes done_fd: 0 or -errno. */
int sandbox_wait(SandboxChild *c, SandboxExit *ret);

/* sandbox_start() then sandbox_wait(). */
int sandbox_run(SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata, SandboxExit *ret);

/*
 * Workers: children that each live in a network namespace of their own and
 * run jobs there one after another, so that an audit pays for neither a
 * namespace nor a process per probe. Isolation is kept. A worker runs one job
 * at a time; after it, the worker flushes the namespace's SAD and SPD and
 * checks that nothing else differs from when it was made (netns-scrub.c),
 * closes every descriptor but its own and puts every signal back to its
 * default. A worker is not given another job when the namespace is not
 * verified so (a link or address left, a socket policy not yet freed), when
 * the job left it in another namespace, failed, crashed or timed out: it
 * exits, and the next job gets a new worker; one queued behind the job
 * (sandbox_pool_queue()) never ran there, and comes back unrun. A worker that
 * ends is not waited for: it is reaped when its slot is needed or the pool is
 * freed. A job shares nothing with the jobs before it but the process's
 * memory, which fn must leave as it found it (the probes keep no state of
 * their own).
 */
typedef struct SandboxPool SandboxPool;

/* A job, run in a worker: ctx, and what it points to, as they were when the worker was started. */
typedef int (*SandboxJobFn)(void *ctx, unsigned job);

int sandbox_pool_new(SandboxJobFn fn, void *ctx, SandboxPool **ret);
/* Ends the workers (SIGKILL) and reaps them. */
void sandbox_pool_free(SandboxPool *p);
/*
 * Tells the idle workers to exit, without waiting: for when no job is left to
 * give them. sandbox_pool_free() reaps them; sandbox_pool_start() makes new ones.
 */
void sandbox_pool_dismiss_idle(SandboxPool *p);
static inline void sandbox_pool_freep(SandboxPool **p) {
        if (*p)
                sandbox_pool_free(*p);
}

/*
 * Gives job to an idle worker of its kind, or to a new one. SANDBOX_HOST
 * workers run only read-only jobs: their namespace, the host's, is not
 * flushed, only the process is reset. A SANDBOX_USERNS job, and every
 * SANDBOX_NETNS job when the pool cannot check a namespace, gets a worker of
 * its own that exits after it (as sandbox_start()). fn runs under timeout_s.
 */
int sandbox_pool_start(SandboxPool *p, SandboxKind kind, unsigned timeout_s, unsigned job, SandboxChild *ret);

/*
 * Queues job behind the one a worker runs (behind), so that the worker goes on
 * without waiting for us; -EBUSY if that worker will not run another (it keeps
 * no namespace, already has one queued, or is ending). Its end is waited for
 * after behind's; if behind's worker ends with behind, it says unrun.
 */
int sandbox_pool_queue(SandboxPool *p, const SandboxChild *behind, unsigned timeout_s, unsigned job,
                       SandboxChild *ret);

/*
 * sandbox_pool_queue() behind a job in the host's namespace, after which that
 * worker leaves it for a network namespace of its own and is the pool's idle
 * SANDBOX_NETNS worker from then on: a worker made while other jobs run rather
 * than when one waits for it. job's answer comes once the worker is there
 * (SANDBOX_REUSE_YES), or it could not get there and exits (anything else).
 * Nothing is queued behind job.
 */
int sandbox_pool_queue_then_enter(SandboxPool *p, const SandboxChild *behind, unsigned timeout_s, unsigned job,
                                  SandboxChild *ret);

/*
 * Waits for the job's end: fn's error, or how its worker died (which reaps it), or
 * unrun. A worker's jobs are waited for in the order they were given; a job waited
 * for before the one ahead of it gets -EPROTO, and ends its worker.
 */
int sandbox_pool_wait(SandboxPool *p, SandboxChild *c, SandboxExit *ret);

/* How many workers with a namespace to keep the pool made, and how many jobs ran in one already used. */
void sandbox_pool_stats(const SandboxPool *p, unsigned *ret_made, unsigned *ret_reused);

/*
 * The strongest private sandbox this process can create; SANDBOX_HOST and the
 * reason if none. The network namespace it makes is the pool's first worker.
 */
int sandbox_detect(SandboxPool *pool, SandboxKind *ret, int *ret_err);
