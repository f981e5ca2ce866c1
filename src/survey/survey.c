/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The survey's counters: one report at a time in, counts per row, verdict and
 * group out. Memory grows with the number of rows, groups and problem inputs,
 * and by 16 bytes per distinct boot_id (duplicate detection needs to remember
 * every host), never with the size of the reports.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "survey.h"
#include "string-table.h"

/* Open addressing over 128-bit boot ids; all-zero marks a free slot. */
struct BootIdSet {
        uint8_t (*slots)[16];
        size_t n_slots, n_used;
};

static const char *const survey_problem_kind_table[_SURVEY_PROBLEM_MAX] = {
        [SURVEY_UNREADABLE] = "unreadable",
        [SURVEY_MALFORMED] = "malformed",
        [SURVEY_OTHER_SCHEMA] = "other_schema",
        [SURVEY_DUPLICATE] = "duplicate",
};

static const char *const survey_group_by_table[] = {
        [SURVEY_GROUP_KERNEL] = "kernel",
        [SURVEY_GROUP_OS] = "os",
        [SURVEY_GROUP_NONE] = "none",
};

static const char *const survey_format_table[] = {
        [SURVEY_MARKDOWN] = "md",
        [SURVEY_CSV] = "csv",
        [SURVEY_JSON] = "json",
        [SURVEY_HTML] = "html",
};

DEFINE_STRING_TABLE_TO_STRING(survey_problem_kind, SurveyProblemKind)
DEFINE_STRING_TABLE_LOOKUP(survey_group_by, SurveyGroupBy)
DEFINE_STRING_TABLE_FROM_STRING(survey_format, SurveyFormat)

/* splitmix64's finalizer over both halves: boot ids made by tools, not the kernel, need not be random. */
static size_t boot_id_hash(const uint8_t id[16], size_t mask) {
        uint64_t a, b;

        memcpy(&a, id, sizeof(a));
        memcpy(&b, id + 8, sizeof(b));
        a ^= b * 0x9e3779b97f4a7c15ULL;
        a = (a ^ (a >> 30)) * 0xbf58476d1ce4e5b9ULL;
        a = (a ^ (a >> 27)) * 0x94d049bb133111ebULL;
        return (size_t) (a ^ (a >> 31)) & mask;
}

/* 1 when id was new (and is now in the set), 0 when it was there already. */
static int boot_id_insert(BootIdSet *set, const uint8_t id[16]) {
        static const uint8_t zero[16];

        /* Linear probing stays short up to 3/4 full. */
        if ((set->n_used + 1) * 4 > set->n_slots * 3) {
                size_t n = set->n_slots ? set->n_slots * 2 : 1024;
                uint8_t (*slots)[16] = calloc(n, 16);

                if (!slots)
                        return -ENOMEM;
                for (size_t i = 0; i < set->n_slots; i++) {
                        if (memcmp(set->slots[i], zero, 16) == 0)
                                continue;
                        size_t j = boot_id_hash(set->slots[i], n - 1);
                        while (memcmp(slots[j], zero, 16) != 0)
                                j = (j + 1) & (n - 1);
                        memcpy(slots[j], set->slots[i], 16);
                }
                free(set->slots);
                set->slots = slots;
                set->n_slots = n;
        }
        for (size_t j = boot_id_hash(id, set->n_slots - 1);; j = (j + 1) & (set->n_slots - 1)) {
                if (memcmp(set->slots[j], id, 16) == 0)
                        return 0;
                if (memcmp(set->slots[j], zero, 16) == 0) {
                        memcpy(set->slots[j], id, 16);
                        set->n_used++;
                        return 1;
                }
        }
}

static int group_grow(SurveyGroup *g, size_t n_rows) {
        unsigned long (*c)[_VERDICT_MAX];

        if (g->n_counts >= n_rows)
                return 0;
        c = realloc(g->counts, n_rows * sizeof(*c));
        if (!c)
                return -ENOMEM;
        memset(c + g->n_counts, 0, (n_rows - g->n_counts) * sizeof(*c));
        g->counts = c;
        g->n_counts = n_rows;
        return 0;
}

