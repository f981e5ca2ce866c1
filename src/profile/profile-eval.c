/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A profile against a JSON report. Every answer is read from the report's own
 * verdicts, checks and details, never measured or derived again: the same
 * report gives the same answer in the CLI, from a saved file and over D-Bus.
 */
#include <errno.h>
#include <string.h>

#include "catalogue.h"
#include "json-util.h"
#include "macro.h"
#include "profile-internal.h"
#include "profile.h"
#include "report.h"
#include "verdict.h"

#define WHY_SIZE 512

static const char *const outcome_names[] = {
        [PROFILE_SATISFIED] = "satisfied",
        [PROFILE_NOT_SATISFIED] = "not_satisfied",
        [PROFILE_UNDECIDED] = "undecided",
};

/* Worst first: one unmet requirement decides, whatever else is unknown. */
static ProfileOutcome worse(ProfileOutcome a, ProfileOutcome b) {
        if (a == PROFILE_NOT_SATISFIED || b == PROFILE_NOT_SATISFIED)
                return PROFILE_NOT_SATISFIED;
        return a == PROFILE_UNDECIDED || b == PROFILE_UNDECIDED ? PROFILE_UNDECIDED : PROFILE_SATISFIED;
}

/* words at the start of group, ending there or at a space ("AH" is not "AH in ESP"'s only word). */
static bool starts_with_words(const char *group, const char *words) {
        size_t n = strlen(words);
        return strncmp(group, words, n) == 0 && (group[n] == '\0' || group[n] == ' ');
}

static bool has_word(const char *group, const char *word) {
        for (const char *s = group; *s; s += strcspn(s, " "), s += strspn(s, " "))
                if (starts_with_words(s, word))
                        return true;
        return false;
}

static bool check_matches(json_object *check, json_object *variant) {
        const char *group = json_str(check, "group") ?: "";

        json_object_object_foreach(variant, key, value) {
                const VariantKey *k = profile_variant_find(key);

                switch (k->match) {
                case MATCH_WORD:
                        if (!has_word(group, profile_variant_value(k, json_object_get_string(value))->words))
                                return false;
                        break;
                case MATCH_PREFIX:
                        if (!starts_with_words(group, profile_variant_value(k, json_object_get_string(value))->words))
                                return false;
                        break;
                case MATCH_GROUP_ADDR:
                        if (!has_word(group, profile_multicast_family(json_object_get_string(value))))
                                return false;
                        break;
                case MATCH_NONE:
                case MATCH_ALGORITHMS:
                        break;
                }
        }
        return true;
}

/* "group: what" and how it went, the way the text report would say it. */
static void describe_check(json_object *check, char *why, size_t size, size_t *len) {
        const char *err = json_str(check, "errno"), *note = json_str(check, "note") ?: json_str(check, "extack");

        strbuf_appendf(why, size, len, "%s: %s %s", json_str(check, "group") ?: "", json_str(check, "what") ?: "",
                       json_str(check, "outcome") ?: "without an outcome");
        if (err)
                strbuf_appendf(why, size, len, " (%s)", err);
        if (note)
                strbuf_appendf(why, size, len, ": %s", note);
}

/*
 * The variant's checks: none refused or altered, and at least one accepted.
 * An untried check (its prerequisite failed first) says nothing either way.
 */
static ProfileOutcome eval_checks(json_object *cap, json_object *variant, char *why, size_t size, size_t *len) {
        json_object *checks = json_get(json_get(cap, "details", json_type_object), "checks", json_type_array);
        size_t accepted = 0, untried = 0;

        for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
                json_object *check = json_object_array_get_idx(checks, i);
                const char *outcome = json_str(check, "outcome") ?: "";

                if (!check_matches(check, variant))
                        continue;
                if (strcmp(outcome, "accepted") == 0)
                        accepted++;
                else if (strcmp(outcome, "untried") == 0)
                        untried++;
                else {
                        describe_check(check, why, size, len);
                        return PROFILE_NOT_SATISFIED;
                }
        }
        if (accepted == 0) {
                strbuf_appendf(why, size, len, "the report has no%s check of this variant",
                               untried ? " tried" : "");
                return PROFILE_UNDECIDED;
        }
        strbuf_appendf(why, size, len, "%zu check%s of this variant accepted", accepted, accepted == 1 ? "" : "s");
        if (untried)
                strbuf_appendf(why, size, len, ", %zu not tried", untried);
        return PROFILE_SATISFIED;
}

static bool in_string_array(json_object *arr, const char *s) {
        for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
                const char *v = json_object_get_string(json_object_array_get_idx(arr, i));
                if (v && strcmp(v, s) == 0)
                        return true;
        }
        return false;
}

