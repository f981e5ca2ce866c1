/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ipsec-audit survey: many hosts' reports in, the working group's table out. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe-table.h"
#include "shared/cli.h"
#include "macro.h"
#include "report.h"
#include "profile.h"
#include "survey.h"

static void help(void) {
        printf("Usage: %s survey [OPTION]... FILE|DIR|-...\n"
               "Read many hosts' JSON reports (ipsec-audit --json) and print how many hosts have\n"
               "each capability available, partial, unavailable or unknown, with percentages,\n"
               "overall and per group, with the RFC 5406 Section 4 verdicts.\n"
               "\n"
               "A FILE holds one report; a DIR is searched recursively for *.json files; -\n"
               "reads standard input, one report per line. Malformed reports, reports of\n"
               "another schema and duplicates (same host.boot_id) are counted and listed\n"
               "with their file (and on standard error), never counted as hosts.\n"
               "\n"
               "  -f, --format=FORMAT     md (Markdown, default), csv, json, or html (one\n"
               "                          self-contained page with SVG charts)\n"
               "  -g, --group-by=KEY      kernel (default: host.kernel_release), os\n"
               "                          (host.os_pretty_name) or none\n"
               "  -p, --profile=NAME|FILE add a row for a protocol profile (ipsec-audit-profile(5)):\n"
               "                          available where a host satisfies it, unavailable where\n"
               "                          not, unknown where it cannot be decided; repeatable\n"
               "  -h, --help              show this help and exit\n"
               "\n"
               "Exit status:\n"
               "  0  the survey was produced (whatever the inputs held)\n"
               "  1  the survey could not be made (out of memory)\n"
               "  2  invalid command line, or an unknown or malformed profile\n"
               "  4  the survey could not be written\n",
               program_invocation_short_name);
}

#define SURVEY_MAX_PROFILES 16

/* A profile row: its source names point into it. */
typedef struct ProfileRow {
        Profile *profile;
        char id[48], label[96];
        SurveyRowSource source;
} ProfileRow;

typedef struct SurveyArgs {
        SurveyFormat format;
        SurveyGroupBy group_by;
        ProfileRow profiles[SURVEY_MAX_PROFILES];
        size_t n_profiles;
} SurveyArgs;

static void survey_args_done(SurveyArgs *a) {
        for (size_t i = 0; i < a->n_profiles; i++)
                profile_free(a->profiles[i].profile);
}

/* The profile evaluated on the whole report, as ipsec-audit check does: its outcome as a verdict. */
static Verdict profile_verdict(const SurveyReport *r, const char *doc, size_t len, const void *userdata) {
        const Profile *p = userdata;
        _cleanup_(json_object_putp) json_object *report = NULL, *result = NULL;
        json_tokener *tok = json_tokener_new();
        ProfileOutcome o;

        if (!tok)
                return VERDICT_UNKNOWN;
        report = len <= INT_MAX ? json_tokener_parse_ex(tok, doc, (int) len) : NULL;
        json_tokener_free(tok);
        if (!report || profile_evaluate(p, report, &o, &result) < 0)
                return VERDICT_UNKNOWN;
        return o == PROFILE_SATISFIED ? VERDICT_AVAILABLE : o == PROFILE_NOT_SATISFIED ? VERDICT_UNAVAILABLE :
                                                                                        VERDICT_UNKNOWN;
}

static int add_profile(SurveyArgs *a, const char *name) {
        ProfileRow *row;
        ProfileError err;
        char line[1024];
        int r;

        if (a->n_profiles >= SURVEY_MAX_PROFILES)
                return usage_error("at most %d profiles", SURVEY_MAX_PROFILES);
        row = &a->profiles[a->n_profiles];
        if ((r = profile_load(name, &row->profile, &err)) < 0) {
                profile_error_format(&err, line, sizeof(line));
                return usage_error("%s", line);
        }
        a->n_profiles++;
        snprintf(row->id, sizeof(row->id), "profile.%s", row->profile->name);
        snprintf(row->label, sizeof(row->label), "Profile %s satisfied", row->profile->name);
        row->source = (SurveyRowSource) {
                .id = row->id, .kind = "profile", .label = row->label, .rfc5406_section = "8",
                .verdict = profile_verdict, .userdata = row->profile,
        };
        return 0;
}

/* Returns 1 to go on, 0 to exit successfully (--help), -EINVAL on a usage error. */
static int parse_args(int argc, char **argv, SurveyArgs *args) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "group-by", required_argument, NULL, 'g' },
                { "profile", required_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "f:g:p:h", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        if (survey_format_from_string(optarg, &args->format) < 0)
                                return usage_error("unknown survey format '%s' (expected md, csv, json or html)", optarg);
                        break;
                case 'g':
                        if (survey_group_by_from_string(optarg, &args->group_by) < 0)
                                return usage_error("invalid --group-by '%s' (expected kernel, os or none)", optarg);
                        break;
                case 'p':
                        if ((c = add_profile(args, optarg)) < 0)
                                return c;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        fprintf(stderr, "Try '%s survey --help' for more information.\n", program_invocation_short_name);
                        return -EINVAL;
                }
        }
        if (optind >= argc)
                return usage_error("survey: no report given (FILE, DIR or - for standard input)");
        return 1;
}

/* The survey of every input; problems with an input are in the survey, not in the return. */
static int survey_inputs(const SurveyArgs *args, char **inputs, int n, Survey **ret) {
        _cleanup_(survey_freep) Survey *s = NULL;
        int r;

        if ((r = survey_new(args->group_by, probe_table, &s)) < 0 || (r = survey_add_section4_rows(s)) < 0)
                return r;
        for (size_t i = 0; i < args->n_profiles; i++)
                if ((r = survey_add_row_source(s, &args->profiles[i].source)) < 0)
                        return r;
        for (int i = 0; i < n; i++) {
                r = strcmp(inputs[i], "-") == 0 ? survey_add_stream(s, stdin, "-") : survey_add_path(s, inputs[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int survey_main(int argc, char **argv) {
        _cleanup_(survey_freep) Survey *s = NULL;
        _cleanup_(survey_args_done) SurveyArgs args = {};
        int r;

        r = parse_args(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if ((r = survey_inputs(&args, argv + optind, argc - optind, &s)) < 0) {
                fprintf(stderr, "%s: survey failed: %s\n", program_invocation_short_name, strerror(-r));
                return 1;
        }
        for (size_t i = 0; i < s->n_problems; i++)
                fprintf(stderr, "%s: %s: %s: %s\n", program_invocation_short_name, s->problems[i].origin,
                        survey_problem_kind_to_string(s->problems[i].kind), s->problems[i].reason);
        if ((r = survey_render(s, args.format, stdout)) < 0) {
                fprintf(stderr, "%s: cannot write the survey: %s\n", program_invocation_short_name, strerror(-r));
                return 4;
        }
        return 0;
}
