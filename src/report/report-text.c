/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "catalogue.h"
#include "config.h"
#include "macro.h"
#include "report.h"
#include "section4.h"

#define WIDTH 78
/* The one-screen report's lines fit a terminal this wide. */
#define SCREEN 80

static const struct {
        const char *number, *title;
} rfc_sections[] = {
        { "3.1", "AH and ESP" },
        { "3.2", "Transport and Tunnel Mode" },
        { "3.3", "Key Management" },
        { "3.4", "Application Programming Interface" },
        { "4", "Availability of IPsec in Target Devices" },
        { "5", "Endpoints" },
        { "6", "Selectors and the SPD" },
        { "7", "Broadcast and Multicast" },
        { NULL, "Other" },
};

typedef struct Style {
        const char *mark, *colour;
} Style;

static const Style styles[_VERDICT_MAX] = {
        [VERDICT_UNKNOWN] = { "[?]", "\033[35m" },
        [VERDICT_UNAVAILABLE] = { "[-]", "\033[31m" },
        [VERDICT_PARTIAL] = { "[~]", "\033[33m" },
        [VERDICT_AVAILABLE] = { "[+]", "\033[32m" },
};

static const char *on(bool colour, Verdict v) {
        return colour ? styles[v].colour : "";
}

static const char *off(bool colour) {
        return colour ? "\033[0m" : "";
}

/* The primary section is the first one listed ("5, 6" files under 5); NULL files under "Other". */
static bool in_section(const Probe *p, const char *number) {
        size_t n;

        if (!number) {
                for (size_t s = 0; rfc_sections[s].number; s++)
                        if (in_section(p, rfc_sections[s].number))
                                return false;
                return true;
        }
        n = strlen(number);
        return strncmp(p->rfc5406_section, number, n) == 0 &&
               (p->rfc5406_section[n] == '\0' || p->rfc5406_section[n] == ',');
}

/*
 * Steps (*s, *i) to the next capability shown, section by section (*s
 * indexes rfc_sections); start from *s = 0, *i = SIZE_MAX.
 */
static bool next_shown(const Audit *a, size_t *s, size_t *i) {
        for (; *s < ELEMENTSOF(rfc_sections); (*s)++, *i = SIZE_MAX)
                while (++*i < a->n_results)
                        if (in_section(a->probes[*i], rfc_sections[*s].number))
                                return true;
        return false;
}

/* Word-wraps text at WIDTH, every line indented; the text is escaped (evidence quotes outside strings). */
void report_text_wrapped(FILE *f, const char *indent, const char *text) {
        size_t col = 0, ind = strlen(indent);

        while (*text) {
                size_t word = strcspn(text, " ");

                if (col > 0 && col + 1 + word > WIDTH) {
                        fputc('\n', f);
                        col = 0;
                }
                if (col == 0) {
                        fputs(indent, f);
                        col = ind;
                } else {
                        fputc(' ', f);
                        col++;
                }
                fwrite_escaped(f, text, word);
                col += word;
                text += word;
                text += strspn(text, " ");
        }
        if (col > 0)
                fputc('\n', f);
}

bool report_text_join(char *buf, size_t size, const char *label, const char *const *list) {
        size_t len = 0;

        buf[0] = '\0';
        if (!list || !list[0])
                return false;
        strbuf_appendf(buf, size, &len, "%s", label);
        for (size_t i = 0; list[i]; i++)
                strbuf_appendf(buf, size, &len, "%s %s", i ? "," : "", list[i]);
        return true;
}

static void print_list(FILE *f, const char *indent, const char *label, const char *const *list) {
        char line[512];

        if (report_text_join(line, sizeof(line), label, list))
                report_text_wrapped(f, indent, line);
}

void report_text_remedy(FILE *f, const char *indent, const Remedy *m) {
        char remedy[sizeof(m->text) + 16];

        snprintf(remedy, sizeof(remedy), "remedy: %s", m->text);
        report_text_wrapped(f, indent, remedy);
        print_list(f, indent, "kernel config:", m->kernel_config);
        print_list(f, indent, "modules:", m->modules);
}