/* Each algorithm accepted by the kernel (IKEv2 or kernel name); refused, or never tried. */
static ProfileOutcome eval_algorithms(json_object *cap, json_object *names, char *why, size_t size, size_t *len) {
        json_object *details = json_get(cap, "details", json_type_object);
        json_object *checks = json_get(details, "checks", json_type_array);
        ProfileOutcome o = PROFILE_SATISFIED;

        for (size_t i = 0; i < json_object_array_length(names); i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(names, i));
                json_object *tried = NULL;

                if (in_string_array(json_get(details, "accepted_ikev2", json_type_array), name) ||
                    in_string_array(json_get(details, "accepted", json_type_array), name))
                        continue;
                for (size_t c = 0; checks && c < json_object_array_length(checks) && !tried; c++) {
                        json_object *check = json_object_array_get_idx(checks, c);
                        if (strcmp(json_str(check, "group") ?: "", name) == 0)
                                tried = check;
                }
                strbuf_appendf(why, size, len, "%s", o == PROFILE_SATISFIED ? "" : "; ");
                if (tried)
                        describe_check(tried, why, size, len);
                else
                        strbuf_appendf(why, size, len, "%s was not tried by the audit", name);
                o = worse(o, tried ? PROFILE_NOT_SATISFIED : PROFILE_UNDECIDED);
        }
        if (o == PROFILE_SATISFIED)
                strbuf_appendf(why, size, len, "every listed algorithm accepted");
        return o;
}

static int add_string(json_object *o, const char *key, const char *s) {
        return s ? json_add_copy(o, key, json_object_new_string(s)) : 0;
}

/* A member copied from the profile (variant, note) into the result. */
static int add_copy(json_object *o, const char *key, json_object *from) {
        json_object *v;

        if (!json_object_object_get_ex(from, key, &v))
                return 0;
        return json_add_copy(o, key, json_object_get(v));
}

/* json-c's NULL is a valid "null" value, so json_add's NULL-means-ENOMEM check cannot apply to it. */
static int add_null(json_object *o, const char *key) {
        return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
}

/* met: true, false, or null when it could not be judged. */
static int add_met(json_object *o, ProfileOutcome met) {
        if (met == PROFILE_UNDECIDED)
                return add_null(o, "met");
        return json_add(o, "met", json_object_new_boolean(met == PROFILE_SATISFIED));
}

static int eval_single(json_object *req, json_object *report, ProfileOutcome *ret_met, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const char *id = json_str(req, "capability"), *verdict_s = json_str(req, "verdict");
        json_object *cap = report_json_find(report, id), *variant = json_get(req, "variant", json_type_object);
        json_object *algorithms = json_get(variant, "algorithms", json_type_array);
        Verdict need = VERDICT_AVAILABLE, got = VERDICT_UNKNOWN;
        ProfileOutcome met;
        char why[WHY_SIZE] = "";
        size_t len = 0;
        int r;

        if (!o)
                return -ENOMEM;
        /* A variant asks for part of a capability: the capability itself need only be partial. */
        if (verdict_s)
                (void) verdict_from_string(verdict_s, &need);
        else if (variant)
                need = VERDICT_PARTIAL;
        if (cap && verdict_from_string(json_str(cap, "verdict") ?: "", &got) < 0)
                got = VERDICT_UNKNOWN;

        if (!cap) {
                strbuf_appendf(why, sizeof(why), &len, "the report does not measure %s", id);
                met = PROFILE_UNDECIDED;
        } else if (got == VERDICT_UNKNOWN) {
                strbuf_appendf(why, sizeof(why), &len, "%s could not be measured", id);
                met = PROFILE_UNDECIDED;
        } else if (got < need) {
                strbuf_appendf(why, sizeof(why), &len, "%s is %s, %s needed", id, verdict_to_string(got),
                               verdict_to_string(need));
                met = PROFILE_NOT_SATISFIED;
        } else if (algorithms)
                met = eval_algorithms(cap, algorithms, why, sizeof(why), &len);
        else if (variant)
                met = eval_checks(cap, variant, why, sizeof(why), &len);
        else {
                strbuf_appendf(why, sizeof(why), &len, "%s is %s", id, verdict_to_string(got));
                met = PROFILE_SATISFIED;
        }

        if ((r = add_met(o, met)) < 0 || (r = add_string(o, "capability", id)) < 0 ||
            (r = add_string(o, "required_verdict", verdict_to_string(need))) < 0 ||
            (r = cap ? add_string(o, "verdict", verdict_to_string(got)) : add_null(o, "verdict")) < 0 ||
            (r = add_copy(o, "variant", req)) < 0 || (r = add_string(o, "why", why)) < 0 ||
            (r = add_string(o, "evidence", json_str(cap, "evidence"))) < 0 || (r = add_copy(o, "note", req)) < 0)
                return r;
        if (met != PROFILE_SATISFIED) {
                /* The report's own remedy follows the capability's cause; the catalogue's is for one it lacks. */
                json_object *remedy = json_object_get(json_get(cap, "remedy", json_type_object));
                Remedy m;

                if (!remedy && remedy_for(id, &(CapResult) {}, &m) >= 0 && (r = report_json_remedy(&m, &remedy)) < 0)
                        return r;
                if (remedy && (r = json_add(o, "remedy", remedy)) < 0)
                        return r;
        }
        *ret_met = met;
        *ret = TAKE_PTR(o);
        return 0;
}

