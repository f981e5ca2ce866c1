/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

size_t strscpy(char *dst, size_t size, const char *src) {
        size_t n;

        if (size == 0)
                return 0;
        n = strnlen(src, size - 1);
        memcpy(dst, src, n);
        dst[n] = '\0';
        return n;
}

void strbuf_appendf(char *buf, size_t size, size_t *len, const char *fmt, ...) {
        va_list ap;
        int n;

        if (size == 0 || *len + 1 >= size)
                return;
        va_start(ap, fmt);
        n = vsnprintf(buf + *len, size - *len, fmt, ap);
        va_end(ap);
        if (n > 0)
                *len = *len + (size_t) n < size ? *len + (size_t) n : size - 1;
}