static void print_capability(FILE *f, const Probe *p, const CapResult *r, bool colour) {
        Remedy m;

        fprintf(f, "  %s%s%s %-22s %s%s%s (%s)\n", on(colour, r->verdict), styles[r->verdict].mark, off(colour),
                p->id, on(colour, r->verdict), verdict_to_string(r->verdict), off(colour), level_to_string(r->level));
        report_text_wrapped(f, "      ", r->evidence);
        for (unsigned i = 0; i < r->n_details; i++) {
                char line[RESULT_DETAIL_VALUE + 40];
                snprintf(line, sizeof(line), "%s: %s", r->details[i].key, r->details[i].value);
                report_text_wrapped(f, "      ", line);
        }
        if (r->n_blocked_by > 0) {
                fprintf(f, "      blocked by:");
                for (unsigned i = 0; i < r->n_blocked_by; i++) {
                        fprintf(f, "%s ", i ? "," : "");
                        fputs_escaped(f, r->blocked_by[i]);
                }
                fputc('\n', f);
        }
        if (r->verdict != VERDICT_AVAILABLE && remedy_for(p->id, r, &m) >= 0)
                report_text_remedy(f, "      ", &m);
}

/* The capability relies on modules the kernel loaded on demand: gone again after the audit. */
static void print_on_demand(FILE *f, const Audit *a, const char *id) {
        const char *names[16];

        if (audit_on_demand_modules(a, id, names, ELEMENTSOF(names)) > 0)
                print_list(f, "      ", "loaded on demand:", names);
}

/*
 * The verdict and its four parts: a line each, then the summary (--verbose),
 * or two parts a line (the one screen).
 */
static void print_section4(FILE *f, const Audit *a, bool colour, bool brief) {
        Section4 s;

        section4_derive(a, &s);
        const struct {
                const char *label;
                Verdict v;
        } rows[] = {
                { "IPsec SAs", s.ipsec_available },
                { "Point-to-point", s.point_to_point },
                { "VPN", s.vpn },
                { "Multiple layers", s.multiple_layers },
        };

        fprintf(f, "%sSection 4 verdict: %s%s%s\n", brief ? "" : "\n", on(colour, s.verdict),
                verdict_to_string(s.verdict), off(colour));
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (brief)
                        fprintf(f, "%s%s%s%s %-16s %-*s%s", i % 2 ? "   " : "  ", on(colour, rows[i].v),
                                styles[rows[i].v].mark, off(colour), rows[i].label, i % 2 ? 0 : 11,
                                verdict_to_string(rows[i].v), i % 2 ? "\n" : "");
                else
                        fprintf(f, "  %s%s%s %-22s %s\n", on(colour, rows[i].v), styles[rows[i].v].mark, off(colour),
                                rows[i].label, verdict_to_string(rows[i].v));
        fputc('\n', f);
        if (!brief)
                report_text_wrapped(f, "  ", s.summary);
}

/* Module names come from /proc/modules or a loaded report: escaped. */
static void print_modules(FILE *f, const char *label, const ModuleList *l) {
        fprintf(f, "%s", label);
        for (size_t i = 0; i < l->n; i++) {
                fprintf(f, "%s ", i ? "," : "");
                fputs_escaped(f, l->names[i]);
        }
        fprintf(f, "%s\n", l->n ? "" : " none");
}

/* IPv6 off on the host's own links: its IPv6 verdicts are the kernel's, tried where IPv6 is on. */
static void print_ipv6_off(FILE *f, const Audit *a) {
        if (!a->host.ipv6_off[0])
                return;
        fputs("IPv6 is off on this host's links: ", f);
        fputs_escaped(f, a->host.ipv6_off);
        fputc('\n', f);
}

/* The host's names are anyone's to set (sethostname in a user namespace, os-release): escaped. */
static void print_header(FILE *f, const Audit *a) {
        fprintf(f, "%s %s: IPsec availability (RFC 5406) on ", PACKAGE_NAME, PACKAGE_VERSION);
        fputs_escaped(f, a->host.hostname);
        fputs("\nLinux ", f);
        fputs_escaped(f, a->host.kernel_release);
        fputc(' ', f);
        fputs_escaped(f, a->host.machine);
        if (a->host.os_pretty_name[0]) {
                fputs(", ", f);
                fputs_escaped(f, a->host.os_pretty_name);
        }
        fputs(", ", f);
        fputs_escaped(f, a->generated_at);
        fprintf(f, ", %" PRIu64 " ms\n", a->duration_ms);
        if (a->passive)
                fprintf(f, "Passive mode: read-only probes only, in the host's namespace.\n");
        else if (a->privilege.sandbox == SANDBOX_HOST)
                fprintf(f, "No private network namespace (%s): active probes were not run.\n",
                        errno_name(a->privilege.sandbox_err) ?: "error");
        else
                fprintf(f, "Active probes ran in a private namespace (%s), uid %u.\n",
                        sandbox_kind_to_string(a->privilege.sandbox), (unsigned) a->privilege.euid);
        print_ipv6_off(f, a);
        if (a->modules_known) {
                print_modules(f, "Modules loaded by this audit:", &a->modules_loaded);
                if (a->modules_loaded.n)
                        print_modules(f, "Of those, still loaded after it:", &a->modules_left);
        }
}

