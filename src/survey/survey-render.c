/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The survey as Markdown (for a draft), CSV and JSON (for tools); HTML is in survey-html.c. */
#include <errno.h>
#include <string.h>

#include "json-util.h"
#include "macro.h"
#include "report.h"
#include "survey.h"

#define SURVEY_SCHEMA "ipsec-audit/survey/v1"

/* Columns in the order a reader wants them: best first. */
static const Verdict columns[] = { VERDICT_AVAILABLE, VERDICT_PARTIAL, VERDICT_UNAVAILABLE, VERDICT_UNKNOWN };

static double percent(unsigned long n, unsigned long of) {
        return of ? 100.0 * (double) n / (double) of : 0.0;
}

static const char *row_kind(const SurveyRow *row) {
        return row->source ? row->source->kind : "capability";
}

/* Host-supplied text (group names, file names) must not break a table row. */
static void md_text(FILE *f, const char *s) {
        for (; *s; s++) {
                if (*s == '|' || *s == '\\')
                        fputc('\\', f);
                fputc((unsigned char) *s < 0x20 ? ' ' : *s, f);
        }
}

static void md_group(const Survey *s, const SurveyGroup *g, FILE *f) {
        fprintf(f, "| capability | RFC 5406 | available | partial | unavailable | unknown |\n"
                   "|---|---|--:|--:|--:|--:|\n");
        for (size_t i = 0; i < s->n_rows; i++) {
                const SurveyRow *row = &s->rows[i];

                /* Capability ids in code spans: their underscores are not emphasis. */
                fputs(row->source ? "| **" : "| `", f);
                md_text(f, row->label);
                fprintf(f, "%s | %s |", row->source ? "**" : "`", row->rfc5406_section);
                for (size_t c = 0; c < ELEMENTSOF(columns); c++) {
                        unsigned long n = survey_count(g, i, columns[c]);
                        fprintf(f, " %lu (%.1f%%) |", n, percent(n, g->hosts));
                }
                fputc('\n', f);
        }
}

void survey_summary(const Survey *s, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        strbuf_appendf(buf, size, &len,
                       "%lu hosts counted from %lu inputs: %lu malformed, %lu of another schema, %lu duplicates, "
                       "%lu unreadable.",
                       survey_counted(s), s->inputs, s->problem_counts[SURVEY_MALFORMED],
                       s->problem_counts[SURVEY_OTHER_SCHEMA], s->problem_counts[SURVEY_DUPLICATE],
                       s->problem_counts[SURVEY_UNREADABLE]);
        if (s->without_boot_id)
                strbuf_appendf(buf, size, &len,
                               " %lu counted reports carry no boot_id and could not be checked for duplicates.",
                               s->without_boot_id);
}

const SurveyGroup *survey_group_title(const Survey *s, size_t i, char *buf, size_t size) {
        const SurveyGroup *g = i == 0 ? &s->overall : &s->groups[i - 1];

        if (i == 0)
                snprintf(buf, size, "All hosts (%lu)", g->hosts);
        else
                snprintf(buf, size, "%s %s (%lu hosts)", s->group_by == SURVEY_GROUP_KERNEL ? "Kernel" : "OS",
                         g->name, g->hosts);
        return g;
}

void survey_render_tables(const Survey *s, const SurveyMarkup *m, FILE *f) {
        char text[512];

        for (size_t i = 0; i <= s->n_groups; i++) {
                const SurveyGroup *g = survey_group_title(s, i, text, sizeof(text));

                fputs(m->title_open, f);
                m->text(f, text);
                fputs(m->title_close, f);
                m->table(s, g, f);
        }
        if (!s->n_problems)
                return;
        fputs(m->problems_open, f);
        for (size_t i = 0; i < s->n_problems; i++) {
                fputs(m->row_open, f);
                m->text(f, s->problems[i].origin);
                fprintf(f, "%s%s%s", m->cell, survey_problem_kind_to_string(s->problems[i].kind), m->cell);
                m->text(f, s->problems[i].reason);
                fputs(m->row_close, f);
        }
        fputs(m->problems_close, f);
}

