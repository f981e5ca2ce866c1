/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "macro.h"
#include "host-cause.h"
#include "module-files.h"

static const char *const remedies[_HOST_CAUSE_MAX] = {
        [HOST_CAUSE_DISABLED] = "Loading modules is switched off until reboot (kernel.modules_disabled=1): boot "
                                  "without it, or load the module before it is set, or build it in.",
        [HOST_CAUSE_NO_MODPROBE] = "The kernel cannot autoload modules: set kernel.modprobe back to the modprobe "
                                     "program (/sbin/modprobe), or load the module by hand.",
        [HOST_CAUSE_BLACKLISTED] = "Remove the blacklist line for the module from modprobe.d (it stops the "
                                     "kernel's autoload by alias), or load the module by hand.",
        [HOST_CAUSE_DISABLE_XFRM] = "Set net.ipv4.conf.all.disable_xfrm and net.ipv4.conf.default.disable_xfrm "
                                    "to 0: with 1, IPv4 packets bypass IPsec policy on output.",
        [HOST_CAUSE_DISABLE_POLICY] = "Set net.ipv4.conf.all.disable_policy and net.ipv4.conf.default.disable_policy "
                                      "to 0: with 1, inbound IPv4 packets are not checked against IPsec policy.",
        [HOST_CAUSE_LSM] = "A security module's policy (SELinux, AppArmor, ...) refused the XFRM request: allow it "
                           "for the key manager's domain, or audit from an unconfined one.",
        [HOST_CAUSE_IPV6_DISABLED] = "IPv6 is switched off at boot (ipv6.disable=1), so xfrm6_tunnel cannot load, nor "
                                     "any module that needs it. The audit does not ask: in Debian's 6.1 that failed "
                                     "load flushes every namespace's SAs, the host's too. Boot without ipv6.disable=1 "
                                     "(net.ipv6.conf.all.disable_ipv6=1 keeps IPv6 off the interfaces).",
        [HOST_CAUSE_INSTALL] = "Remove the install line for the module from modprobe.d: it replaces loading the "
                                 "module with another command.",
};

const char *host_cause_remedy(HostCause c) {
        return c >= 0 && c < _HOST_CAUSE_MAX ? remedies[c] : NULL;
}

HostCause host_cause_from_remedy(const char *text) {
        for (int c = 0; c < _HOST_CAUSE_MAX; c++)
                if (remedies[c] && text && strcmp(remedies[c], text) == 0)
                        return (HostCause) c;
        return HOST_CAUSE_UNKNOWN;
}

static int read_line_file(const char *path, char *buf, size_t size) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");

        if (!f)
                return -errno;
        if (!fgets(buf, (int) size, f))
                return -ENODATA;
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

/* Read errors as "not listed": a kernel without the file has no module of that kind. */
static bool listed(const char *root, const char *release, ModuleFile which, const char *module) {
        return module_file_lists(root, release, which, module) > 0;
}

static bool loaded(const char *root, const char *module) {
        char path[4096];
        _cleanup_fclose_ FILE *f = NULL;
        char line[256];

        snprintf(path, sizeof(path), "%s/proc/modules", root);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (module_name_equal(line, strcspn(line, " "), module))
                        return true;
        return false;
}

/* Scans one modprobe configuration file for "blacklist M" or "install M ...". */
static HostCause scan_conf(const char *path, const char *module, char *where, size_t size) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[512];
        unsigned n = 0;

        while (f && fgets(line, sizeof(line), f)) {
                char *save = NULL, *cmd = strtok_r(line, " \t\n", &save), *name = strtok_r(NULL, " \t\n", &save);
                HostCause c;

                n++;
                if (!cmd || !name || !module_name_equal(name, strlen(name), module))
                        continue;
                if (strcmp(cmd, "blacklist") == 0)
                        c = HOST_CAUSE_BLACKLISTED;
                else if (strcmp(cmd, "install") == 0)
                        c = HOST_CAUSE_INSTALL;
                else
                        continue;
                snprintf(where, size, "%s:%u", path, n);
                return c;
        }
        return HOST_CAUSE_UNKNOWN;
}

