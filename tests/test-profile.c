/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Profiles: the parser against malformed and hostile documents (one error,
 * naming line and column or a JSON pointer, never a crash), and the evaluator's
 * rules on small reports written here, so each rule is seen to decide.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json-util.h"
#include "macro.h"
#include "profile.h"
#include "report.h"

#define HEAD "{\"schema\":\"ipsec-audit/profile/v1\",\"name\":\"t\",\"description\":\"d\",\"references\":[\"r\"],"

/* Parses text expecting an error: returns the error for the caller's checks. */
static ProfileError parse_fails(const char *text, size_t len) {
        _cleanup_(profile_freep) Profile *p = NULL;
        ProfileError err;

        assert_int_equal(profile_parse(text, len, "t.json", &p, &err), -EINVAL);
        assert_null(p);
        assert_string_equal(err.file, "t.json");
        assert_true(err.message[0] != '\0');
        return err;
}

static void assert_pointer(const char *text, const char *pointer, const char *message_part) {
        ProfileError err = parse_fails(text, strlen(text));

        assert_int_equal(err.line, 0);
        assert_string_equal(err.pointer, pointer);
        if (!strstr(err.message, message_part))
                fail_msg("message '%s' lacks '%s'", err.message, message_part);
}

static void test_syntax_position(void **state) {
        const char *text = "{\n  \"schema\": \"ipsec-audit/profile/v1\",\n  \"name\": ,\n}";
        ProfileError err = parse_fails(text, strlen(text));
        char line[1024];

        assert_int_equal(err.line, 3);
        assert_int_equal(err.column, 11);
        assert_string_equal(err.pointer, "");
        profile_error_format(&err, line, sizeof(line));
        assert_true(strncmp(line, "t.json:3:11: ", 13) == 0);
        assert_null(strchr(line, '\n'));

        err = parse_fails("", 0);
        assert_string_equal(err.message, "unexpected end of file");
        err = parse_fails("{\"schema\": \"x\"", strlen("{\"schema\": \"x\""));
        assert_string_equal(err.message, "unexpected end of file");
        /* Strict mode: a second document after the profile is an error, at its first byte. */
        err = parse_fails(HEAD "\"requirements\":[{\"capability\":\"proto.esp\"}]} {}",
                          strlen(HEAD "\"requirements\":[{\"capability\":\"proto.esp\"}]} {}"));
        assert_int_equal(err.column, strlen(HEAD "\"requirements\":[{\"capability\":\"proto.esp\"}]} {"));
        /* Strict mode: comments and single quotes are not JSON. */
        parse_fails("{'schema': 1}", 13);
}

static void test_hostile(void **state) {
        size_t depth = 30000; /* deep, yet within the size limit */
        _cleanup_free_ char *deep = malloc(2 * depth + 1), *big = malloc(PROFILE_MAX_BYTES + 2);
        ProfileError err;

        assert_non_null(deep);
        memset(deep, '[', depth);
        memset(deep + depth, ']', depth);
        deep[2 * depth] = '\0';
        err = parse_fails(deep, 2 * depth);
        assert_string_equal(err.message, "nested deeper than a profile can be");
        assert_int_equal(err.line, 1);

        assert_non_null(big);
        memset(big, ' ', PROFILE_MAX_BYTES + 1);
        err = parse_fails(big, PROFILE_MAX_BYTES + 1);
        assert_non_null(strstr(err.message, "larger than"));

        err = parse_fails("{\"schema\":\n\"a\0b\"}", 17);
        assert_int_equal(err.line, 2);
        assert_int_equal(err.column, 3);
        assert_string_equal(err.message, "NUL byte in the file");

        /* Numbers beyond int64 and beyond double, and negative zero, are out of range, not wrapped. */
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"selector.ports\",\"variant\":{\"protocol\":\"tcp\","
                            "\"port\":99999999999999999999999999}}]}",
                       "/requirements/0/variant/port", "out of range");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"selector.ports\",\"variant\":{\"protocol\":\"tcp\","
                            "\"port\":1e400}}]}",
                       "/requirements/0/variant/port", "expected an integer");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"selector.ports\",\"variant\":{\"protocol\":\"tcp\","
                            "\"port\":-0}}]}",
                       "/requirements/0/variant/port", "out of range");
        /* A hostile key is escaped (RFC 6901) and truncated in the pointer. */
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\",\"a/b~c\":1}]}", "/requirements/0/a~1b~0c",
                       "unknown key");
}

