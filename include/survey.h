/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "probe.h"
#include "section4.h"
#include "verdict.h"

/*
 * A working-group survey: many hosts' JSON reports in, one availability
 * table out (RFC 5406 Section 8 (i) asked of a population). Reports are
 * read one at a time into a fixed-size SurveyReport and counted; the survey
 * keeps counters per row and group, and 16 bytes per distinct boot_id for
 * duplicate detection, never the reports.
 */

#define SURVEY_MAX_CAPS 64

typedef struct SurveyCap {
        char id[48];
        char rfc5406_section[16];
        Verdict verdict;
        Level level;
} SurveyCap;

/* What a survey reads of one report: fixed size, so reading a report allocates nothing. */
typedef struct SurveyReport {
        char schema[64];
        char kernel_release[128];
        char os_pretty_name[128];
        char boot_id[64];
        uint8_t boot_uuid[16]; /* boot_id's value, when it is a UUID (has_boot_uuid) */
        bool has_boot_uuid;
        SurveyCap caps[SURVEY_MAX_CAPS];
        unsigned n_caps;
        Verdict section4[_SECTION4_KEY_MAX];
} SurveyReport;

/* "verdict", "ipsec_available", ...: the report's section4 keys. */

/*
 * Reads one JSON document (RFC 8259, UTF-8) of len bytes. 0: a v1 report,
 * in *ret. -EBADMSG: not JSON, or JSON that is not a v1 report (reason says
 * where); -EPROTO: a report of another schema (ret->schema names it).
 */
int survey_report_parse(const char *buf, size_t len, SurveyReport *ret, char *reason, size_t reason_size);

/*
 * A row beyond the capabilities: a Section 4 question or a protocol profile
 * ("does this host satisfy protocol X?"). Adding a kind of row is one of
 * these and one survey_add_row_source() call. verdict() gets the parsed
 * report and the document itself (len bytes, not terminated), for rows that
 * read more than the fixed SurveyReport holds.
 */
typedef struct SurveyRowSource {
        const char *id;    /* "section4.vpn", "profile.NAME" */
        const char *kind;  /* "section4", "profile" */
        const char *label; /* for humans: "Section 4: VPN (tunnel mode)" */
        const char *rfc5406_section;
        Verdict (*verdict)(const SurveyReport *r, const char *doc, size_t len, const void *userdata);
        const void *userdata;
} SurveyRowSource;

typedef enum SurveyGroupBy { SURVEY_GROUP_KERNEL, SURVEY_GROUP_OS, SURVEY_GROUP_NONE } SurveyGroupBy;

/* Why an input was not counted; every such input is listed by name. */
typedef enum SurveyProblemKind {
        SURVEY_UNREADABLE,
        SURVEY_MALFORMED,
        SURVEY_OTHER_SCHEMA,
        SURVEY_DUPLICATE,
        _SURVEY_PROBLEM_MAX,
} SurveyProblemKind;

typedef struct SurveyProblem {
        char *origin; /* file name, or "-:LINE" for standard input */
        SurveyProblemKind kind;
        char reason[192];
} SurveyProblem;

typedef struct SurveyRow {
        char id[48];
        char label[96];
        char rfc5406_section[16];
        const SurveyRowSource *source; /* NULL for a capability row */
} SurveyRow;

/* Hosts per verdict for every row, indexed like Survey.rows. */
typedef struct SurveyGroup {
        char name[128];
        unsigned long hosts;
        unsigned long (*counts)[_VERDICT_MAX];
        size_t n_counts;
} SurveyGroup;

typedef struct BootIdSet BootIdSet;

typedef struct Survey {
        SurveyGroupBy group_by;
        SurveyRow *rows;
        size_t n_rows, n_capability_rows;
        const SurveyRowSource **sources;
        size_t n_sources;
        SurveyGroup overall;
        SurveyGroup *groups; /* in order of first appearance */
        size_t n_groups;
        unsigned long inputs;         /* reports (files and lines) read */
        unsigned long without_boot_id; /* counted, but cannot be checked for duplicates */
        unsigned long problem_counts[_SURVEY_PROBLEM_MAX];
        SurveyProblem *problems;
        size_t n_problems;
        BootIdSet *boot_ids;
        char *buf; /* the current input, reused */
        size_t buf_size;
        SurveyReport report; /* the current report, reused */
} Survey;

/* Capability rows start in the table's order (rows for ids it lacks are added as they appear). */
int survey_new(SurveyGroupBy group_by, const Probe *const *table, Survey **ret);
void survey_free(Survey *s);
static inline void survey_freep(Survey **s) {
        if (*s)
                survey_free(*s);
}

/* Rows for every report from now on; the source must outlive the survey. */
int survey_add_row_source(Survey *s, const SurveyRowSource *src);

/*
 * Inputs. A file holds one report; a directory is walked recursively for
 * *.json files; a stream holds one report per line. Problems with an input
 * are recorded in the survey, never returned: the return is -ENOMEM (or
 * another failure of our own) only.
 */
int survey_add_path(Survey *s, const char *path);
int survey_add_stream(Survey *s, FILE *f, const char *name);
/* One document, as read from origin. */
int survey_add_document(Survey *s, const char *origin, const char *buf, size_t len);

unsigned long survey_counted(const Survey *s);
/* Hosts of group g with verdict v in row; a report that lacks the row's capability counts as unknown. */
unsigned long survey_count(const SurveyGroup *g, size_t row, Verdict v);
/* The Section 4 rows: a row source per question of the report's section4 object. */
int survey_add_section4_rows(Survey *s);
const char *survey_problem_kind_to_string(SurveyProblemKind k);
const char *survey_group_by_to_string(SurveyGroupBy g);
int survey_group_by_from_string(const char *s, SurveyGroupBy *ret);

typedef enum SurveyFormat { SURVEY_MARKDOWN, SURVEY_CSV, SURVEY_JSON, SURVEY_HTML } SurveyFormat;

int survey_format_from_string(const char *s, SurveyFormat *ret);

/* "N hosts counted from M inputs: ..." for the top of a survey. */
void survey_summary(const Survey *s, char *buf, size_t size);
/* Table i: 0 all hosts, 1... the groups; its title ("Kernel 6.1.0 (4 hosts)") in buf. */
const SurveyGroup *survey_group_title(const Survey *s, size_t i, char *buf, size_t size);

/* How a document format (Markdown, HTML) writes what every survey document has. */
typedef struct SurveyMarkup {
        void (*text)(FILE *f, const char *s); /* text from the inputs, escaped */
        const char *title_open, *title_close; /* around a table's title */
        void (*table)(const Survey *s, const SurveyGroup *g, FILE *f);
        const char *problems_open;            /* title and head of the "inputs not counted" table */
        const char *row_open, *cell, *row_close, *problems_close;
} SurveyMarkup;
/* Every table under its title, then the inputs not counted. */
void survey_render_tables(const Survey *s, const SurveyMarkup *m, FILE *f);

/* The tables (and, in HTML, the charts); -EIO when f cannot be written. */
int survey_render(const Survey *s, SurveyFormat format, FILE *f);
void survey_render_html(const Survey *s, FILE *f);
