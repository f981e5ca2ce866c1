/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The survey as one self-contained HTML page: inline CSS and SVG, no script,
 * no external resource, so it can be mailed to a working group or attached
 * to a draft and read offline.
 */
#include <string.h>

#include "macro.h"
#include "survey.h"

#define LABEL_W 380
#define BAR_W 420
#define BAR_H 18
#define ROW_H 24

static const struct {
        Verdict verdict;
        const char *colour;
} segments[] = {
        { VERDICT_AVAILABLE, "#2e7d32" },
        { VERDICT_PARTIAL, "#f2a900" },
        { VERDICT_UNAVAILABLE, "#c62828" },
        { VERDICT_UNKNOWN, "#9e9e9e" },
};

static void html_text(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '&':
                        fputs("&amp;", f);
                        break;
                case '<':
                        fputs("&lt;", f);
                        break;
                case '>':
                        fputs("&gt;", f);
                        break;
                case '"':
                        fputs("&quot;", f);
                        break;
                default:
                        fputc(*s, f);
                }
}

/* One horizontal bar: a segment per verdict, as wide as its share of the group's hosts. */
static void bar(FILE *f, const SurveyGroup *g, size_t row, const char *label, unsigned y) {
        double x = LABEL_W;

        fprintf(f, "<text x=\"%d\" y=\"%u\" text-anchor=\"end\">", LABEL_W - 8, y + 13);
        html_text(f, label);
        fputs("</text>\n", f);
        for (size_t i = 0; i < ELEMENTSOF(segments); i++) {
                unsigned long n = survey_count(g, row, segments[i].verdict);
                double w = g->hosts ? (double) BAR_W * (double) n / (double) g->hosts : 0;

                if (n == 0)
                        continue;
                fprintf(f, "<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                           "<title>%s: %lu of %lu</title></rect>\n",
                        x, y, w, BAR_H, segments[i].colour, verdict_to_string(segments[i].verdict), n, g->hosts);
                if (w >= 28)
                        fprintf(f, "<text x=\"%.1f\" y=\"%u\" class=\"in\">%lu</text>\n", x + 4, y + 13, n);
                x += w;
        }
}

static void chart_begin(FILE *f, const char *title, size_t n_bars) {
        unsigned h = (unsigned) (n_bars * ROW_H + 30);

        fputs("<figure><figcaption>", f);
        html_text(f, title);
        fprintf(f, "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
                   "viewBox=\"0 0 %d %u\" role=\"img\">\n",
                LABEL_W + BAR_W + 10, h, LABEL_W + BAR_W + 10, h);
        for (size_t i = 0; i < ELEMENTSOF(segments); i++)
                fprintf(f, "<rect x=\"%zu\" y=\"4\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                           "<text x=\"%zu\" y=\"14\">%s</text>\n",
                        LABEL_W + i * 105, segments[i].colour, LABEL_W + i * 105 + 16,
                        verdict_to_string(segments[i].verdict));
}

/* Every row of one group: the verdicts per capability. */
static void chart_rows(const Survey *s, const SurveyGroup *g, const char *title, FILE *f) {
        chart_begin(f, title, s->n_rows);
        for (size_t i = 0; i < s->n_rows; i++)
                bar(f, g, i, s->rows[i].label, (unsigned) (30 + i * ROW_H));
        fputs("</svg></figure>\n", f);
}

/* One row across the groups: the Section 4 verdict per kernel or OS. */
static void chart_groups(const Survey *s, size_t row, FILE *f) {
        char title[160];

        snprintf(title, sizeof(title), "%s, by %s", s->rows[row].label,
                 s->group_by == SURVEY_GROUP_KERNEL ? "kernel" : "OS");
        chart_begin(f, title, s->n_groups);
        for (size_t i = 0; i < s->n_groups; i++)
                bar(f, &s->groups[i], row, s->groups[i].name, (unsigned) (30 + i * ROW_H));
        fputs("</svg></figure>\n", f);
}

static void table(const Survey *s, const SurveyGroup *g, FILE *f) {
        fputs("<table>\n<tr><th>capability</th><th>RFC 5406</th>", f);
        for (size_t i = 0; i < ELEMENTSOF(segments); i++)
                fprintf(f, "<th>%s</th>", verdict_to_string(segments[i].verdict));
        fputs("</tr>\n", f);
        for (size_t i = 0; i < s->n_rows; i++) {
                fprintf(f, "<tr%s><td>", s->rows[i].source ? " class=\"derived\"" : "");
                html_text(f, s->rows[i].label);
                fputs("</td><td>", f);
                html_text(f, s->rows[i].rfc5406_section);
                fputs("</td>", f);
                for (size_t c = 0; c < ELEMENTSOF(segments); c++) {
                        unsigned long n = survey_count(g, i, segments[c].verdict);
                        fprintf(f, "<td>%lu (%.1f%%)</td>", n, g->hosts ? 100.0 * (double) n / (double) g->hosts : 0.0);
                }
                fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
}

static size_t find_row(const Survey *s, const char *id) {
        for (size_t i = 0; i < s->n_rows; i++)
                if (strcmp(s->rows[i].id, id) == 0)
                        return i;
        return s->n_rows;
}

void survey_render_html(const Survey *s, FILE *f) {
        static const SurveyMarkup html = {
                .text = html_text,
                .title_open = "<h2>",
                .title_close = "</h2>\n",
                .table = table,
                .problems_open = "<h2>Inputs not counted</h2>\n<table>\n<tr><th>input</th><th>problem</th><th>reason</th></tr>\n",
                .row_open = "<tr><td>",
                .cell = "</td><td>",
                .row_close = "</td></tr>\n",
                .problems_close = "</table>\n",
        };
        size_t verdict_row = find_row(s, "section4.verdict");
        char text[512];

        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
              "<title>IPsec availability survey</title>\n<style>\n"
              "body{font-family:sans-serif;margin:2em;color:#222}\n"
              "svg text{font-size:12px;font-family:sans-serif}\nsvg text.in{fill:#fff}\n"
              "figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}\n"
              "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:2px 8px}\n"
              "td:nth-child(n+3){text-align:right}tr.derived{font-weight:bold;background:#f3f3f3}\n"
              "</style></head><body>\n<h1>IPsec availability survey</h1>\n", f);
        survey_summary(s, text, sizeof(text));
        fputs("<p>RFC 5406 Section 8 (i), \"Is suitable IPsec support available in likely configurations of "
              "the products?\", asked of a population: ", f);
        html_text(f, text);
        fputs("</p>\n", f);
        chart_rows(s, &s->overall, "Verdicts per capability, all hosts", f);
        if (s->n_groups && verdict_row < s->n_rows)
                chart_groups(s, verdict_row, f);
        survey_render_tables(s, &html, f);
        fputs("</body></html>\n", f);
}
