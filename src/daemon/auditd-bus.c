/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The net.ipsecaudit.Auditor1 interface: every answer comes from the cached report. */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <time.h>

#include "auditd.h"
#include "config.h"
#include "macro.h"
#include "profile.h"
#include "report.h"
#include "shared/bus-util.h"

static const char *cap_str(json_object *cap, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(cap, key, &v) || !json_object_is_type(v, json_type_string))
                return "";
        return json_object_get_string(v);
}

static int append_capability(sd_bus_message *reply, json_object *cap) {
        return sd_bus_message_append(reply, "(sssss)", cap_str(cap, "id"), cap_str(cap, "rfc5406_section"),
                                     cap_str(cap, "verdict"), cap_str(cap, "level"), cap_str(cap, "evidence"));
}

static int reply_capabilities(Context *c, sd_bus_message *m) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_object *caps = cache_capabilities(c);
        int r;

        if ((r = sd_bus_message_new_method_return(m, &reply)) < 0 ||
            (r = sd_bus_message_open_container(reply, 'a', "(sssss)")) < 0)
                return r;
        for (size_t i = 0; caps && i < json_object_array_length(caps); i++)
                if ((r = append_capability(reply, json_object_array_get_idx(caps, i))) < 0)
                        return r;
        if ((r = sd_bus_message_close_container(reply)) < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Capability ids are short: more of a caller's id than this is never repeated back. */
#define CAPABILITY_ID_ECHO 64

/* InvalidArgs naming the id, bounded and escaped: the caller chose its bytes and its length. */
static int unknown_capability(sd_bus_error *error, const char *id) {
        _cleanup_free_ char *shown = NULL;
        int r = strescape(id, CAPABILITY_ID_ECHO, &shown);

        if (r < 0)
                return r;
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown capability '%s'", shown);
}

static int reply_capability(Context *c, sd_bus_message *m) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *id;
        json_object *cap;
        int r;

        /* A call answered late was read once already: read its argument from the start. */
        if ((r = sd_bus_message_rewind(m, true)) < 0 || (r = sd_bus_message_read(m, "s", &id)) < 0)
                return r;
        cap = cache_capability(c, id);
        if (!cap) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                r = unknown_capability(&error, id);
                return r == -ENOMEM ? r : sd_bus_reply_method_error(m, &error);
        }
        if ((r = sd_bus_message_new_method_return(m, &reply)) < 0 || (r = append_capability(reply, cap)) < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/*
 * Only names, never paths: the daemon reads profiles from its own search path,
 * not whatever file a caller names. InvalidArgs for a name it cannot use.
 */
static int load_named_profile(const char *name, Profile **ret, sd_bus_error *error) {
        ProfileError err;
        char line[1024];
        int r;

        if (!profile_name_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid profile name '%s' (letters, digits, '.', '_', '-')", name);
        r = profile_load(name, ret, &err);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown profile '%s'", name);
        if (r == -EINVAL) {
                profile_error_format(&err, line, sizeof(line));
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Malformed profile: %s", line);
        }
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read profile '%s': %m", name);
        return 0;
}

static int reply_check_profile(Context *c, sd_bus_message *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_(json_object_putp) json_object *result = NULL;
        ProfileOutcome outcome;
        const char *name, *text;
        int r;

        if ((r = sd_bus_message_rewind(m, true)) < 0 || (r = sd_bus_message_read(m, "s", &name)) < 0)
                return r;
        /* Read again: the file may have changed while the call waited for the first audit. */
        if (load_named_profile(name, &p, &error) < 0)
                return sd_bus_reply_method_error(m, &error);
        if ((r = profile_evaluate(p, c->report, &outcome, &result)) < 0)
                return r;
        if (!(text = json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)))
                return -ENOMEM;
        return sd_bus_reply_method_return(m, "bs", outcome == PROFILE_SATISFIED, text);
}

/* Answers a call from the cache: directly, or once the audit it waited for has finished. */
int bus_reply_from_cache(Context *c, sd_bus_message *m) {
        const char *member = sd_bus_message_get_member(m);
        int r;

        if (!c->report_text)
                return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_FAILED, "No report: the audit did not complete");
        if (strcmp(member, "GetCapabilities") == 0)
                r = reply_capabilities(c, m);
        else if (strcmp(member, "GetCapability") == 0)
                r = reply_capability(c, m);
        else if (strcmp(member, "CheckProfile") == 0)
                r = reply_check_profile(c, m);
        else
                r = sd_bus_reply_method_return(m, "s", c->report_text);
        if (r < 0)
                return sd_bus_reply_method_errnof(m, r, "Cannot build the reply: %m");
        return r;
}

