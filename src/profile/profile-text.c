/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A profile result (profile_evaluate()) as text: the answer first, then why. */
#include <errno.h>
#include <string.h>

#include "catalogue.h"
#include "json-util.h"
#include "macro.h"
#include "profile.h"
#include "report.h"

static const char *mark(json_object *req) {
        json_object *met = json_get(req, "met", json_type_boolean);

        if (!met)
                return "[?]";
        return json_object_get_boolean(met) ? "[+]" : "[-]";
}

static bool is_met(json_object *req) {
        json_object *met = json_get(req, "met", json_type_boolean);
        return met && json_object_get_boolean(met);
}

/* " (family ipv6, group ff02::5)": the variant as written in the profile. */
static void variant_text(json_object *req, char *buf, size_t size) {
        json_object *variant = json_get(req, "variant", json_type_object);
        size_t len = 0;
        bool first = true;

        buf[0] = '\0';
        if (!variant)
                return;
        json_object_object_foreach(variant, key, value) {
                strbuf_appendf(buf, size, &len, "%s%s ", first ? " (" : ", ", key);
                if (json_object_is_type(value, json_type_array))
                        for (size_t i = 0; i < json_object_array_length(value); i++)
                                strbuf_appendf(buf, size, &len, "%s%s", i ? "+" : "",
                                               json_object_get_string(json_object_array_get_idx(value, i)));
                else
                        strbuf_appendf(buf, size, &len, "%s", json_object_get_string(value));
                first = false;
        }
        strbuf_appendf(buf, size, &len, ")");
}

static void print_labelled(FILE *f, const char *indent, const char *label, const char *text) {
        char line[1024];

        if (!text)
                return;
        snprintf(line, sizeof(line), "%s: %s", label, text);
        report_text_wrapped(f, indent, line);
}

/* The report's remedy for the capability, printed as the report's text renderer prints it. */
static void print_remedy(FILE *f, const char *indent, json_object *remedy) {
        static const struct {
                const char *key, *label;
        } lists[] = { { "kernel_config", "kernel config:" }, { "modules", "modules:" } };

        if (!remedy)
                return;
        print_labelled(f, indent, "remedy", json_str(remedy, "text"));
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                json_object *items = json_get(remedy, lists[i].key, json_type_array);
                size_t n = items ? json_object_array_length(items) : 0;
                char line[512];
                size_t len = 0;

                if (n == 0)
                        continue;
                strbuf_appendf(line, sizeof(line), &len, "%s", lists[i].label);
                for (size_t j = 0; j < n; j++)
                        strbuf_appendf(line, sizeof(line), &len, "%s %s", j ? "," : "",
                                       json_object_get_string(json_object_array_get_idx(items, j)) ?: "");
                report_text_wrapped(f, indent, line);
        }
}

static void print_requirement(FILE *f, json_object *req, const char *indent) {
        json_object *alternatives = json_get(req, "any_of", json_type_array);
        json_object *optional = json_get(req, "optional", json_type_boolean);
        char variant[256], sub[32];
        variant_text(req, variant, sizeof(variant));
        fprintf(f, "%s%s %s%s%s%s%s\n", indent, mark(req), json_str(req, "capability") ?: "", variant,
                json_str(req, "verdict") ? ": " : "", json_str(req, "verdict") ?: "",
                optional && json_object_get_boolean(optional) ? " (optional)" : "");
        snprintf(sub, sizeof(sub), "%s    ", indent);
        print_labelled(f, sub, "why", json_str(req, "why"));
        print_labelled(f, sub, "note", json_str(req, "note"));
        if (is_met(req))
                return;
        for (size_t i = 0; alternatives && i < json_object_array_length(alternatives); i++)
                print_requirement(f, json_object_array_get_idx(alternatives, i), sub);
        if (alternatives)
                return;
        print_labelled(f, sub, "evidence", json_str(req, "evidence"));
        print_remedy(f, sub, json_get(req, "remedy", json_type_object));
}

int profile_result_text(json_object *result, FILE *f) {
        json_object *reqs = json_get(result, "requirements", json_type_array);
        json_object *host = json_get(result, "host", json_type_object);
        json_object *refs = json_get(result, "references", json_type_array);
        const char *outcome = json_str(result, "outcome") ?: "";
        char line[1024];
        size_t len = 0;

        fprintf(f, "Profile %s: %s\n", json_str(result, "profile") ?: "", json_str(result, "description") ?: "");
        for (size_t i = 0; refs && i < json_object_array_length(refs); i++)
                strbuf_appendf(line, sizeof(line), &len, "%s%s", i ? "; " : "References: ",
                               json_object_get_string(json_object_array_get_idx(refs, i)));
        if (len > 0)
                report_text_wrapped(f, "", line);
        fprintf(f, "Host: %s (Linux %s), report of %s\n", json_str(host, "hostname") ?: "?",
                json_str(host, "kernel_release") ?: "?", json_str(host, "report_generated_at") ?: "?");
        fprintf(f, "\nResult: %s\n\n",
                strcmp(outcome, "satisfied") == 0       ? "satisfied"
                : strcmp(outcome, "not_satisfied") == 0 ? "not satisfied"
                                                        : "cannot decide (a required capability is unknown)");
        for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++)
                print_requirement(f, json_object_array_get_idx(reqs, i), "  ");
        return ferror(f) ? -EIO : 0;
}