static int add_row(Survey *s, const char *id, const char *label, const char *rfc, const SurveyRowSource *src) {
        SurveyRow *rows = reallocarray(s->rows, s->n_rows + 1, sizeof(*rows));

        if (!rows)
                return -ENOMEM;
        s->rows = rows;
        rows[s->n_rows] = (SurveyRow) { .source = src };
        STRSCPY(rows[s->n_rows].id, id);
        STRSCPY(rows[s->n_rows].label, label);
        STRSCPY(rows[s->n_rows].rfc5406_section, rfc ?: "");
        s->n_rows++;
        return 0;
}

/*
 * Capability rows come before the row sources' rows; a capability the table
 * does not know (from a newer ipsec-audit) is inserted at the end of the
 * capability rows, and every group's counts move with it.
 */
static int insert_capability_row(Survey *s, const SurveyCap *c, size_t *ret) {
        size_t at = s->n_capability_rows;
        int r;

        if ((r = add_row(s, c->id, c->id, c->rfc5406_section, NULL)) < 0)
                return r;
        memmove(s->rows + at + 1, s->rows + at, (s->n_rows - 1 - at) * sizeof(*s->rows));
        s->rows[at] = (SurveyRow) {};
        STRSCPY(s->rows[at].id, c->id);
        STRSCPY(s->rows[at].label, c->id);
        STRSCPY(s->rows[at].rfc5406_section, c->rfc5406_section);
        s->n_capability_rows++;
        for (size_t g = 0; g <= s->n_groups; g++) {
                SurveyGroup *grp = g < s->n_groups ? &s->groups[g] : &s->overall;
                if (grp->n_counts <= at)
                        continue;
                if ((r = group_grow(grp, grp->n_counts + 1)) < 0)
                        return r;
                memmove(grp->counts + at + 1, grp->counts + at, (grp->n_counts - 1 - at) * sizeof(*grp->counts));
                memset(grp->counts[at], 0, sizeof(*grp->counts));
        }
        *ret = at;
        return 0;
}

int survey_new(SurveyGroupBy group_by, const Probe *const *table, Survey **ret) {
        _cleanup_(survey_freep) Survey *s = calloc(1, sizeof(*s));
        int r;

        if (!s || !(s->boot_ids = calloc(1, sizeof(*s->boot_ids))))
                return -ENOMEM;
        s->group_by = group_by;
        STRSCPY(s->overall.name, "all");
        for (; *table; table++)
                if ((r = add_row(s, (*table)->id, (*table)->id, (*table)->rfc5406_section, NULL)) < 0)
                        return r;
        s->n_capability_rows = s->n_rows;
        *ret = TAKE_PTR(s);
        return 0;
}

void survey_free(Survey *s) {
        for (size_t i = 0; i < s->n_groups; i++)
                free(s->groups[i].counts);
        for (size_t i = 0; i < s->n_problems; i++)
                free(s->problems[i].origin);
        if (s->boot_ids)
                free(s->boot_ids->slots);
        free(s->boot_ids);
        free(s->overall.counts);
        free(s->groups);
        free(s->problems);
        free(s->rows);
        free(s->sources);
        free(s->buf);
        free(s);
}

int survey_add_row_source(Survey *s, const SurveyRowSource *src) {
        const SurveyRowSource **v = reallocarray(s->sources, s->n_sources + 1, sizeof(*v));

        if (!v)
                return -ENOMEM;
        s->sources = v;
        s->sources[s->n_sources++] = src;
        return add_row(s, src->id, src->label, src->rfc5406_section, src);
}

unsigned long survey_counted(const Survey *s) {
        return s->overall.hosts;
}

static int add_problem(Survey *s, const char *origin, SurveyProblemKind kind, const char *reason) {
        SurveyProblem *v = reallocarray(s->problems, s->n_problems + 1, sizeof(*v));

        if (!v)
                return -ENOMEM;
        s->problems = v;
        v[s->n_problems] = (SurveyProblem) { .kind = kind, .origin = strdup(origin) };
        if (!v[s->n_problems].origin)
                return -ENOMEM;
        STRSCPY(v[s->n_problems].reason, reason);
        s->n_problems++;
        s->problem_counts[kind]++;
        return 0;
}

