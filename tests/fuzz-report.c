/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: reports read back, as `ipsec-audit --bus` reads the daemon's
 * (json-c, report_from_json(), then both renderers) and as ipsec-auditd
 * reads its state file (cache_set(), and the answers built from the cache).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/auditd.h"
#include "fuzz.h"
#include "macro.h"
#include "probe-table.h"
#include "report.h"

static void report_loaded_freep(Audit **a) {
        if (*a)
                report_loaded_free(*a);
}

static void read_back(const char *text) {
        _cleanup_(json_object_putp) json_object *root = json_tokener_parse(text), *again = NULL;
        _cleanup_(report_loaded_freep) Audit *a = NULL;
        static FILE *null;

        if (!null && !(null = fopen("/dev/null", "we")))
                abort();
        if (!root || report_from_json(root, probe_table, &a) < 0)
                return;
        (void) report_text(a, null, true);
        (void) report_text_brief(a, null, true);
        (void) report_json(a, &again);
}

static void state_file(const char *text) {
        Context c = {};

        if (cache_set(&c, text, NULL) == 0) {
                (void) cache_section4_verdict(&c);
                (void) cache_kernel_release(&c);
                (void) cache_capability(&c, "proto.esp");
                (void) cache_report_lists_module(&c, "modules_loaded_by_audit", "esp4");
        }
        free(c.report_text);
        json_object_put(c.report);
        free(c.signature);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = malloc(size + 1);

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        read_back(text);
        state_file(text);
        return 0;
}
