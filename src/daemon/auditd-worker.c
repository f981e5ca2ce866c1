/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Audits run in a forked worker so the event loop keeps answering while the
 * probes run: the worker calls the same audit_run() and report_json() as the
 * CLI and writes the JSON text into a pipe; the loop reads it, replaces the
 * cache and answers every call that waited for it. One worker at a time:
 * concurrent Refresh calls share it, and starts are rate-limited.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auditd.h"
#include "macro.h"
#include "probe-table.h"
#include "report.h"

static uint64_t now_usec(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static int write_all(int fd, const char *p, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

/* In the child: never returns. Exit 0 with the report on fd, 1 without. */
static void __attribute__((noreturn)) worker_main(const AuditOptions *o, int fd) {
        _cleanup_(audit_freep) Audit *a = NULL;
        _cleanup_(json_object_putp) json_object *root = NULL;
        const char *s;
        sigset_t none;

        /* The loop's blocked signals (its signalfd) must not be inherited by the probes. */
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);

        if (audit_run(o, probe_table, &a) < 0 || report_json(a, &root) < 0)
                _exit(EXIT_FAILURE);
        s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || write_all(fd, s, strlen(s)) < 0 || write_all(fd, "\n", 1) < 0)
                _exit(EXIT_FAILURE);
        _exit(EXIT_SUCCESS);
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
                if (err < 0)
                        (void) sd_bus_reply_method_errnof(list[i], err, "Audit failed: %m");
                else
                        (void) bus_reply_from_cache(c, list[i]);
                sd_bus_message_unref(list[i]);
        }
        free(list);
}

bool context_busy(const Context *c) {
        return c->worker_pid > 0 || c->pending.n > 0 || c->next.n > 0;
}

static int worker_finish(Context *c, int status) {
        bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
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
                log_msg(LOG_ERR, "audit failed (worker status %d): %s", status, strerror(-r));
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
                return audit_request(c);
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

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                close(fds[0]);
                c->audit_options.removed = c->modules_removed.n > 0 ? &c->modules_removed : NULL;
                worker_main(&c->audit_options, fds[1]);
        }
        close(fds[1]);
        (void) fcntl(fds[0], F_SETFL, O_NONBLOCK);

        r = sd_event_add_io(c->event, &c->worker_source, fds[0], EPOLLIN, worker_io, c);
        if (r < 0) {
                close(fds[0]);
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(c->worker_source, 1);
        c->worker_pid = pid;
        c->last_start_usec = now_usec(CLOCK_MONOTONIC);
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
