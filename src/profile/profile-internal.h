/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The variants a profile may ask of a capability, and how each selects the
 * capability's checks in the report (details.checks[].group). One table for
 * the validator and the evaluator, so a variant the validator accepts is one
 * the evaluator knows how to match.
 */

#include <stdbool.h>

typedef enum VariantMatch {
        MATCH_WORD,        /* the value's word appears in the check's group */
        MATCH_PREFIX,      /* the group starts with the value's words ("TCP", "AH in ESP") */
        MATCH_GROUP_ADDR,  /* a multicast address: its family's word in the group */
        MATCH_NONE,        /* selects no checks by itself (port: see ipsec-audit-profile(5)) */
        MATCH_ALGORITHMS,  /* a list of names, looked up in the capability's details */
} VariantMatch;

typedef struct VariantValue {
        const char *value; /* as written in a profile */
        const char *words; /* as the report's check groups spell it */
} VariantValue;

typedef struct VariantKey {
        const char *key;
        VariantMatch match;
        const VariantValue *values;       /* NULL-terminated; NULL for free-form values */
        const char *const *capabilities;  /* NULL-terminated: where the variant means something */
} VariantKey;

extern const VariantKey profile_variants[];

const VariantKey *profile_variant_find(const char *key);
const VariantValue *profile_variant_value(const VariantKey *k, const char *value);
bool profile_variant_applies(const VariantKey *k, const char *capability);

/* "IPv4" or "IPv6" for a multicast address; NULL for anything else. */
const char *profile_multicast_family(const char *address);
