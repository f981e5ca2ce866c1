/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Audits run in another program, ipsec-audit --json, so the event loop keeps
 * answering while the probes run and the daemon's own image holds neither the
 * probes nor the netlink libraries: at rest it costs only the bus and the
 * cache. The loop reads the report from a pipe, replaces the cache and
 * answers every call that waited for it. One worker at a time: concurrent
 * Refresh calls share it, and starts are rate-limited.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auditd.h"
#include "macro.h"
#include "shared/cli.h"
#include "string-util.h"
#include "time-util.h"

/* The engine's path for a log line, bounded and escaped: it comes from the environment. NULL on ENOMEM. */
static char *engine_shown(const Context *c) {
        char *s = NULL;

        (void) strescape(c->engine, 256, &s);
        return s;
}

/* Whether the engine's exit status comes with a report. */
static bool engine_reported(int status) {
        return WIFEXITED(status) &&
               (WEXITSTATUS(status) == AUDIT_EXIT_COMPLETE || WEXITSTATUS(status) == AUDIT_EXIT_INCOMPLETE);
}

/* Why a worker gave no report, in the words of ipsec-audit(8)'s EXIT STATUS. */
static void log_worker_failure(const Context *c, int status) {
        char what[64];

        if (WIFSIGNALED(status))
                snprintf(what, sizeof(what), "was killed by signal %d (SIG%s)", WTERMSIG(status),
                         sigabbrev_np(WTERMSIG(status)) ?: "?");
        else if (!WIFEXITED(status))
                snprintf(what, sizeof(what), "ended with wait status %d", status);
        else if (engine_reported(status))
                snprintf(what, sizeof(what), "exited %d but wrote no valid report", WEXITSTATUS(status));
        else
                snprintf(what, sizeof(what), "exited %d (%s)", WEXITSTATUS(status),
                         WEXITSTATUS(status) == AUDIT_EXIT_FAILURE_RUN ? "the audit could not run"
                         : WEXITSTATUS(status) == AUDIT_EXIT_USAGE     ? "it refused our command line: another version?"
                         : WEXITSTATUS(status) == AUDIT_EXIT_OUTPUT    ? "it could not write the report"
                                                                       : "see ipsec-audit(8)");
        _cleanup_free_ char *engine = engine_shown(c);
        log_msg(LOG_ERR, "audit failed: %s %s", engine ?: "ipsec-audit", what);
}

/*
 * The daemon's options as ipsec-audit's, and the modules others removed while
 * the last audit ran (uevent-judge.c) as --absent-module: NULL-terminated,
 * pointing into c and timeout.
 */
static int engine_argv(const Context *c, char timeout[static 32], char ***ret) {
        const AuditOptions *o = &c->audit_options;
        char **argv = calloc(5 + 2 * c->modules_removed.n + 1, sizeof(char *));
        size_t n = 0;

        if (!argv)
                return -ENOMEM;
        argv[n++] = (char *) c->engine;
        argv[n++] = (char *) "--json";
        if (o->passive)
                argv[n++] = (char *) "--passive";
        if (o->keep_modules)
                argv[n++] = (char *) "--keep-modules";
        if (o->timeout_s) {
                snprintf(timeout, 32, "--timeout=%u", o->timeout_s);
                argv[n++] = timeout;
        }
        for (size_t i = 0; i < c->modules_removed.n; i++) {
                argv[n++] = (char *) "--absent-module";
                argv[n++] = c->modules_removed.names[i];
        }
        *ret = argv;
        return 0;
}

/*
 * The engine gets the pipe as its standard output and nothing else of ours:
 * not the bus, the uevent socket or the state directory. Its standard error
 * goes nowhere (its exit status says what failed): the journal takes our lines
 * only, each with its priority. posix_spawn reports a missing or unrunnable
 * engine to us directly, as an errno.
 */
static int engine_spawn(const Context *c, int out, pid_t *ret_pid) {
        _cleanup_free_ char **argv = NULL;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        char timeout[32];
        sigset_t none;
        int r;

        if ((r = engine_argv(c, timeout, &argv)) < 0)
                return r;
        /* The loop's blocked signals (its signalfd) must not be inherited by the probes. */
        sigemptyset(&none);
        if ((r = posix_spawnattr_init(&attr)) != 0)
                return -r;
        if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
                posix_spawnattr_destroy(&attr);
                return -r;
        }
        r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
        if (r == 0)
                r = posix_spawnattr_setsigmask(&attr, &none);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
        if (r == 0)
                r = posix_spawn(ret_pid, c->engine, &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        return -r;
}