static int find_group(Survey *s, const SurveyReport *rep, SurveyGroup **ret) {
        const char *name = s->group_by == SURVEY_GROUP_KERNEL ? rep->kernel_release : rep->os_pretty_name;
        SurveyGroup *v;

        if (s->group_by == SURVEY_GROUP_NONE) {
                *ret = NULL;
                return 0;
        }
        if (!*name)
                name = "(not reported)";
        for (size_t i = 0; i < s->n_groups; i++)
                if (strcmp(s->groups[i].name, name) == 0) {
                        *ret = &s->groups[i];
                        return 0;
                }
        if (!(v = reallocarray(s->groups, s->n_groups + 1, sizeof(*v))))
                return -ENOMEM;
        s->groups = v;
        v[s->n_groups] = (SurveyGroup) {};
        STRSCPY(v[s->n_groups].name, name);
        *ret = &v[s->n_groups++];
        return 0;
}

/* Reports list capabilities in the same order, so the row after the last one is the first guess. */
static int capability_row(Survey *s, const SurveyCap *c, size_t hint, size_t *ret) {
        if (hint < s->n_capability_rows && strcmp(s->rows[hint].id, c->id) == 0) {
                *ret = hint;
                return 0;
        }
        for (size_t i = 0; i < s->n_capability_rows; i++)
                if (strcmp(s->rows[i].id, c->id) == 0) {
                        *ret = i;
                        return 0;
                }
        return insert_capability_row(s, c, ret);
}

static int count_report(Survey *s, const SurveyReport *rep, const char *doc, size_t len) {
        SurveyGroup *g, *both[2];
        size_t rows[SURVEY_MAX_CAPS];
        int r;

        if ((r = find_group(s, rep, &g)) < 0)
                return r;
        /* Rows first: a new capability row moves the rows after it, in every group. */
        for (unsigned i = 0; i < rep->n_caps; i++)
                if ((r = capability_row(s, &rep->caps[i], i ? rows[i - 1] + 1 : 0, &rows[i])) < 0)
                        return r;
        both[0] = &s->overall;
        both[1] = g;
        for (unsigned k = 0; k < 2 && both[k]; k++) {
                if ((r = group_grow(both[k], s->n_rows)) < 0)
                        return r;
                both[k]->hosts++;
                for (unsigned i = 0; i < rep->n_caps; i++)
                        both[k]->counts[rows[i]][rep->caps[i].verdict]++;
        }
        /* Once per report: a profile row evaluates the whole document. */
        for (size_t i = 0; i < s->n_sources; i++) {
                Verdict v = s->sources[i]->verdict(rep, doc, len, s->sources[i]->userdata);

                for (unsigned k = 0; k < 2 && both[k]; k++)
                        both[k]->counts[s->n_capability_rows + i][v]++;
        }
        return 0;
}

unsigned long survey_count(const SurveyGroup *g, size_t row, Verdict v) {
        unsigned long known = 0;

        if (v != VERDICT_UNKNOWN)
                return row < g->n_counts ? g->counts[row][v] : 0;
        /* A report without this row's capability (an older ipsec-audit) counts as unknown. */
        for (Verdict k = VERDICT_UNAVAILABLE; k < _VERDICT_MAX; k++)
                known += survey_count(g, row, k);
        return g->hosts - known;
}

int survey_add_document(Survey *s, const char *origin, const char *buf, size_t len) {
        char reason[192];
        int r;

        s->inputs++;
        r = survey_report_parse(buf, len, &s->report, reason, sizeof(reason));
        if (r == -EPROTO)
                return add_problem(s, origin, SURVEY_OTHER_SCHEMA, reason);
        if (r < 0)
                return add_problem(s, origin, SURVEY_MALFORMED, reason);
        if (!s->report.has_boot_uuid)
                s->without_boot_id++;
        else if ((r = boot_id_insert(s->boot_ids, s->report.boot_uuid)) <= 0) {
                if (r < 0)
                        return r;
                snprintf(reason, sizeof(reason), "boot_id %s was counted already", s->report.boot_id);
                return add_problem(s, origin, SURVEY_DUPLICATE, reason);
        }
        return count_report(s, &s->report, buf, len);
}

static int unreadable(Survey *s, const char *origin, int err) {
        s->inputs++;
        return add_problem(s, origin, SURVEY_UNREADABLE, strerror(err));
}

