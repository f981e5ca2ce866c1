/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "result.h"

/*
 * What every capability means and how to get it: data, kept in one table,
 * so probes carry no prose and the report can name a remedy for anything
 * that is not available.
 */
typedef struct CatalogueEntry {
        const char *id;
        const char *question;
        const char *references;   /* RFCs and specifications */
        const char *impact;       /* what a protocol designer loses without it */
        const char *remedy;       /* what an operator does about it */
        const char *measure;      /* how the audit measures it: which trials, which datapath flows */
        const char *partial;      /* what "partial" means for it */
        const char *available, *unavailable; /* NULL: what these verdicts mean for every capability */
        const char *const *kernel_config; /* NULL-terminated */
        const char *const *modules;       /* NULL-terminated */
} CatalogueEntry;

extern const CatalogueEntry catalogue[];
extern const unsigned catalogue_size;

const CatalogueEntry *catalogue_find(const char *id);

/*
 * The remedy that follows from one result's evidence: a host setting that
 * explains the refusal (its cause) comes first; else, for a capability
 * blocked by others, theirs (the first blocker's kernel options and
 * modules); else the capability's own. -ENOENT for an id not in the
 * catalogue.
 */
typedef struct Remedy {
        char text[512];
        const char *impact;
        const char *const *kernel_config; /* NULL-terminated */
        const char *const *modules;       /* NULL-terminated */
} Remedy;

int remedy_for(const char *id, const CapResult *r, Remedy *ret);