static void test_content_errors(void **state) {
        assert_pointer("[]", "/", "a profile is a JSON object");
        assert_pointer("{\"schema\":\"ipsec-audit/profile/v2\"}", "/schema", "unsupported schema");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\"}],\"extra\":1}", "/extra", "unknown key");
        assert_pointer(HEAD "\"requirements\":{}}", "/requirements", "expected an array");
        assert_pointer(HEAD "\"requirements\":[]}", "/requirements", "expected 1 to 64 entries");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":42}]}", "/requirements/0/capability",
                       "expected a string");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esq\"}]}", "/requirements/0/capability",
                       "unknown capability \"proto.esq\"");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\",\"optional\":\"yes\"}]}",
                       "/requirements/0/optional", "expected true or false");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\",\"optinal\":true}]}",
                       "/requirements/0/optinal", "unknown key");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\",\"verdict\":\"unknown\"}]}",
                       "/requirements/0/verdict", "expected \"available\" or \"partial\"");
        assert_pointer(HEAD "\"requirements\":[{\"note\":\"x\"}]}", "/requirements/0",
                       "needs \"capability\" or \"any_of\"");
        assert_pointer(HEAD "\"requirements\":[{\"any_of\":[{\"capability\":\"proto.esp\"}]}]}",
                       "/requirements/0/any_of", "expected 2 to 8 entries");
        assert_pointer(HEAD "\"requirements\":[{\"any_of\":[{\"capability\":\"proto.esp\"},{\"any_of\":[]}]}]}",
                       "/requirements/0/any_of/1/any_of", "unknown key");
        assert_pointer(HEAD "\"requirements\":[{\"any_of\":[{\"capability\":\"proto.esp\"},{\"capability\":"
                            "\"proto.ah\",\"optional\":true}]}]}",
                       "/requirements/0/any_of/1/optional", "unknown key");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\",\"variant\":{\"colour\":\"red\"}}]}",
                       "/requirements/0/variant/colour", "unknown variant");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\",\"variant\":{\"protocol\":\"tcp\"}}]}",
                       "/requirements/0/variant/protocol", "does not apply to proto.esp");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\",\"variant\":{\"family\":\"ipv5\"}}]}",
                       "/requirements/0/variant/family", "unknown family \"ipv5\"");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\",\"variant\":{}}]}",
                       "/requirements/0/variant", "empty variant");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"selector.ports\",\"variant\":{\"port\":179}}]}",
                       "/requirements/0/variant/port", "needs a \"protocol\"");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"sa.multicast\",\"variant\":{\"group\":\"10.0.0.1\"}}]}",
                       "/requirements/0/variant/group", "not a multicast address");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"sa.multicast\",\"variant\":{\"group\":\"ff02::5\","
                            "\"family\":\"ipv4\"}}]}",
                       "/requirements/0/variant/family", "disagrees");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"crypto.algorithms\",\"variant\":{\"algorithms\":[]}}]}",
                       "/requirements/0/variant/algorithms", "1 to 32");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"crypto.algorithms\",\"variant\":{\"algorithms\":[7]}}]}",
                       "/requirements/0/variant/algorithms/0", "expected a string");
        assert_pointer(HEAD "\"requirements\":[{\"capability\":\"proto.esp\",\"note\":\"\"}]}",
                       "/requirements/0/note", "1 to 1024 bytes");
        assert_pointer("{\"schema\":\"ipsec-audit/profile/v1\",\"name\":\"t\",\"description\":\"d\",\"references\":[],"
                       "\"requirements\":[{\"capability\":\"proto.esp\"}]}",
                       "/references", "expected 1 to 32 entries");
        assert_pointer("{\"schema\":\"ipsec-audit/profile/v1\",\"description\":\"d\"}", "/", "missing \"name\"");
}

