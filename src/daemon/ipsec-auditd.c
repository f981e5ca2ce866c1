/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ipsec-auditd: the audit as a D-Bus service (net.ipsecaudit.Auditor1). */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "auditd.h"
#include "shared/cli.h"
#include "config.h"
#include "macro.h"
#include "report.h"

/* Exit codes: documented in --help and ipsec-auditd(8). */
enum {
        EXIT_CLEAN = 0,   /* SIGTERM, SIGINT or idle */
        EXIT_RUNTIME = 1, /* cannot connect, own the name, or run the loop */
        EXIT_USAGE = 2,
};

/*
 * Under systemd, stderr is a journal stream (JOURNAL_STREAM names its device and
 * inode): each line then starts with its syslog priority, "<3>", which the journal
 * parses, and without our name, which the journal records already. Anywhere else,
 * lines carry the name, like any command's diagnostics.
 */
static bool stderr_is_journal(void) {
        static int cached = -1;
        const char *e;
        unsigned long long dev, ino;
        struct stat st;

        if (cached < 0) {
                e = getenv("JOURNAL_STREAM");
                cached = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
                         st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
        }
        return cached;
}

void log_msg(int priority, const char *fmt, ...) {
        va_list ap;

        if (stderr_is_journal())
                fprintf(stderr, "<%d>", priority);
        else
                fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static void help(void) {
        printf("Usage: %s [OPTION]...\n"
               "Serve the IPsec availability audit (RFC 5406) on D-Bus as net.ipsecaudit.Auditor1.\n"
               "Audits at start, when a kernel module is loaded or removed, on SIGHUP, on\n"
               "Refresh() and, if asked, every --interval; answers every other call from the\n"
               "cached report.\n"
               "\n"
               "      --bus=BUS             system (default), session, or a D-Bus address\n"
               "      --state-dir=DIR       keep the cached report in DIR/report.json across\n"
               "                            restarts (default: $STATE_DIRECTORY, else none)\n"
               "      --interval=SECONDS    also audit every SECONDS (default 0: never)\n"
               "      --exit-on-idle=SECONDS  exit after SECONDS without calls or audits\n"
               "                            (for bus activation; default 0: never)\n"
               "      --refresh-limit=SECONDS  start audits at most once per SECONDS\n"
               "                            (default 5; calls in between wait and share one)\n"
               "      --passive             run no active probe (see ipsec-audit --passive)\n"
               "      --keep-modules        leave loaded the kernel modules audits load on\n"
               "                            demand (default: unload those nothing uses)\n"
               "      --timeout=SECONDS     give up on a probe after SECONDS (default 20)\n"
               "  -h, --help                show this help and exit\n"
               "  -V, --version             show the version and exit\n"
               "\n"
               "Exit status:\n"
               "  0  stopped by SIGTERM or SIGINT, or idle\n"
               "  1  could not connect to the bus, own the name, or run the event loop\n"
               "  2  invalid command line\n",
               program_invocation_short_name);
}

/* Returns 1 to go on, 0 to exit successfully (--help), -EINVAL on a usage error. */
static int parse_args(int argc, char **argv, Context *c) {
        enum { ARG_BUS = 0x100, ARG_STATE_DIR, ARG_INTERVAL, ARG_IDLE, ARG_LIMIT, ARG_PASSIVE, ARG_TIMEOUT,
               ARG_KEEP_MODULES };
        static const struct option options[] = {
                { "bus", required_argument, NULL, ARG_BUS },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "interval", required_argument, NULL, ARG_INTERVAL },
                { "exit-on-idle", required_argument, NULL, ARG_IDLE },
                { "refresh-limit", required_argument, NULL, ARG_LIMIT },
                { "passive", no_argument, NULL, ARG_PASSIVE },
                { "keep-modules", no_argument, NULL, ARG_KEEP_MODULES },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        const char *state_dir = NULL;
        unsigned long v;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hV", options, NULL)) >= 0) {
                switch (opt) {
                case ARG_BUS:
                        if (!*optarg)
                                return usage_error("empty --bus");
                        c->bus_address = optarg;
                        break;
                case ARG_STATE_DIR:
                        if (!*optarg)
                                return usage_error("empty --state-dir");
                        state_dir = optarg;
                        break;
                case ARG_INTERVAL:
                        if ((r = parse_seconds("interval", optarg, 0, 31 * 24 * 3600, &v)) < 0)
                                return r;
                        c->interval_usec = v * USEC_PER_SEC;
                        break;
                case ARG_IDLE:
                        if ((r = parse_seconds("exit-on-idle", optarg, 0, 24 * 3600, &v)) < 0)
                                return r;
                        c->idle_usec = v * USEC_PER_SEC;
                        break;
                case ARG_LIMIT:
                        if ((r = parse_seconds("refresh-limit", optarg, 0, 3600, &v)) < 0)
                                return r;
                        c->refresh_limit_usec = v * USEC_PER_SEC;
                        break;
                case ARG_PASSIVE:
                        c->audit_options.passive = true;
                        break;
                case ARG_KEEP_MODULES:
                        c->audit_options.keep_modules = true;
                        break;
                case ARG_TIMEOUT:
                        if ((r = parse_seconds("timeout", optarg, 1, 3600, &v)) < 0)
                                return r;
                        c->audit_options.timeout_s = (unsigned) v;
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("ipsec-auditd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "Try '%s --help' for more information.\n", program_invocation_short_name);
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);

        if (!state_dir)
                state_dir = getenv("STATE_DIRECTORY"); /* systemd's StateDirectory=: colon-separated */
        if (state_dir && *state_dir) {
                c->state_dir = strndup(state_dir, strcspn(state_dir, ":"));
                if (!c->state_dir)
                        return -ENOMEM;
        }
        return 1;
}

static void context_done(Context *c) {
        worker_kill(c);
        call_list_fail(&c->pending, SD_BUS_ERROR_NO_REPLY, "ipsec-auditd is exiting");
        call_list_fail(&c->next, SD_BUS_ERROR_NO_REPLY, "ipsec-auditd is exiting");
        for (size_t i = 0; i < c->n_uevent_modules; i++)
                free(c->uevent_modules[i]);
        sd_event_source_unref(c->limit_timer);
        sd_event_source_unref(c->first_reply_timer);
        sd_event_source_unref(c->interval_timer);
        sd_event_source_unref(c->uevent_source);
        sd_event_source_unref(c->uevent_timer);
        sd_bus_flush_close_unref(c->bus);
        sd_event_unref(c->event);
        free(c->report_text);
        json_object_put(c->report);
        free(c->signature);
        free(c->state_dir);
        module_list_free(&c->modules_at_rest);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        int r = audit_trigger(userdata, "SIGHUP");

        if (r < 0)
                log_msg(LOG_ERR, "cannot start an audit: %s", strerror(-r));
        return 0;
}

/* Releases the name first, so a call that arrives from now on activates a new instance. */
static int exit_on_idle(Context *c) {
        int r;

        log_msg(LOG_INFO, "idle for %llu s, exiting", (unsigned long long) (c->idle_usec / USEC_PER_SEC));
        r = sd_bus_release_name(c->bus, AUDITD_BUS_NAME);
        if (r < 0)
                return r;
        /* Calls already queued for us are still ours to answer. */
        while ((r = sd_bus_process(c->bus, NULL)) > 0)
                ;
        return r < 0 ? r : 0;
}

/*
 * Signals keep their default action (SIGTERM stops us) through everything
 * that may wait on the outside world: the state file, the bus connection
 * and name. They are blocked for sd-event only once the loop is about to run.
 */
static int run(Context *c) {
        sigset_t mask;
        int r;

        if ((r = sd_event_default(&c->event)) < 0) {
                log_msg(LOG_ERR, "cannot set up the event loop: %s", strerror(-r));
                return r;
        }

        r = state_load(c);
        if (r < 0)
                log_msg(LOG_WARNING, "ignoring the state file in %s: %s", c->state_dir, strerror(-r));
        else if (r > 0)
                log_msg(LOG_INFO, "loaded the cached report from %s (Section 4 verdict %s)", c->state_dir,
                        cache_section4_verdict(c));

        r = uevent_setup(c);
        if (r < 0)
                log_msg(LOG_WARNING, "cannot watch kernel module events, audits follow SIGHUP and Refresh only: %s",
                        strerror(-r));

        if ((r = bus_setup(c)) < 0)
                return r;

        /* sd-event (libsystemd 252) needs the signals blocked before it adds them; one sent meanwhile stays pending. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        if ((r = sd_event_add_signal(c->event, NULL, SIGTERM, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(c->event, NULL, SIGINT, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(c->event, NULL, SIGHUP, on_sighup, c)) < 0) {
                log_msg(LOG_ERR, "cannot set up the event loop: %s", strerror(-r));
                return r;
        }

        if ((r = audit_request(c)) < 0) {
                log_msg(LOG_ERR, "cannot start the first audit: %s", strerror(-r));
                return r;
        }
        (void) sd_notify(0, "READY=1\nSTATUS=Auditing");

        for (;;) {
                r = sd_event_get_state(c->event);
                if (r < 0)
                        return r;
                if (r == SD_EVENT_FINISHED)
                        break;
                /* Without --exit-on-idle this sleeps until something happens: no timer at rest. */
                r = sd_event_run(c->event, c->idle_usec ? c->idle_usec : UINT64_MAX);
                if (r < 0) {
                        log_msg(LOG_ERR, "event loop failed: %s", strerror(-r));
                        return r;
                }
                if (r == 0 && c->idle_usec && !context_busy(c))
                        return exit_on_idle(c);
        }
        (void) sd_notify(0, "STOPPING=1");
        return 0;
}

int main(int argc, char **argv) {
        Context c = { .refresh_limit_usec = 5 * USEC_PER_SEC };
        int r;

        /*
         * A caller may send a message of many megabytes (a huge capability id).
         * glibc raises its mmap threshold to the size of every large block
         * freed, after which such buffers come from the heap and their pages
         * stay with us; a fixed threshold keeps them mmapped, returned on free.
         */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);

        r = parse_args(argc, argv, &c);
        if (r <= 0) {
                free(c.state_dir);
                return r < 0 ? EXIT_USAGE : EXIT_CLEAN;
        }
        r = run(&c);
        context_done(&c);
        return r < 0 ? EXIT_RUNTIME : EXIT_CLEAN;
}
