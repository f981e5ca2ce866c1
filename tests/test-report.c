/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The report contract (DESIGN.md): JSON keys and types, the catalogue, the text layout. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "catalogue.h"
#include "macro.h"
#include "probe-table.h"
#include "report.h"
#include "synthetic.h"

static const char *const contract_ids[] = {
        "api.xfrm_netlink", "api.pfkey_v2", "api.socket_policy", "proto.esp", "proto.ah",
        "proto.ipcomp", "mode.transport", "mode.tunnel", "mode.beet", "crypto.algorithms",
        "natt.udp_encap", "natt.tcp_encap", "km.replay_esn", "km.ike_daemon",
        "km.acquire_listener", "selector.ports", "selector.protocol", "selector.mixed_policy",
        "selector.user", "sa.nested", "sa.multicast", "iface.xfrm", "iface.vti",
};

static const SyntheticCap mixed[] = {
        { "api.xfrm_netlink", VERDICT_AVAILABLE, 0 },
        { "proto.esp", VERDICT_UNAVAILABLE, EPROTONOSUPPORT },
        { "proto.ah", VERDICT_PARTIAL, EAFNOSUPPORT },
        { "natt.udp_encap", VERDICT_UNKNOWN, 0 },
        { "selector.ports", VERDICT_AVAILABLE, 0 },
        { "sa.multicast", VERDICT_UNAVAILABLE, EPROTONOSUPPORT },
};

static json_object *get(json_object *o, const char *key, json_type type) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("missing key '%s'", key);
        if (!json_object_is_type(v, type))
                fail_msg("key '%s' has type %s", key, json_type_to_name(json_object_get_type(v)));
        return v;
}

static bool has(json_object *o, const char *key) {
        return json_object_object_get_ex(o, key, NULL);
}

static void assert_one_of(const char *s, const char *const *set) {
        for (; *set; set++)
                if (strcmp(s, *set) == 0)
                        return;
        fail_msg("unexpected value '%s'", s);
}

static void check_capability(json_object *c) {
        static const char *const verdicts[] = { "available", "partial", "unavailable", "unknown", NULL };
        static const char *const levels[] = { "datapath", "api", "config", "none", NULL };
        const char *verdict = json_object_get_string(get(c, "verdict", json_type_string));
        json_object *checks = get(get(c, "details", json_type_object), "checks", json_type_array);

        assert_non_null(catalogue_find(json_object_get_string(get(c, "id", json_type_string))));
        get(c, "rfc5406_section", json_type_string);
        get(c, "question", json_type_string);
        assert_one_of(verdict, verdicts);
        assert_one_of(json_object_get_string(get(c, "level", json_type_string)), levels);
        assert_true(strlen(json_object_get_string(get(c, "evidence", json_type_string))) > 0);
        assert_true(json_object_array_length(checks) > 0);

        if (strcmp(verdict, "available") == 0) {
                assert_false(has(c, "remedy"));
                assert_false(has(c, "errno"));
        } else {
                json_object *remedy = get(c, "remedy", json_type_object);
                get(remedy, "text", json_type_string);
                get(remedy, "impact", json_type_string);
                assert_true(json_object_array_length(get(remedy, "kernel_config", json_type_array)) > 0);
                get(remedy, "modules", json_type_array);
        }
        if (has(c, "blocked_by"))
                assert_true(json_object_array_length(get(c, "blocked_by", json_type_array)) > 0);
}

