/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ipsec-audit check: does this host (or a saved report, or the daemon's) satisfy a protocol profile? */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "probe-table.h"
#include "shared/cli.h"
#include "ipsec-audit.h"
#include "macro.h"
#include "profile.h"
#include "report.h"

/* Exit codes of the check subcommand: documented in its --help, the README and ipsec-audit(8). */
enum {
        CHECK_SATISFIED = 0,
        CHECK_NOT_SATISFIED = 1,
        CHECK_BAD_INPUT = 2,
        CHECK_UNDECIDED = 3,
        CHECK_NO_REPORT = 4,
};

typedef struct CheckArgs {
        const char *profile;
        const char *report;
        const char *bus;
        bool json;
        bool list;
} CheckArgs;

static void check_help(void) {
        printf("Usage: %1$s check --profile=NAME|FILE [--report=FILE | --bus[=BUS]] [--json]\n"
               "       %1$s check --list-profiles\n"
               "Answer RFC 5406 Section 8 (i) for one host: does its kernel support what one\n"
               "protocol's use of IPsec needs? The profile (ipsec-audit-profile(5)) is\n"
               "evaluated on a fresh audit, a saved JSON report, or ipsec-auditd's report.\n"
               "\n"
               "  -p, --profile=NAME|FILE a profile by name (searched in %2$s,\n"
               "                          else %3$s) or a file path\n"
               "  -r, --report=FILE       evaluate a saved report (ipsec-audit --json) instead\n"
               "                          of auditing\n"
               "      --bus[=BUS]         evaluate ipsec-auditd's cached report on BUS: system\n"
               "                          (default), session or a D-Bus address\n"
               "  -j, --json              print the result as JSON\n"
               "      --list-profiles     print the profiles found, one per line: NAME and FILE\n"
               "  -h, --help              show this help and exit\n"
               "\n"
               "%4$s replaces the search path (directories separated by ':').\n"
               "\n"
               "Exit status:\n"
               "  0  the profile is satisfied\n"
               "  1  the profile is not satisfied\n"
               "  2  bad input: invalid command line, unknown or malformed profile, a report\n"
               "     file that cannot be read or is not a report\n"
               "  3  cannot decide: nothing required is unmet, but a required capability is\n"
               "     unknown or was not measured\n"
               "  4  no report: the audit could not run, or ipsec-auditd could not be asked\n",
               program_invocation_short_name, PROFILE_LOCAL_DIR, PROFILE_DATA_DIR, PROFILE_PATH_ENV);
}

/* Returns 1 to go on, 0 to exit successfully (--help), -EINVAL on a usage error. */
static int parse_check_args(int argc, char **argv, CheckArgs *args) {
        enum { ARG_BUS = 0x100, ARG_LIST };
        static const struct option options[] = {
                { "profile", required_argument, NULL, 'p' },
                { "report", required_argument, NULL, 'r' },
                { "bus", optional_argument, NULL, ARG_BUS },
                { "json", no_argument, NULL, 'j' },
                { "list-profiles", no_argument, NULL, ARG_LIST },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "p:r:jh", options, NULL)) >= 0) {
                switch (c) {
                case 'p':
                        if (!*optarg)
                                return usage_error("empty --profile");
                        args->profile = optarg;
                        break;
                case 'r':
                        if (!*optarg)
                                return usage_error("empty --report");
                        args->report = optarg;
                        break;
                case ARG_BUS:
                        if ((r = parse_bus(optarg, &args->bus)) < 0)
                                return r;
                        break;
                case 'j':
                        args->json = true;
                        break;
                case ARG_LIST:
                        args->list = true;
                        break;
                case 'h':
                        check_help();
                        return 0;
                default:
                        fprintf(stderr, "Try '%s check --help' for more information.\n", program_invocation_short_name);
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);
        if (args->list)
                return args->profile || args->report || args->bus || args->json
                               ? usage_error("--list-profiles takes no other option")
                               : 1;
        if (!args->profile)
                return usage_error("check needs --profile=NAME|FILE (or --list-profiles)");
        if (args->report && args->bus)
                return usage_error("--report and --bus are alternatives: give one");
        return 1;
}

static int list_profiles(void) {
        _cleanup_(profile_list_freep) char **l = NULL;
        int r = profile_list(&l);

        if (r < 0) {
                fprintf(stderr, "%s: cannot list profiles: %s\n", program_invocation_short_name, strerror(-r));
                return CHECK_NO_REPORT;
        }
        for (char **s = l; *s; s++)
                printf("%s\n", *s);
        return CHECK_SATISFIED;
}

/* The report to evaluate, as JSON: a saved file, the daemon's, or a fresh audit's. */
static int get_report(const CheckArgs *args, json_object **ret) {
        _cleanup_(audit_freep) Audit *audit = NULL;
        int r;

        if (args->report) {
                if (!(*ret = json_object_from_file(args->report))) {
                        fprintf(stderr, "%s: %s: cannot read a JSON report: %s\n", program_invocation_short_name,
                                args->report, json_util_get_last_err() ?: "unknown error");
                        return CHECK_BAD_INPUT;
                }
                return 0;
        }
        if (args->bus)
                return bus_report_json(args->bus, ret) < 0 ? CHECK_NO_REPORT : 0;
        if ((r = audit_run(&(AuditOptions) {}, probe_table, &audit)) < 0 || (r = report_json(audit, ret)) < 0) {
                fprintf(stderr, "%s: audit failed: %s\n", program_invocation_short_name, strerror(-r));
                return CHECK_NO_REPORT;
        }
        return 0;
}

static int print_result(json_object *result, bool json) {
        if (json) {
                const char *s = json_object_to_json_string_ext(
                        result, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
                if (!s)
                        return -ENOMEM;
                if (puts(s) < 0)
                        return -EIO;
        } else {
                int r = profile_result_text(result, stdout);
                if (r < 0)
                        return r;
        }
        return fflush(stdout) == 0 ? 0 : -errno;
}

int check_main(int argc, char **argv) {
        _cleanup_(profile_freep) Profile *profile = NULL;
        _cleanup_(json_object_putp) json_object *report = NULL, *result = NULL;
        CheckArgs args = {};
        ProfileError err;
        ProfileOutcome outcome;
        char line[1024];
        int r;

        r = parse_check_args(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? CHECK_BAD_INPUT : CHECK_SATISFIED;
        if (args.list)
                return list_profiles();

        /* The profile first: a typo in its name should not cost an audit. */
        if ((r = profile_load(args.profile, &profile, &err)) < 0) {
                if (r == -ENOMEM)
                        return CHECK_NO_REPORT;
                profile_error_format(&err, line, sizeof(line));
                fprintf(stderr, "%s: %s\n", program_invocation_short_name, line);
                return CHECK_BAD_INPUT;
        }
        if ((r = get_report(&args, &report)) != 0)
                return r;
        if ((r = profile_evaluate(profile, report, &outcome, &result)) < 0) {
                fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, args.report ?: "report",
                        r == -EBADMSG ? "not an ipsec-audit report (schema " REPORT_SCHEMA ")" : strerror(-r));
                return r == -EBADMSG ? CHECK_BAD_INPUT : CHECK_NO_REPORT;
        }
        if ((r = print_result(result, args.json)) < 0) {
                fprintf(stderr, "%s: cannot write the result: %s\n", program_invocation_short_name, strerror(-r));
                return CHECK_NO_REPORT;
        }
        return outcome == PROFILE_SATISFIED       ? CHECK_SATISFIED
               : outcome == PROFILE_NOT_SATISFIED ? CHECK_NOT_SATISFIED
                                                  : CHECK_UNDECIDED;
}
