/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct HostFacts {
        char hostname[256];
        char kernel_release[128];
        char machine[64];
        char os_pretty_name[256]; /* empty if os-release says nothing */
        char boot_id[40];         /* empty if the kernel does not expose one */
        /*
         * The setting that has IPv6 off on this namespace's links ("net.ipv6.conf.all.disable_ipv6=1"),
         * else empty. The probes' new namespaces do not inherit it: their IPv6 verdicts are the
         * kernel's, and this says the host's own interfaces do not use it.
         */
        char ipv6_off[64];
} HostFacts;

int host_facts_read(HostFacts *ret);

/* Kernel modules currently loaded, sorted; an empty list on kernels without modules. */
typedef struct ModuleList {
        char **names;
        size_t n;
} ModuleList;

int modules_read(const char *path, ModuleList *ret);
int module_list_push(ModuleList *l, const char *name);
void module_list_free(ModuleList *l);
void module_list_sort(ModuleList *l);

bool module_list_has(const ModuleList *l, const char *name);

/* Both sorted: the same names. */
bool module_lists_equal(const ModuleList *a, const ModuleList *b);

/* Names in after that are not in before; both sorted. */
int modules_added(const ModuleList *before, const ModuleList *after, ModuleList *ret);
