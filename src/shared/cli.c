/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int usage_error(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry '%s --help' for more information.\n", program_invocation_short_name);
        return -EINVAL;
}

int parse_seconds(const char *name, const char *s, unsigned long min, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
                return usage_error("invalid --%s '%s' (expected %lu to %lu seconds)", name, s, min, max);
        *ret = v;
        return 0;
}

int parse_bus(const char *arg, const char **ret) {
        if (arg && !*arg)
                return usage_error("empty --bus");
        *ret = arg ?: "system";
        return 0;
}

int parse_common_option(int opt, const char *program, void (*help)(void)) {
        switch (opt) {
        case 'h':
                help();
                return 0;
        case 'V':
                printf("%s %s\n", program, PACKAGE_VERSION);
                return 0;
        default:
                fprintf(stderr, "Try '%s --help' for more information.\n", program_invocation_short_name);
                return -EINVAL;
        }
}
