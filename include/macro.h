/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* One cleanup idiom throughout: __attribute__((cleanup)), systemd-style. */
#define _cleanup_(f) __attribute__((cleanup(f)))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hands ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

/* Copies a C string into a fixed array, always terminated, truncating. */
#define STRSCPY(dst, src) strscpy((dst), sizeof(dst), (src))
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
