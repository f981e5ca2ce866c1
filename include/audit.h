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
        bool keep_modules;  /* leave loaded the modules the audit loaded on demand */
        /* Modules to count as not loaded when the audit starts, so that it unloads them
         * when it ends: an administrator removed them while the last audit ran, whose
         * trials may have loaded them again. NULL: none. */
        const ModuleList *removed;
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
        size_t results_mapped; /* bytes, if results is the shared mapping audit_run() makes; 0: the heap */
        bool modules_known;
        ModuleList modules_loaded; /* by this audit, on demand */
        ModuleList modules_left;   /* of those, still loaded when it ended */
        Inventory inventory; /* the live SAD and SPD of the audit's own namespace, read-only */
        SandboxPool *pool;   /* the probes' workers, dismissed: reaped by audit_free() at the latest */
} Audit;

int audit_run(const AuditOptions *o, const Probe *const *table, Audit **ret);
void audit_free(Audit *a);
static inline void audit_freep(Audit **a) {
        if (*a)
                audit_free(*a);
}

/* The result for a capability id, NULL if this audit has no probe for it. */
const CapResult *audit_result(const Audit *a, const char *id);

/*
 * The modules that provide capability id (its catalogue entry) which this audit
 * had to load on demand: the capability relies on autoloading them. Up to max
 * names into ret (NULL-terminated); returns how many.
 */
size_t audit_on_demand_modules(const Audit *a, const char *id, const char **ret, size_t max);

/* Number of capabilities the audit could not measure. */
size_t audit_unknown_count(const Audit *a);
