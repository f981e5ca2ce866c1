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
        /* Leaves its namespace changed in ways no scrub undoes (loopback up, closed TCP connections
         * in TIME_WAIT), so its worker is retired after it: the engine starts it last, when no
         * other probe would need the worker. Scheduling only: the scrub still decides. */
        PROBE_SPENDS_NAMESPACE = 1 << 3,
} ProbeFlags;

typedef struct ProbeContext {
        XfrmNl *xfrm; /* NULL unless the probe has PROBE_NEEDS_XFRM */
        bool datapath; /* run the datapath stage after the API checks (not with --quick) */
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