static void render_markdown(const Survey *s, FILE *f) {
        static const SurveyMarkup md = {
                .text = md_text,
                .title_open = "\n### ",
                .title_close = "\n\n",
                .table = md_group,
                .problems_open = "\n### Inputs not counted\n\n| input | problem | reason |\n|---|---|---|\n",
                .row_open = "| ",
                .cell = " | ",
                .row_close = " |\n",
                .problems_close = "",
        };
        char text[512];

        survey_summary(s, text, sizeof(text));
        fprintf(f, "## IPsec availability survey (RFC 5406 Section 8 (i))\n\n%s\n", text);
        survey_render_tables(s, &md, f);
}

/* RFC 4180: quoted when it holds a separator, a quote or a line break. */
static void csv_field(FILE *f, const char *s) {
        if (!s[strcspn(s, ",\"\r\n")]) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

static void csv_group(const Survey *s, const SurveyGroup *g, FILE *f) {
        for (size_t i = 0; i < s->n_rows; i++) {
                fprintf(f, "%s,", survey_group_by_to_string(s->group_by));
                csv_field(f, g->name);
                fprintf(f, ",%lu,", g->hosts);
                csv_field(f, s->rows[i].id);
                fprintf(f, ",%s,", row_kind(&s->rows[i]));
                csv_field(f, s->rows[i].rfc5406_section);
                for (size_t c = 0; c < ELEMENTSOF(columns); c++)
                        fprintf(f, ",%lu", survey_count(g, i, columns[c]));
                for (size_t c = 0; c < ELEMENTSOF(columns); c++)
                        fprintf(f, ",%.1f", percent(survey_count(g, i, columns[c]), g->hosts));
                fputc('\n', f);
        }
}

/* One table: the overall rows are the group "all"; problems go to standard error (the CLI's). */
static void render_csv(const Survey *s, FILE *f) {
        fputs("group_by,group,hosts,row,kind,rfc5406_section,available,partial,unavailable,unknown,"
              "available_pct,partial_pct,unavailable_pct,unknown_pct\n", f);
        csv_group(s, &s->overall, f);
        for (size_t i = 0; i < s->n_groups; i++)
                csv_group(s, &s->groups[i], f);
}

static int json_group(const Survey *s, const SurveyGroup *g, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *rows = json_object_new_array();
        int r;

        if (!o || !rows)
                return -ENOMEM;
        if ((r = json_add(o, "name", json_object_new_string(g->name))) < 0 ||
            (r = json_add(o, "hosts", json_object_new_int64((int64_t) g->hosts))) < 0)
                return r;
        for (size_t i = 0; i < s->n_rows; i++) {
                _cleanup_(json_object_putp) json_object *row = json_object_new_object();

                if (!row)
                        return -ENOMEM;
                if ((r = json_add(row, "id", json_object_new_string(s->rows[i].id))) < 0 ||
                    (r = json_add(row, "kind", json_object_new_string(row_kind(&s->rows[i])))) < 0 ||
                    (r = json_add(row, "label", json_object_new_string(s->rows[i].label))) < 0 ||
                    (r = json_add(row, "rfc5406_section", json_object_new_string(s->rows[i].rfc5406_section))) < 0)
                        return r;
                for (size_t c = 0; c < ELEMENTSOF(columns); c++) {
                        _cleanup_(json_object_putp) json_object *cell = json_object_new_object();
                        unsigned long n = survey_count(g, i, columns[c]);
                        char pct[16];

                        if (!cell)
                                return -ENOMEM;
                        /* The string form keeps json-c from printing 33.299999999999997. */
                        snprintf(pct, sizeof(pct), "%.1f", percent(n, g->hosts));
                        if ((r = json_add(cell, "hosts", json_object_new_int64((int64_t) n))) < 0 ||
                            (r = json_add(cell, "percent", json_object_new_double_s(percent(n, g->hosts), pct))) < 0 ||
                            (r = json_add_copy(row, verdict_to_string(columns[c]), TAKE_PTR(cell))) < 0)
                                return r;
                }
                if ((r = json_append(rows, TAKE_PTR(row))) < 0)
                        return r;
        }
        if ((r = json_add(o, "rows", TAKE_PTR(rows))) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int survey_json(const Survey *s, json_object **ret) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object(), *inputs = json_object_new_object(),
                                                *problems = json_object_new_array(), *groups = json_object_new_array();
        json_object *child = NULL;
        int r;

        if (!root || !inputs || !problems || !groups)
                return -ENOMEM;
        if ((r = json_add(root, "schema", json_object_new_string(SURVEY_SCHEMA))) < 0 ||
            (r = json_add(root, "report_schema", json_object_new_string(REPORT_SCHEMA))) < 0 ||
            (r = json_add(root, "group_by", json_object_new_string(survey_group_by_to_string(s->group_by)))) < 0 ||
            (r = json_add(inputs, "read", json_object_new_int64((int64_t) s->inputs))) < 0 ||
            (r = json_add(inputs, "counted", json_object_new_int64((int64_t) survey_counted(s)))) < 0 ||
            (r = json_add(inputs, "without_boot_id", json_object_new_int64((int64_t) s->without_boot_id))) < 0)
                return r;
        for (SurveyProblemKind k = 0; k < _SURVEY_PROBLEM_MAX; k++)
                if ((r = json_add_copy(inputs, survey_problem_kind_to_string(k),
                                  json_object_new_int64((int64_t) s->problem_counts[k]))) < 0)
                        return r;
        for (size_t i = 0; i < s->n_problems; i++) {
                _cleanup_(json_object_putp) json_object *p = json_object_new_object();

                if (!p)
                        return -ENOMEM;
                if ((r = json_add(p, "input", json_object_new_string(s->problems[i].origin))) < 0 ||
                    (r = json_add(p, "problem",
                                  json_object_new_string(survey_problem_kind_to_string(s->problems[i].kind)))) < 0 ||
                    (r = json_add(p, "reason", json_object_new_string(s->problems[i].reason))) < 0 ||
                    (r = json_append(problems, TAKE_PTR(p))) < 0)
                        return r;
        }
        if ((r = json_add(inputs, "problems", TAKE_PTR(problems))) < 0 ||
            (r = json_add(root, "inputs", TAKE_PTR(inputs))) < 0 ||
            (r = json_group(s, &s->overall, &child)) < 0 || (r = json_add(root, "overall", child)) < 0)
                return r;
        for (size_t i = 0; i < s->n_groups; i++)
                if ((r = json_group(s, &s->groups[i], &child)) < 0 || (r = json_append(groups, child)) < 0)
                        return r;
        if ((r = json_add(root, "groups", TAKE_PTR(groups))) < 0)
                return r;
        *ret = TAKE_PTR(root);
        return 0;
}

static int render_json(const Survey *s, FILE *f) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        const char *text;
        int r;

        if ((r = survey_json(s, &root)) < 0)
                return r;
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        fputs(text, f);
        fputc('\n', f);
        return 0;
}

int survey_render(const Survey *s, SurveyFormat format, FILE *f) {
        int r = 0;

        switch (format) {
        case SURVEY_MARKDOWN:
                render_markdown(s, f);
                break;
        case SURVEY_CSV:
                render_csv(s, f);
                break;
        case SURVEY_JSON:
                r = render_json(s, f);
                break;
        case SURVEY_HTML:
                survey_render_html(s, f);
                break;
        }
        if (r < 0)
                return r;
        return fflush(f) != 0 || ferror(f) ? -EIO : 0;
}
