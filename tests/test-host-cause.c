/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's explanation of a missing module, on a fake root tree. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "engine/module-files.h"
#include "macro.h"
#include "host-cause.h"

#define REL "6.1.0-test"

static char root[] = "/tmp/ipsec-audit-modcause.XXXXXX";

/* Replaces the file (a new inode, as depmod replaces modules.dep). */
static void put(const char *rel, const char *text) {
        char path[512], tmp[520], dir[600];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", path);
        assert_int_equal(system(dir), 0);
        f = fopen(tmp, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        assert_int_equal(rename(tmp, path), 0);
}

static int setup(void **state) {
        assert_non_null(mkdtemp(root));
        put("proc/modules", "xfrm_user 53248 0 - Live 0x0\n");
        put("proc/sys/kernel/modules_disabled", "0\n");
        put("proc/sys/kernel/modprobe", "/sbin/modprobe\n");
        char modprobe[sizeof(root) + 16];

        put("sbin/modprobe", "");
        snprintf(modprobe, sizeof(modprobe), "%s/sbin/modprobe", root);
        assert_int_equal(chmod(modprobe, 0755), 0);
        put("lib/modules/" REL "/modules.builtin", "kernel/crypto/gcm.ko\n");
        put("lib/modules/" REL "/modules.dep", "kernel/net/ipv4/esp4.ko.xz:\nkernel/net/ipv6/esp6.ko: kernel/x.ko\n"
                                               "kernel/net/key/af_key.ko:\n");
        return 0;
}

static int teardown(void **state) {
        char cmd[600];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd);
}

/* The one-line report reads the note back: the same cause, and the short form. */
static void brief_is(const char *note, HostCause cause, const char *want) {
        char brief[160];

        assert_int_equal(host_cause_brief(note, brief, sizeof(brief)), cause);
        assert_string_equal(brief, want);
}

static void test_loaded_or_builtin_explain_nothing(void **state) {
        char why[160];

        assert_int_equal(module_cause(root, REL, "xfrm_user", why, sizeof(why)), HOST_CAUSE_UNKNOWN);
        assert_string_equal(why, "");
        assert_int_equal(module_cause(root, REL, "gcm", why, sizeof(why)), HOST_CAUSE_UNKNOWN);
        assert_string_equal(why, "");
}

static void test_not_built(void **state) {
        char why[160];

        assert_int_equal(module_cause(root, REL, "ah4", why, sizeof(why)), HOST_CAUSE_NOT_BUILT);
        assert_string_equal(why, "ah4 is not built for kernel " REL);
        brief_is(why, HOST_CAUSE_NOT_BUILT, "no ah4");
        assert_null(host_cause_remedy(HOST_CAUSE_NOT_BUILT));
}

static void test_blacklist_and_install(void **state) {
        char why[160];

        put("etc/modprobe.d/local.conf", "# comment\nblacklist esp4\ninstall esp6 /bin/false\n");
        assert_int_equal(module_cause(root, REL, "esp4", why, sizeof(why)), HOST_CAUSE_BLACKLISTED);
        assert_string_equal(why, "esp4 is not loaded: blacklist line in /etc/modprobe.d/local.conf:2");
        brief_is(why, HOST_CAUSE_BLACKLISTED, "esp4 blacklisted in modprobe.d");
        assert_int_equal(module_cause(root, REL, "esp6", why, sizeof(why)), HOST_CAUSE_INSTALL);
        brief_is(why, HOST_CAUSE_INSTALL, "esp6: install line in modprobe.d");
        /* '-' and '_' are one character to modprobe. */
        assert_int_equal(module_cause(root, REL, "af-key", why, sizeof(why)), HOST_CAUSE_UNKNOWN);
        assert_string_equal(why, "af-key is built but did not load");
        brief_is(why, HOST_CAUSE_UNKNOWN, "");
}