/* modprobe.d(5)'s directories; a later file of the same name in an earlier directory wins, which we ignore. */
static HostCause scan_modprobe_d(const char *root, const char *module, char *where, size_t size) {
        static const char *const dirs[] = { "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                                            "/lib/modprobe.d", "/usr/lib/modprobe.d" };
        char path[4096];
        HostCause c;

        snprintf(path, sizeof(path), "%s/etc/modprobe.conf", root);
        if ((c = scan_conf(path, module, where, size)) != HOST_CAUSE_UNKNOWN)
                return c;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(closedirp) DIR *d = NULL;
                struct dirent *de;

                snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
                d = opendir(path);
                while (d && (de = readdir(d))) {
                        size_t len = strlen(de->d_name);

                        if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
                                continue;
                        snprintf(path, sizeof(path), "%s%s/%s", root, dirs[i], de->d_name);
                        if ((c = scan_conf(path, module, where, size)) != HOST_CAUSE_UNKNOWN)
                                return c;
                }
        }
        return HOST_CAUSE_UNKNOWN;
}

#define XFRM6_TUNNEL "xfrm6_tunnel"

/*
 * How a module's cause reads in a check's note, after the module's name: one
 * table for writing notes and for reading them back (host_cause_brief), so
 * the short form can never drift from the sentence.
 */
static const struct {
        HostCause cause;
        const char *phrase, *before, *after; /* the brief is before, the module, after */
} module_notes[] = {
        { HOST_CAUSE_NOT_BUILT, " is not built for kernel ", "no ", "" },
        { HOST_CAUSE_DISABLED, " is not loaded: kernel.modules_disabled=1", "", ": modules_disabled=1" },
        { HOST_CAUSE_BLACKLISTED, " is not loaded: blacklist line in ", "", " blacklisted in modprobe.d" },
        { HOST_CAUSE_INSTALL, " is not loaded: install line in ", "", ": install line in modprobe.d" },
        { HOST_CAUSE_NO_MODPROBE, " is not loaded: kernel.modprobe=", "", ": no modprobe program" },
        { HOST_CAUSE_IPV6_DISABLED, " is not loaded: it needs " XFRM6_TUNNEL ", which fails with ipv6.disable=1", "",
          ": ipv6.disable=1" },
};

static const char *module_phrase(HostCause c) {
        for (size_t i = 0; i < ELEMENTSOF(module_notes); i++)
                if (module_notes[i].cause == c)
                        return module_notes[i].phrase;
        return NULL;
}

bool host_modules_disabled(const char *root) {
        char path[4096], value[16];

        snprintf(path, sizeof(path), "%s/proc/sys/kernel/modules_disabled", root);
        return read_line_file(path, value, sizeof(value)) == 0 && strcmp(value, "1") == 0;
}

HostCause module_cause(const char *root, const char *release, const char *module, char *ret, size_t size) {
        char path[4096], value[256], where[4096 + 16];
        struct utsname u;
        HostCause c;

        ret[0] = '\0';
        if (!release) {
                if (uname(&u) < 0)
                        return HOST_CAUSE_UNKNOWN;
                release = u.release;
        }
        if (loaded(root, module) || listed(root, release, MODULE_FILE_BUILTIN, module))
                return HOST_CAUSE_UNKNOWN;
        if (!listed(root, release, MODULE_FILE_DEP, module)) {
                snprintf(ret, size, "%s%s%s", module, module_phrase(HOST_CAUSE_NOT_BUILT), release);
                return HOST_CAUSE_NOT_BUILT;
        }
        if (host_modules_disabled(root)) {
                snprintf(ret, size, "%s%s", module, module_phrase(HOST_CAUSE_DISABLED));
                return HOST_CAUSE_DISABLED;
        }
        if ((c = scan_modprobe_d(root, module, where, sizeof(where))) != HOST_CAUSE_UNKNOWN) {
                snprintf(ret, size, "%s%s%s", module, module_phrase(c), where + strlen(root));
                return c;
        }
        snprintf(path, sizeof(path), "%s/proc/sys/kernel/modprobe", root);
        if (read_line_file(path, value, sizeof(value)) == 0) {
                char prog[4096];

                snprintf(prog, sizeof(prog), "%s%s", root, value);
                if (!value[0] || access(prog, X_OK) < 0) {
                        snprintf(ret, size, "%s%s%s is not a program", module, module_phrase(HOST_CAUSE_NO_MODPROBE),
                                 value[0] ? value : "(empty)");
                        return HOST_CAUSE_NO_MODPROBE;
                }
        }
        snprintf(ret, size, "%s is built but did not load", module);
        return HOST_CAUSE_UNKNOWN;
}

