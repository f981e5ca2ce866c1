/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The report in the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector. Verdicts and levels are state sets: one
 * series per possible value, 1 for the one reached and 0 for the others, so a
 * change of verdict is a change of value, not a series that disappears.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "macro.h"
#include "report.h"
#include "section4.h"

/* Label values escape backslash, double quote and line feed (and nothing else). */
static void label_value(FILE *f, const char *s) {
        for (; *s; s++) {
                if (*s == '\\' || *s == '"')
                        fputc('\\', f);
                if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
        }
}

static void family(FILE *f, const char *name, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* The series of a state set for one subject: {KEY="subject",...,STATE="x"} 0|1 for every state. */
static void state_set(FILE *f, const char *metric, const char *key, const char *subject, const char *extra_key,
                      const char *extra, const char *state, const char *(*name)(int), int n, int current) {
        for (int i = 0; i < n; i++) {
                fprintf(f, "%s{%s=\"", metric, key);
                label_value(f, subject);
                if (extra_key) {
                        fprintf(f, "\",%s=\"", extra_key);
                        label_value(f, extra);
                }
                fprintf(f, "\",%s=\"%s\"} %d\n", state, name(i), i == current);
        }
}

static const char *verdict_name(int v) {
        return verdict_to_string((Verdict) v);
}

static const char *level_name(int l) {
        return level_to_string((Level) l);
}

int report_prometheus(const Audit *a, FILE *f) {
        static const Section4Key questions[] = {
                SECTION4_IPSEC_AVAILABLE, SECTION4_POINT_TO_POINT, SECTION4_VPN, SECTION4_MULTIPLE_LAYERS,
                SECTION4_VERDICT,
        };
        Verdict answers[_SECTION4_KEY_MAX];
        struct tm tm = {};
        const char *end;
        Section4 s4;

        family(f, "ipsec_audit_capability_verdict",
               "Verdict per capability: 1 for the verdict the audit reached, 0 for the others.");
        for (size_t i = 0; i < a->n_results; i++)
                state_set(f, "ipsec_audit_capability_verdict", "capability", a->probes[i]->id, "rfc5406_section",
                          a->probes[i]->rfc5406_section, "verdict", verdict_name, _VERDICT_MAX, a->results[i].verdict);
        family(f, "ipsec_audit_capability_level",
               "Evidence level per capability (none, config, api, datapath): 1 for the level reached.");
        for (size_t i = 0; i < a->n_results; i++)
                state_set(f, "ipsec_audit_capability_level", "capability", a->probes[i]->id, NULL, NULL, "level",
                          level_name, _LEVEL_MAX, a->results[i].level);

        section4_derive(a, &s4);
        answers[SECTION4_VERDICT] = s4.verdict;
        answers[SECTION4_IPSEC_AVAILABLE] = s4.ipsec_available;
        answers[SECTION4_POINT_TO_POINT] = s4.point_to_point;
        answers[SECTION4_VPN] = s4.vpn;
        answers[SECTION4_MULTIPLE_LAYERS] = s4.multiple_layers;
        family(f, "ipsec_audit_section4_verdict",
               "RFC 5406 Section 4 availability: 1 for the verdict reached on each question.");
        for (size_t i = 0; i < ELEMENTSOF(questions); i++)
                state_set(f, "ipsec_audit_section4_verdict", "question", section4_key_to_string(questions[i]), NULL,
                          NULL, "verdict", verdict_name, _VERDICT_MAX, answers[questions[i]]);

        family(f, "ipsec_audit_unknown_capabilities", "Capabilities the audit could not measure.");
        fprintf(f, "ipsec_audit_unknown_capabilities %zu\n", audit_unknown_count(a));
        family(f, "ipsec_audit_duration_seconds", "How long the audit took.");
        fprintf(f, "ipsec_audit_duration_seconds %.3f\n", (double) a->duration_ms / 1000.0);
        end = strptime(a->generated_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (end && !*end) {
                family(f, "ipsec_audit_timestamp_seconds", "When the audit ran, in seconds since the Unix epoch.");
                fprintf(f, "ipsec_audit_timestamp_seconds %lld\n", (long long) timegm(&tm));
        }
        family(f, "ipsec_audit_info", "The tool and the kernel it audited; the value is always 1.");
        fprintf(f, "ipsec_audit_info{version=\"");
        label_value(f, PACKAGE_VERSION);
        fprintf(f, "\",schema=\"%s\",kernel_release=\"", REPORT_SCHEMA);
        label_value(f, a->host.kernel_release);
        fprintf(f, "\",passive=\"%s\"} 1\n", a->passive ? "true" : "false");
        return ferror(f) ? -EIO : 0;
}