static void test_modules_disabled_first(void **state) {
        char why[160];

        put("proc/sys/kernel/modules_disabled", "1\n");
        assert_int_equal(module_cause(root, REL, "esp4", why, sizeof(why)), HOST_CAUSE_DISABLED);
        assert_string_equal(why, "esp4 is not loaded: kernel.modules_disabled=1");
        brief_is(why, HOST_CAUSE_DISABLED, "esp4: modules_disabled=1");
        assert_int_equal(host_cause_from_remedy(host_cause_remedy(HOST_CAUSE_DISABLED)), HOST_CAUSE_DISABLED);
        put("proc/sys/kernel/modules_disabled", "0\n");
}

static void test_no_modprobe(void **state) {
        char why[160];

        put("proc/sys/kernel/modprobe", "/nonexistent/modprobe\n");
        assert_int_equal(module_cause(root, REL, "af_key", why, sizeof(why)), HOST_CAUSE_NO_MODPROBE);
        assert_string_equal(why, "af_key is not loaded: kernel.modprobe=/nonexistent/modprobe is not a program");
        brief_is(why, HOST_CAUSE_NO_MODPROBE, "af_key: no modprobe program");
}

/* New namespaces inherit the host's IPv4 device settings: all first, then default. */
static void test_ipv4_bypass(void **state) {
        char why[64];

        put("proc/sys/net/ipv4/conf/all/disable_xfrm", "0\n");
        put("proc/sys/net/ipv4/conf/default/disable_xfrm", "0\n");
        put("proc/sys/net/ipv4/conf/all/disable_policy", "0\n");
        put("proc/sys/net/ipv4/conf/default/disable_policy", "0\n");
        assert_int_equal(host_cause_ipv4_bypass(root, why, sizeof(why)), HOST_CAUSE_UNKNOWN);
        assert_string_equal(why, "");
        put("proc/sys/net/ipv4/conf/default/disable_policy", "1\n");
        assert_int_equal(host_cause_ipv4_bypass(root, why, sizeof(why)), HOST_CAUSE_DISABLE_POLICY);
        assert_string_equal(why, "net.ipv4.conf.default.disable_policy=1");
        brief_is(why, HOST_CAUSE_DISABLE_POLICY, "disable_policy=1 on default");
        put("proc/sys/net/ipv4/conf/all/disable_xfrm", "1\n");
        assert_int_equal(host_cause_ipv4_bypass(root, why, sizeof(why)), HOST_CAUSE_DISABLE_XFRM);
        assert_string_equal(why, "net.ipv4.conf.all.disable_xfrm=1");
        brief_is(why, HOST_CAUSE_DISABLE_XFRM, "disable_xfrm=1 on all");
        /* As the datapath stage writes it: the setting, then what was missing on the wire. */
        brief_is("net.ipv4.conf.all.disable_xfrm=1: no ESP frame with SPI 0x11000", HOST_CAUSE_DISABLE_XFRM,
                 "disable_xfrm=1 on all");
        brief_is("net.ipv4.conf.all.forwarding=1", HOST_CAUSE_UNKNOWN, "");
        assert_non_null(host_cause_remedy(HOST_CAUSE_DISABLE_XFRM));
}

static void test_lsm(void **state) {
        char why[128];

        assert_int_equal(host_cause_lsm(root, why, sizeof(why)), HOST_CAUSE_LSM);
        assert_string_equal(why, "refused by a security module");
        put("sys/kernel/security/lsm", "lockdown,capability,selinux");
        assert_int_equal(host_cause_lsm(root, why, sizeof(why)), HOST_CAUSE_LSM);
        assert_string_equal(why, "refused by a security module (active: lockdown,capability,selinux)");
        brief_is(why, HOST_CAUSE_LSM, "refused by a security module");
        brief_is("IPv6 is disabled in this kernel", HOST_CAUSE_UNKNOWN, "");
}

/* Debian 6.1's lines: xfrm_interface and ip6_vti need xfrm6_tunnel, ip_vti does not. */
#define ALIASES "alias rtnl-link-vti ip_vti\nalias rtnl-link-xfrm xfrm_interface\nalias rtnl-link-vti6 ip6_vti\n" \
                "alias xfrm-type-10-4? xfrm6_tunnel\n"
