/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "result.h"
#include "string-table.h"

static const char *const check_outcome_table[_CHECK_OUTCOME_MAX] = {
        [CHECK_ACCEPTED] = "accepted",
        [CHECK_REFUSED] = "refused",
        [CHECK_ALTERED] = "altered",
        [CHECK_UNTRIED] = "untried",
};

DEFINE_STRING_TABLE_LOOKUP(check_outcome, CheckOutcome)

Check *result_add_check(CapResult *r, const char *group, const char *what) {
        Check *c;

        if (r->n_checks >= RESULT_MAX_CHECKS)
                return NULL;
        c = &r->checks[r->n_checks++];
        *c = (Check) {};
        STRSCPY(c->group, group);
        STRSCPY(c->what, what);
        return c;
}

static Detail *detail_get(CapResult *r, const char *key, bool list) {
        Detail *d;

        for (unsigned i = 0; i < r->n_details; i++)
                if (strcmp(r->details[i].key, key) == 0)
                        return r->details[i].list == list ? &r->details[i] : NULL;
        if (r->n_details >= RESULT_MAX_DETAILS || strlen(key) >= sizeof(d->key))
                return NULL;
        d = &r->details[r->n_details++];
        *d = (Detail) { .list = list };
        STRSCPY(d->key, key);
        return d;
}

int result_set_detail(CapResult *r, const char *key, const char *value) {
        Detail *d;

        /* Checked before a slot is taken: a refused detail leaves no trace. */
        if (strlen(value) >= RESULT_DETAIL_VALUE || !(d = detail_get(r, key, false)))
                return -ENOBUFS;
        STRSCPY(d->value, value);
        return 0;
}

int result_append_detail(CapResult *r, const char *key, const char *item) {
        Detail *d;
        size_t len;

        if (!item[0] || strstr(item, ", "))
                return -EINVAL;
        d = detail_get(r, key, true);
        if (!d)
                return -ENOBUFS;
        /* A list is a set: an item already there is not repeated. */
        for (const char *p = d->value; *p;) {
                size_t n = strcspn(p, ",");
                if (n == strlen(item) && strncmp(p, item, n) == 0)
                        return 0;
                p += n;
                p += strspn(p, ", ");
        }
        len = strlen(d->value);
        if (len + (len ? 2 : 0) + strlen(item) >= sizeof(d->value))
                return -ENOBUFS;
        if (len)
                strcat(d->value, ", ");
        strcat(d->value, item);
        return 0;
}

const Detail *result_find_detail(const CapResult *r, const char *key) {
        for (unsigned i = 0; i < r->n_details; i++)
                if (strcmp(r->details[i].key, key) == 0)
                        return &r->details[i];
        return NULL;
}

Check *result_add_datapath_check(CapResult *r, const char *group, const char *what) {
        Check *c = result_add_check(r, group, what);

        if (c)
                c->datapath = true;
        return c;
}

void check_reset(Check *c) {
        Check fresh = { .datapath = c->datapath, .optional = c->optional };

        STRSCPY(fresh.group, c->group);
        STRSCPY(fresh.what, c->what);
        *c = fresh;
}

void check_set_untried(Check *c, int err, const char *note) {
        c->outcome = CHECK_UNTRIED;
        c->err = err;
        STRSCPY(c->note, note ?: "");
}

Verdict check_verdict(const Check *c) {
        switch (c->outcome) {
        case CHECK_ACCEPTED:
                return VERDICT_AVAILABLE;
        case CHECK_ALTERED:
                /* The kernel silently dropped part of the request: not supported. */
                return VERDICT_UNAVAILABLE;
        case CHECK_REFUSED:
                return verdict_from_errno(c->err);
        default:
                return VERDICT_UNKNOWN;
        }
}

/* A group counts only if every check in it was accepted; a definite "no" wins over "unknown". */
static Verdict group_verdict(const CapResult *r, const char *group) {
        bool unknown = false;

        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];
                if (c->datapath || strcmp(c->group, group) != 0)
                        continue;
                switch (check_verdict(c)) {
                case VERDICT_UNAVAILABLE:
                        return VERDICT_UNAVAILABLE;
                case VERDICT_UNKNOWN:
                        unknown = true;
                        break;
                default:
                        break;
                }
        }
        return unknown ? VERDICT_UNKNOWN : VERDICT_AVAILABLE;
}

static bool group_seen_before(const CapResult *r, unsigned idx) {
        for (unsigned i = 0; i < idx; i++)
                if (!r->checks[i].datapath && strcmp(r->checks[i].group, r->checks[idx].group) == 0)
                        return true;
        return false;
}

static void add_blocker(CapResult *r, const char *id, const char *self_id) {
        if (!id || (self_id && strcmp(id, self_id) == 0))
                return;
        for (unsigned i = 0; i < r->n_blocked_by; i++)
                if (strcmp(r->blocked_by[i], id) == 0)
                        return;
        if (r->n_blocked_by < RESULT_MAX_BLOCKERS)
                r->blocked_by[r->n_blocked_by++] = id;
}

