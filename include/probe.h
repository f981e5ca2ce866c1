/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "result.h"
#include "xfrm.h"

typedef enum ProbeFlags {
        /* Changes kernel state: only ever run inside a private network namespace. */
        PROBE_ACTIVE = 1 << 0,
        /* Needs the XFRM netlink socket the engine opens in the namespace. */
        PROBE_NEEDS_XFRM = 1 << 1,
        /* Read-only, about the host itself (its daemons): runs in the host's namespace, never sandboxed. */
        PROBE_HOST = 1 << 2,
        /*
         * Has a datapath stage, which sends traffic (not with --quick): it runs only for probes
         * that say so, and never beside another one. Its waits are bounded in time where the
         * kernel gives no evidence, and two stages side by side on a busy host starve each
         * other's packets past those bounds (the kernel matrix saw flows "not delivered" only
         * four probes at a time).
         */
        PROBE_TRAFFIC = 1 << 3,
} ProbeFlags;

typedef struct ProbeContext {
        XfrmNl *xfrm; /* NULL unless the probe has PROBE_NEEDS_XFRM */
        bool datapath; /* run the datapath stage after the API checks (PROBE_TRAFFIC, not with --quick) */
} ProbeContext;

/*
 * A probe answers one capability of the catalogue. run() records checks in r
 * (the engine concludes the verdict from them); a kernel refusal is a check,
 * never an error. A negative return is the probe's own failure (-ENOMEM).
 */
typedef struct Probe {
        const char *id;
        const char *rfc5406_section;
        const char *summary;
        unsigned flags;
        int (*run)(const ProbeContext *ctx, CapResult *r);
        /* Optional: derives the verdict instead of result_conclude (which it may call first),
         * e.g. for a host fact whose evidence must not read "The kernel refused". */
        void (*conclude)(CapResult *r, const char *self_id);
} Probe;

/* The probe of table (NULL-terminated) with this id, or NULL. */
const Probe *probe_find(const Probe *const *table, const char *id);
