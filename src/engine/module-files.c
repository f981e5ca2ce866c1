/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "macro.h"
#include "module-files.h"

/* The longest module name the kernel has (MODULE_NAME_LEN - 1), with room to spare. */
#define MODULE_NAME_MAX 64

static const char *const file_names[_MODULE_FILE_MAX] = {
        [MODULE_FILE_BUILTIN] = "modules.builtin",
        [MODULE_FILE_DEP] = "modules.dep",
};

bool module_name_equal(const char *a, size_t alen, const char *b) {
        size_t i;

        for (i = 0; i < alen && b[i]; i++)
                if ((a[i] == '-' ? '_' : a[i]) != (b[i] == '-' ? '_' : b[i]))
                        return false;
        return i == alen && !b[i];
}

static int module_path(const char *root, const char *release, const char *file, char *ret, size_t size) {
        struct utsname u;

        if (!release) {
                if (uname(&u) < 0)
                        return -errno;
                release = u.release;
        }
        return snprintf(ret, size, "%s/lib/modules/%s/%s", root, release, file) < (int) size ? 0 : -ENAMETOOLONG;
}

/* A line's module: the base name of its path (before any ':'), up to ".ko"; NULL if it names none. */
static const char *line_module(const char *line, size_t *ret_len) {
        size_t len = strcspn(line, ":\n");
        const char *base = memrchr(line, '/', len), *ko;

        base = base ? base + 1 : line;
        ko = strstr(base, ".ko");
        if (!ko || ko >= line + len)
                return NULL;
        *ret_len = (size_t) (ko - base);
        return base;
}

typedef struct ModuleIndex {
        char path[PATH_MAX];
        struct stat st; /* of the file as read */
        char (*names)[MODULE_NAME_MAX]; /* '-' as '_', sorted */
        size_t n;
} ModuleIndex;

static ModuleIndex indexes[_MODULE_FILE_MAX];

static int cmp_name(const void *a, const void *b) {
        return strcmp(a, b);
}

static void normalise(char *name) {
        for (; *name; name++)
                if (*name == '-')
                        *name = '_';
}

static bool same_file(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int index_read(ModuleIndex *x, const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t size = 0, room = 0;
        struct stat st;

        if (x->names && strcmp(x->path, path) == 0 && stat(path, &st) == 0 && same_file(&x->st, &st))
                return 0;
        if (!(f = fopen(path, "re")) || fstat(fileno(f), &st) < 0)
                return -errno;
        free(x->names);
        *x = (ModuleIndex) { .st = st };
        STRSCPY(x->path, path);
        while (getline(&line, &size, f) > 0) {
                size_t len;
                const char *name = line_module(line, &len);

                if (!name || len >= MODULE_NAME_MAX)
                        continue;
                if (x->n == room) {
                        void *more = reallocarray(x->names, room = room ? room * 2 : 1024, sizeof(*x->names));

                        if (!more)
                                return -ENOMEM;
                        x->names = more;
                }
                memcpy(x->names[x->n], name, len);
                x->names[x->n][len] = '\0';
                normalise(x->names[x->n++]);
        }
        if (ferror(f))
                return -EIO;
        if (!x->names && !(x->names = malloc(sizeof(*x->names)))) /* read, and empty */
                return -ENOMEM;
        qsort(x->names, x->n, sizeof(*x->names), cmp_name);
        return 0;
}

int module_file_lists(const char *root, const char *release, ModuleFile which, const char *module) {
        char path[PATH_MAX], name[MODULE_NAME_MAX];
        ModuleIndex *x;
        int r;

        if (which < 0 || which >= _MODULE_FILE_MAX || strlen(module) >= sizeof(name))
                return -EINVAL;
        x = &indexes[which];
        if ((r = module_path(root, release, file_names[which], path, sizeof(path))) < 0)
                return r;
        if ((r = index_read(x, path)) < 0) {
                free(x->names);
                *x = (ModuleIndex) {};
                return r;
        }
        STRSCPY(name, module);
        normalise(name);
        return bsearch(name, x->names, x->n, sizeof(*x->names), cmp_name) != NULL;
}

int module_dep_line(const char *root, const char *release, const char *module, char *ret, size_t size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        char path[PATH_MAX];
        size_t n = 0;
        int r;

        if ((r = module_path(root, release, file_names[MODULE_FILE_DEP], path, sizeof(path))) < 0)
                return r;
        if (!(f = fopen(path, "re")))
                return -errno;
        while (getline(&line, &n, f) > 0) {
                size_t len;
                const char *name = line_module(line, &len);

                if (name && module_name_equal(name, len, module)) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(ret, size, "%s", line);
                        return 0;
                }
        }
        return -ENOENT;
}

int module_alias_foreach(const char *root, const char *release, ModuleAliasFn fn, void *userdata) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        char path[PATH_MAX];
        size_t size = 0;
        int r;

        if ((r = module_path(root, release, "modules.alias", path, sizeof(path))) < 0)
                return r;
        if (!(f = fopen(path, "re")))
                return -errno;
        while (getline(&line, &size, f) > 0) {
                char *save = NULL, *kw = strtok_r(line, " \t\n", &save), *pattern = strtok_r(NULL, " \t\n", &save),
                     *module = strtok_r(NULL, " \t\n", &save);

                if (kw && strcmp(kw, "alias") == 0 && pattern && module && (r = fn(pattern, module, userdata)) != 0)
                        return r;
        }
        return 0;
}
