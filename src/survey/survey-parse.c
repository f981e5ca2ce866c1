/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reads the few fields a survey needs from one JSON report, without building
 * a tree: a survey reads 100,000 reports of ~30 kB, and json-c spends its time
 * allocating objects for the probes' checks, which a survey never looks at.
 * The whole document is still validated against RFC 8259 (grammar, UTF-8,
 * nesting), so a report with an error anywhere is malformed, as it would be
 * for json-c; tests/test-survey.c holds the two to the same answers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"
#include "survey.h"
#include "report.h"

#define MAX_DEPTH 64

typedef struct Scanner {
        const char *p, *end;
        unsigned depth;
        const char *syntax; /* first syntax error: the document is not JSON */
        size_t syntax_at;
        const char *start;
        char shape[160];    /* first way in which valid JSON is not a v1 report */
} Scanner;


static bool fail(Scanner *s, const char *what) {
        if (!s->syntax) {
                s->syntax = what;
                s->syntax_at = (size_t) (s->p - s->start);
        }
        return false;
}

static void shape_error(Scanner *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void shape_error(Scanner *s, const char *fmt, ...) {
        va_list ap;

        if (s->shape[0])
                return;
        va_start(ap, fmt);
        vsnprintf(s->shape, sizeof(s->shape), fmt, ap);
        va_end(ap);
}

static void skip_ws(Scanner *s) {
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
                s->p++;
}

static bool eat(Scanner *s, char c) {
        skip_ws(s);
        if (s->p < s->end && *s->p == c) {
                s->p++;
                return true;
        }
        return false;
}

static int hex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static bool read_hex4(Scanner *s, uint32_t *ret) {
        uint32_t v = 0;

        if (s->end - s->p < 4)
                return fail(s, "truncated \\u escape");
        for (int i = 0; i < 4; i++) {
                int h = hex(s->p[i]);
                if (h < 0)
                        return fail(s, "bad \\u escape");
                v = v << 4 | (uint32_t) h;
        }
        s->p += 4;
        *ret = v;
        return true;
}

/* One UTF-8 sequence starting at s->p (not ASCII): well-formed, shortest form, no surrogates. */
static bool utf8_sequence(Scanner *s) {
        const unsigned char *u = (const unsigned char *) s->p;
        size_t avail = (size_t) (s->end - s->p);
        unsigned n;
        uint32_t cp;

        if (u[0] >= 0xc2 && u[0] <= 0xdf)
                n = 2, cp = u[0] & 0x1f;
        else if (u[0] >= 0xe0 && u[0] <= 0xef)
                n = 3, cp = u[0] & 0x0f;
        else if (u[0] >= 0xf0 && u[0] <= 0xf4)
                n = 4, cp = u[0] & 0x07;
        else
                return fail(s, "invalid UTF-8");
        if (avail < n)
                return fail(s, "truncated UTF-8");
        for (unsigned i = 1; i < n; i++) {
                if ((u[i] & 0xc0) != 0x80)
                        return fail(s, "invalid UTF-8");
                cp = cp << 6 | (u[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
                return fail(s, "invalid UTF-8");
        s->p += n;
        return true;
}

static void put_utf8(char *out, size_t size, size_t *len, bool *truncated, uint32_t cp) {
        char b[4];
        size_t n;

        if (cp < 0x80)
                b[0] = (char) cp, n = 1;
        else if (cp < 0x800)
                b[0] = (char) (0xc0 | cp >> 6), b[1] = (char) (0x80 | (cp & 0x3f)), n = 2;
        else if (cp < 0x10000)
                b[0] = (char) (0xe0 | cp >> 12), b[1] = (char) (0x80 | ((cp >> 6) & 0x3f)),
                b[2] = (char) (0x80 | (cp & 0x3f)), n = 3;
        else
                b[0] = (char) (0xf0 | cp >> 18), b[1] = (char) (0x80 | ((cp >> 12) & 0x3f)),
                b[2] = (char) (0x80 | ((cp >> 6) & 0x3f)), b[3] = (char) (0x80 | (cp & 0x3f)), n = 4;
        if (!out)
                return;
        if (*len + n >= size) {
                *truncated = true;
                return;
        }
        memcpy(out + *len, b, n);
        *len += n;
}

static bool escape(Scanner *s, char *out, size_t size, size_t *len, bool *truncated) {
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e;
        uint32_t cp, lo;

        if (s->p >= s->end)
                return fail(s, "truncated escape");
        if ((e = memchr(from, *s->p, sizeof(from) - 1))) {
                s->p++;
                put_utf8(out, size, len, truncated, (unsigned char) to[e - from]);
                return true;
        }
        if (*s->p != 'u')
                return fail(s, "bad escape");
        s->p++;
        if (!read_hex4(s, &cp))
                return false;
        if (cp >= 0xd800 && cp <= 0xdbff) {
                /* A high surrogate: JSON spells characters beyond the BMP as a pair. */
                if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
                        return fail(s, "lone surrogate escape");
                s->p += 2;
                if (!read_hex4(s, &lo))
                        return false;
                if (lo < 0xdc00 || lo > 0xdfff)
                        return fail(s, "lone surrogate escape");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff)
                return fail(s, "lone surrogate escape");
        put_utf8(out, size, len, truncated, cp);
        return true;
}

/*
 * A string at s->p (after whitespace), decoded into out when out is not
 * NULL; *truncated says it did not fit (the caller decides whether that
 * matters).
 */
static bool string(Scanner *s, char *out, size_t size, bool *truncated) {
        size_t len = 0;

        *truncated = false;
        if (!eat(s, '"'))
                return fail(s, "expected a string");
        for (;;) {
                const char *run = s->p;

                /* The common case: a run of plain ASCII, copied at once. */
                while (s->p < s->end && (unsigned char) *s->p >= 0x20 && (unsigned char) *s->p < 0x80 &&
                       *s->p != '"' && *s->p != '\\')
                        s->p++;
                if (out) {
                        size_t n = (size_t) (s->p - run);
                        if (len + n >= size) {
                                *truncated = *truncated || n > 0;
                                n = len < size ? size - 1 - len : 0;
                        }
                        memcpy(out + len, run, n);
                        len += n;
                }
                if (s->p >= s->end)
                        return fail(s, "unterminated string");
                unsigned char c = (unsigned char) *s->p;
                if (c == '"') {
                        s->p++;
                        break;
                }
                if (c < 0x20)
                        return fail(s, "control character in string");
                if (c == '\\') {
                        s->p++;
                        if (!escape(s, out, size, &len, truncated))
                                return false;
                        continue;
                }
                run = s->p;
                if (!utf8_sequence(s))
                        return false;
                if (out) {
                        size_t n = (size_t) (s->p - run);
                        if (len + n >= size)
                                *truncated = true;
                        else {
                                memcpy(out + len, run, n);
                                len += n;
                        }
                }
        }
        if (out)
                out[len] = '\0';
        return true;
}

static bool digits(Scanner *s) {
        const char *start = s->p;

        while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
                s->p++;
        return s->p > start || fail(s, "bad number");
}

static bool number(Scanner *s) {
        if (s->p < s->end && *s->p == '-')
                s->p++;
        if (s->p < s->end && *s->p == '0')
                s->p++;
        else if (!digits(s))
                return false;
        if (s->p < s->end && *s->p == '.') {
                s->p++;
                if (!digits(s))
                        return false;
        }
        if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
                s->p++;
                if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
                        s->p++;
                if (!digits(s))
                        return false;
        }
        return true;
}

static bool literal(Scanner *s, const char *word) {
        size_t n = strlen(word);

        if ((size_t) (s->end - s->p) < n || memcmp(s->p, word, n) != 0)
                return fail(s, "unexpected character");
        s->p += n;
        return true;
}

typedef bool (*MemberFn)(Scanner *s, const char *key, bool key_truncated, void *userdata);
typedef bool (*ElementFn)(Scanner *s, size_t index, void *userdata);
static bool skip_value(Scanner *s);

/* An object at s->p: fn reads (or skips) each member's value. */
static bool object(Scanner *s, MemberFn fn, void *userdata) {
        char key[48];
        bool truncated;

        if (!eat(s, '{'))
                return fail(s, "expected an object");
        if (++s->depth > MAX_DEPTH)
                return fail(s, "nested too deeply");
        if (eat(s, '}')) {
                s->depth--;
                return true;
        }
        do {
                skip_ws(s);
                if (!string(s, key, sizeof(key), &truncated))
                        return false;
                if (!eat(s, ':'))
                        return fail(s, "expected ':'");
                if (!fn(s, key, truncated, userdata))
                        return false;
        } while (eat(s, ','));
        if (!eat(s, '}'))
                return fail(s, "expected ',' or '}'");
        s->depth--;
        return true;
}

static bool array(Scanner *s, ElementFn fn, void *userdata) {
        size_t i = 0;

        if (!eat(s, '['))
                return fail(s, "expected an array");
        if (++s->depth > MAX_DEPTH)
                return fail(s, "nested too deeply");
        if (eat(s, ']')) {
                s->depth--;
                return true;
        }
        do {
                if (!fn(s, i++, userdata))
                        return false;
        } while (eat(s, ','));
        if (!eat(s, ']'))
                return fail(s, "expected ',' or ']'");
        s->depth--;
        return true;
}

static bool skip_member(Scanner *s, const char *key, bool key_truncated, void *userdata) {
        return skip_value(s);
}

static bool skip_element(Scanner *s, size_t index, void *userdata) {
        return skip_value(s);
}

static bool skip_value(Scanner *s) {
        bool truncated;

        skip_ws(s);
        if (s->p >= s->end)
                return fail(s, "unexpected end of input");
        switch (*s->p) {
        case '{':
                return object(s, skip_member, NULL);
        case '[':
                return array(s, skip_element, NULL);
        case '"':
                return string(s, NULL, 0, &truncated);
        case 't':
                return literal(s, "true");
        case 'f':
                return literal(s, "false");
        case 'n':
                return literal(s, "null");
        default:
                if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
                        return number(s);
                return fail(s, "unexpected character");
        }
}

static char peek(Scanner *s) {
        skip_ws(s);
        return s->p < s->end ? *s->p : '\0';
}

/* A string member the report needs: anything else is a shape error (and skipped). */
static bool want_string(Scanner *s, const char *what, char *out, size_t size) {
        bool truncated;

        if (peek(s) != '"') {
                shape_error(s, "%s is not a string", what);
                return skip_value(s);
        }
        if (!string(s, out, size, &truncated))
                return false;
        if (truncated)
                shape_error(s, "%s is longer than %zu bytes", what, size - 1);
        return true;
}

static bool want_verdict(Scanner *s, const char *what, Verdict *ret) {
        char v[16];

        if (!want_string(s, what, v, sizeof(v)))
                return false;
        if (verdict_from_string(v, ret) < 0)
                shape_error(s, "%s '%s' is not a verdict", what, v);
        return true;
}

typedef struct CapState {
        SurveyCap *cap;
        bool has_id, has_verdict, has_level;
} CapState;

static bool cap_member(Scanner *s, const char *key, bool key_truncated, void *userdata) {
        CapState *st = userdata;
        char v[16];

        if (strcmp(key, "id") == 0) {
                st->has_id = true;
                return want_string(s, "capability id", st->cap->id, sizeof(st->cap->id));
        }
        if (strcmp(key, "rfc5406_section") == 0)
                return want_string(s, "rfc5406_section", st->cap->rfc5406_section, sizeof(st->cap->rfc5406_section));
        if (strcmp(key, "verdict") == 0) {
                st->has_verdict = true;
                return want_verdict(s, "capability verdict", &st->cap->verdict);
        }
        if (strcmp(key, "level") == 0) {
                st->has_level = true;
                if (!want_string(s, "capability level", v, sizeof(v)))
                        return false;
                if (level_from_string(v, &st->cap->level) < 0)
                        shape_error(s, "capability level '%s' is not a level", v);
                return true;
        }
        return skip_value(s);
}

static bool cap_element(Scanner *s, size_t index, void *userdata) {
        SurveyReport *r = userdata;
        SurveyCap scratch;
        CapState st = { .cap = r->n_caps < SURVEY_MAX_CAPS ? &r->caps[r->n_caps] : &scratch };

        if (peek(s) != '{') {
                shape_error(s, "capabilities[%zu] is not an object", index);
                return skip_value(s);
        }
        *st.cap = (SurveyCap) {};
        if (!object(s, cap_member, &st))
                return false;
        if (!st.has_id || !st.has_verdict || !st.has_level)
                shape_error(s, "capabilities[%zu] lacks %s", index,
                            !st.has_id ? "an id" : !st.has_verdict ? "a verdict" : "a level");
        if (r->n_caps >= SURVEY_MAX_CAPS)
                shape_error(s, "more than %d capabilities", SURVEY_MAX_CAPS);
        else
                r->n_caps++;
        return true;
}

typedef struct ReportState {
        SurveyReport *r;
        bool has_schema, has_host, has_caps;
        unsigned section4_seen; /* bit per Section4Key */
} ReportState;

static bool host_member(Scanner *s, const char *key, bool key_truncated, void *userdata) {
        SurveyReport *r = userdata;

        if (strcmp(key, "kernel_release") == 0)
                return want_string(s, "host.kernel_release", r->kernel_release, sizeof(r->kernel_release));
        if (strcmp(key, "os_pretty_name") == 0)
                return want_string(s, "host.os_pretty_name", r->os_pretty_name, sizeof(r->os_pretty_name));
        if (strcmp(key, "boot_id") == 0)
                return want_string(s, "host.boot_id", r->boot_id, sizeof(r->boot_id));
        return skip_value(s);
}

static bool section4_member(Scanner *s, const char *key, bool key_truncated, void *userdata) {
        ReportState *st = userdata;

        Section4Key k;

        if (section4_key_from_string(key, &k) < 0)
                return skip_value(s);
        st->section4_seen |= 1u << k;
        return want_verdict(s, "section4 verdict", &st->r->section4[k]);
}

static bool report_member(Scanner *s, const char *key, bool key_truncated, void *userdata) {
        ReportState *st = userdata;
        SurveyReport *r = st->r;
        const char *want = NULL;

        if (strcmp(key, "schema") == 0) {
                st->has_schema = true;
                return want_string(s, "schema", r->schema, sizeof(r->schema));
        }
        if (strcmp(key, "host") == 0) {
                st->has_host = true;
                if (peek(s) == '{')
                        return object(s, host_member, r);
                want = "host";
        } else if (strcmp(key, "capabilities") == 0) {
                st->has_caps = true;
                r->n_caps = 0;
                if (peek(s) == '[')
                        return array(s, cap_element, r);
                want = "capabilities";
        } else if (strcmp(key, "section4") == 0) {
                st->section4_seen = 0;
                if (peek(s) == '{')
                        return object(s, section4_member, st);
                want = "section4";
        }
        if (want)
                shape_error(s, "%s is not %s", want, strcmp(want, "capabilities") == 0 ? "an array" : "an object");
        return skip_value(s);
}

/* 8-4-4-4-12 hex digits, as /proc/sys/kernel/random/boot_id has them; false for anything else. */
static bool uuid_parse(const char *s, uint8_t out[16]) {
        unsigned n = 0;
        bool nonzero = false;

        if (strlen(s) != 36)
                return false;
        for (unsigned i = 0; i < 36; i++) {
                int h = hex(s[i]);

                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return false;
                        continue;
                }
                if (h < 0)
                        return false;
                out[n / 2] = (uint8_t) (n % 2 ? out[n / 2] | h : h << 4);
                nonzero = nonzero || h;
                n++;
        }
        return nonzero;
}

int survey_report_parse(const char *buf, size_t len, SurveyReport *ret, char *reason, size_t reason_size) {
        Scanner s = { .p = buf, .end = buf + len, .start = buf };
        ReportState st = { .r = ret };
        bool ok;

        *ret = (SurveyReport) {};
        if (peek(&s) == '{')
                ok = object(&s, report_member, &st);
        else {
                shape_error(&s, "the document is not a JSON object");
                ok = skip_value(&s);
        }
        skip_ws(&s);
        if (ok && s.p < s.end)
                fail(&s, "text after the document");
        if (s.syntax) {
                snprintf(reason, reason_size, "not JSON: %s at byte %zu", s.syntax, s.syntax_at);
                return -EBADMSG;
        }
        if (!s.shape[0] && !st.has_schema)
                shape_error(&s, "no schema");
        if (st.has_schema && strcmp(ret->schema, REPORT_SCHEMA) != 0) {
                snprintf(reason, reason_size, "schema '%s', not %s", ret->schema, REPORT_SCHEMA);
                return -EPROTO;
        }
        if (!st.has_host)
                shape_error(&s, "no host");
        if (!st.has_caps)
                shape_error(&s, "no capabilities");
        for (unsigned k = 0; k < _SECTION4_KEY_MAX; k++)
                if (!(st.section4_seen & 1u << k))
                        shape_error(&s, "no section4.%s", section4_key_to_string(k));
        if (s.shape[0]) {
                snprintf(reason, reason_size, "not a report: %s", s.shape);
                return -EBADMSG;
        }
        ret->has_boot_uuid = uuid_parse(ret->boot_id, ret->boot_uuid);
        return 0;
}
