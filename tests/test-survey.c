/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The survey's report reader against json-c (the parser the rest of the
 * project trusts) on the kernel matrix's reports and on damaged copies of
 * them, and the survey's counters on real reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "json-util.h"
#include "macro.h"
#include "probe-table.h"
#include "report.h"
#include "survey.h"

static const char *const fixtures[] = {
        FIXTURES "/debian-6.1.0-57-amd64-full.json",
        FIXTURES "/debian-6.1.0-57-amd64-no-esp.json",
        FIXTURES "/debian-6.1.0-57-amd64-ipv6-off.json",
        FIXTURES "/debian-6.1.0-57-amd64-no-pfkey.json",
};

static char *slurp(const char *path, size_t *len) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *buf;
        long n;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t) n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
        buf[n] = '\0';
        *len = (size_t) n;
        return buf;
}

/* json-c in strict mode, UTF-8 checked: NULL for what is not JSON. */
static json_object *json_c_parse(const char *buf, size_t len) {
        json_tokener *tok = json_tokener_new();
        json_object *o;

        assert_non_null(tok);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, buf, (int) len);
        /* Anything but whitespace after the value is not one document. */
        if (o && strspn(buf + json_tokener_get_parse_end(tok), " \t\r\n") != len - json_tokener_get_parse_end(tok)) {
                json_object_put(o);
                o = NULL;
        }
        json_tokener_free(tok);
        return o;
}

static bool is_json(const char *buf, size_t len) {
        json_object *o = json_c_parse(buf, len);

        json_object_put(o);
        return o != NULL;
}

static bool survey_says_json(const char *buf, size_t len) {
        SurveyReport rep;
        char reason[192];
        int r = survey_report_parse(buf, len, &rep, reason, sizeof(reason));

        return r >= 0 || strncmp(reason, "not JSON", 8) != 0;
}

static void test_fixtures_read_like_json_c(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
                _cleanup_free_ char *buf = NULL;
                _cleanup_(json_object_putp) json_object *root = NULL;
                SurveyReport rep;
                char reason[192] = "";
                size_t len;
                json_object *caps;

                buf = slurp(fixtures[i], &len);
                root = json_c_parse(buf, len);
                assert_non_null(root);
                assert_int_equal(survey_report_parse(buf, len, &rep, reason, sizeof(reason)), 0);
                assert_string_equal(rep.schema, REPORT_SCHEMA);
                assert_string_equal(rep.kernel_release, json_str(json_get(root, "host", json_type_object), "kernel_release"));
                assert_string_equal(rep.boot_id, json_str(json_get(root, "host", json_type_object), "boot_id"));
                caps = json_get(root, "capabilities", json_type_array);
                assert_int_equal(rep.n_caps, json_object_array_length(caps));
                for (unsigned c = 0; c < rep.n_caps; c++) {
                        json_object *o = json_object_array_get_idx(caps, c);
                        assert_string_equal(rep.caps[c].id, json_str(o, "id"));
                        assert_string_equal(verdict_to_string(rep.caps[c].verdict), json_str(o, "verdict"));
                        assert_string_equal(level_to_string(rep.caps[c].level), json_str(o, "level"));
                }
                assert_string_equal(verdict_to_string(rep.section4[SECTION4_VERDICT]),
                                    json_str(json_get(root, "section4", json_type_object), "verdict"));
        }
}

/* Every proper prefix of a report is not JSON, for both parsers. */
static void test_truncated(void **state) {
        _cleanup_free_ char *buf = NULL;
        size_t len;

        buf = slurp(fixtures[0], &len);
        while (len > 0 && strchr(" \t\r\n", buf[len - 1]))
                len--;
        for (size_t n = 0; n < len; n += 7) {
                assert_false(is_json(buf, n));
                assert_false(survey_says_json(buf, n));
        }
}

/*
 * Damaged copies: one byte replaced by a character that matters to the
 * grammar (or by invalid UTF-8). Both parsers must agree on every copy.
 * Control characters are left out: json-c 0.16 takes them raw inside
 * strings even in strict mode, which RFC 8259 Section 7 does not allow
 * (test_not_reports checks ours). Its strict mode also takes a number with a
 * leading zero ("00", "-05"), which Section 6 does not allow: where the
 * damage made one, only json-c may call the copy JSON.
 */
