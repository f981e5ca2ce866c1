/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "host.h"
#include "macro.h"

/* First line of a small file, without its newline. */
static int read_line(const char *path, char *buf, size_t size) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");

        if (!f)
                return -errno;
        if (!fgets(buf, (int) size, f))
                return ferror(f) ? -EIO : -ENODATA;
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

/* os-release values may be quoted; escapes are rare enough to drop. */
static void os_release_value(const char *raw, char *buf, size_t size) {
        size_t len = strcspn(raw, "\n");

        if (len >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[len - 1] == raw[0]) {
                raw++;
                len -= 2;
        }
        if (len >= size)
                len = size - 1;
        memcpy(buf, raw, len);
        buf[len] = '\0';
}

static void read_os_pretty_name(char *buf, size_t size) {
        static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_fclose_ FILE *f = fopen(paths[i], "re");
                char line[512];

                if (!f)
                        continue;
                while (fgets(line, sizeof(line), f))
                        if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
                                os_release_value(line + 12, buf, size);
                                return;
                        }
                return;
        }
}

/* With ipv6.disable=1 there is no such setting: the capabilities say IPv6 is disabled in the kernel. */
static void read_ipv6_off(char *buf, size_t size) {
        static const char *const devices[] = { "all", "default" };

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
                char path[64], value[16];

                snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", devices[i]);
                if (read_line(path, value, sizeof(value)) == 0 && strcmp(value, "0") != 0) {
                        snprintf(buf, size, "net.ipv6.conf.%s.disable_ipv6=%s", devices[i], value);
                        return;
                }
        }
}

int host_facts_read(HostFacts *ret) {
        struct utsname u;
        HostFacts h = {};

        if (uname(&u) < 0)
                return -errno;
        STRSCPY(h.hostname, u.nodename);
        STRSCPY(h.kernel_release, u.release);
        STRSCPY(h.machine, u.machine);
        read_os_pretty_name(h.os_pretty_name, sizeof(h.os_pretty_name));
        if (read_line("/proc/sys/kernel/random/boot_id", h.boot_id, sizeof(h.boot_id)) < 0)
                h.boot_id[0] = '\0';
        read_ipv6_off(h.ipv6_off, sizeof(h.ipv6_off));
        *ret = h;
        return 0;
}

void module_list_free(ModuleList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->names[i]);
        free(l->names);
        *l = (ModuleList) {};
}

int module_list_push(ModuleList *l, const char *name) {
        char **n = realloc(l->names, (l->n + 1) * sizeof(char *));

        if (!n)
                return -ENOMEM;
        l->names = n;
        if (!(l->names[l->n] = strdup(name)))
                return -ENOMEM;
        l->n++;
        return 0;
}

bool module_list_has(const ModuleList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->names[i], name) == 0)
                        return true;
        return false;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void module_list_sort(ModuleList *l) {
        if (l->n > 0)
                qsort(l->names, l->n, sizeof(char *), cmp_str);
}

int modules_read(const char *path, ModuleList *ret) {
        _cleanup_(module_list_free) ModuleList l = {};
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[512];
        int r;

        if (!f) {
                /* No /proc/modules: a kernel built without module support loads none. */
                if (errno == ENOENT) {
                        *ret = (ModuleList) {};
                        return 0;
                }
                return -errno;
        }
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, " \n")] = '\0';
                if (line[0] && (r = module_list_push(&l, line)) < 0)
                        return r;
        }
        if (ferror(f))
                return -EIO;
        module_list_sort(&l);
        *ret = l;
        l = (ModuleList) {};
        return 0;
}

int modules_added(const ModuleList *before, const ModuleList *after, ModuleList *ret) {
        _cleanup_(module_list_free) ModuleList l = {};
        size_t i = 0;
        int r;

        for (size_t j = 0; j < after->n; j++) {
                while (i < before->n && strcmp(before->names[i], after->names[j]) < 0)
                        i++;
                if (i < before->n && strcmp(before->names[i], after->names[j]) == 0)
                        continue;
                if ((r = module_list_push(&l, after->names[j])) < 0)
                        return r;
        }
        *ret = l;
        l = (ModuleList) {};
        return 0;
}

bool module_lists_equal(const ModuleList *a, const ModuleList *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->names[i], b->names[i]) != 0)
                        return false;
        return true;
}