int call_list_add(CallList *l, sd_bus_message *m) {
        if (l->n == l->size) {
                size_t n = l->size ? l->size * 2 : 8;
                sd_bus_message **p = realloc(l->items, n * sizeof(*p));
                if (!p)
                        return -ENOMEM;
                l->items = p;
                l->size = n;
        }
        l->items[l->n++] = sd_bus_message_ref(m);
        return 0;
}

/* Undoes the last call_list_add(), when the call is answered with an error after all. */
void call_list_drop_last(CallList *l) {
        if (l->n > 0)
                sd_bus_message_unref(l->items[--l->n]);
}

void call_list_fail(CallList *l, const char *error_name, const char *message) {
        for (size_t i = 0; i < l->n; i++) {
                (void) sd_bus_reply_method_errorf(l->items[i], error_name, "%s", message);
                sd_bus_message_unref(l->items[i]);
        }
        free(l->items);
        *l = (CallList) {};
}

static void pending_answer(Context *c, int err) {
        /* Take the list first: answering must not see calls queued meanwhile. */
        CallList l = c->pending;
        sd_bus_message **list = l.items;
        size_t n = l.n;

        c->pending = (CallList) {};
        /* When audits fail, calls waiting for the next one would wait for nothing. */
        if (err < 0)
                call_list_fail(&c->next, SD_BUS_ERROR_FAILED, "Audit failed");
        for (size_t i = 0; i < n; i++) {
                /* A caller that has gone away makes the send fail or vanish: nothing to undo. */
                if (err < 0) {
                        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

                        (void) audit_error(&e, "Audit failed", err);
                        (void) sd_bus_reply_method_error(list[i], &e);
                } else
                        (void) bus_reply_from_cache(c, list[i]);
                sd_bus_message_unref(list[i]);
        }
        free(list);
}

bool context_busy(const Context *c) {
        return c->worker_pid > 0 || c->pending.n > 0 || c->next.n > 0;
}

static int worker_finish(Context *c, int status) {
        bool ok = engine_reported(status);
        bool changed = false;
        uint64_t started = c->last_start_usec;
        int r = 0;

        c->worker_source = sd_event_source_unref(c->worker_source);
        c->worker_pid = 0;

        if (!ok || c->worker_len == 0)
                r = -EIO;
        else {
                c->worker_buf[c->worker_len] = '\0';
                r = cache_set(c, c->worker_buf, &changed);
        }
        free(c->worker_buf);
        c->worker_buf = NULL;
        c->worker_len = c->worker_size = 0;

        if (r < 0) {
                log_worker_failure(c, status);
                pending_answer(c, r);
        } else {
                c->n_audits++;
                c->last_refresh_usec = now_usec(CLOCK_REALTIME);
                c->audit_duration_usec = now_usec(CLOCK_MONOTONIC) - started;
                log_msg(LOG_INFO, "audit %u done in %llu ms: Section 4 verdict %s%s", c->n_audits,
                        (unsigned long long) (c->audit_duration_usec / USEC_PER_MSEC), cache_section4_verdict(c),
                        changed ? " (verdicts changed)" : "");
                r = state_save(c);
                if (r < 0)
                        log_msg(LOG_WARNING, "cannot write the state file in %s: %s", c->state_dir, strerror(-r));
                (void) bus_emit_report_changed(c, changed);
                pending_answer(c, 0);
                /* Answered: no wakeup at the first-reply deadline. */
                if (c->first_reply_timer)
                        (void) sd_event_source_set_enabled(c->first_reply_timer, SD_EVENT_OFF);
        }

        if (uevent_audit_ended(c)) {
                log_msg(LOG_INFO, "re-auditing: kernel modules changed while audit %u ran", c->n_audits);
                c->audit_wanted = true;
        }

        /* Refresh calls that came in during this audit are answered by the next one. */
        if (c->next.n > 0) {
                c->pending = c->next;
                c->next = (CallList) {};
                c->audit_wanted = true;
        }
        (void) interval_arm(c);
        if (c->audit_wanted) {
                c->audit_wanted = false;
                r = audit_request(c);
                if (r < 0) {
                        log_msg(LOG_ERR, "cannot start an audit: %s", strerror(-r));
                        pending_answer(c, r);
                }
        }
        return 0;
}