/* ipv6.disable=1: the parameter of the ipv6 module (built in or loaded), else the command line. */
static bool ipv6_disabled(const char *root) {
        char path[4096], value[4096];
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(path, sizeof(path), "%s/sys/module/ipv6/parameters/disable", root);
        if (read_line_file(path, value, sizeof(value)) == 0)
                return strcmp(value, "1") == 0;
        snprintf(path, sizeof(path), "%s/proc/cmdline", root);
        f = fopen(path, "re");
        while (f && fscanf(f, "%4095s", value) == 1)
                if (strcmp(value, "ipv6.disable=1") == 0)
                        return true;
        return false;
}

/* Does a modules.dep line name xfrm6_tunnel, as the module or as one it needs? */
static bool needs_xfrm6_tunnel(const char *line) {
        return strstr(line, "/" XFRM6_TUNNEL ".ko") != NULL;
}

typedef struct AliasCause {
        const char *root, *release, *alias;
        char *module; /* the first that would pull in xfrm6_tunnel */
        size_t size;
} AliasCause;

/* modprobe's own resolution: the alias's modules, each loaded after everything it needs. */
static int alias_needs_xfrm6_tunnel(const char *pattern, const char *module, void *userdata) {
        AliasCause *a = userdata;
        char dep[8192];

        if (fnmatch(pattern, a->alias, 0) != 0 || loaded(a->root, module) ||
            listed(a->root, a->release, MODULE_FILE_BUILTIN, module))
                return 0;
        if (module_dep_line(a->root, a->release, module, dep, sizeof(dep)) < 0 || !needs_xfrm6_tunnel(dep))
                return 0;
        snprintf(a->module, a->size, "%s", module);
        return 1;
}

HostCause autoload_cause(const char *root, const char *release, const char *alias, char *ret, size_t size) {
        char module[64];
        AliasCause a = { root, release, alias, module, sizeof(module) };

        ret[0] = '\0';
        if (!ipv6_disabled(root) || loaded(root, XFRM6_TUNNEL))
                return HOST_CAUSE_UNKNOWN;
        if (module_alias_foreach(root, release, alias_needs_xfrm6_tunnel, &a) <= 0)
                return HOST_CAUSE_UNKNOWN;
        snprintf(ret, size, "%s%s", module, module_phrase(HOST_CAUSE_IPV6_DISABLED));
        return HOST_CAUSE_IPV6_DISABLED;
}

#define IPV4_CONF "net.ipv4.conf."
#define LSM_NOTE "refused by a security module"

HostCause host_cause_ipv4_bypass(const char *root, char *ret, size_t size) {
        static const struct {
                const char *setting;
                HostCause cause;
        } settings[] = {
                { "disable_xfrm", HOST_CAUSE_DISABLE_XFRM },
                { "disable_policy", HOST_CAUSE_DISABLE_POLICY },
        };
        static const char *const devices[] = { "all", "default" };

        ret[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(settings); i++)
                for (size_t d = 0; d < ELEMENTSOF(devices); d++) {
                        char path[4096], value[32];

                        snprintf(path, sizeof(path), "%s/proc/sys/net/ipv4/conf/%s/%s", root, devices[d],
                                 settings[i].setting);
                        if (read_line_file(path, value, sizeof(value)) == 0 && strcmp(value, "0") != 0) {
                                snprintf(ret, size, IPV4_CONF "%s.%s=%s", devices[d], settings[i].setting, value);
                                return settings[i].cause;
                        }
                }
        return HOST_CAUSE_UNKNOWN;
}

