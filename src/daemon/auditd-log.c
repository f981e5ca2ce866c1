/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auditd-log.h"

/*
 * Under systemd, stderr is a journal stream (JOURNAL_STREAM names its device and
 * inode): each line then starts with its syslog priority, "<3>", which the journal
 * parses, and without our name, which the journal records already. Anywhere else,
 * lines carry the name, like any command's diagnostics.
 */
static bool stderr_is_journal(void) {
        static int cached = -1;
        const char *e;
        unsigned long long dev, ino;
        struct stat st;

        if (cached < 0) {
                e = getenv("JOURNAL_STREAM");
                cached = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
                         st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
        }
        return cached;
}

void log_msg(int priority, const char *fmt, ...) {
        va_list ap;

        if (stderr_is_journal())
                fprintf(stderr, "<%d>", priority);
        else
                fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
