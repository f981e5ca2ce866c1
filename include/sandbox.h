/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Where a probe runs. Active probes only ever run in a forked child, in a
 * network namespace of their own while they run: XFRM state belongs to the
 * namespace, so the host's SPD and SAD cannot be touched. What the probe made
 * is flushed before another probe may use the namespace (SandboxPool), or the
 * namespace dies with the child.
 */
typedef enum SandboxKind {
        SANDBOX_HOST,   /* the host's namespace: read-only probes only */
        SANDBOX_NETNS,  /* unshare(CLONE_NEWNET) */
        SANDBOX_USERNS, /* unshare(CLONE_NEWUSER|CLONE_NEWNET), for unprivileged users */
        _SANDBOX_KIND_MAX,
} SandboxKind;

const char *sandbox_kind_to_string(SandboxKind k);

/* What a child in a pooled namespace said of it as it exited. */
typedef enum SandboxReuse {
        SANDBOX_REUSE_NO,    /* something is left, or the child could not say: a new namespace next time */
        SANDBOX_REUSE_YES,   /* flushed and verified as it was made */
        SANDBOX_REUSE_NEVER, /* the namespace's state cannot be checked here: no pooling at all */
} SandboxReuse;

typedef struct SandboxExit {
        int enter_err; /* positive errno: the child could not enter the sandbox */
        int err;       /* positive errno: fn failed */
        int signal;    /* the child was killed (SIGALRM: timed out) */
        SandboxReuse reuse;
} SandboxExit;

typedef int (*SandboxFn)(void *userdata);

/* A started child: done_fd (a pipe's read end) reads end-of-file once it has exited. */
typedef struct SandboxChild {
        pid_t pid;
        int done_fd;
        int slot; /* its namespace's place in a SandboxPool, or -1 */
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
 * Network namespaces made once and reused, so that an audit does not pay for a
 * new namespace (and its teardown) per probe. Isolation is kept: every probe still runs in its own process, one
 * probe at a time per namespace, and after it the child flushes the
 * namespace's SAD and SPD and checks that nothing else differs from when it
 * was made (netns-scrub.c). A namespace that is not verified so (a crash, a
 * timeout, a link or address left, a socket policy not yet freed) is closed
 * and the next probe gets a new one.
 */
typedef struct SandboxPool SandboxPool;

int sandbox_pool_new(SandboxPool **ret);
void sandbox_pool_free(SandboxPool *p);
static inline void sandbox_pool_freep(SandboxPool **p) {
        if (*p)
                sandbox_pool_free(*p);
}

/*
 * As sandbox_start(); a SANDBOX_NETNS child runs in one of the pool's
 * namespaces, verified as new, or in a new one of its own when the pool
 * cannot serve it. Other kinds are started as sandbox_start() does.
 */
int sandbox_pool_start(SandboxPool *p, SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata,
                       SandboxChild *ret);

/* As sandbox_wait(), then the child's namespace back into the pool, or closed. */
int sandbox_pool_wait(SandboxPool *p, SandboxChild *c, SandboxExit *ret);

/* How many namespaces the pool made, and how many probes it served from one already used. */
void sandbox_pool_stats(const SandboxPool *p, unsigned *ret_made, unsigned *ret_reused);

/*
 * The strongest private sandbox this process can create; SANDBOX_HOST and the
 * reason if none. A network namespace it makes is kept as pool's first.
 */
int sandbox_detect(SandboxPool *pool, SandboxKind *ret, int *ret_err);