/* Checks with the same outcome and the same kernel answer are told together. */
static bool same_answer(const Check *a, const Check *b) {
        return a->datapath == b->datapath && a->outcome == b->outcome && a->read_back == b->read_back && a->err == b->err &&
               strcmp(a->extack, b->extack) == 0 && strcmp(a->note, b->note) == 0;
}

static const char *const outcome_verbs[_CHECK_OUTCOME_MAX] = {
        [CHECK_ACCEPTED] = "accepted",
        [CHECK_REFUSED] = "refused",
        [CHECK_ALTERED] = "accepted but read back altered",
        [CHECK_UNTRIED] = "could not try",
};

/* What the datapath checks say: packets, not configuration. */
static const char *const datapath_verbs[_CHECK_OUTCOME_MAX] = {
        [CHECK_ACCEPTED] = "carried",
        [CHECK_REFUSED] = "refused",
        [CHECK_ALTERED] = "accepted but did not carry",
        [CHECK_UNTRIED] = "could not send",
};

#define APPEND(...) strbuf_appendf(r->evidence, sizeof(r->evidence), &len, __VA_ARGS__)

/* Appends the distinct values of one field across a cluster of checks, in order. */
static void append_distinct(CapResult *r, size_t *len, const bool *cluster, size_t field_offset) {
        bool first = true;

        for (unsigned i = 0; i < r->n_checks; i++) {
                const char *v = (const char *) &r->checks[i] + field_offset;
                bool seen = false;

                if (!cluster[i])
                        continue;
                for (unsigned j = 0; j < i && !seen; j++)
                        seen = cluster[j] && strcmp(v, (const char *) &r->checks[j] + field_offset) == 0;
                if (seen)
                        continue;
                strbuf_appendf(r->evidence, sizeof(r->evidence), len, "%s%s", first ? "" : ", ", v);
                first = false;
        }
}

/*
 * Whether the variants of checks a and b (same answer) had that answer for the same list of
 * checks: only then may one clause name them together, since a clause claims every check it
 * names for every variant it names.
 */
static bool same_checks(const CapResult *r, const bool *skip, unsigned a, unsigned b) {
        unsigned i = 0, j = 0;

        for (;;) {
                while (i < r->n_checks && (skip[i] || strcmp(r->checks[i].group, r->checks[a].group) != 0 ||
                                           !same_answer(&r->checks[i], &r->checks[a])))
                        i++;
                while (j < r->n_checks && (skip[j] || strcmp(r->checks[j].group, r->checks[b].group) != 0 ||
                                           !same_answer(&r->checks[j], &r->checks[a])))
                        j++;
                if (i == r->n_checks || j == r->n_checks)
                        return i == j;
                if (strcmp(r->checks[i].what, r->checks[j].what) != 0)
                        return false;
                i++, j++;
        }
}

/*
 * One sentence: checks with the same answer form a clause naming what was
 * tried and in which variants; details.checks keeps the exact pairs. A
 * variant is named once per outcome it had: the configuration checks it
 * passed are told only when it passed them all (a bundle the kernel took
 * beside an SA it refused is not a variant "accepted" and "refused"), and
 * variants share a clause only when the same checks had that answer.
 */
static void compose_evidence(CapResult *r) {
        bool told[RESULT_MAX_CHECKS] = {}, skip[RESULT_MAX_CHECKS] = {};
        bool first_clause = true;
        size_t len = 0;

        r->evidence[0] = '\0';
        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];
                skip[i] = told[i] = !c->datapath && c->outcome == CHECK_ACCEPTED &&
                                    group_verdict(r, c->group) != VERDICT_AVAILABLE;
        }
        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];
                bool cluster[RESULT_MAX_CHECKS] = {};

                if (told[i])
                        continue;
                for (unsigned j = i; j < r->n_checks; j++)
                        if (!told[j] && same_answer(c, &r->checks[j]) && same_checks(r, skip, i, j))
                                cluster[j] = told[j] = true;

                APPEND("%s%s%s ", first_clause ? "The kernel " : "; ",
                       (c->datapath ? datapath_verbs : outcome_verbs)[c->outcome],
                       c->read_back ? " and read back" : "");
                first_clause = false;
                append_distinct(r, &len, cluster, offsetof(Check, what));
                APPEND(" (");
                append_distinct(r, &len, cluster, offsetof(Check, group));
                APPEND(")");
                if (c->err > 0)
                        APPEND(" with %s", errno_name(c->err) ?: "an unknown error");
                if (c->extack[0])
                        APPEND(" \"%s\"", c->extack);
                if (c->note[0])
                        APPEND(" (%s)", c->note);
        }
        if (!first_clause)
                APPEND(".");
}
#undef APPEND

static bool group_optional(const CapResult *r, const char *group) {
        for (unsigned i = 0; i < r->n_checks; i++)
                if (!r->checks[i].datapath && strcmp(r->checks[i].group, group) == 0)
                        return r->checks[i].optional;
        return false;
}

