/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The uevent parser against messages as the kernel sends them (lib/kobject_uevent.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/auditd.h"

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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_module_add),
                cmocka_unit_test(test_module_remove),
                cmocka_unit_test(test_other_subsystems_ignored),
                cmocka_unit_test(test_malformed_ignored),
                cmocka_unit_test(test_truncated_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