/* Alternatives: met by any one; undecided only when none is met and one could not be judged. */
static int eval_any_of(json_object *req, json_object *report, ProfileOutcome *ret_met, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *members = json_object_new_array();
        json_object *alternatives = json_get(req, "any_of", json_type_array);
        ProfileOutcome met = PROFILE_NOT_SATISFIED;
        char ids[WHY_SIZE] = "", why[WHY_SIZE] = "";
        size_t ids_len = 0, why_len = 0;
        int r;

        if (!o || !members)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(alternatives); i++) {
                json_object *alt = json_object_array_get_idx(alternatives, i), *res = NULL;
                ProfileOutcome m;

                if ((r = eval_single(alt, report, &m, &res)) < 0 || (r = json_append(members, res)) < 0)
                        return r;
                strbuf_appendf(ids, sizeof(ids), &ids_len, "%s%s", i ? " | " : "", json_str(alt, "capability"));
                if (m == PROFILE_SATISFIED && met != PROFILE_SATISFIED)
                        strbuf_appendf(why, sizeof(why), &why_len, "met by %s: %s", json_str(alt, "capability"),
                                       json_str(res, "why"));
                if (m == PROFILE_SATISFIED || (m == PROFILE_UNDECIDED && met == PROFILE_NOT_SATISFIED))
                        met = m;
        }
        if (met != PROFILE_SATISFIED)
                strbuf_appendf(why, sizeof(why), &why_len, "%s",
                               met == PROFILE_UNDECIDED ? "no alternative is met, and one could not be judged"
                                                        : "no alternative is met");
        if ((r = add_met(o, met)) < 0 || (r = add_string(o, "capability", ids)) < 0 ||
            (r = add_string(o, "why", why)) < 0 || (r = add_copy(o, "note", req)) < 0 ||
            (r = json_add(o, "any_of", TAKE_PTR(members))) < 0)
                return r;
        *ret_met = met;
        *ret = TAKE_PTR(o);
        return 0;
}

static int eval_requirement(json_object *req, json_object *report, ProfileOutcome *ret_met, json_object **ret) {
        json_object *optional = json_get(req, "optional", json_type_boolean);
        int r;

        r = json_get(req, "any_of", json_type_array) ? eval_any_of(req, report, ret_met, ret)
                                                     : eval_single(req, report, ret_met, ret);
        if (r < 0)
                return r;
        return json_add(*ret, "optional", json_object_new_boolean(optional && json_object_get_boolean(optional)));
}

static int add_host(json_object *result, json_object *report) {
        _cleanup_(json_object_putp) json_object *host = json_object_new_object();
        json_object *h = json_get(report, "host", json_type_object);
        int r;

        if (!host)
                return -ENOMEM;
        if ((r = add_string(host, "hostname", json_str(h, "hostname"))) < 0 ||
            (r = add_string(host, "kernel_release", json_str(h, "kernel_release"))) < 0 ||
            (r = add_string(host, "report_generated_at", json_str(report, "generated_at"))) < 0)
                return r;
        return json_add(result, "host", TAKE_PTR(host));
}

int profile_evaluate(const Profile *p, json_object *report, ProfileOutcome *ret_outcome, json_object **ret_result) {
        _cleanup_(json_object_putp) json_object *result = json_object_new_object(), *list = json_object_new_array();
        json_object *reqs = json_get(p->root, "requirements", json_type_array);
        ProfileOutcome outcome = PROFILE_SATISFIED;
        int r;

        if (!result || !list)
                return -ENOMEM;
        if (!json_str(report, "schema") || strcmp(json_str(report, "schema"), REPORT_SCHEMA) != 0 ||
            !json_get(report, "capabilities", json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(reqs); i++) {
                json_object *req = json_object_array_get_idx(reqs, i), *res = NULL;
                ProfileOutcome met;

                if ((r = eval_requirement(req, report, &met, &res)) < 0 || (r = json_append(list, res)) < 0)
                        return r;
                /* Optional items are reported, never decide. */
                if (!json_object_get_boolean(json_get(res, "optional", json_type_boolean)))
                        outcome = worse(outcome, met);
        }
        if ((r = add_string(result, "schema", PROFILE_RESULT_SCHEMA)) < 0 ||
            (r = add_string(result, "profile", p->name)) < 0 || (r = add_string(result, "file", p->path)) < 0 ||
            (r = add_copy(result, "description", p->root)) < 0 || (r = add_copy(result, "references", p->root)) < 0 ||
            (r = add_host(result, report)) < 0 ||
            (r = json_add(result, "satisfied", json_object_new_boolean(outcome == PROFILE_SATISFIED))) < 0 ||
            (r = add_string(result, "outcome", outcome_names[outcome])) < 0 ||
            (r = json_add(result, "requirements", TAKE_PTR(list))) < 0)
                return r;
        *ret_outcome = outcome;
        *ret_result = TAKE_PTR(result);
        return 0;
}
