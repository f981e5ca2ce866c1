/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ipsec-auditd: one context owns the event loop, the bus, the cache and the worker. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "audit.h"
#include "auditd-log.h"
#include "time-util.h"

#define AUDITD_BUS_NAME "net.ipsecaudit.Auditor1"
#define AUDITD_OBJECT_PATH "/net/ipsecaudit/Auditor1"
#define AUDITD_INTERFACE "net.ipsecaudit.Auditor1"
#define AUDITD_STATE_FILE "report.json"
/* A report is about 25 kB; a state file larger than this is not one we wrote. */
#define AUDITD_STATE_MAX (1024 * 1024)
#define AUDITD_PROC_MODULES "/proc/modules"


/* Module uevents are debounced: a burst of loads (modprobe of a chain) is one audit. */
#define AUDITD_UEVENT_DEBOUNCE_USEC (2 * USEC_PER_SEC)
/* An audit loads and unloads about 65 modules: 130 events. More than this many in one
 * audit count as lost (an audit follows, to be safe). */
#define AUDITD_UEVENT_MAX_PENDING 4096

/* Calls that wait for the first report get an answer within this time of the audit's
 * start, under the 25 s default timeout of sd-bus and GDBus clients, with room for the
 * bus activation before it (6 s under qemu TCG): a first audit there takes longer. */
#define AUDITD_FIRST_REPLY_USEC (15 * USEC_PER_SEC)
#define AUDITD_ERROR_AUDIT_RUNNING "net.ipsecaudit.Auditor1.Error.AuditRunning"

typedef struct CallList {
        sd_bus_message **items;
        size_t n, size;
} CallList;

typedef struct ModuleEvent {
        char *module;
        bool removed; /* else added */
} ModuleEvent;

typedef struct Context {
        sd_event *event;
        sd_bus *bus;

        /* Options. */
        const char *bus_address; /* NULL: the system bus; "session"; or an address */
        const char *engine;      /* the ipsec-audit program that runs the audits */
        AuditOptions audit_options;
        uint64_t interval_usec;      /* 0: no periodic audit */
        uint64_t idle_usec;          /* 0: never exit on idle */
        uint64_t refresh_limit_usec; /* minimum time between the starts of two audits */
        char *state_dir;             /* NULL: no state file */

        /* The cache: the last report, as text (GetReport) and as a tree (everything else). */
        char *report_text;
        json_object *report;
        char *signature;              /* verdicts, for ReportChanged */
        uint64_t last_refresh_usec;   /* CLOCK_REALTIME */
        uint64_t audit_duration_usec;

        /* The worker: the engine's process, its JSON report coming back on a pipe. */
        pid_t worker_pid;
        sd_event_source *worker_source;
        char *worker_buf;
        size_t worker_len, worker_size;
        uint64_t last_start_usec; /* CLOCK_MONOTONIC; 0: never */
        unsigned n_audits;
        bool audit_wanted;        /* a trigger arrived while the worker ran */

        /* Method calls waiting for the running (or rate-limited next) audit... */
        CallList pending;
        /* ...and Refresh calls that arrived while an audit ran: the probes may have
         * passed the change the caller wants measured, so the next audit answers. */
        CallList next;

        sd_event_source *limit_timer;
        sd_event_source *first_reply_timer;
        sd_event_source *interval_timer;

        /* Kernel module uevents. */
        sd_event_source *uevent_source;
        sd_event_source *uevent_timer;
        ModuleEvent *uevent_events; /* seen while the worker ran */
        size_t n_uevent_events, size_uevent_events;
        bool uevent_overflow;
        /* /proc/modules as the last audit left it (or as it was at start): module events
         * that end in the same set, or in it plus what the audit reports it left loaded,
         * are no news. */
        ModuleList modules_at_rest;
        bool modules_at_rest_known;
        /* Removed by someone else while the last audit ran, and loaded again since (its
         * trials counted them as present): the next audit unloads them. */
        ModuleList modules_removed;
} Context;

/* auditd-state.c: the cache and the state file. */
int cache_set(Context *c, const char *text, bool *ret_changed);
int state_load(Context *c);
int state_save(const Context *c);
const char *cache_section4_verdict(const Context *c);
const char *cache_kernel_release(const Context *c);
json_object *cache_capabilities(const Context *c);
json_object *cache_capability(const Context *c, const char *id);
/* Whether the report's module list named list ("modules_loaded_by_audit", "modules_left_loaded") has module. */
bool cache_report_lists_module(const Context *c, const char *list, const char *module);

/* auditd-worker.c: running audits. */
int audit_request(Context *c);
int audit_trigger(Context *c, const char *why);
void worker_kill(Context *c);
int call_list_add(CallList *l, sd_bus_message *m);
void call_list_drop_last(CallList *l);
void call_list_fail(CallList *l, const char *error_name, const char *message);
bool context_busy(const Context *c);
int interval_arm(Context *c);
int timer_arm(Context *c, sd_event_source **s, uint64_t usec, uint64_t accuracy, sd_event_time_handler_t handler);

/* auditd-bus.c: the D-Bus interface. */
int bus_setup(Context *c);
int bus_reply_from_cache(Context *c, sd_bus_message *m);
int bus_emit_report_changed(Context *c, bool verdicts_changed);
/* A call's error when no audit could start or run: SD_BUS_ERROR_FAILED, "WHAT: errno text". */
int audit_error(sd_bus_error *error, const char *what, int err);

/* auditd-uevent.c: module load and removal. */
int uevent_setup(Context *c);
/* After an audit (its report cached if it succeeded): sorts the module events it saw into
 * its own and others'; true when another audit is due. */
bool uevent_audit_ended(Context *c);
void uevent_done(Context *c);

/* uevent-judge.c: after an audit whose report is cached, with the module events it saw
 * and /proc/modules before and after it (NULL: unknown), whether another audit is due,
 * and which modules others removed meanwhile and are loaded now (sorted: for the next
 * audit to count as absent). */
int audit_events_judge(const Context *c, const ModuleList *before, const ModuleList *now, bool *ret_again,
                       ModuleList *ret_removed);
/* The module a kernel uevent announces as added or removed ("add@/module/esp4"), else NULL. */
const char *uevent_module(const char *buf, size_t len, const char **ret_action);