static void test_json_contract(void **state) {
        Audit *a = synthetic_audit(mixed, ELEMENTSOF(mixed));
        _cleanup_(json_object_putp) json_object *root = NULL, *reparsed = NULL;
        json_object *caps, *s4, *host, *priv, *esp;
        const char *text, *generated;

        assert_int_equal(report_json(a, &root), 0);
        assert_string_equal(json_object_get_string(get(root, "schema", json_type_string)), "ipsec-audit/report/v1");
        get(get(root, "tool", json_type_object), "version", json_type_string);
        generated = json_object_get_string(get(root, "generated_at", json_type_string));
        assert_int_equal(strlen(generated), 20);
        assert_int_equal(generated[19], 'Z');
        get(root, "duration_ms", json_type_int);

        host = get(root, "host", json_type_object);
        get(host, "hostname", json_type_string);
        get(host, "kernel_release", json_type_string);
        get(host, "machine", json_type_string);
        get(host, "os_pretty_name", json_type_string);
        get(host, "boot_id", json_type_string);

        priv = get(root, "privilege", json_type_object);
        get(priv, "euid", json_type_int);
        assert_string_equal(json_object_get_string(get(priv, "sandbox", json_type_string)), "netns");
        get(priv, "passive", json_type_boolean);

        caps = get(root, "capabilities", json_type_array);
        assert_int_equal(json_object_array_length(caps), ELEMENTSOF(mixed));
        for (size_t i = 0; i < json_object_array_length(caps); i++)
                check_capability(json_object_array_get_idx(caps, i));

        /* Report order is the probe table's, and kernel errno travels by name. */
        esp = json_object_array_get_idx(caps, 1);
        assert_string_equal(json_object_get_string(get(esp, "id", json_type_string)), "proto.esp");
        assert_string_equal(json_object_get_string(get(esp, "errno", json_type_string)), "EPROTONOSUPPORT");

        s4 = get(root, "section4", json_type_object);
        get(s4, "ipsec_available", json_type_string);
        get(s4, "point_to_point", json_type_string);
        get(s4, "vpn", json_type_string);
        get(s4, "multiple_layers", json_type_string);
        get(s4, "verdict", json_type_string);
        get(s4, "summary", json_type_string);
        assert_int_equal(json_object_array_length(get(root, "modules_loaded_by_audit", json_type_array)), 0);

        /* What the CLI prints parses back to the same tree. */
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
        reparsed = json_tokener_parse(text);
        assert_non_null(reparsed);
        assert_true(json_object_equal(root, reparsed));
        synthetic_free(a);
}

/* Details: a list becomes an array (commas inside a name do not split it), a scalar a string. */
static void test_details(void **state) {
        const Probe *p = probe_find(probe_table, "crypto.algorithms");
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *details, *list;
        CapResult r = {};
        char big[RESULT_DETAIL_VALUE + 1];

        assert_non_null(p);
        assert_int_equal(result_append_detail(&r, "accepted", "cbc(aes)"), 0);
        assert_int_equal(result_append_detail(&r, "accepted", "rfc7539esp(chacha20,poly1305)"), 0);
        assert_int_equal(result_append_detail(&r, "accepted", "hmac(sha256)"), 0);
        assert_int_equal(result_set_detail(&r, "confidentiality_only_esp", "accepted, discouraged"), 0);
        /* Items cannot hold the separator; kinds do not mix; room is bounded. */
        assert_int_equal(result_append_detail(&r, "accepted", "a, b"), -EINVAL);
        assert_int_equal(result_append_detail(&r, "accepted", ""), -EINVAL);
        assert_int_equal(result_set_detail(&r, "accepted", "x"), -ENOBUFS);
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(result_set_detail(&r, "too_long", big), -ENOBUFS);
        for (int i = 0; r.n_details < RESULT_MAX_DETAILS; i++) {
                char key[16];
                snprintf(key, sizeof(key), "k%d", i);
                assert_int_equal(result_set_detail(&r, key, "v"), 0);
        }
        assert_int_equal(result_set_detail(&r, "one_more", "v"), -ENOBUFS);
        assert_string_equal(result_find_detail(&r, "accepted")->value,
                            "cbc(aes), rfc7539esp(chacha20,poly1305), hmac(sha256)");

        r.verdict = VERDICT_AVAILABLE;
        assert_int_equal(report_json_capability(p, &r, &o), 0);
        details = get(o, "details", json_type_object);
        get(details, "checks", json_type_array);
        list = get(details, "accepted", json_type_array);
        assert_int_equal(json_object_array_length(list), 3);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 1)), "rfc7539esp(chacha20,poly1305)");
        assert_string_equal(json_object_get_string(get(details, "confidentiality_only_esp", json_type_string)),
                            "accepted, discouraged");
}