/* A call that cannot wait longer for the first report: say that it is coming, and since when. */
static int reply_audit_running(Context *c, sd_bus_message *m) {
        uint64_t mono = 0, real = 0, running;
        char since[32];
        struct tm tm;
        time_t t;

        (void) sd_event_now(c->event, CLOCK_MONOTONIC, &mono);
        (void) sd_event_now(c->event, CLOCK_REALTIME, &real);
        running = mono > c->last_start_usec ? mono - c->last_start_usec : 0;
        t = (time_t) ((real - running) / USEC_PER_SEC);
        strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        return sd_bus_reply_method_errorf(m, AUDITD_ERROR_AUDIT_RUNNING,
                                          "The first audit has been running since %s (%llu s); call again when "
                                          "LastRefreshUSec is no longer 0",
                                          since, (unsigned long long) (running / USEC_PER_SEC));
}

/*
 * Not the errno's own D-Bus error: EACCES would say AccessDenied to a caller
 * who may call, when the engine is what cannot be run. The log says which.
 */
int audit_error(sd_bus_error *error, const char *what, int err) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "%s: %s (see the service's log)", what, strerror(-err));
}

/* Refresh callers asked for an audit and wait for it; readers of the cache do not wait longer. */
static int first_reply_timer_fired(sd_event_source *s, uint64_t usec, void *userdata) {
        Context *c = userdata;
        size_t kept = 0;

        if (c->report_text)
                return 0;
        for (size_t i = 0; i < c->pending.n; i++) {
                sd_bus_message *m = c->pending.items[i];

                if (sd_bus_message_is_method_call(m, AUDITD_INTERFACE, "Refresh") > 0) {
                        c->pending.items[kept++] = m;
                        continue;
                }
                (void) reply_audit_running(c, m);
                sd_bus_message_unref(m);
        }
        c->pending.n = kept;
        return 0;
}

/* Before the first report exists, calls wait for the audit that makes it, up to
 * AUDITD_FIRST_REPLY_USEC after its start. */
static int reply_or_wait(Context *c, sd_bus_message *m, sd_bus_error *error) {
        uint64_t deadline, now = 0;
        int r;

        if (c->report_text)
                return bus_reply_from_cache(c, m);
        deadline = c->last_start_usec + AUDITD_FIRST_REPLY_USEC;
        (void) sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (c->worker_pid > 0 && now >= deadline)
                return reply_audit_running(c, m);
        if ((r = call_list_add(&c->pending, m)) < 0)
                return r;
        if ((r = audit_request(c)) < 0) {
                call_list_drop_last(&c->pending);
                return audit_error(error, "Cannot start an audit", r);
        }
        /* Timed from the running audit's start; a call held by the rate limit waits for the audit it starts. */
        if (c->worker_pid > 0 &&
            (r = timer_arm(c, &c->first_reply_timer, c->last_start_usec + AUDITD_FIRST_REPLY_USEC, 0,
                           first_reply_timer_fired)) < 0)
                log_msg(LOG_WARNING, "cannot arm the first-reply timer: %s", strerror(-r));
        return 1;
}

static int method_get_report(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return reply_or_wait(userdata, m, error);
}

static int method_get_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return reply_or_wait(userdata, m, error);
}

static int method_get_capability(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        const char *id;
        int r;

        if ((r = sd_bus_message_read(m, "s", &id)) < 0)
                return r;
        if (c->report_text && !cache_capability(c, id))
                return unknown_capability(error, id);
        return reply_or_wait(c, m, error);
}

/* A bad name is refused at once; a good one is evaluated on the cached report. */
static int method_check_profile(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(profile_freep) Profile *p = NULL;
        const char *name;
        int r;

        if ((r = sd_bus_message_read(m, "s", &name)) < 0 || (r = load_named_profile(name, &p, error)) < 0)
                return r;
        return reply_or_wait(userdata, m, error);
}

/*
 * Only credentials the kernel vouches for: sd_bus_query_sender_privilege() takes
 * the caller's uid from the bus (SO_PEERCRED, in the initial user namespace) and
 * never the augmented, racy values from /proc, which a caller inside its own user
 * namespace (unshare -Ur) controls. dbus-daemon passes no capabilities, so this
 * admits callers with the daemon's own uid: root.
 */
