/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "string-table.h"
#include "verdict.h"

static const char *const verdict_table[_VERDICT_MAX] = {
        [VERDICT_UNKNOWN] = "unknown",
        [VERDICT_UNAVAILABLE] = "unavailable",
        [VERDICT_PARTIAL] = "partial",
        [VERDICT_AVAILABLE] = "available",
};

static const char *const level_table[_LEVEL_MAX] = {
        [LEVEL_NONE] = "none",
        [LEVEL_CONFIG] = "config",
        [LEVEL_API] = "api",
        [LEVEL_DATAPATH] = "datapath",
};

DEFINE_STRING_TABLE_LOOKUP(verdict, Verdict)
DEFINE_STRING_TABLE_LOOKUP(level, Level)

Verdict verdict_from_errno(int err) {
        switch (err) {
        case 0:
                return VERDICT_AVAILABLE;
        /* The kernel lacks the code: transform type, algorithm, family, mode. */
        case EPROTONOSUPPORT:
        case EAFNOSUPPORT:
        case EPFNOSUPPORT:
        case ESOCKTNOSUPPORT:
        case ENOPROTOOPT:
        case EOPNOTSUPP:
        case ENOSYS:
        case ENOENT:
        case ENOPKG:
        case ENODEV:
        /* Well-formed request (checked by unit tests) the kernel will not take. */
        case EINVAL:
                return VERDICT_UNAVAILABLE;
        /* Privilege, resources and everything unexpected say nothing either way. */
        default:
                return VERDICT_UNKNOWN;
        }
}

const char *errno_name(int err) {
        return err > 0 ? strerrorname_np(err) : NULL;
}

int errno_from_name(const char *name) {
        if (!name)
                return 0;
        for (int e = 1; e < 4096; e++) {
                const char *n = errno_name(e);
                if (n && strcmp(n, name) == 0)
                        return e;
        }
        return 0;
}