static void test_json_modules(void **state) {
        Audit *a = synthetic_audit(mixed, ELEMENTSOF(mixed));
        _cleanup_(json_object_putp) json_object *root = NULL, *unknown = NULL;
        json_object *mods, *caps, *v = NULL;

        assert_int_equal(module_list_push(&a->modules_loaded, "esp4"), 0);
        assert_int_equal(module_list_push(&a->modules_loaded, "xfrm_user"), 0);
        assert_int_equal(module_list_push(&a->modules_left, "xfrm_user"), 0);
        assert_int_equal(report_json(a, &root), 0);
        mods = get(root, "modules_loaded_by_audit", json_type_array);
        assert_int_equal(json_object_array_length(mods), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(mods, 1)), "xfrm_user");
        mods = get(root, "modules_left_loaded", json_type_array);
        assert_int_equal(json_object_array_length(mods), 1);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(mods, 0)), "xfrm_user");

        /* Per capability, the modules of its catalogue entry that were loaded on demand. */
        caps = get(root, "capabilities", json_type_array);
        mods = get(json_object_array_get_idx(caps, 1), "modules_loaded_on_demand", json_type_array);
        assert_int_equal(json_object_array_length(mods), 1); /* proto.esp: esp4, not esp6 or authenc */
        assert_string_equal(json_object_get_string(json_object_array_get_idx(mods, 0)), "esp4");
        assert_false(json_object_object_get_ex(json_object_array_get_idx(caps, 4), "modules_loaded_on_demand", &v));

        /* An unreadable /proc/modules is "not known" (null), not "none" ([]). */
        a->modules_known = false;
        assert_int_equal(report_json(a, &unknown), 0);
        assert_true(json_object_object_get_ex(unknown, "modules_loaded_by_audit", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(unknown, "modules_left_loaded", &v));
        assert_null(v);
        synthetic_free(a);
}

static void test_catalogue_complete(void **state) {
        assert_int_equal(catalogue_size, ELEMENTSOF(contract_ids));
        for (size_t i = 0; i < ELEMENTSOF(contract_ids); i++) {
                const CatalogueEntry *e = catalogue_find(contract_ids[i]);
                assert_non_null(e);
                assert_true(strlen(e->question) > 0 && strlen(e->references) > 0);
                assert_true(strlen(e->impact) > 0 && strlen(e->remedy) > 0);
                assert_true(strlen(e->measure) > 0 && strlen(e->partial) > 0);
                assert_non_null(e->kernel_config[0]);
                assert_non_null(e->modules);
        }
        assert_null(catalogue_find("proto.nonsense"));
}

static void test_probe_table(void **state) {
        static const char *const sections[] = { "3.1", "3.2", "3.3", "3.4", "3.4, 4", "3.4, 5", "4", "5", "5, 6",
                                                "6", "7", NULL };

        for (const Probe *const *p = probe_table; *p; p++) {
                assert_non_null(catalogue_find((*p)->id));
                assert_one_of((*p)->rfc5406_section, sections);
                assert_non_null((*p)->run);
                assert_ptr_equal(probe_find(probe_table, (*p)->id), *p);
                for (const Probe *const *q = p + 1; *q; q++)
                        assert_string_not_equal((*p)->id, (*q)->id);
        }
        assert_null(probe_find(probe_table, "nope"));
}

/* The text of one renderer (report_text, report_text_brief). */
static char *render(const Audit *a, bool colour, int (*renderer)(const Audit *a, FILE *f, bool colour)) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        assert_int_equal(renderer(a, f, colour), 0);
        fclose(f);
        return buf;
}

static char *render_text(const Audit *a, bool colour) {
        return render(a, colour, report_text);
}

