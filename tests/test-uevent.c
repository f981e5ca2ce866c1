/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The uevent parser against messages as the kernel sends them (lib/kobject_uevent.c), and the
 * judgement of an audit's module events against its report and /proc/modules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/auditd.h"
#include "macro.h"

/* A uevent: NUL-separated strings; sizeof includes the final NUL of the literal. */
#define UEVENT(s) s, sizeof(s)

static void test_module_add(void **state) {
        static const char msg[] = "add@/module/esp4\0ACTION=add\0DEVPATH=/module/esp4\0SUBSYSTEM=module\0SEQNUM=2201";
        const char *action = NULL;

        assert_string_equal(uevent_module(UEVENT(msg), &action), "esp4");
        assert_string_equal(action, "add");
}

static void test_module_remove(void **state) {
        static const char msg[] = "remove@/module/af_key\0ACTION=remove\0DEVPATH=/module/af_key\0SUBSYSTEM=module\0SEQNUM=9";
        const char *action = NULL;

        assert_string_equal(uevent_module(UEVENT(msg), &action), "af_key");
        assert_string_equal(action, "remove");
}

static void test_other_subsystems_ignored(void **state) {
        static const char net[] = "add@/devices/virtual/net/veth0\0ACTION=add\0DEVPATH=/devices/virtual/net/veth0\0SUBSYSTEM=net\0SEQNUM=3";
        static const char bind[] = "bind@/module/esp4\0ACTION=bind\0DEVPATH=/module/esp4\0SUBSYSTEM=module\0SEQNUM=4";
        static const char change[] = "change@/module/esp4\0ACTION=change\0DEVPATH=/module/esp4\0SUBSYSTEM=module\0SEQNUM=5";

        assert_null(uevent_module(UEVENT(net), NULL));
        assert_null(uevent_module(UEVENT(bind), NULL));
        assert_null(uevent_module(UEVENT(change), NULL));
}

static void test_malformed_ignored(void **state) {
        /* udev's rebroadcast starts with "libudev" and a binary header: no '@'. */
        static const char libudev[] = "libudev\0\xfe\xed\xca\xfe";
        static const char unterminated[] = { 'a', 'd', 'd', '@', '/', 'm' };
        static const char nested[] = "add@/module/esp4/x\0ACTION=add\0DEVPATH=/module/esp4/x\0SUBSYSTEM=module";
        static const char empty_name[] = "add@/module/\0ACTION=add\0DEVPATH=/module/\0SUBSYSTEM=module";
        static const char no_subsystem[] = "add@/module/esp4\0ACTION=add\0DEVPATH=/module/esp4";

        assert_null(uevent_module(UEVENT(libudev), NULL));
        assert_null(uevent_module(unterminated, sizeof(unterminated), NULL));
        assert_null(uevent_module(UEVENT(nested), NULL));
        assert_null(uevent_module(UEVENT(empty_name), NULL));
        assert_null(uevent_module(UEVENT(no_subsystem), NULL));
        assert_null(uevent_module("", 0, NULL));
}

/* A key cut off by the end of the buffer must not be read past it. */
static void test_truncated_key(void **state) {
        static const char msg[] = "add@/module/esp4\0ACTION=add\0DEVPATH=/module/esp4\0SUBSYSTEM=module";

        assert_null(uevent_module(msg, sizeof(msg) - 3, NULL));
}

/* A report that loaded af_key, esp4 and sctp on demand and could not unload sctp. */
#define REPORT                                                                                                    \
        "{\"schema\":\"ipsec-audit/report/v1\",\"capabilities\":[],\"section4\":{},"                            \
        "\"modules_loaded_by_audit\":[\"af_key\",\"esp4\",\"sctp\"],\"modules_left_loaded\":[\"sctp\"]}"

static void context_free(Context *c) {
        for (size_t i = 0; i < c->n_uevent_events; i++)
                free(c->uevent_events[i].module);
        free(c->uevent_events);
        free(c->report_text);
        json_object_put(c->report);
        free(c->signature);
}

/* A context with REPORT cached and the events "add:NAME" / "remove:NAME" seen while it ran. */
static void context_with(Context *c, const char *const *events, size_t n) {
        *c = (Context) {};
        assert_int_equal(cache_set(c, REPORT, NULL), 0);
        c->uevent_events = calloc(n ?: 1, sizeof(ModuleEvent));
        assert_non_null(c->uevent_events);
        for (size_t i = 0; i < n; i++) {
                bool removed = strncmp(events[i], "remove:", 7) == 0;
                c->uevent_events[i] = (ModuleEvent) { .module = strdup(strchr(events[i], ':') + 1), .removed = removed };
        }
        c->n_uevent_events = n;
}