static int worker_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Context *c = userdata;

        for (;;) {
                ssize_t n;

                if (c->worker_size - c->worker_len < 4096) {
                        size_t size = c->worker_size ? c->worker_size * 2 : 65536;
                        char *p = realloc(c->worker_buf, size + 1);
                        if (!p) {
                                worker_kill(c);
                                pending_answer(c, -ENOMEM);
                                return 0;
                        }
                        c->worker_buf = p;
                        c->worker_size = size;
                }
                n = read(fd, c->worker_buf + c->worker_len, c->worker_size - c->worker_len);
                if (n > 0) {
                        c->worker_len += (size_t) n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                break; /* EOF or error: the worker is done */
        }

        int status = 0;
        while (waitpid(c->worker_pid, &status, 0) < 0 && errno == EINTR)
                ;
        return worker_finish(c, status);
}

static int worker_start(Context *c) {
        int fds[2], r;
        pid_t pid;

        /* A failed start counts for the rate limit too: callers cannot make us retry (and log) at will. */
        c->last_start_usec = now_usec(CLOCK_MONOTONIC);
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        _cleanup_close_ int in = fds[0], out = fds[1];

        r = engine_spawn(c, out, &pid);
        if (r < 0) {
                _cleanup_free_ char *engine = engine_shown(c);
                log_msg(LOG_ERR, "cannot run the audit engine %s: %s", engine ?: "ipsec-audit", strerror(-r));
                return r;
        }
        (void) fcntl(in, F_SETFL, O_NONBLOCK);

        r = sd_event_add_io(c->event, &c->worker_source, in, EPOLLIN, worker_io, c);
        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(c->worker_source, 1);
        TAKE_FD(in);
        c->worker_pid = pid;
        return 0;
}

/* Arms a one-shot CLOCK_MONOTONIC timer at usec, creating it on first use. */
int timer_arm(Context *c, sd_event_source **s, uint64_t usec, uint64_t accuracy, sd_event_time_handler_t handler) {
        int r;

        if (!*s)
                return sd_event_add_time(c->event, s, CLOCK_MONOTONIC, usec, accuracy, handler, c);
        if ((r = sd_event_source_set_time(*s, usec)) < 0)
                return r;
        return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
}

static int limit_timer_fired(sd_event_source *s, uint64_t usec, void *userdata) {
        Context *c = userdata;
        int r = audit_request(c);

        if (r < 0) {
                log_msg(LOG_ERR, "cannot start an audit: %s", strerror(-r));
                pending_answer(c, r);
        }
        return 0;
}

/* Starts an audit now, or when the rate limit allows; a running audit already answers. */
int audit_request(Context *c) {
        uint64_t now = now_usec(CLOCK_MONOTONIC), next;
        int r;

        if (c->worker_pid > 0)
                return 0;
        next = c->last_start_usec ? c->last_start_usec + c->refresh_limit_usec : 0;
        if (next > now) {
                r = timer_arm(c, &c->limit_timer, next, 0, limit_timer_fired);
                return r < 0 ? r : 0;
        }
        if (c->limit_timer)
                (void) sd_event_source_set_enabled(c->limit_timer, SD_EVENT_OFF);
        return worker_start(c);
}

/* A change in the kernel (or SIGHUP, or the interval): audit again, after the running one if any. */
int audit_trigger(Context *c, const char *why) {
        log_msg(LOG_INFO, "re-auditing: %s", why);
        if (c->worker_pid > 0) {
                c->audit_wanted = true;
                return 0;
        }
        return audit_request(c);
}

void worker_kill(Context *c) {
        if (c->worker_pid > 0) {
                (void) kill(c->worker_pid, SIGKILL);
                (void) waitpid(c->worker_pid, NULL, 0);
                c->worker_pid = 0;
        }
        c->worker_source = sd_event_source_unref(c->worker_source);
        free(c->worker_buf);
        c->worker_buf = NULL;
        c->worker_len = c->worker_size = 0;
}

static int interval_fired(sd_event_source *s, uint64_t usec, void *userdata) {
        Context *c = userdata;
        int r = audit_trigger(c, "interval elapsed");

        if (r < 0)
                log_msg(LOG_ERR, "cannot start an audit: %s", strerror(-r));
        return 0;
}

/* The next periodic audit, counted from the end of the last one. No interval: no timer at all. */
int interval_arm(Context *c) {
        if (c->interval_usec == 0)
                return 0;
        return timer_arm(c, &c->interval_timer, now_usec(CLOCK_MONOTONIC) + c->interval_usec, USEC_PER_SEC,
                         interval_fired);
}
