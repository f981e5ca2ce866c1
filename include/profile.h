/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Protocol profiles: what one protocol's use of IPsec needs, in terms of the
 * report (capability ids, verdicts, the checks' variants), and the answer to
 * RFC 5406 Section 8 (i) for one report. The format is ipsec-audit-profile(5).
 * Profiles are evaluated on a JSON report only (a fresh audit serialized, a
 * saved file, the daemon's cache), so the three cannot disagree.
 */

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#define PROFILE_SCHEMA "ipsec-audit/profile/v1"
#define PROFILE_RESULT_SCHEMA "ipsec-audit/profile-result/v1"

/* Limits against hostile files: profiles are a few kilobytes and three levels deep. */
#define PROFILE_MAX_BYTES (64 * 1024)
#define PROFILE_MAX_DEPTH 8
#define PROFILE_MAX_REQUIREMENTS 64
#define PROFILE_MAX_ALTERNATIVES 8
#define PROFILE_MAX_STRING 1024

/* Searched in order when neither the environment nor the caller names others. */
#define PROFILE_PATH_ENV "IPSEC_AUDIT_PROFILE_PATH"

typedef struct Profile {
        char *name; /* the file name without .json */
        char *path;
        json_object *root; /* validated: evaluation reads it without checking again */
} Profile;

void profile_free(Profile *p);
static inline void profile_freep(Profile **p) {
        profile_free(*p);
}

/* Why a profile was rejected, for one error line: "FILE:LINE:COLUMN: ..." or "FILE: POINTER: ...". */
typedef struct ProfileError {
        char file[512];
        unsigned line, column; /* 0: not a syntax error */
        char pointer[128];     /* RFC 6901 pointer to the offending value; empty for syntax errors */
        char message[256];
} ProfileError;

/* "FILE:LINE:COLUMN: message" or "FILE: /pointer: message", without a newline. */
void profile_error_format(const ProfileError *e, char *buf, size_t size);

/*
 * Parses and validates a profile held in memory; path names it in errors.
 * -EINVAL with *err filled for a malformed profile, -ENOMEM.
 */
int profile_parse(const char *text, size_t len, const char *path, Profile **ret, ProfileError *err);

/*
 * NAME (letters, digits, '.', '_', '-') is looked up in the profile path; anything
 * with a '/' or ending in ".json" is a file. -ENOENT for an unknown name, -EINVAL
 * (with *err) for a malformed file, other negative errno when it cannot be read.
 */
int profile_load(const char *name_or_file, Profile **ret, ProfileError *err);

/* True for a string profile_load() would look up by name rather than open as a file. */
bool profile_name_valid(const char *name);

/*
 * The profiles the path offers, one per name (the first directory that has it
 * wins), sorted: a NULL-terminated array of "NAME\tPATH" strings.
 */
int profile_list(char ***ret);
void profile_list_free(char **l);
static inline void profile_list_freep(char ***l) {
        profile_list_free(*l);
}

typedef enum ProfileOutcome {
        PROFILE_SATISFIED,
        PROFILE_NOT_SATISFIED,
        PROFILE_UNDECIDED, /* nothing unmet, but a required capability is unknown or unmeasured */
} ProfileOutcome;

/*
 * Evaluates the profile on a JSON report (schema ipsec-audit/report/v1);
 * -EBADMSG for a document that is not one. *ret_result is the answer as an
 * object (schema ipsec-audit/profile-result/v1).
 */
int profile_evaluate(const Profile *p, json_object *report, ProfileOutcome *ret_outcome, json_object **ret_result);

/* The result as text: the outcome, then each requirement, with evidence and remedy where unmet. */
int profile_result_text(json_object *result, FILE *f);