static void test_text_layout(void **state) {
        Audit *a = synthetic_audit(mixed, ELEMENTSOF(mixed));
        char *plain = render_text(a, false), *coloured = render_text(a, true);
        const char *s31, *s34, *s5, *s7, *v;

        s31 = strstr(plain, "\n3.1. AH and ESP\n");
        s34 = strstr(plain, "\n3.4. Application Programming Interface\n");
        s5 = strstr(plain, "\n5. Endpoints\n");
        s7 = strstr(plain, "\n7. Broadcast and Multicast\n");
        v = strstr(plain, "\nSection 4 verdict: ");
        assert_non_null(s31);
        assert_non_null(s34);
        assert_non_null(s5);
        assert_non_null(s7);
        assert_non_null(v);
        assert_true(s31 < s34 && s34 < s5 && s5 < s7 && s7 < v);
        /* Sections with no probe in this audit get no heading. */
        assert_null(strstr(plain, "3.3. Key Management"));

        assert_non_null(strstr(plain, "[-] proto.esp "));
        assert_non_null(strstr(plain, "[+] api.xfrm_netlink "));
        assert_non_null(strstr(plain, "remedy: Build or load the ESP transforms"));
        assert_non_null(strstr(plain, "CONFIG_INET_ESP"));
        assert_null(strchr(plain, '\033'));
        assert_non_null(strchr(coloured, '\033'));
        free(plain);
        free(coloured);
        synthetic_free(a);
}

static char *render_brief(const Audit *a, bool colour) {
        return render(a, colour, report_text_brief);
}

/* Lines of text that hold word as a whole word (an id followed by a space or the line's end). */
static unsigned lines_with(const char *text, const char *word) {
        unsigned n = 0;

        for (const char *p = text; (p = strstr(p, word)); p += strlen(word))
                if ((p == text || p[-1] == ' ') && (p[strlen(word)] == ' ' || p[strlen(word)] == '\n'))
                        n++;
        return n;
}

/* One screen: the verdict in the first 5 lines, one line per capability, 80 columns, colour only when asked. */
static void test_brief_layout(void **state) {
        Audit *a = synthetic_audit_all(VERDICT_UNAVAILABLE, EPROTONOSUPPORT);
        char *plain = render_brief(a, false), *coloured = render_brief(a, true);
        unsigned lines = 0, line_of_verdict = 0;

        for (const char *p = plain; *p; p += strcspn(p, "\n") + 1) {
                size_t len = strcspn(p, "\n");

                lines++;
                assert_true(len <= 80);
                if (strncmp(p, "Section 4 verdict: unavailable", 30) == 0)
                        line_of_verdict = lines;
        }
        assert_in_range(line_of_verdict, 1, 5);
        assert_in_range(lines, a->n_results, 40);
        assert_non_null(strstr(plain, "\n3.1 AH and ESP\n"));
        /* The last line names the first capability on screen that is not available. */
        assert_non_null(strstr(plain, "\nNext: -v for evidence and remedies; ipsec-audit explain proto.esp\n"));
        *strstr(plain, "\nNext: ") = '\0';
        for (size_t i = 0; i < a->n_results; i++)
                assert_int_equal(lines_with(plain, a->probes[i]->id), 1);
        assert_null(strchr(plain, '\033'));
        assert_non_null(strchr(coloured, '\033'));
        free(plain);
        free(coloured);
        synthetic_free(a);
}

static Check *refused(CapResult *r, const char *group, int err, const char *note) {
        Check *c = result_add_check(r, group, "transport SA");

        assert_non_null(c);
        c->outcome = CHECK_REFUSED;
        c->err = err;
        strcpy(c->note, note);
        return c;
}

static void cause_is(const CapResult *r, const char *want) {
        char cause[256];

        report_short_cause(r, cause, sizeof(cause));
        assert_string_equal(cause, want);
}