static bool leading_zero_at(const char *buf, size_t len, size_t at) {
        size_t start = at, end = at;

        while (start > 0 && strchr("-+.0123456789eE", buf[start - 1]))
                start--;
        while (end < len && buf[end] && strchr("-+.0123456789eE", buf[end]))
                end++;
        if (start < end && buf[start] == '-')
                start++;
        return end - start >= 2 && buf[start] == '0' && buf[start + 1] >= '0' && buf[start + 1] <= '9';
}

static void test_damaged_agree_with_json_c(void **state) {
        static const char subst[] = "{}[]\",:\\-+.0eEtfn \x80\xc3\xff";
        unsigned seed = 5406, agreed_invalid = 0;

        for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
                _cleanup_free_ char *buf = NULL;
                size_t len;

                buf = slurp(fixtures[i], &len);
                for (unsigned k = 0; k < 2000; k++) {
                        size_t at = (size_t) rand_r(&seed) % len;
                        char old = buf[at];
                        bool want;

                        buf[at] = subst[(size_t) rand_r(&seed) % (sizeof(subst) - 1)];
                        want = is_json(buf, len);
                        if (want && !survey_says_json(buf, len) && leading_zero_at(buf, len, at))
                                want = false;
                        if (want != survey_says_json(buf, len))
                                fail_msg("%s: byte %zu '%c' -> 0x%02x: json-c says %s", fixtures[i], at, old,
                                         (unsigned char) buf[at], want ? "JSON" : "not JSON");
                        agreed_invalid += !want;
                        buf[at] = old;
                }
        }
        /* The damage must mostly break the documents, or this test proves little. */
        assert_true(agreed_invalid > 4000);
}

static void test_not_reports(void **state) {
        static const struct {
                const char *doc;
                int ret;
                const char *reason;
        } cases[] = {
                { "[1,2]", -EBADMSG, "not a report: the document is not a JSON object" },
                { "{\"schema\":\"ipsec-audit/report/v2\",\"capabilities\":7}", -EPROTO,
                  "schema 'ipsec-audit/report/v2', not ipsec-audit/report/v1" },
                { "{\"schema\":\"ipsec-audit/report/v1\",\"host\":{},\"capabilities\":[{\"id\":\"proto.esp\","
                  "\"verdict\":\"maybe\",\"level\":\"api\"}]}",
                  -EBADMSG, "not a report: capability verdict 'maybe' is not a verdict" },
                { "{\"schema\":\"ipsec-audit/report/v1\",\"host\":{},\"capabilities\":[],\"section4\":{}}", -EBADMSG,
                  "not a report: no section4.verdict" },
                { "{\"a\":\"\\ud800\"}", -EBADMSG, "not JSON: lone surrogate escape at byte 12" },
                { "{} {}", -EBADMSG, "not JSON: text after the document at byte 3" },
                { "{\"a\":\"\x01\"}", -EBADMSG, "not JSON: control character in string at byte 6" },
                { "{\"a\":-05}", -EBADMSG, "not JSON: expected ',' or '}' at byte 7" }, /* no leading zero */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                SurveyReport rep;
                char reason[192] = "";

                assert_int_equal(survey_report_parse(cases[i].doc, strlen(cases[i].doc), &rep, reason, sizeof(reason)),
                                 cases[i].ret);
                assert_string_equal(reason, cases[i].reason);
        }
}

/* A stand-in for a profile row: what plugs in through SurveyRowSource. */
static Verdict esp_and_tunnel(const SurveyReport *r, const char *doc, size_t len, const void *userdata) {
        Verdict esp = VERDICT_UNKNOWN, tunnel = VERDICT_UNKNOWN;

        for (unsigned i = 0; i < r->n_caps; i++) {
                if (strcmp(r->caps[i].id, "proto.esp") == 0)
                        esp = r->caps[i].verdict;
                if (strcmp(r->caps[i].id, "mode.tunnel") == 0)
                        tunnel = r->caps[i].verdict;
        }
        return esp < tunnel ? esp : tunnel;
}

static size_t row_of(const Survey *s, const char *id) {
        for (size_t i = 0; i < s->n_rows; i++)
                if (strcmp(s->rows[i].id, id) == 0)
                        return i;
        fail_msg("no row %s", id);
        return s->n_rows;
}