static void test_names(void **state) {
        assert_true(profile_name_valid("bgp"));
        assert_true(profile_name_valid("nested-vpn"));
        assert_false(profile_name_valid("bgp.json"));
        assert_false(profile_name_valid("./bgp"));
        assert_false(profile_name_valid("../etc/passwd"));
        assert_false(profile_name_valid(".hidden"));
        assert_false(profile_name_valid(""));
}

/* A report of three capabilities, in the contract's shape, with the checks the rules look at. */
static const char sample_report[] =
        "{\"schema\":\"ipsec-audit/report/v1\",\"host\":{\"kernel_release\":\"test\"},\"capabilities\":["
        "{\"id\":\"proto.esp\",\"verdict\":\"partial\",\"evidence\":\"e\",\"details\":{\"checks\":["
        "  {\"group\":\"ESP IPv4\",\"what\":\"transport SA\",\"outcome\":\"accepted\"},"
        "  {\"group\":\"ESP IPv6\",\"what\":\"transport SA\",\"outcome\":\"refused\",\"errno\":\"EAFNOSUPPORT\"}]}},"
        "{\"id\":\"proto.ah\",\"verdict\":\"unknown\",\"evidence\":\"no namespace\"},"
        "{\"id\":\"selector.ports\",\"verdict\":\"available\",\"evidence\":\"e\",\"details\":{\"checks\":["
        "  {\"group\":\"TCP IPv4\",\"what\":\"destination-port policy\",\"outcome\":\"accepted\"},"
        "  {\"group\":\"TCP IPv4\",\"what\":\"TCP to port 179 as ESP\",\"outcome\":\"untried\"},"
        "  {\"group\":\"UDP IPv4\",\"what\":\"UDP to port 179 as ESP\",\"outcome\":\"untried\"}]}},"
        "{\"id\":\"crypto.algorithms\",\"verdict\":\"partial\",\"evidence\":\"e\",\"details\":{"
        "  \"accepted_ikev2\":[\"ENCR_AES_GCM_16\"],\"accepted\":[\"rfc4106(gcm(aes))\",\"hmac(sha1)\"],\"checks\":["
        "  {\"group\":\"ENCR_AES_GCM_16\",\"what\":\"ESP SA\",\"outcome\":\"accepted\"},"
        "  {\"group\":\"ENCR_3DES\",\"what\":\"ESP SA\",\"outcome\":\"refused\",\"errno\":\"ENOENT\"}]}}"
        "]}";

/* Evaluates one requirement (JSON text) on sample_report: the outcome, and the result's first entry. */
static ProfileOutcome eval_one(const char *requirement, char *why, size_t size) {
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_(json_object_putp) json_object *report = json_tokener_parse(sample_report), *result = NULL;
        _cleanup_free_ char *text = NULL;
        ProfileOutcome o;
        ProfileError err;

        assert_non_null(report);
        assert_true(asprintf(&text, HEAD "\"requirements\":[%s]}", requirement) > 0);
        if (profile_parse(text, strlen(text), "t.json", &p, &err) < 0)
                fail_msg("%s: %s %s", requirement, err.pointer, err.message);
        assert_int_equal(profile_evaluate(p, report, &o, &result), 0);
        strscpy(why, size, json_str(json_object_array_get_idx(json_get(result, "requirements", json_type_array), 0),
                                    "why"));
        return o;
}

