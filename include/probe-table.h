/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "probe.h"

/*
 * Every probe, NULL-terminated, in report order (probes/probe-table.c).
 * Only the programs (src/cli, src/daemon) and the tests name it: they hand
 * it to the engine, the report loader and the survey, which take the table
 * as a parameter and never reach into probes/ (docs/architecture.md).
 */
extern const Probe *const probe_table[];
