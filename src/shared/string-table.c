/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "string-table.h"

const char *string_table_to_string(const char *const *table, size_t n, long i) {
        return i >= 0 && (size_t) i < n ? table[i] : NULL;
}

int string_table_from_string(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}