/* The shortest cause follows remedy_for()'s order: host setting, prerequisites, then the capability's own. */
static void test_short_cause(void **state) {
        CapResult r = { .verdict = VERDICT_UNAVAILABLE, .level = LEVEL_API };

        refused(&r, "ESP IPv4", EPROTONOSUPPORT, "esp4 is not built for kernel 6.1");
        refused(&r, "ESP IPv6", EPROTONOSUPPORT, "esp6 is not built for kernel 6.1");
        cause_is(&r, "no esp4, esp6");
        refused(&r, "ESP IPv4 tunnel", EPROTONOSUPPORT, "esp4 is not built for kernel 6.1");
        cause_is(&r, "no esp4, esp6");
        /* A name that another one starts with is its own entry. */
        refused(&r, "IPComp IPv6", EPROTONOSUPPORT, "ipcomp6 is not built for kernel 6.1");
        refused(&r, "IPComp IPv4", EPROTONOSUPPORT, "ipcomp is not built for kernel 6.1");
        cause_is(&r, "no esp4, esp6, ipcomp6, ipcomp");
        r.blocked_by[r.n_blocked_by++] = "api.xfrm_netlink";
        cause_is(&r, "blocked by api.xfrm_netlink");
        r.blocked_by[r.n_blocked_by++] = "api.pfkey_v2";
        cause_is(&r, "blocked by api.xfrm_netlink and more");
        strcpy(r.checks[0].note, "xfrm_user is not loaded: kernel.modules_disabled=1");
        cause_is(&r, "xfrm_user: modules_disabled=1");

        r = (CapResult) { .verdict = VERDICT_PARTIAL, .level = LEVEL_API };
        refused(&r, "AES-CBC", ENOENT, "");
        assert_int_equal(result_append_detail(&r, "template_missing", "authenc"), 0);
        cause_is(&r, "no crypto template authenc");

        r = (CapResult) { .verdict = VERDICT_UNAVAILABLE, .level = LEVEL_API, .err = EINVAL };
        strcpy(refused(&r, "IPv4", EINVAL, "")->extack, "Unsupported encapsulation type");
        cause_is(&r, "Unsupported encapsulation type");
        r.checks[0].extack[0] = '\0';
        cause_is(&r, "EINVAL");
        strcpy(r.checks[0].note, "IPv6 is disabled in this kernel; nothing sent");
        cause_is(&r, "IPv6 is disabled in this kernel");

        r = (CapResult) { .verdict = VERDICT_UNKNOWN, .level = LEVEL_NONE };
        strcpy(r.evidence, "Not tried: passive mode; no namespace.");
        cause_is(&r, "Not tried: passive mode");
        r.verdict = VERDICT_AVAILABLE;
        cause_is(&r, "");
}

/* report_from_json() undoes report_json(): the same JSON again, and the same text. */
static void roundtrip(Audit *a) {
        json_object *root = NULL, *again = NULL;
        Audit *loaded = NULL;
        char *json1, *json2, *text1, *text2;

        /* Blockers and modules too, so every field of the contract travels. */
        if (a->n_results > 1) {
                a->results[1].blocked_by[0] = a->probes[0]->id;
                a->results[1].n_blocked_by = 1;
                Check *c = result_add_check(&a->results[1], "ESP IPv4", "transport SA");
                assert_non_null(c);
                c->outcome = CHECK_REFUSED;
                c->err = EPROTONOSUPPORT;
                strcpy(c->extack, "Requested type not found");
        }
        if (a->modules_known && a->modules_loaded.n == 0) {
                assert_int_equal(module_list_push(&a->modules_loaded, "esp4"), 0);
                assert_int_equal(module_list_push(&a->modules_loaded, "sctp"), 0);
                assert_int_equal(module_list_push(&a->modules_left, "sctp"), 0);
        }
        assert_int_equal(report_json(a, &root), 0);
        json1 = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
        assert_int_equal(report_from_json(root, probe_table, &loaded), 0);
        assert_int_equal(loaded->n_results, a->n_results);
        assert_int_equal(report_json(loaded, &again), 0);
        json2 = strdup(json_object_to_json_string_ext(again, JSON_C_TO_STRING_PRETTY));
        assert_string_equal(json2, json1);
        text1 = render_text(a, false);
        text2 = render_text(loaded, false);
        assert_string_equal(text2, text1);

        free(json1);
        free(json2);
        free(text1);
        free(text2);
        json_object_put(root);
        json_object_put(again);
        report_loaded_free(loaded);
}

