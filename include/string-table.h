/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"

/*
 * The one enum <-> name idiom, as systemd's string-table.h: a table
 * NAME_table[] with designated initialisers, then DEFINE_STRING_TABLE_TO_STRING
 * (NAME, Type) for NAME_to_string() (NULL out of range) and
 * DEFINE_STRING_TABLE_FROM_STRING for NAME_from_string() (-EINVAL for a name
 * not in the table, or NULL); DEFINE_STRING_TABLE_LOOKUP gives both.
 */
const char *string_table_to_string(const char *const *table, size_t n, long i);
int string_table_from_string(const char *const *table, size_t n, const char *s);

#define DEFINE_STRING_TABLE_TO_STRING(name, type)                                              \
        const char *name##_to_string(type i) {                                                 \
                return string_table_to_string(name##_table, ELEMENTSOF(name##_table), (long) i); \
        }

#define DEFINE_STRING_TABLE_FROM_STRING(name, type)                                            \
        int name##_from_string(const char *s, type *ret) {                                     \
                int i = string_table_from_string(name##_table, ELEMENTSOF(name##_table), s);   \
                if (i < 0)                                                                     \
                        return i;                                                              \
                *ret = (type) i;                                                               \
                return 0;                                                                      \
        }

#define DEFINE_STRING_TABLE_LOOKUP(name, type)    \
        DEFINE_STRING_TABLE_TO_STRING(name, type) \
        DEFINE_STRING_TABLE_FROM_STRING(name, type)