/* The whole file into s->buf, which grows to the largest report read and no further. */
static int read_fd(Survey *s, int fd, size_t *ret_len) {
        size_t len = 0;

        for (;;) {
                if (len + 1 >= s->buf_size) {
                        size_t n = s->buf_size ? s->buf_size * 2 : 64 * 1024;
                        char *b = realloc(s->buf, n);
                        if (!b)
                                return -ENOMEM;
                        s->buf = b;
                        s->buf_size = n;
                }
                ssize_t k = read(fd, s->buf + len, s->buf_size - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        *ret_len = len;
        return 0;
}

static int add_fd(Survey *s, const char *path, int fd);

static bool is_json_name(const char *name) {
        size_t n = strlen(name);
        return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Directory entries in readdir order: sorting would hold every name of a large directory in memory. */
static int add_dir(Survey *s, const char *path, int dfd) {
        _cleanup_(closedirp) DIR *d = fdopendir(dfd);
        struct dirent *de;
        int r;

        if (!d) {
                r = -errno;
                close(dfd);
                return unreadable(s, path, -r);
        }
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *child = NULL;
                struct stat st;
                bool link = false;
                int fd;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
                        return -ENOMEM;
                /* Symbolic links are followed to files, not to directories: those could loop. */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    ((link = S_ISLNK(st.st_mode)) && is_json_name(de->d_name) &&
                     fstatat(dirfd(d), de->d_name, &st, 0) < 0)) {
                        if ((r = unreadable(s, child, errno)) < 0)
                                return r;
                        continue;
                }
                if (S_ISDIR(st.st_mode) && !link) {
                        fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        r = fd < 0 ? unreadable(s, child, errno) : add_dir(s, child, fd);
                } else if (is_json_name(de->d_name) && S_ISREG(st.st_mode)) {
                        fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
                        r = fd < 0 ? unreadable(s, child, errno) : add_fd(s, child, fd);
                } else
                        r = 0;
                if (r < 0)
                        return r;
        }
        return errno ? unreadable(s, path, errno) : 0;
}

/* Takes fd. */
static int add_fd(Survey *s, const char *path, int fd) {
        _cleanup_close_ int f = fd;
        struct stat st;
        size_t len = 0;
        int r;

        if (fstat(f, &st) < 0)
                return unreadable(s, path, errno);
        if (S_ISDIR(st.st_mode))
                return add_dir(s, path, TAKE_FD(f));
        if ((r = read_fd(s, f, &len)) == -ENOMEM)
                return r;
        if (r < 0)
                return unreadable(s, path, -r);
        return survey_add_document(s, path, s->buf, len);
}

int survey_add_path(Survey *s, const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return unreadable(s, path, errno);
        return add_fd(s, path, fd);
}

int survey_add_stream(Survey *s, FILE *f, const char *name) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        unsigned long n = 0;
        ssize_t len;
        int r;

        while ((len = getline(&line, &size, f)) >= 0) {
                char origin[64];

                n++;
                if (strspn(line, " \t\r\n") == (size_t) len)
                        continue;
                snprintf(origin, sizeof(origin), "%s:%lu", name, n);
                if ((r = survey_add_document(s, origin, line, (size_t) len)) < 0)
                        return r;
        }
        if (ferror(f))
                return unreadable(s, name, errno ?: EIO);
        return 0;
}

static Verdict section4_verdict(const SurveyReport *r, const char *doc, size_t len, const void *userdata) {
        return r->section4[*(const Section4Key *) userdata];
}

/* The report's own Section 4 answers, in the order of RFC 5406 Section 4's questions. */
static const SurveyRowSource section4_rows[] = {
        { "section4.ipsec_available", "section4", "Section 4: IPsec available (ESP or AH SAs)", "4",
          section4_verdict, &(const Section4Key) { SECTION4_IPSEC_AVAILABLE } },
        { "section4.point_to_point", "section4", "Section 4: point-to-point (transport, port selectors)", "4",
          section4_verdict, &(const Section4Key) { SECTION4_POINT_TO_POINT } },
        { "section4.vpn", "section4", "Section 4: VPN (tunnel mode)", "4",
          section4_verdict, &(const Section4Key) { SECTION4_VPN } },
        { "section4.multiple_layers", "section4", "Section 4: multiple layers (nested SAs)", "4",
          section4_verdict, &(const Section4Key) { SECTION4_MULTIPLE_LAYERS } },
        { "section4.verdict", "section4", "Section 4 verdict", "4",
          section4_verdict, &(const Section4Key) { SECTION4_VERDICT } },
};

int survey_add_section4_rows(Survey *s) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(section4_rows); i++)
                if ((r = survey_add_row_source(s, &section4_rows[i])) < 0)
                        return r;
        return 0;
}
