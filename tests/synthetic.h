/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "audit.h"

/* An audit with chosen verdicts, for the pieces that derive from results. */
typedef struct SyntheticCap {
        const char *id;
        Verdict verdict;
        int err;
} SyntheticCap;

/* Probes come from the real table, in its order; ids not listed are absent. */
Audit *synthetic_audit(const SyntheticCap *caps, size_t n);

/* Every probe of the table with the same verdict. */
Audit *synthetic_audit_all(Verdict v, int err);

/* Frees what synthetic_audit allocated, the probe array included. */
void synthetic_free(Audit *a);
