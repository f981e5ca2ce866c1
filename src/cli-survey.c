/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ipsec-audit survey: many hosts' reports in, the working group's table out. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macro.h"
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
               "  -p, --profile=NAME      add a row for protocol profile NAME (not yet\n"
               "                          available: profiles are not part of this build)\n"
               "  -h, --help              show this help and exit\n"
               "\n"
               "Exit status:\n"
               "  0  the survey was produced (whatever the inputs held)\n"
               "  1  the survey could not be made (out of memory)\n"
               "  2  invalid command line\n"
               "  4  the survey could not be written\n",
               program_invocation_short_name);
}

typedef struct SurveyArgs {
        SurveyFormat format;
        SurveyGroupBy group_by;
} SurveyArgs;

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
                        /* Profiles plug in as SurveyRowSources (survey.h) once they exist. */
                        return usage_error("--profile %s: profiles are not yet available in this build", optarg);
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
        SurveyArgs args = {};
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
