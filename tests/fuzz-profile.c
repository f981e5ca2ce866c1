/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: profiles through the parser and, for what it accepts, the evaluator and the text renderer. */
#include <stdio.h>

#include "fuzz.h"
#include "macro.h"
#include "profile.h"
#include "report.h"

/* One report with a capability of each kind the evaluator reads: verdict, checks, algorithms. */
static const char sample_report[] =
        "{\"schema\":\"ipsec-audit/report/v1\",\"capabilities\":["
        "{\"id\":\"proto.esp\",\"verdict\":\"partial\",\"details\":{\"checks\":["
        "{\"group\":\"ESP IPv4\",\"what\":\"transport SA\",\"outcome\":\"accepted\"},"
        "{\"group\":\"ESP IPv6\",\"what\":\"transport SA\",\"outcome\":\"refused\",\"errno\":\"EAFNOSUPPORT\"}]}},"
        "{\"id\":\"selector.ports\",\"verdict\":\"available\",\"details\":{\"checks\":["
        "{\"group\":\"TCP IPv4\",\"what\":\"destination-port policy\",\"outcome\":\"untried\"}]}},"
        "{\"id\":\"crypto.algorithms\",\"verdict\":\"unknown\",\"details\":{\"accepted\":[\"hmac(sha1)\"]}}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_(json_object_putp) json_object *report = NULL, *result = NULL;
        ProfileOutcome outcome;
        ProfileError err;
        char line[1024];
        FILE *devnull;

        if (profile_parse((const char *) data, size, "fuzz.json", &p, &err) < 0) {
                profile_error_format(&err, line, sizeof(line));
                return 0;
        }
        report = json_tokener_parse(sample_report);
        if (!report || profile_evaluate(p, report, &outcome, &result) < 0)
                return 0;
        if ((devnull = fopen("/dev/null", "we"))) {
                (void) profile_result_text(result, devnull);
                fclose(devnull);
        }
        return 0;
}

