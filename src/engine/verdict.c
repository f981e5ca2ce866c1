/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "verdict.h"

static const char *const verdict_names[_VERDICT_MAX] = {
        [VERDICT_UNKNOWN] = "unknown",
        [VERDICT_UNAVAILABLE] = "unavailable",
        [VERDICT_PARTIAL] = "partial",
        [VERDICT_AVAILABLE] = "available",
};

static const char *const level_names[_LEVEL_MAX] = {
        [LEVEL_NONE] = "none",
        [LEVEL_CONFIG] = "config",
        [LEVEL_API] = "api",
        [LEVEL_DATAPATH] = "datapath",
};

static int lookup(const char *const *names, int n, const char *s) {
        for (int i = 0; i < n; i++)
                if (s && strcmp(names[i], s) == 0)
                        return i;
        return -EINVAL;
}

const char *verdict_to_string(Verdict v) {
        return v >= 0 && v < _VERDICT_MAX ? verdict_names[v] : NULL;
}

int verdict_from_string(const char *s, Verdict *ret) {
        int i = lookup(verdict_names, _VERDICT_MAX, s);
        if (i < 0)
                return i;
        *ret = (Verdict) i;
        return 0;
}

const char *level_to_string(Level l) {
        return l >= 0 && l < _LEVEL_MAX ? level_names[l] : NULL;
}

int level_from_string(const char *s, Level *ret) {
        int i = lookup(level_names, _LEVEL_MAX, s);
        if (i < 0)
                return i;
        *ret = (Level) i;
        return 0;
}

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