int report_text(const Audit *a, FILE *f, bool colour) {
        print_header(f, a);
        for (size_t s = 0, i = SIZE_MAX, heading = SIZE_MAX; next_shown(a, &s, &i);) {
                if (s != heading) {
                        if (rfc_sections[s].number)
                                fprintf(f, "\n%s. %s\n", rfc_sections[s].number, rfc_sections[s].title);
                        else
                                fprintf(f, "\n%s\n", rfc_sections[s].title);
                        heading = s;
                }
                print_capability(f, a->probes[i], &a->results[i], colour);
                print_on_demand(f, a, a->probes[i]->id);
        }
        print_section4(f, a, colour, false);
        report_text_inventory(&a->inventory, f);
        return ferror(f) ? -EIO : 0;
}

/* Bytes in the UTF-8 sequence led by c; escaped text holds only ASCII and whole printable sequences. */
static size_t sequence_length(unsigned char c) {
        return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/*
 * Prints text escaped, cut to cols display columns, "..." marking a cut. A
 * non-ASCII character counts two columns: what the terminal shows never
 * exceeds cols, wide characters included.
 */
static int print_fit(FILE *f, const char *text, size_t cols) {
        _cleanup_free_ char *esc = NULL;
        size_t used = 0, i = 0, cut = 0, word = 0;

        if (strescape(text, strlen(text), &esc) < 0)
                return -ENOMEM;
        /* A cut falls before a word where one fits, else anywhere. */
        while (esc[i]) {
                size_t n = sequence_length((unsigned char) esc[i]), w = n > 1 ? 2 : 1;

                if (used + w > cols)
                        break;
                if (esc[i] == ' ' && used + 3 <= cols)
                        word = i;
                used += w;
                i += n;
                if (used + 3 <= cols)
                        cut = i;
        }
        if (esc[i] && word)
                cut = word;
        if (esc[i])
                fprintf(f, "%.*s...", (int) cut, esc);
        else
                fputs(esc, f);
        return 0;
}

/* The first clause of a note ("no ESP frame with SPI 0x11000; 1 clear UDP frame" -> its first part). */
static void first_clause(const char *text, char *ret, size_t size) {
        snprintf(ret, size, "%.*s", (int) strcspn(text, ";"), text);
}

/* Whether a ", "-separated list holds the first n bytes of item as one of its entries. */
static bool list_has(const char *list, const char *item, size_t n) {
        for (const char *p = list; *p; p += strspn(p, ", ")) {
                size_t len = strcspn(p, ",");

                if (len == n && strncmp(p, item, n) == 0)
                        return true;
                p += len;
        }
        return false;
}

/*
 * "no esp4, esp6": every module the refused variants (required, or optional
 * as the reason is) lack; a not-built note starts with the module's name.
 */
static bool modules_not_built(const CapResult *r, const Check *reason, char *ret, size_t size) {
        char modules[256] = "";
        size_t len = 0;

        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];
                size_t n = strcspn(c->note, " ");
                char brief[160];

                if (c->optional != reason->optional || check_verdict(c) == VERDICT_AVAILABLE ||
                    host_cause_brief(c->note, brief, sizeof(brief)) != HOST_CAUSE_NOT_BUILT || list_has(modules, c->note, n))
                        continue;
                strbuf_appendf(modules, sizeof(modules), &len, "%s%.*s", len ? ", " : "", (int) n, c->note);
        }
        if (!len)
                return false;
        snprintf(ret, size, "no %s", modules);
        return true;
}

void report_short_cause(const CapResult *r, char *ret, size_t size) {
        const Check *reason = result_reason(r);
        const Detail *templates = result_find_detail(r, "template_missing");
        HostCause cause = HOST_CAUSE_UNKNOWN;
        char note[sizeof(reason->note)];

        ret[0] = '\0';
        if (r->verdict == VERDICT_AVAILABLE)
                return;
        /* The order of remedy_for(): a host setting, then prerequisites, then the capability's own cause. */
        if (reason)
                cause = host_cause_brief(reason->note, note, sizeof(note));
        if (cause != HOST_CAUSE_UNKNOWN && cause != HOST_CAUSE_NOT_BUILT)
                snprintf(ret, size, "%s", note);
        else if (r->n_blocked_by > 0)
                snprintf(ret, size, "blocked by %s%s", r->blocked_by[0], r->n_blocked_by > 1 ? " and more" : "");
        else if (templates)
                snprintf(ret, size, "no crypto template %s", templates->value);
        else if (reason && modules_not_built(r, reason, ret, size))
                ;
        else if (reason && reason->note[0])
                first_clause(reason->note, ret, size);
        else if (reason && reason->extack[0])
                snprintf(ret, size, "%s", reason->extack);
        else if (r->err)
                snprintf(ret, size, "%s", errno_name(r->err) ?: "error");
        else
                first_clause(r->evidence, ret, size);
}