#define DEPS "kernel/net/ipv4/esp4.ko.xz:\nkernel/net/ipv6/esp6.ko: kernel/x.ko\nkernel/net/key/af_key.ko:\n" \
             "kernel/net/xfrm/xfrm_interface.ko: kernel/net/ipv6/xfrm6_tunnel.ko kernel/net/ipv6/tunnel6.ko\n" \
             "kernel/net/ipv6/ip6_vti.ko: kernel/net/ipv6/ip6_tunnel.ko kernel/net/ipv6/xfrm6_tunnel.ko\n" \
             "kernel/net/ipv6/xfrm6_tunnel.ko.xz: kernel/net/ipv6/tunnel6.ko\n" \
             "kernel/net/ipv4/ip_vti.ko: kernel/net/ipv4/ip_tunnel.ko\n"

static void autoload_is(const char *alias, HostCause cause, const char *want) {
        char why[128];

        assert_int_equal(autoload_cause(root, REL, alias, why, sizeof(why)), cause);
        assert_string_equal(why, want);
}

static void test_autoload_xfrm6_tunnel(void **state) {
        const char *xfrmi = "xfrm_interface is not loaded: it needs xfrm6_tunnel, which fails with ipv6.disable=1";
        char cmd[600];

        put("lib/modules/" REL "/modules.alias", ALIASES);
        put("lib/modules/" REL "/modules.dep", DEPS);
        /* IPv6 on: every load may be asked for. */
        put("sys/module/ipv6/parameters/disable", "0\n");
        put("proc/cmdline", "BOOT_IMAGE=/vmlinuz ipv6.disable=1\n"); /* the built-in's parameter wins */
        autoload_is("rtnl-link-xfrm", HOST_CAUSE_UNKNOWN, "");

        put("sys/module/ipv6/parameters/disable", "1\n");
        autoload_is("rtnl-link-xfrm", HOST_CAUSE_IPV6_DISABLED, xfrmi);
        brief_is(xfrmi, HOST_CAUSE_IPV6_DISABLED, "xfrm_interface: ipv6.disable=1");
        assert_int_equal(host_cause_from_remedy(host_cause_remedy(HOST_CAUSE_IPV6_DISABLED)), HOST_CAUSE_IPV6_DISABLED);
        autoload_is("rtnl-link-vti6", HOST_CAUSE_IPV6_DISABLED,
                    "ip6_vti is not loaded: it needs xfrm6_tunnel, which fails with ipv6.disable=1");
        autoload_is("xfrm-type-10-41", HOST_CAUSE_IPV6_DISABLED, /* a pattern, and the module itself */
                    "xfrm6_tunnel is not loaded: it needs xfrm6_tunnel, which fails with ipv6.disable=1");
        autoload_is("rtnl-link-vti", HOST_CAUSE_UNKNOWN, "");
        autoload_is("rtnl-link-nosuchkind", HOST_CAUSE_UNKNOWN, "");

        /* Without the ipv6 module in sysfs, the command line says it. */
        snprintf(cmd, sizeof(cmd), "rm -r '%s/sys/module/ipv6'", root);
        assert_int_equal(system(cmd), 0);
        autoload_is("rtnl-link-xfrm", HOST_CAUSE_IPV6_DISABLED, xfrmi);
        put("proc/cmdline", "BOOT_IMAGE=/vmlinuz xipv6.disable=1 ipv6.disable=10\n");
        autoload_is("rtnl-link-xfrm", HOST_CAUSE_UNKNOWN, "");
        put("proc/cmdline", "ipv6.disable=1\n");

        /* Nothing to load, nothing to fail: the module, or xfrm6_tunnel, is there already. */
        put("proc/modules", "xfrm_user 53248 0 - Live 0x0\nxfrm_interface 40960 0 - Live 0x0\n");
        autoload_is("rtnl-link-xfrm", HOST_CAUSE_UNKNOWN, "");
        put("proc/modules", "xfrm_user 53248 0 - Live 0x0\nxfrm6_tunnel 16384 0 - Live 0x0\n");
        autoload_is("rtnl-link-xfrm", HOST_CAUSE_UNKNOWN, "");
        put("proc/modules", "xfrm_user 53248 0 - Live 0x0\n");
        put("lib/modules/" REL "/modules.builtin", "kernel/crypto/gcm.ko\nkernel/net/xfrm/xfrm_interface.ko\n");
        autoload_is("rtnl-link-xfrm", HOST_CAUSE_UNKNOWN, "");
        put("lib/modules/" REL "/modules.builtin", "kernel/crypto/gcm.ko\n");
        /* A modules.dep line past 1,000 characters is read whole: its tail is no line of its own. */
        {
                char deps[2048] = "kernel/drivers/big.ko:";

                while (strlen(deps) < 1100)
                        strcat(deps, " kernel/lib/padding.ko");
                strcat(deps, " kernel/net/ipv6/xfrm6_tunnel.ko kernel/net/xfrm/xfrm_interface.ko\n"
                             "kernel/net/xfrm/xfrm_interface.ko: kernel/net/ipv6/tunnel6.ko\n");
                put("lib/modules/" REL "/modules.dep", deps);
                autoload_is("rtnl-link-xfrm", HOST_CAUSE_UNKNOWN, "");
                put("lib/modules/" REL "/modules.dep", DEPS);
        }
        /* No module metadata: nothing says a load would pull it in. */
        put("lib/modules/" REL "/modules.alias", "");
        autoload_is("rtnl-link-xfrm", HOST_CAUSE_UNKNOWN, "");
}

