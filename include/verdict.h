/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

typedef enum Verdict {
        VERDICT_UNKNOWN,
        VERDICT_UNAVAILABLE,
        VERDICT_PARTIAL,
        VERDICT_AVAILABLE,
        _VERDICT_MAX,
} Verdict;

/* How the verdict was reached, weakest first (DESIGN.md, ground rule 2). */
typedef enum Level {
        LEVEL_NONE,
        LEVEL_CONFIG,
        LEVEL_API,
        LEVEL_DATAPATH,
        _LEVEL_MAX,
} Level;

const char *verdict_to_string(Verdict v);
int verdict_from_string(const char *s, Verdict *ret);
const char *level_to_string(Level l);
int level_from_string(const char *s, Level *ret);

/*
 * The one place that reads a kernel errno as a verdict. A refusal that says
 * "not built" or "not supported" is a measured unavailable; a refusal for
 * lack of privilege or resources says nothing about the capability.
 */
Verdict verdict_from_errno(int err);

/* Symbolic name ("EPROTONOSUPPORT"); NULL for values we do not know. */
const char *errno_name(int err);
/* "EPROTONOSUPPORT" back to its number; 0 for names this libc does not know. */
int errno_from_name(const char *name);
