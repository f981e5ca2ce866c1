/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "host.h"
#include "inventory.h"
#include "probe.h"
#include "sandbox.h"

typedef struct AuditOptions {
        bool passive;       /* run no active probe, and create no namespace */
        unsigned timeout_s; /* per probe; 0: the default */
        bool quick;         /* skip the datapath stage: configuration checks only */
} AuditOptions;

typedef struct Privilege {
        uid_t euid;
        SandboxKind sandbox;
        int sandbox_err; /* why no private namespace could be made (SANDBOX_HOST) */
} Privilege;

typedef struct Audit {
        HostFacts host;
        char generated_at[32]; /* RFC 3339, UTC */
        uint64_t duration_ms;
        bool passive;
        bool quick;
        Privilege privilege;
        const Probe *const *probes; /* the table results[] follows */
        CapResult *results;
        size_t n_results;
        bool modules_known;
        ModuleList modules_loaded;
        Inventory inventory; /* the live SAD and SPD of the audit's own namespace, read-only */
} Audit;

int audit_run(const AuditOptions *o, const Probe *const *table, Audit **ret);
void audit_free(Audit *a);
static inline void audit_freep(Audit **a) {
        if (*a)
                audit_free(*a);
}

/* The result for a capability id, NULL if this audit has no probe for it. */
const CapResult *audit_result(const Audit *a, const char *id);

/* Number of capabilities the audit could not measure. */
size_t audit_unknown_count(const Audit *a);