/*
 * Datapath checks raise what the API checks concluded: level datapath only
 * when there were some and every one carried its traffic; a failed one
 * (configuration accepted, traffic not carried as configured) makes an
 * available capability partial. Untried ones leave the API verdict as is;
 * optional variants' packets neither raise nor lower it.
 */
static void conclude_datapath(CapResult *r) {
        unsigned carried = 0, failed = 0, untried = 0;

        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];

                if (!c->datapath || group_optional(r, c->group))
                        continue;
                if (c->outcome == CHECK_ACCEPTED)
                        carried++;
                else if (c->outcome == CHECK_UNTRIED)
                        untried++;
                else
                        failed++;
        }
        if (failed > 0 && r->verdict == VERDICT_AVAILABLE)
                r->verdict = VERDICT_PARTIAL;
        if (carried > 0 && failed == 0 && untried == 0 &&
            (r->verdict == VERDICT_AVAILABLE || r->verdict == VERDICT_PARTIAL))
                r->level = LEVEL_DATAPATH;
}

/* Every API check of the group that was not accepted names a prerequisite. */
static bool group_only_blocked(const CapResult *r, const char *group) {
        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];
                if (!c->datapath && strcmp(c->group, group) == 0 && c->outcome != CHECK_ACCEPTED && !c->blocked_by)
                        return false;
        }
        return true;
}

typedef struct Tally {
        unsigned yes, no, unknown;
} Tally;

static Verdict tally_verdict(const Tally *t) {
        if (t->yes == 0 && t->no == 0)
                return VERDICT_UNKNOWN;
        if (t->no == 0 && t->unknown == 0)
                return VERDICT_AVAILABLE;
        if (t->yes > 0)
                return VERDICT_PARTIAL;
        /* Some variants refused, others untried: not enough to say "unavailable". */
        return t->unknown > 0 ? VERDICT_UNKNOWN : VERDICT_UNAVAILABLE;
}

const Check *result_reason(const CapResult *r) {
        const Check *reason = NULL;

        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];
                Verdict v = check_verdict(c);

                /* Untried packets name no refusal. */
                if ((c->datapath && c->outcome != CHECK_ALTERED) || v == VERDICT_AVAILABLE)
                        continue;
                if (!reason || (check_verdict(reason) == VERDICT_UNKNOWN && v == VERDICT_UNAVAILABLE) ||
                    (reason->optional && !c->optional))
                        reason = c;
        }
        return reason;
}

void result_conclude(CapResult *r, const char *self_id) {
        Tally required = {}, optional = {};
        const Check *reason = NULL;

        r->n_blocked_by = 0;
        r->err = 0;
        r->extack[0] = '\0';

        for (unsigned i = 0; i < r->n_checks; i++) {
                Tally *t;

                if (r->checks[i].datapath || group_seen_before(r, i))
                        continue;
                t = group_optional(r, r->checks[i].group) ? &optional : &required;
                switch (group_verdict(r, r->checks[i].group)) {
                case VERDICT_AVAILABLE:
                        t->yes++;
                        break;
                case VERDICT_UNAVAILABLE:
                        t->no++;
                        break;
                default:
                        t->unknown++;
                }
        }

        if (required.yes + required.no + required.unknown == 0)
                r->verdict = tally_verdict(&optional);
        else {
                r->verdict = tally_verdict(&required);
                /* Only an optional variant works: usable, but not as the mandatory transform would be. */
                if (required.yes == 0 && optional.yes > 0)
                        r->verdict = VERDICT_PARTIAL;
        }
        r->level = r->verdict == VERDICT_UNKNOWN ? LEVEL_NONE : LEVEL_API;
        conclude_datapath(r);

        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];
                Verdict v = check_verdict(c);

                if (c->datapath && c->outcome != CHECK_ALTERED)
                        continue; /* untried packets name no refusal; blockers come from the API checks */
                if (v == VERDICT_UNAVAILABLE && r->verdict != VERDICT_AVAILABLE && !c->datapath &&
                    (!c->optional || required.yes + required.no + required.unknown == 0) &&
                    group_only_blocked(r, c->group))
                        add_blocker(r, c->blocked_by, self_id);
        }
        reason = result_reason(r);
        r->cause = HOST_CAUSE_UNKNOWN;
        /* An available capability's refusals are all optional variants: they name no errno for it. */
        if (reason && r->verdict != VERDICT_AVAILABLE) {
                r->err = reason->err;
                STRSCPY(r->extack, reason->extack);
                r->cause = reason->cause;
        }
        compose_evidence(r);
        r->done = true;
}

void result_set_unknown(CapResult *r, int err, const char *fmt, ...) {
        va_list ap;

        r->verdict = VERDICT_UNKNOWN;
        r->level = LEVEL_NONE;
        r->err = err;
        r->extack[0] = '\0';
        r->n_blocked_by = 0;
        r->cause = HOST_CAUSE_UNKNOWN;
        va_start(ap, fmt);
        vsnprintf(r->evidence, sizeof(r->evidence), fmt, ap);
        va_end(ap);
        r->done = true;
}
