/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "string-util.h"

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

/* Length of the UTF-8 sequence at s if it is valid and prints (no C1 control), else 0. */
static size_t utf8_printable(const unsigned char *s, size_t avail) {
        size_t n;
        uint32_t cp;

        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (n > avail)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates, beyond Unicode, and C1 controls (U+009B is CSI to some terminals). */
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
            cp > 0x10ffff || cp < 0xa0)
                return 0;
        return n;
}

void fwrite_escaped(FILE *f, const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;

        for (size_t i = 0; i < n;) {
                size_t len;

                if (p[i] == '\\') {
                        fputs("\\\\", f);
                        i++;
                } else if (p[i] >= 0x20 && p[i] < 0x7f) {
                        fputc(p[i], f);
                        i++;
                } else if ((len = utf8_printable(p + i, n - i)) > 0) {
                        fwrite(p + i, 1, len, f);
                        i += len;
                } else {
                        fprintf(f, "\\x%02x", p[i]);
                        i++;
                }
        }
}

void fputs_escaped(FILE *f, const char *s) {
        fwrite_escaped(f, s, strlen(s));
}

int strescape(const char *s, size_t max, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fwrite_escaped(f, s, strnlen(s, max));
        if (strnlen(s, max) == max && s[max])
                fputs("...", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