static int check_refresh_allowed(sd_bus_message *m, sd_bus_error *error) {
        int r = sd_bus_query_sender_privilege(m, CAP_NET_ADMIN);

        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the caller's credentials: %m");
        if (r == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "Refresh is for root only; GetReport returns the cached report");
        return 0;
}

static int method_refresh(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        int r;

        if ((r = check_refresh_allowed(m, error)) < 0)
                return r;
        /* An audit already running may have probed past the change this caller wants
         * measured: wait for the next one, shared by everyone who asks meanwhile. */
        if (c->worker_pid > 0)
                return call_list_add(&c->next, m) < 0 ? -ENOMEM : 1;
        if ((r = call_list_add(&c->pending, m)) < 0)
                return r;
        if ((r = audit_request(c)) < 0) {
                call_list_drop_last(&c->pending);
                return audit_error(error, "Cannot start an audit", r);
        }
        return 1;
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_kernel_release(sd_bus *bus, const char *path, const char *interface, const char *property,
                                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", cache_kernel_release(userdata));
}

static int property_get_section4_verdict(sd_bus *bus, const char *path, const char *interface,
                                         const char *property, sd_bus_message *reply, void *userdata,
                                         sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", cache_section4_verdict(userdata));
}

static int property_get_last_refresh(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Context *c = userdata;
        return sd_bus_message_append(reply, "t", c->last_refresh_usec);
}

static int property_get_duration(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Context *c = userdata;
        return sd_bus_message_append(reply, "t", c->audit_duration_usec);
}

static const sd_bus_vtable auditor_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelRelease", "s", property_get_kernel_release, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Section4Verdict", "s", property_get_section4_verdict, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastRefreshUSec", "t", property_get_last_refresh, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AuditDurationUSec", "t", property_get_duration, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),

        SD_BUS_METHOD_WITH_ARGS("GetReport", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", report), method_get_report,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCapabilities", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssss)", capabilities),
                                method_get_capabilities, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCapability", SD_BUS_ARGS("s", id), SD_BUS_RESULT("(sssss)", capability),
                                method_get_capability, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckProfile", SD_BUS_ARGS("s", name), SD_BUS_RESULT("b", satisfied, "s", result_json),
                                method_check_profile, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Refresh", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", report), method_refresh,
                                SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("ReportChanged", SD_BUS_ARGS("s", section4_verdict), 0),
        SD_BUS_VTABLE_END
};

/* After each audit: the properties that changed, and ReportChanged if any verdict did. */
int bus_emit_report_changed(Context *c, bool verdicts_changed) {
        int r;

        if (!c->bus)
                return 0;
        r = sd_bus_emit_properties_changed(c->bus, AUDITD_OBJECT_PATH, AUDITD_INTERFACE, "KernelRelease",
                                           "Section4Verdict", "LastRefreshUSec", "AuditDurationUSec", NULL);
        if (r < 0)
                log_msg(LOG_WARNING, "cannot emit PropertiesChanged: %s", strerror(-r));
        if (!verdicts_changed)
                return r;
        r = sd_bus_emit_signal(c->bus, AUDITD_OBJECT_PATH, AUDITD_INTERFACE, "ReportChanged", "s",
                               cache_section4_verdict(c));
        if (r < 0)
                log_msg(LOG_WARNING, "cannot emit ReportChanged: %s", strerror(-r));
        return r;
}

int bus_setup(Context *c) {
        int r;

        if ((r = bus_open(c->bus_address, "ipsec-auditd", &c->bus)) < 0) {
                log_msg(LOG_ERR, "cannot connect to the %s bus: %s", c->bus_address ?: "system", strerror(-r));
                return r;
        }
        if ((r = sd_bus_add_object_vtable(c->bus, NULL, AUDITD_OBJECT_PATH, AUDITD_INTERFACE, auditor_vtable, c)) < 0) {
                log_msg(LOG_ERR, "cannot add the object: %s", strerror(-r));
                return r;
        }
        if ((r = sd_bus_attach_event(c->bus, c->event, 0)) < 0) {
                log_msg(LOG_ERR, "cannot attach the bus to the event loop: %s", strerror(-r));
                return r;
        }
        if ((r = sd_bus_request_name(c->bus, AUDITD_BUS_NAME, 0)) < 0) {
                log_msg(LOG_ERR, "cannot own %s: %s", AUDITD_BUS_NAME, strerror(-r));
                return r;
        }
        return 0;
}
