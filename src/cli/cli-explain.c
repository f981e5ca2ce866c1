/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ipsec-audit explain: a capability's documentation from the catalogue, as
 * text, or (--man) as the roff of ipsec-audit(8)'s CAPABILITIES section,
 * which the build generates with it: the two cannot disagree.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "ipsec-audit.h"
#include "macro.h"
#include "report.h"
#include "shared/cli.h"

/* The exit codes of ipsec-audit's own: documented in explain --help and ipsec-audit(8). */
enum { EXIT_EXPLAINED = 0, EXIT_EXPLAIN_USAGE = 2, EXIT_EXPLAIN_OUTPUT = 4 };

/* Where the catalogue has no word of its own, a verdict means what it means for every capability. */
static const char *const verdict_meaning[_VERDICT_MAX] = {
        [VERDICT_AVAILABLE] = "Every variant that decides the verdict was accepted and read back intact; at level "
                              "datapath its packets were carried too (seen encapsulated on the wire, delivered to "
                              "the receiving socket).",
        [VERDICT_UNAVAILABLE] = "The kernel refused, or silently altered, every variant that decides the verdict; "
                                "the report names the cause: a missing module, a host setting, or the prerequisites "
                                "in blocked_by.",
        [VERDICT_UNKNOWN] = "It could not be tried: no privilege for a private namespace, --passive, a timeout, or "
                            "an answer that says nothing about the capability (EPERM, ENOMEM).",
};

typedef struct Out {
        FILE *f;
        bool man;
} Out;

/* roff: a backslash is \e, and a line never starts with a control character. */
static void man_text(FILE *f, const char *s) {
        fputs("\\&", f);
        for (; *s; s++)
                if (*s == '\\')
                        fputs("\\e", f);
                else if (*s == '-')
                        fputs("\\-", f);
                else
                        fputc(*s, f);
        fputc('\n', f);
}

static void heading(const Out *o, const char *label) {
        if (o->man)
                fprintf(o->f, ".TP\n.B %s\n", label);
        else
                fprintf(o->f, "%s:\n", label);
}

static void paragraph(const Out *o, const char *text) {
        if (o->man)
                man_text(o->f, text);
        else
                report_text_wrapped(o->f, "  ", text);
}

/* "label: a, b, c", or nothing for an empty list. */
static void list(const Out *o, const char *label, const char *const *items) {
        char line[512];

        if (!report_text_join(line, sizeof(line), label, items))
                return;
        if (o->man)
                fputs(".br\n", o->f);
        paragraph(o, line);
}

static void verdicts(const Out *o, const CatalogueEntry *e) {
        const char *meaning[_VERDICT_MAX];

        memcpy(meaning, verdict_meaning, sizeof(meaning));
        meaning[VERDICT_PARTIAL] = e->partial;
        if (e->available)
                meaning[VERDICT_AVAILABLE] = e->available;
        if (e->unavailable)
                meaning[VERDICT_UNAVAILABLE] = e->unavailable;
        heading(o, "What the verdicts mean");
        for (int v = _VERDICT_MAX - 1; v >= 0; v--) {
                char line[1024];

                if (o->man && v != _VERDICT_MAX - 1)
                        fputs(".br\n", o->f);
                snprintf(line, sizeof(line), "%s: %s", verdict_to_string((Verdict) v), meaning[v]);
                paragraph(o, line);
        }
}

static void explain_entry(const Out *o, const CatalogueEntry *e) {
        if (o->man) {
                fprintf(o->f, ".SS %s\n", e->id);
                man_text(o->f, e->question);
        } else {
                fprintf(o->f, "%s\n", e->id);
                report_text_wrapped(o->f, "  ", e->question);
        }
        heading(o, "References");
        paragraph(o, e->references);
        heading(o, "Why it matters");
        paragraph(o, e->impact);
        heading(o, "How it is measured");
        paragraph(o, e->measure);
        verdicts(o, e);
        heading(o, "Remedy");
        paragraph(o, e->remedy);
        list(o, "kernel config:", e->kernel_config);
        list(o, "modules:", e->modules);
}

static size_t min3(size_t a, size_t b, size_t c) {
        return a < b ? (a < c ? a : c) : (b < c ? b : c);
}

/* Levenshtein distance, for ids up to 63 characters (longer ones are never close). */
static size_t distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b), row[64];

        if (la >= ELEMENTSOF(row) || lb >= ELEMENTSOF(row))
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = row[0];

                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = row[j];

                        row[j] = min3(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1]));
                        diag = up;
                }
        }
        return row[lb];
}

/* An id within a third of its length in edits, or one that contains the word or is contained in it. */
static bool close_to(const char *id, const char *word) {
        size_t n = strlen(id);

        return distance(id, word) <= (n / 3 > 2 ? n / 3 : 2) || strstr(id, word) || (*word && strstr(word, id));
}

static void unknown_id(const char *word) {
        _cleanup_free_ char *shown = NULL;
        bool any = false;

        /* The word is the user's: bounded and escaped like any outside string. */
        (void) strescape(word, 64, &shown);
        fprintf(stderr, "%s: unknown capability '%s'", program_invocation_short_name, shown ?: "?");
        for (unsigned i = 0; i < catalogue_size; i++)
                if (close_to(catalogue[i].id, word)) {
                        fprintf(stderr, "%s %s", any ? "," : "; did you mean", catalogue[i].id);
                        any = true;
                }
        fprintf(stderr, "%s\n'%s explain' lists every capability.\n", any ? "?" : "", program_invocation_short_name);
}

static void explain_help(void) {
        printf("Usage: %1$s explain [ID]\n"
               "       %1$s explain --man\n"
               "What a capability of the report means, from the catalogue: the question it\n"
               "answers, its RFC 5406 sections and other RFCs, why it matters, how it is\n"
               "measured, what each verdict means, and the remedy. Without ID, the ids with\n"
               "their questions.\n"
               "\n"
               "      --man               print every capability as the roff of ipsec-audit(8)'s\n"
               "                          CAPABILITIES section (the build generates it so)\n"
               "  -h, --help              show this help and exit\n"
               "\n"
               "Exit status: 0 explained; 2 invalid command line or unknown ID (the close\n"
               "matches are named on standard error); 4 the text could not be written.\n",
               program_invocation_short_name);
}

int explain_main(int argc, char **argv) {
        static const struct option options[] = {
                { "man", no_argument, NULL, 'm' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        Out o = { .f = stdout };
        const CatalogueEntry *e;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'm':
                        o.man = true;
                        break;
                case 'h':
                        explain_help();
                        return EXIT_EXPLAINED;
                default:
                        fprintf(stderr, "Try '%s explain --help' for more information.\n", program_invocation_short_name);
                        return EXIT_EXPLAIN_USAGE;
                }
        if (argc - optind > 1 || (o.man && optind < argc)) {
                usage_error("explain takes one capability id, and --man none");
                return EXIT_EXPLAIN_USAGE;
        }
        if (o.man)
                for (unsigned i = 0; i < catalogue_size; i++)
                        explain_entry(&o, &catalogue[i]);
        else if (optind == argc)
                for (unsigned i = 0; i < catalogue_size; i++)
                        printf("%-22s %s\n", catalogue[i].id, catalogue[i].question);
        else if ((e = catalogue_find(argv[optind])))
                explain_entry(&o, e);
        else {
                unknown_id(argv[optind]);
                return EXIT_EXPLAIN_USAGE;
        }
        return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_EXPLAINED : EXIT_EXPLAIN_OUTPUT;
}
