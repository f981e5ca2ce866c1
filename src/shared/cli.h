/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Command-line helpers shared by ipsec-audit and ipsec-auditd (they print: not in the library). */

/* ipsec-audit's exit status (--help, the README, ipsec-audit(8)); ipsec-auditd reads its audits' too. */
enum {
        AUDIT_EXIT_COMPLETE = 0,
        AUDIT_EXIT_FAILURE_RUN = 1,
        AUDIT_EXIT_USAGE = 2,
        AUDIT_EXIT_INCOMPLETE = 3, /* a report, with some capabilities unknown */
        AUDIT_EXIT_OUTPUT = 4,
};

/* Prints "PROGRAM: message" and the --help hint to stderr; returns -EINVAL. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses --NAME=SECONDS within [min, max]; a usage error otherwise. */
int parse_seconds(const char *name, const char *s, unsigned long min, unsigned long max, unsigned long *ret);

/* --bus[=BUS] of ipsec-audit: "system" without a value; a usage error for an empty one. */
int parse_bus(const char *arg, const char **ret);

/* The options both programs share and getopt's unknown-option result: -h prints the help,
 * -V "PROGRAM VERSION"; returns 0 to exit successfully, -EINVAL for anything else. */
int parse_common_option(int opt, const char *program, void (*help)(void));

/* ipsec-audit survey (argv[0] is "survey"): returns the exit status. */
int survey_main(int argc, char **argv);