static void test_rules(void **state) {
        char why[512];

        /* Without a variant the whole capability counts: partial is not available. */
        assert_int_equal(eval_one("{\"capability\":\"proto.esp\"}", why, sizeof(why)), PROFILE_NOT_SATISFIED);
        assert_string_equal(why, "proto.esp is partial, available needed");
        assert_int_equal(eval_one("{\"capability\":\"proto.esp\",\"verdict\":\"partial\"}", why, sizeof(why)),
                         PROFILE_SATISFIED);
        /* A variant asks for the checks of that variant only. */
        assert_int_equal(eval_one("{\"capability\":\"proto.esp\",\"variant\":{\"family\":\"ipv4\"}}", why, sizeof(why)),
                         PROFILE_SATISFIED);
        assert_int_equal(eval_one("{\"capability\":\"proto.esp\",\"variant\":{\"family\":\"ipv6\"}}", why, sizeof(why)),
                         PROFILE_NOT_SATISFIED);
        assert_string_equal(why, "ESP IPv6: transport SA refused (EAFNOSUPPORT)");
        /* Unknown decides nothing: undecided, unless it is optional or an alternative is met. */
        assert_int_equal(eval_one("{\"capability\":\"proto.ah\"}", why, sizeof(why)), PROFILE_UNDECIDED);
        assert_int_equal(eval_one("{\"capability\":\"proto.ah\",\"optional\":true}", why, sizeof(why)),
                         PROFILE_SATISFIED);
        assert_int_equal(eval_one("{\"any_of\":[{\"capability\":\"proto.ah\"},{\"capability\":\"proto.esp\","
                                  "\"variant\":{\"family\":\"ipv4\"}}]}",
                                  why, sizeof(why)),
                         PROFILE_SATISFIED);
        assert_int_equal(eval_one("{\"any_of\":[{\"capability\":\"proto.ah\"},{\"capability\":\"proto.esp\"}]}", why,
                                  sizeof(why)),
                         PROFILE_UNDECIDED);
        /* Untried checks count neither way; with none accepted, nothing can be said. */
        assert_int_equal(eval_one("{\"capability\":\"selector.ports\",\"variant\":{\"protocol\":\"tcp\",\"port\":179}}",
                                  why, sizeof(why)),
                         PROFILE_SATISFIED);
        assert_string_equal(why, "1 check of this variant accepted, 1 not tried");
        assert_int_equal(eval_one("{\"capability\":\"selector.ports\",\"variant\":{\"protocol\":\"udp\"}}", why,
                                  sizeof(why)),
                         PROFILE_UNDECIDED);
        assert_int_equal(eval_one("{\"capability\":\"selector.ports\",\"variant\":{\"protocol\":\"sctp\"}}", why,
                                  sizeof(why)),
                         PROFILE_UNDECIDED);
        assert_string_equal(why, "the report has no check of this variant");
        /* Algorithms: accepted by either name; refused is unmet; never tried is undecided. */
        assert_int_equal(eval_one("{\"capability\":\"crypto.algorithms\",\"variant\":{\"algorithms\":"
                                  "[\"ENCR_AES_GCM_16\",\"hmac(sha1)\"]}}",
                                  why, sizeof(why)),
                         PROFILE_SATISFIED);
        assert_int_equal(eval_one("{\"capability\":\"crypto.algorithms\",\"variant\":{\"algorithms\":"
                                  "[\"ENCR_CHACHA20_POLY1305\",\"ENCR_3DES\"]}}",
                                  why, sizeof(why)),
                         PROFILE_NOT_SATISFIED);
        assert_string_equal(why, "ENCR_CHACHA20_POLY1305 was not tried by the audit; ENCR_3DES: ESP SA refused (ENOENT)");
        /* A capability the report does not carry (an older report) cannot be judged. */
        assert_int_equal(eval_one("{\"capability\":\"sa.nested\"}", why, sizeof(why)), PROFILE_UNDECIDED);
}

static void test_not_a_report(void **state) {
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_(json_object_putp) json_object *other = json_tokener_parse("{\"schema\":\"something/else\"}");
        json_object *result = NULL;
        const char text[] = HEAD "\"requirements\":[{\"capability\":\"proto.esp\"}]}";
        ProfileOutcome o;
        ProfileError err;

        assert_int_equal(profile_parse(text, strlen(text), "t.json", &p, &err), 0);
        assert_int_equal(profile_evaluate(p, other, &o, &result), -EBADMSG);
        assert_null(result);
}

/* Every shipped profile parses (PROFILES_DIR is the source tree's profiles/). */
static void test_builtin_profiles(void **state) {
        static const char *const names[] = { "bgp", "ospfv3", "l2tp", "nested-vpn", "multicast-group" };

        assert_int_equal(setenv(PROFILE_PATH_ENV, PROFILES_DIR, 1), 0);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_(profile_freep) Profile *p = NULL;
                ProfileError err;

                if (profile_load(names[i], &p, &err) < 0)
                        fail_msg("%s: %s %s", names[i], err.pointer, err.message);
                assert_string_equal(p->name, names[i]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_syntax_position),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_content_errors),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_rules),
                cmocka_unit_test(test_not_a_report),
                cmocka_unit_test(test_builtin_profiles),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
