/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "macro.h"
#include "host-cause.h"

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

/* modprobe treats '-' and '_' in module names alike. */
static bool same_module(const char *a, size_t alen, const char *b) {
        size_t i;

        for (i = 0; i < alen && b[i]; i++) {
                char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
                if (x != y)
                        return false;
        }
        return i == alen && !b[i];
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

/* Is there a line whose path (before any ':') ends in /module.ko[.xz|.zst|.gz]? */
static bool listed(const char *path, const char *module) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[512];

        while (f && fgets(line, sizeof(line), f)) {
                char *end = line + strcspn(line, ":\n"), *base, *ko;

                *end = '\0';
                base = strrchr(line, '/');
                base = base ? base + 1 : line;
                ko = strstr(base, ".ko");
                if (ko && same_module(base, (size_t) (ko - base), module))
                        return true;
        }
        return false;
}

static bool loaded(const char *root, const char *module) {
        char path[4096];
        _cleanup_fclose_ FILE *f = NULL;
        char line[256];

        snprintf(path, sizeof(path), "%s/proc/modules", root);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (same_module(line, strcspn(line, " "), module))
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
                if (!cmd || !name || !same_module(name, strlen(name), module))
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
        snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.builtin", root, release);
        if (loaded(root, module) || listed(path, module))
                return HOST_CAUSE_UNKNOWN;
        snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.dep", root, release);
        if (!listed(path, module)) {
                snprintf(ret, size, "%s is not built for kernel %s", module, release);
                return HOST_CAUSE_NOT_BUILT;
        }
        if (host_modules_disabled(root)) {
                snprintf(ret, size, "%s is not loaded: kernel.modules_disabled=1", module);
                return HOST_CAUSE_DISABLED;
        }
        if ((c = scan_modprobe_d(root, module, where, sizeof(where))) != HOST_CAUSE_UNKNOWN) {
                snprintf(ret, size, "%s is not loaded: %s line in %s", module,
                         c == HOST_CAUSE_BLACKLISTED ? "blacklist" : "install", where + strlen(root));
                return c;
        }
        snprintf(path, sizeof(path), "%s/proc/sys/kernel/modprobe", root);
        if (read_line_file(path, value, sizeof(value)) == 0) {
                char prog[4096];

                snprintf(prog, sizeof(prog), "%s%s", root, value);
                if (!value[0] || access(prog, X_OK) < 0) {
                        snprintf(ret, size, "%s is not loaded: kernel.modprobe=%s is not a program", module,
                                 value[0] ? value : "(empty)");
                        return HOST_CAUSE_NO_MODPROBE;
                }
        }
        snprintf(ret, size, "%s is built but did not load", module);
        return HOST_CAUSE_UNKNOWN;
}

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
                                snprintf(ret, size, "net.ipv4.conf.%s.%s=%s", devices[d], settings[i].setting, value);
                                return settings[i].cause;
                        }
                }
        return HOST_CAUSE_UNKNOWN;
}

HostCause host_cause_lsm(const char *root, char *ret, size_t size) {
        char path[4096], lsm[200];

        snprintf(path, sizeof(path), "%s/sys/kernel/security/lsm", root);
        if (read_line_file(path, lsm, sizeof(lsm)) == 0 && lsm[0])
                snprintf(ret, size, "refused by a security module (active: %s)", lsm);
        else
                snprintf(ret, size, "refused by a security module");
        return HOST_CAUSE_LSM;
}