static void test_survey_counts(void **state) {
        static const SurveyRowSource profile = { "profile.test", "profile", "Profile: ESP tunnels", "", esp_and_tunnel, NULL };
        static const char newer[] =
                "{\"schema\":\"ipsec-audit/report/v1\",\"host\":{\"kernel_release\":\"7.0\",\"boot_id\":"
                "\"00000000-0000-4000-8000-000000000001\"},\"capabilities\":[{\"id\":\"proto.esp\",\"verdict\":"
                "\"available\",\"level\":\"api\"},{\"id\":\"future.thing\",\"verdict\":\"available\",\"level\":\"api\"}],"
                "\"section4\":{\"verdict\":\"partial\",\"ipsec_available\":\"available\",\"point_to_point\":\"partial\","
                "\"vpn\":\"unknown\",\"multiple_layers\":\"unknown\"},\"later_addition\":[1,{\"x\":null}]}\n";
        _cleanup_(survey_freep) Survey *s = NULL;
        size_t esp, future, vpn, prof;

        assert_int_equal(survey_new(SURVEY_GROUP_KERNEL, probe_table, &s), 0);
        assert_int_equal(survey_add_section4_rows(s), 0);
        assert_int_equal(survey_add_row_source(s, &profile), 0);
        assert_int_equal(survey_add_path(s, FIXTURES), 0);
        assert_int_equal(survey_add_path(s, fixtures[0]), 0); /* the same host again */
        assert_int_equal(survey_add_document(s, "newer", newer, strlen(newer)), 0);
        assert_int_equal(survey_add_document(s, "broken", newer, 40), 0);
        assert_int_equal(survey_add_path(s, FIXTURES "/no-such-file.json"), 0);

        assert_int_equal(s->inputs, 8);
        assert_int_equal(survey_counted(s), 5);
        assert_int_equal(s->problem_counts[SURVEY_DUPLICATE], 1);
        assert_int_equal(s->problem_counts[SURVEY_MALFORMED], 1);
        assert_int_equal(s->problem_counts[SURVEY_UNREADABLE], 1);
        assert_int_equal(s->n_problems, 3);
        assert_int_equal(s->n_groups, 2);

        esp = row_of(s, "proto.esp");
        future = row_of(s, "future.thing");
        vpn = row_of(s, "section4.vpn");
        prof = row_of(s, "profile.test");
        /* The new capability sits after the catalogue's, before the Section 4 rows. */
        assert_true(future < vpn);
        assert_int_equal(future, s->n_capability_rows - 1);
        /* full, no-pfkey and the newer report have ESP; ipv6-off half of it; no-esp none. */
        assert_int_equal(survey_count(&s->overall, esp, VERDICT_AVAILABLE), 3);
        assert_int_equal(survey_count(&s->overall, esp, VERDICT_PARTIAL), 1);
        assert_int_equal(survey_count(&s->overall, esp, VERDICT_UNAVAILABLE), 1);
        assert_int_equal(survey_count(&s->overall, esp, VERDICT_UNKNOWN), 0);
        /* Reports without the capability count as unknown for it. */
        assert_int_equal(survey_count(&s->overall, future, VERDICT_AVAILABLE), 1);
        assert_int_equal(survey_count(&s->overall, future, VERDICT_UNKNOWN), 4);
        assert_int_equal(survey_count(&s->groups[0], future, VERDICT_UNKNOWN), 4);
        assert_int_equal(survey_count(&s->groups[1], future, VERDICT_AVAILABLE), 1);
        assert_int_equal(survey_count(&s->overall, vpn, VERDICT_AVAILABLE), 2);
        assert_int_equal(survey_count(&s->overall, vpn, VERDICT_UNKNOWN), 1);
        /* The plugged-in row: ESP tunnels on full and no-pfkey; the newer report lacks mode.tunnel. */
        assert_int_equal(survey_count(&s->overall, prof, VERDICT_AVAILABLE), 2);
        assert_int_equal(survey_count(&s->overall, prof, VERDICT_UNKNOWN), 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixtures_read_like_json_c),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_damaged_agree_with_json_c),
                cmocka_unit_test(test_not_reports),
                cmocka_unit_test(test_survey_counts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
