/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The ipsec-audit command: the report (ipsec-audit.c), the check (ipsec-audit-check.c) and explain (cli-explain.c) subcommands. */

#include <json-c/json.h>

/* ipsec-auditd's cached report as JSON, from BUS ("system", "session" or an address); prints why on failure. */
int bus_report_json(const char *address, json_object **ret);

/* ipsec-audit check ...: argv[0] is "check". Returns the exit status. */
int check_main(int argc, char **argv);

/* ipsec-audit explain [ID]: argv[0] is "explain". Returns the exit status. */
int explain_main(int argc, char **argv);