static void test_json_roundtrip(void **state) {
        Audit *a = synthetic_audit(mixed, ELEMENTSOF(mixed));
        roundtrip(a);
        synthetic_free(a);
        a = synthetic_audit_all(VERDICT_UNKNOWN, EPERM);
        roundtrip(a);
        synthetic_free(a);
}

/* No byte that a terminal acts on: controls other than newline, DEL, C1 controls in UTF-8. */
static void assert_terminal_safe(const char *text) {
        for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
                if ((*p < 0x20 && *p != '\n') || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
                        fail_msg("control byte 0x%02x at offset %td", *p, (const char *) p - text);
        }
}

/* Strings from outside (host names, process names in evidence, report files) reach the terminal escaped. */
static void test_text_escapes_outside_strings(void **state) {
        Audit *a = synthetic_audit(mixed, ELEMENTSOF(mixed)), *loaded = NULL;
        json_object *root = NULL;
        char *text, *again;

        strcpy(a->host.hostname, "\033]0;PWNED\a\033[2J");
        strcpy(a->host.os_pretty_name, "D\xc3\xa9" "bian \xc2\x9b" "6n \xff");
        strcpy(a->results[0].evidence, "UDP 4500 by \033[31mcharon\r[99] uid 0, back\\slash");
        assert_int_equal(result_set_detail(&a->results[0], "name", "\x7f\x01"), 0);
        text = render_text(a, false);
        assert_terminal_safe(text);
        assert_non_null(strstr(text, "on \\x1b]0;PWNED\\x07\\x1b[2J\n"));
        assert_non_null(strstr(text, "D\xc3\xa9" "bian \\xc2\\x9b6n \\xff")); /* valid UTF-8 kept, C1 and junk escaped */
        assert_non_null(strstr(text, "by \\x1b[31mcharon\\x0d[99] uid 0, back\\\\slash"));
        assert_non_null(strstr(text, "name: \\x7f\\x01"));

        /* The same through a report read back (ipsec-audit --bus, a state file). */
        assert_int_equal(report_json(a, &root), 0);
        assert_int_equal(report_from_json(root, probe_table, &loaded), 0);
        again = render_text(loaded, false);
        assert_terminal_safe(again);
        assert_string_equal(again, text);

        free(text);
        free(again);
        json_object_put(root);
        report_loaded_free(loaded);
        synthetic_free(a);
}

static void test_json_not_a_report(void **state) {
        json_object *o = json_tokener_parse("{\"schema\": \"something/else\", \"capabilities\": []}");
        json_object *bad = json_tokener_parse("{\"schema\": \"ipsec-audit/report/v1\", \"capabilities\": [{\"id\": \"proto.esp\", \"verdict\": \"maybe\", \"level\": \"api\"}]}");
        Audit *a = NULL;

        assert_int_equal(report_from_json(o, probe_table, &a), -EBADMSG);
        assert_int_equal(report_from_json(bad, probe_table, &a), -EBADMSG);
        assert_null(a);
        json_object_put(o);
        json_object_put(bad);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_contract),
                cmocka_unit_test(test_json_modules),
                cmocka_unit_test(test_details),
                cmocka_unit_test(test_catalogue_complete),
                cmocka_unit_test(test_probe_table),
                cmocka_unit_test(test_text_layout),
                cmocka_unit_test(test_brief_layout),
                cmocka_unit_test(test_short_cause),
                cmocka_unit_test(test_json_roundtrip),
                cmocka_unit_test(test_json_not_a_report),
                cmocka_unit_test(test_text_escapes_outside_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