/* Read once into an index, and again once depmod has replaced the file. */
static void test_module_files(void **state) {
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "esp4"), 1);
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "af-key"), 1); /* '-' as '_' */
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "esp"), 0);
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "gcm"), 0);
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_BUILTIN, "gcm"), 1);
        put("lib/modules/" REL "/modules.dep", "kernel/net/ipv4/ah4.ko:\n");
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "ah4"), 1);
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "esp4"), 0);
        /* Replaced by one of the same size: another file all the same. */
        put("lib/modules/" REL "/modules.dep", "kernel/net/ipv6/ah6.ko:\n");
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "ah6"), 1);
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "ah4"), 0);
        put("lib/modules/" REL "/modules.dep", DEPS);
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "esp4"), 1);
        assert_int_equal(module_file_lists(root, "no-such-release", MODULE_FILE_DEP, "esp4"), -ENOENT);
        /* Another kernel's file, another index: not the first one's answers. */
        put("lib/modules/other-release/modules.dep", "kernel/net/ipv4/ah4.ko:\n");
        assert_int_equal(module_file_lists(root, "other-release", MODULE_FILE_DEP, "ah4"), 1);
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "ah4"), 0);
        assert_int_equal(module_file_lists(root, REL, MODULE_FILE_DEP, "esp4"), 1);
}

static void test_ipv6_off(void **state) {
        char why[128];

        assert_false(host_ipv6_off(root, "dp-a", why, sizeof(why)));
        assert_string_equal(why, "");
        put("proc/sys/net/ipv6/conf/dp-a/disable_ipv6", "0\n");
        assert_false(host_ipv6_off(root, "dp-a", why, sizeof(why)));
        put("proc/sys/net/ipv6/conf/dp-a/disable_ipv6", "1\n");
        assert_true(host_ipv6_off(root, "dp-a", why, sizeof(why)));
        assert_string_equal(why, "IPv6 off on the veth pair: net.ipv6.conf.dp-a.disable_ipv6=1");
        /* Where the new namespace got it: the ipv6 module's parameter. */
        put("sys/module/ipv6/parameters/disable_ipv6", "1\n");
        assert_true(host_ipv6_off(root, "dp-a", why, sizeof(why)));
        assert_string_equal(why, "IPv6 off in new namespaces: net.ipv6.conf.default.disable_ipv6=1 "
                                 "(ipv6.disable_ipv6=1 at boot)");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_loaded_or_builtin_explain_nothing),
                cmocka_unit_test(test_not_built),
                cmocka_unit_test(test_blacklist_and_install),
                cmocka_unit_test(test_modules_disabled_first),
                cmocka_unit_test(test_no_modprobe),
                cmocka_unit_test(test_ipv4_bypass),
                cmocka_unit_test(test_lsm),
                cmocka_unit_test(test_autoload_xfrm6_tunnel),
                cmocka_unit_test(test_module_files),
                cmocka_unit_test(test_ipv6_off),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
