/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "probe.h"

const Probe *probe_find(const Probe *const *table, const char *id) {
        for (; *table; table++)
                if (strcmp((*table)->id, id) == 0)
                        return *table;
        return NULL;
}
