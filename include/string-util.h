/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* Bounded copies and terminal-safe output of strings (src/shared/string-util.c). */

/* Copies a C string into a fixed array, always terminated, truncating (STRSCPY in macro.h). */
size_t strscpy(char *dst, size_t size, const char *src);

/* Appends to a fixed buffer at *len, truncating silently: for human sentences only. */
void strbuf_appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/*
 * Writes n bytes of s for a terminal: control characters, invalid UTF-8 and
 * backslashes as C escapes (\x1b, \\). For strings from outside (process
 * names, hostnames, extended ACKs, reports read back), which must never move
 * a cursor or retitle a terminal.
 */
void fwrite_escaped(FILE *f, const char *s, size_t n);
void fputs_escaped(FILE *f, const char *s);

/* At most max bytes of s, escaped the same way, "..." when cut short: for error messages. */
int strescape(const char *s, size_t max, char **ret);