bool host_ipv6_off(const char *root, const char *ifname, char *ret, size_t size) {
        char path[4096], value[16];

        ret[0] = '\0';
        snprintf(path, sizeof(path), "%s/proc/sys/net/ipv6/conf/%s/disable_ipv6", root, ifname);
        if (read_line_file(path, value, sizeof(value)) < 0 || strcmp(value, "1") != 0)
                return false;
        /* A new namespace's default comes from the ipv6 module's parameter, not the host's sysctl. */
        snprintf(path, sizeof(path), "%s/sys/module/ipv6/parameters/disable_ipv6", root);
        if (read_line_file(path, value, sizeof(value)) == 0 && strcmp(value, "1") == 0)
                snprintf(ret, size, "IPv6 off in new namespaces: net.ipv6.conf.default.disable_ipv6=1 "
                                    "(ipv6.disable_ipv6=1 at boot)");
        else
                snprintf(ret, size, "IPv6 off on the veth pair: net.ipv6.conf.%s.disable_ipv6=1", ifname);
        return true;
}

HostCause host_cause_lsm(const char *root, char *ret, size_t size) {
        char path[4096], lsm[200];

        snprintf(path, sizeof(path), "%s/sys/kernel/security/lsm", root);
        if (read_line_file(path, lsm, sizeof(lsm)) == 0 && lsm[0])
                snprintf(ret, size, LSM_NOTE " (active: %s)", lsm);
        else
                snprintf(ret, size, LSM_NOTE);
        return HOST_CAUSE_LSM;
}

/* "net.ipv4.conf.all.disable_xfrm=1[: ...]" as "disable_xfrm=1 on all". */
static HostCause ipv4_brief(const char *note, char *ret, size_t size) {
        const char *dev = note + strlen(IPV4_CONF), *setting, *value;
        size_t dev_len, setting_len;
        HostCause c;

        dev_len = strcspn(dev, ".");
        setting = dev + dev_len + (dev[dev_len] ? 1 : 0);
        setting_len = strcspn(setting, "=");
        value = setting + setting_len + (setting[setting_len] ? 1 : 0);
        if (setting_len == strlen("disable_xfrm") && strncmp(setting, "disable_xfrm", setting_len) == 0)
                c = HOST_CAUSE_DISABLE_XFRM;
        else if (setting_len == strlen("disable_policy") && strncmp(setting, "disable_policy", setting_len) == 0)
                c = HOST_CAUSE_DISABLE_POLICY;
        else
                return HOST_CAUSE_UNKNOWN;
        snprintf(ret, size, "%.*s=%.*s on %.*s", (int) setting_len, setting, (int) strcspn(value, ":"), value,
                 (int) dev_len, dev);
        return c;
}

HostCause host_cause_brief(const char *note, char *ret, size_t size) {
        size_t word = strcspn(note, " ");

        ret[0] = '\0';
        if (strncmp(note, IPV4_CONF, strlen(IPV4_CONF)) == 0)
                return ipv4_brief(note, ret, size);
        if (strncmp(note, LSM_NOTE, strlen(LSM_NOTE)) == 0) {
                snprintf(ret, size, "refused by a security module");
                return HOST_CAUSE_LSM;
        }
        for (size_t i = 0; i < ELEMENTSOF(module_notes); i++)
                if (strncmp(note + word, module_notes[i].phrase, strlen(module_notes[i].phrase)) == 0) {
                        snprintf(ret, size, "%s%.*s%s", module_notes[i].before, (int) word, note,
                                 module_notes[i].after);
                        return module_notes[i].cause;
                }
        return HOST_CAUSE_UNKNOWN;
}