/* How the audit ran, in a few words. */
static const char *how_it_ran(const Audit *a, char *buf, size_t size) {
        if (a->passive)
                return "passive";
        if (a->privilege.sandbox == SANDBOX_HOST)
                snprintf(buf, size, "no namespace (%s)", errno_name(a->privilege.sandbox_err) ?: "error");
        else
                snprintf(buf, size, "%s%s", sandbox_kind_to_string(a->privilege.sandbox), a->quick ? ", --quick" : "");
        return buf;
}

static int print_brief_header(FILE *f, const Audit *a) {
        char how[128], line[1024];

        snprintf(line, sizeof(line), "IPsec audit of %s: Linux %s %s, %s, %s", a->host.hostname,
                 a->host.kernel_release, a->host.machine, a->generated_at, how_it_ran(a, how, sizeof(how)));
        if (print_fit(f, line, SCREEN) < 0)
                return -ENOMEM;
        fputc('\n', f);
        return 0;
}

/* One line: mark, id, verdict, level and, for anything not available, the shortest cause. */
static int print_brief_capability(FILE *f, const Probe *p, const CapResult *r, bool colour, int id_width) {
        char cause[RESULT_DETAIL_VALUE + 64];
        const char *level = level_to_string(r->level);
        int used;

        report_short_cause(r, cause, sizeof(cause));
        fprintf(f, "  %s%s%s %-*s %s%-11s%s ", on(colour, r->verdict), styles[r->verdict].mark, off(colour), id_width,
                p->id, on(colour, r->verdict), verdict_to_string(r->verdict), off(colour));
        used = 2 + 3 + 1 + id_width + 1 + 11 + 1;
        if (!cause[0]) {
                fprintf(f, "%s\n", level);
                return 0;
        }
        fprintf(f, "%-8s ", level);
        used += 9;
        if (print_fit(f, cause, used < SCREEN - 3 ? (size_t) (SCREEN - used) : 3) < 0)
                return -ENOMEM;
        fputc('\n', f);
        return 0;
}

/* The modules the audit loaded, counted; --verbose names them. */
static void print_brief_modules(FILE *f, const Audit *a) {
        if (!a->modules_known)
                return;
        if (a->modules_loaded.n == 0)
                fprintf(f, "Modules loaded by this audit: none\n");
        else
                fprintf(f, "Modules loaded by this audit: %zu, still loaded after it: %zu\n", a->modules_loaded.n,
                        a->modules_left.n);
}

/* The first capability on screen that is not available, else NULL. */
static const char *first_not_available(const Audit *a) {
        for (size_t s = 0, i = SIZE_MAX; next_shown(a, &s, &i);)
                if (a->results[i].verdict != VERDICT_AVAILABLE)
                        return a->probes[i]->id;
        return NULL;
}

static void print_brief_next(FILE *f, const Audit *a) {
        fprintf(f, "Next: -v for evidence and remedies; %s explain %s\n", PACKAGE_NAME, first_not_available(a) ?: "ID");
}

int report_text_brief(const Audit *a, FILE *f, bool colour) {
        int id_width = 0, r;

        for (size_t i = 0; i < a->n_results; i++)
                if ((int) strlen(a->probes[i]->id) > id_width)
                        id_width = (int) strlen(a->probes[i]->id);
        if ((r = print_brief_header(f, a)) < 0)
                return r;
        print_section4(f, a, colour, true);
        for (size_t s = 0, i = SIZE_MAX, heading = SIZE_MAX; next_shown(a, &s, &i);) {
                if (s != heading) {
                        fprintf(f, "%s%s%s\n", rfc_sections[s].number ?: "", rfc_sections[s].number ? " " : "",
                                rfc_sections[s].title);
                        heading = s;
                }
                if ((r = print_brief_capability(f, a->probes[i], &a->results[i], colour, id_width)) < 0)
                        return r;
        }
        fputc('\n', f);
        print_ipv6_off(f, a);
        print_brief_modules(f, a);
        print_brief_next(f, a);
        return ferror(f) ? -EIO : 0;
}
