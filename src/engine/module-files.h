/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The kernel's module files, ROOT/lib/modules/RELEASE/modules.{builtin,dep,alias},
 * read as modprobe reads them: root "" and release NULL for the running kernel's.
 */

/* modprobe treats '-' and '_' in module names alike: a (alen bytes) and b (a string). */
bool module_name_equal(const char *a, size_t alen, const char *b);

typedef enum ModuleFile {
        MODULE_FILE_BUILTIN, /* modules.builtin: built into the kernel */
        MODULE_FILE_DEP,     /* modules.dep: built as a module */
        _MODULE_FILE_MAX,
} ModuleFile;

/*
 * Whether the file lists module (a path ending in /MODULE.ko, compressed or
 * not): 1 or 0, or a negative errno if it cannot be read. Each file is read
 * once per process into a sorted index (modules.dep is half a megabyte in
 * Debian's 6.1, and each trial SA a missing transform refuses asks), and read
 * again if it is no longer the file that was read (device, inode, size, mtime).
 * The index outlives the probe that made it, in its worker; it holds what the
 * file says, not what a trial learned, so no probe's answer depends on which
 * probe came before it.
 */
int module_file_lists(const char *root, const char *release, ModuleFile which, const char *module);

/* modules.dep's line for module, its path then every module it needs: 0, -ENOENT, or another -errno. */
int module_dep_line(const char *root, const char *release, const char *module, char *ret, size_t size);

/* Called for each "alias PATTERN MODULE" line of modules.alias; a non-zero return stops the walk and is returned. */
typedef int (*ModuleAliasFn)(const char *pattern, const char *module, void *userdata);
/* Walks modules.alias: fn's return if it stopped the walk, else 0; a negative errno if the file cannot be read. */
int module_alias_foreach(const char *root, const char *release, ModuleAliasFn fn, void *userdata);
