/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/*
 * Where a probe runs. Active probes only ever run in a forked child that has
 * its own network namespace: XFRM state belongs to the namespace, so the
 * host's SPD and SAD cannot be touched, and everything the probe made dies
 * with the child, even if it crashes.
 */
typedef enum SandboxKind {
        SANDBOX_HOST,   /* the host's namespace: read-only probes only */
        SANDBOX_NETNS,  /* unshare(CLONE_NEWNET) */
        SANDBOX_USERNS, /* unshare(CLONE_NEWUSER|CLONE_NEWNET), for unprivileged users */
        _SANDBOX_KIND_MAX,
} SandboxKind;

const char *sandbox_kind_to_string(SandboxKind k);

typedef struct SandboxExit {
        int enter_err; /* positive errno: the child could not enter the sandbox */
        int err;       /* positive errno: fn failed */
        int signal;    /* the child was killed (SIGALRM: timed out) */
} SandboxExit;

typedef int (*SandboxFn)(void *userdata);

/* A started child: done_fd (a pipe's read end) reads end-of-file once it has exited. */
typedef struct SandboxChild {
        pid_t pid;
        int done_fd;
} SandboxChild;

/*
 * Forks a child that enters the sandbox and runs fn with a timeout; several
 * may run at once, each in its own namespace. Returns a negative errno only if
 * the child could not be started.
 */
int sandbox_start(SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata, SandboxChild *ret);

/* Reaps a started child (waiting for it if need be) and closes done_fd: 0 or -errno. */
int sandbox_wait(SandboxChild *c, SandboxExit *ret);

/* sandbox_start() then sandbox_wait(). */
int sandbox_run(SandboxKind kind, unsigned timeout_s, SandboxFn fn, void *userdata, SandboxExit *ret);

/* The strongest private sandbox this process can create; SANDBOX_HOST and the reason if none. */
int sandbox_detect(SandboxKind *ret, int *ret_err);
