/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ipsec-auditd: the audit as a D-Bus service (net.ipsecaudit.Auditor1). */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
               "Audits run ipsec-audit --json: $IPSEC_AUDIT, else %s.\n"
               "\n"
               "Exit status:\n"
               "  0  stopped by SIGTERM or SIGINT, or idle\n"
               "  1  could not connect to the bus, own the name, or run the event loop\n"
               "  2  invalid command line\n",
               program_invocation_short_name, IPSEC_AUDIT_PATH);
}

enum {
        ARG_BUS = 0x100,
        ARG_STATE_DIR,
        ARG_INTERVAL,
        ARG_IDLE,
        ARG_LIMIT,
        ARG_PASSIVE,
        ARG_TIMEOUT,
        ARG_KEEP_MODULES,
};

/* One option into the context: 1 to go on, 0 to exit successfully (--help, --version), -EINVAL. */
static int apply_option(Context *c, int opt, const char *arg, const char **state_dir) {
        unsigned long v = 0;
        int r;

        switch (opt) {
        case ARG_BUS:
                if (!*arg)
                        return usage_error("empty --bus");
                c->bus_address = arg;
                return 1;
        case ARG_STATE_DIR:
                if (!*arg)
                        return usage_error("empty --state-dir");
                *state_dir = arg;
                return 1;
        case ARG_INTERVAL:
                r = parse_seconds("interval", arg, 0, 31 * 24 * 3600, &v);
                c->interval_usec = v * USEC_PER_SEC;
                return r < 0 ? r : 1;
        case ARG_IDLE:
                r = parse_seconds("exit-on-idle", arg, 0, 24 * 3600, &v);
                c->idle_usec = v * USEC_PER_SEC;
                return r < 0 ? r : 1;
        case ARG_LIMIT:
                r = parse_seconds("refresh-limit", arg, 0, 3600, &v);
                c->refresh_limit_usec = v * USEC_PER_SEC;
                return r < 0 ? r : 1;
        case ARG_TIMEOUT:
                r = parse_seconds("timeout", arg, 1, 3600, &v);
                c->audit_options.timeout_s = (unsigned) v;
                return r < 0 ? r : 1;
        case ARG_PASSIVE:
                c->audit_options.passive = true;
                return 1;
        case ARG_KEEP_MODULES:
                c->audit_options.keep_modules = true;
                return 1;
        default:
                return parse_common_option(opt, "ipsec-auditd", help);
        }
}

/* Returns 1 to go on, 0 to exit successfully (--help), -EINVAL on a usage error. */
static int parse_args(int argc, char **argv, Context *c) {
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
        const char *state_dir = NULL, *engine = getenv("IPSEC_AUDIT");
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hV", options, NULL)) >= 0)
                if ((r = apply_option(c, opt, optarg, &state_dir)) <= 0)
                        return r;
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);

        c->engine = engine && *engine ? engine : IPSEC_AUDIT_PATH;
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
        uevent_done(c);
        sd_event_source_unref(c->limit_timer);
        sd_event_source_unref(c->first_reply_timer);
        sd_event_source_unref(c->interval_timer);
        sd_bus_flush_close_unref(c->bus);
        sd_event_unref(c->event);
        free(c->report_text);
        json_object_put(c->report);
        free(c->signature);
        free(c->state_dir);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        int r = audit_trigger(userdata, "SIGHUP");

        if (r < 0)
                log_msg(LOG_ERR, "cannot start an audit: %s", strerror(-r));
        return 0;
}

/*
 * As systemd's bus_event_loop_with_idle(): STOPPING=1 first, so the service
 * manager queues the activation a new call asks for instead of taking it as
 * answered by us; then the name goes, so such a call starts a new instance.
 */
static int exit_on_idle(Context *c) {
        int r;

        log_msg(LOG_INFO, "idle for %llu s, exiting", (unsigned long long) (c->idle_usec / USEC_PER_SEC));
        (void) sd_notify(0, "STOPPING=1");
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
static int setup(Context *c) {
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
        return 0;
}

static int event_loop_with_idle(Context *c) {
        int r;

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

/* A negative errno when the service fails, else the exit status (0, or EXIT_USAGE). */
static int run(int argc, char **argv) {
        _cleanup_(context_done) Context c = { .refresh_limit_usec = 5 * USEC_PER_SEC };
        int r;

        r = parse_args(argc, argv, &c);
        if (r < 0)
                return r == -EINVAL ? EXIT_USAGE : r;
        if (r == 0)
                return EXIT_CLEAN;
        if ((r = setup(&c)) < 0)
                return r;
        /* Without an audit the daemon still serves the cached report, and tells callers why there is none. */
        if ((r = audit_request(&c)) < 0)
                log_msg(LOG_ERR, "cannot start the first audit: %s", strerror(-r));
        (void) sd_notify(0, "READY=1\nSTATUS=Auditing");
        return event_loop_with_idle(&c);
}

int main(int argc, char **argv) {
        int r;

        /*
         * A caller may send a message of many megabytes (a huge capability id).
         * glibc raises its mmap threshold to the size of every large block
         * freed, after which such buffers come from the heap and their pages
         * stay with us; a fixed threshold keeps them mmapped, returned on free.
         */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);

        r = run(argc, argv);
        return r < 0 ? EXIT_RUNTIME : r;
}