static void list_of(ModuleList *l, const char *const *names, size_t n) {
        *l = (ModuleList) {};
        for (size_t i = 0; i < n; i++) /* sorted by the caller, as modules_read() sorts */
                assert_int_equal(module_list_push(l, names[i]), 0);
}

static void judge(Context *c, const ModuleList *before, const ModuleList *now, bool want_again, const char *want_removed) {
        ModuleList removed = {};
        bool again = !want_again;

        assert_int_equal(audit_events_judge(c, before, now, &again, &removed), 0);
        assert_int_equal(again, want_again);
        assert_int_equal(removed.n, want_removed ? 1 : 0);
        if (want_removed)
                assert_string_equal(removed.names[0], want_removed);
        module_list_free(&removed);
}

/* Its own loads and unloads, ending as it began plus sctp, which it reports left: no news. */
static void test_own_events_start_no_audit(void **state) {
        static const char *const ev[] = { "add:af_key", "add:esp4", "add:sctp", "remove:esp4", "remove:af_key" };
        static const char *const b[] = { "ip_tables" }, *const n[] = { "ip_tables", "sctp" };
        ModuleList before, now;
        Context c;

        context_with(&c, ev, ELEMENTSOF(ev));
        list_of(&before, b, ELEMENTSOF(b));
        list_of(&now, n, ELEMENTSOF(n));
        judge(&c, &before, &now, false, NULL);
        judge(&c, NULL, &now, false, NULL); /* nothing foreign: the set before need not be known */
        module_list_free(&before);
        module_list_free(&now);
        context_free(&c);
}

/* A module the report does not list (the crypto manager's late load) that stays loaded: audit again. */
static void test_unexplained_module_starts_audit(void **state) {
        static const char *const ev[] = { "add:esp4", "add:cmac", "remove:esp4" };
        static const char *const transient[] = { "add:esp4", "add:veth", "remove:veth", "remove:esp4" };
        static const char *const b[] = { "ip_tables" }, *const n[] = { "cmac", "ip_tables" }, *const same[] = { "ip_tables" };
        ModuleList before, now, unchanged;
        Context c;

        context_with(&c, ev, ELEMENTSOF(ev));
        list_of(&before, b, ELEMENTSOF(b));
        list_of(&now, n, ELEMENTSOF(n));
        list_of(&unchanged, same, ELEMENTSOF(same));
        judge(&c, &before, &now, true, NULL);
        judge(&c, NULL, &now, true, NULL);
        judge(&c, &before, &unchanged, false, NULL); /* loaded and gone again: nothing changed */
        context_free(&c);
        context_with(&c, transient, ELEMENTSOF(transient)); /* someone else's, loaded and removed */
        judge(&c, &before, &unchanged, false, NULL);
        judge(&c, NULL, &unchanged, true, NULL); /* unknown before: it may have been there */
        c.uevent_overflow = true;
        judge(&c, &before, &now, true, NULL);
        module_list_free(&before);
        module_list_free(&now);
        module_list_free(&unchanged);
        context_free(&c);
}

/* An administrator removes ah4 while the audit runs, and its trials load it again: audit again,
 * and the next audit counts ah4 as absent. Removed for good: audit again, nothing to undo. */
static void test_removed_by_others(void **state) {
        static const char *const back[] = { "add:esp4", "remove:ah4", "add:ah4", "remove:esp4" };
        static const char *const gone[] = { "add:esp4", "remove:ah4", "remove:esp4" };
        static const char *const b[] = { "ah4", "ip_tables" }, *const n[] = { "ip_tables" };
        ModuleList before, now;
        Context c;

        list_of(&before, b, ELEMENTSOF(b));
        list_of(&now, n, ELEMENTSOF(n));
        context_with(&c, back, ELEMENTSOF(back));
        judge(&c, &before, &before, true, "ah4");
        context_free(&c);
        context_with(&c, gone, ELEMENTSOF(gone));
        judge(&c, &before, &now, true, NULL);
        context_free(&c);
        module_list_free(&before);
        module_list_free(&now);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_module_add),
                cmocka_unit_test(test_module_remove),
                cmocka_unit_test(test_other_subsystems_ignored),
                cmocka_unit_test(test_malformed_ignored),
                cmocka_unit_test(test_truncated_key),
                cmocka_unit_test(test_own_events_start_no_audit),
                cmocka_unit_test(test_unexplained_module_starts_audit),
                cmocka_unit_test(test_removed_by_others),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
