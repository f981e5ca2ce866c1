/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "host-cause.h"
#include "verdict.h"

/*
 * A capability's result is a plain fixed-size struct: probes run in a forked
 * child and write it into memory shared with the parent, so it holds no heap
 * pointers. The only pointers are to static strings (capability ids), which
 * are valid in both processes.
 */

#define RESULT_MAX_CHECKS 32
#define RESULT_MAX_BLOCKERS 4
#define RESULT_MAX_DETAILS 8
#define RESULT_DETAIL_VALUE 512

typedef enum CheckOutcome {
        CHECK_ACCEPTED, /* accepted and read back as sent */
        CHECK_REFUSED,  /* the kernel answered with an error: err, extack */
        CHECK_ALTERED,  /* accepted, but read back differently: note */
        CHECK_UNTRIED,  /* could not be tried: err and/or note say why */
        _CHECK_OUTCOME_MAX,
} CheckOutcome;

/*
 * One trial. Checks sharing a group must all be accepted for the group to
 * count (an SA and the policy that uses it); groups are the variants a
 * capability comes in (IPv4, IPv6, ESP-in-ESP, ...).
 */
typedef struct Check {
        char group[32];
        char what[64];
        CheckOutcome outcome;
        bool read_back;      /* ACCEPTED after reading the object back */
        int err;             /* positive errno, REFUSED and UNTRIED */
        char extack[128];    /* kernel's extended-ACK message, if any */
        char note[128];      /* ALTERED: what differed (or was missing on the wire); UNTRIED: why */
        const char *blocked_by; /* capability whose absence explains a refusal */
        HostCause cause;      /* a host setting that explains a refusal (note names it), or UNKNOWN */
        /*
         * A datapath check: real packets were sent through what the API
         * checks installed. ACCEPTED: everything expected was seen on the
         * wire and at the receiver; ALTERED: the kernel took the
         * configuration but did not carry the traffic as configured (note
         * says what was missing); UNTRIED: could not be sent (err, note).
         * Datapath checks never decide a group; result_conclude() raises the
         * level to datapath when all of them passed, and turns an available
         * verdict into partial when one of them failed.
         */
        bool datapath;
        /*
         * An optional variant (AH, where ESP is the mandatory transform: RFC
         * 4301): reported, but it decides the verdict only when no required
         * variant works (then at most partial).
         */
        bool optional;
} Check;

/*
 * A named fact the checks alone do not carry (the algorithms a kernel lists,
 * a read-back value). A list keeps its items separated by ", " and is
 * reported as an array; item names must not contain ", ".
 */
typedef struct Detail {
        char key[32];
        char value[RESULT_DETAIL_VALUE];
        bool list;
} Detail;

typedef struct CapResult {
        bool done;
        Verdict verdict;
        Level level;
        char evidence[640];
        int err;
        char extack[128];
        const char *blocked_by[RESULT_MAX_BLOCKERS];
        unsigned n_blocked_by;
        HostCause cause; /* the reason check's: its remedy replaces the catalogue's */
        Check checks[RESULT_MAX_CHECKS];
        unsigned n_checks;
        Detail details[RESULT_MAX_DETAILS];
        unsigned n_details;
} CapResult;

const char *check_outcome_to_string(CheckOutcome o);
int check_outcome_from_string(const char *s, CheckOutcome *ret);

/* NULL when the result has no room left (a probe bug, reported as -ENOBUFS). */
Check *result_add_check(CapResult *r, const char *group, const char *what);

/* As result_add_check, for a datapath check. */
Check *result_add_datapath_check(CapResult *r, const char *group, const char *what);

/* Forgets a check's outcome, keeping what it is (group, what, datapath, optional): for a retry. */
void check_reset(Check *c);

/* Records that a check could not be made: err is a positive errno or 0. */
void check_set_untried(Check *c, int err, const char *note);

/*
 * Sets a scalar detail, or appends an item to a list detail (created on first
 * use; an item already in the list is not added twice). -ENOBUFS when there
 * is no room: details are bounded like checks.
 */
int result_set_detail(CapResult *r, const char *key, const char *value);
int result_append_detail(CapResult *r, const char *key, const char *item);
const Detail *result_find_detail(const CapResult *r, const char *key);

/*
 * Derives verdict, level, evidence, errno, extack and blocked_by from the
 * checks. A prerequisite is named in blocked_by only for variants it alone
 * explains: a variant that was also refused for a cause of its own (a
 * missing ULP, an unsupported encapsulation) names none, and then neither
 * does the capability when no variant is explained by prerequisites alone.
 */
void result_conclude(CapResult *r, const char *self_id);

/*
 * The check whose refusal explains the result (its errno, extack and host
 * cause are the result's): a definite refusal before an untried check, a
 * required variant before an optional one. NULL when nothing was refused.
 * Works on a result read back from a report too: it needs only outcomes,
 * errnos and the optional flag.
 */
const Check *result_reason(const CapResult *r);

/* A result that could not be measured at all (no sandbox, probe crashed, ...). */
void result_set_unknown(CapResult *r, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* How a single check counts towards the verdict. */
Verdict check_verdict(const Check *c);
