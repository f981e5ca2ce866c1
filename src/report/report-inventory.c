/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The live inventory's part of the reports: counters and algorithm names only. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "json-util.h"
#include "macro.h"
#include "report.h"

static int add_u64(json_object *o, const char *key, uint64_t v) {
        return json_add_copy(o, key, json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t) v));
}

static int add_errno(json_object *o, const char *key, int err) {
        return json_add_copy(o, key, json_object_new_string(errno_name(err) ?: "unknown"));
}

/* {"name": count, ...} over one enum's counters, every name present. */
static int add_counts(json_object *o, const char *key, const uint64_t *counts, size_t n,
                      const char *(*name)(int)) {
        _cleanup_(json_object_putp) json_object *c = json_object_new_object();
        int r;

        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if ((r = add_u64(c, name((int) i), counts[i])) < 0)
                        return r;
        return json_add_copy(o, key, TAKE_PTR(c));
}

#define ENUM_NAME(fn, type) \
        static const char *fn##_i(int v) { return fn((type) v); }
ENUM_NAME(inv_family_to_string, InvFamily)
ENUM_NAME(inv_proto_to_string, InvProto)
ENUM_NAME(inv_mode_to_string, InvMode)
ENUM_NAME(inv_encap_to_string, InvEncap)
ENUM_NAME(inv_dir_to_string, InvDir)
ENUM_NAME(inv_action_to_string, InvAction)
#undef ENUM_NAME
#define COUNTS(o, key, arr, fn) add_counts((o), (key), (arr), ELEMENTSOF(arr), fn##_i)

/* A dump the kernel refused: its errno, and a count of null rather than a misleading 0. */
static int add_refused(json_object *o, int err) {
        int r = add_errno(o, "errno", err);

        if (r < 0)
                return r;
        return json_object_object_add(o, "count", NULL) < 0 ? -ENOMEM : 0;
}

static int sad_json(const InvSad *s, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *algs = json_object_new_array(),
                                                *info = NULL;
        int r;

        if (!o || !algs)
                return -ENOMEM;
        if (s->info_known) {
                info = json_object_new_object();
                if (!info)
                        return -ENOMEM;
                if ((r = add_u64(info, "count", s->info_count)) < 0 ||
                    (r = add_u64(info, "hash_buckets", s->info_hash_buckets)) < 0 ||
                    (r = add_u64(info, "hash_max_buckets", s->info_hash_max)) < 0 ||
                    (r = json_add(o, "sadinfo", TAKE_PTR(info))) < 0)
                        return r;
        } else if ((r = add_errno(o, "sadinfo_errno", s->info_err)) < 0)
                return r;

        if (s->err) {
                if ((r = add_refused(o, s->err)) < 0)
                        return r;
                *ret = TAKE_PTR(o);
                return 0;
        }
        for (unsigned i = 0; i < s->n_algs; i++) {
                _cleanup_(json_object_putp) json_object *a = json_object_new_object();
                if (!a)
                        return -ENOMEM;
                if ((r = json_add(a, "kind", json_object_new_string(inv_alg_kind_to_string(s->algs[i].kind)))) < 0 ||
                    (r = json_add(a, "name", json_object_new_string(s->algs[i].name))) < 0 ||
                    (r = add_u64(a, "sas", s->algs[i].sas)) < 0)
                        return r;
                if (json_object_array_add(algs, a) < 0)
                        return -ENOMEM;
                a = NULL;
        }
        if ((r = add_u64(o, "count", s->count)) < 0 ||
            (r = COUNTS(o, "by_family", s->family, inv_family_to_string)) < 0 ||
            (r = COUNTS(o, "by_protocol", s->proto, inv_proto_to_string)) < 0 ||
            (r = COUNTS(o, "by_mode", s->mode, inv_mode_to_string)) < 0 ||
            (r = COUNTS(o, "by_encapsulation", s->encap, inv_encap_to_string)) < 0 ||
            (r = json_add(o, "algorithms", TAKE_PTR(algs))) < 0 ||
            (r = add_u64(o, "algorithm_uses_not_listed", s->algs_untold)) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int spd_json(const InvSpd *s, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *tmpl = json_object_new_object(),
                                                *info = NULL;
        int r;

        if (!o || !tmpl)
                return -ENOMEM;
        if (s->info_known) {
                info = json_object_new_object();
                if (!info)
                        return -ENOMEM;
                if ((r = add_u64(info, "in", s->info_in)) < 0 ||
                    (r = add_u64(info, "out", s->info_out)) < 0 ||
                    (r = add_u64(info, "fwd", s->info_fwd)) < 0 ||
                    (r = add_u64(info, "in_socket", s->info_in_socket)) < 0 ||
                    (r = add_u64(info, "out_socket", s->info_out_socket)) < 0 ||
                    (r = add_u64(info, "fwd_socket", s->info_fwd_socket)) < 0 ||
                    (r = add_u64(info, "hash_buckets", s->info_hash_buckets)) < 0 ||
                    (r = add_u64(info, "hash_max_buckets", s->info_hash_max)) < 0 ||
                    (r = json_add(o, "spdinfo", TAKE_PTR(info))) < 0)
                        return r;
        } else if ((r = add_errno(o, "spdinfo_errno", s->info_err)) < 0)
                return r;

        if (s->err) {
                if ((r = add_refused(o, s->err)) < 0)
                        return r;
                *ret = TAKE_PTR(o);
                return 0;
        }
        if ((r = add_u64(o, "count", s->count)) < 0 ||
            (r = COUNTS(o, "by_direction", s->dir, inv_dir_to_string)) < 0 ||
            (r = COUNTS(o, "by_family", s->family, inv_family_to_string)) < 0 ||
            (r = COUNTS(o, "by_action", s->action, inv_action_to_string)) < 0 ||
            (r = add_u64(o, "with_templates", s->with_templates)) < 0 ||
            (r = COUNTS(tmpl, "by_protocol", s->tmpl_proto, inv_proto_to_string)) < 0 ||
            (r = COUNTS(tmpl, "by_mode", s->tmpl_mode, inv_mode_to_string)) < 0 ||
            (r = json_add(o, "templates", TAKE_PTR(tmpl))) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int report_json_inventory(const Inventory *inv, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *child = NULL;
        int r;

        if (!inv->done) {
                *ret = NULL;
                return 0;
        }
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if ((r = json_add(o, "scope", json_object_new_string("netns"))) < 0 ||
            (r = sad_json(&inv->sad, &child)) < 0 || (r = json_add(o, "sad", child)) < 0 ||
            (r = spd_json(&inv->spd, &child)) < 0 || (r = json_add(o, "spd", child)) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/*
 * The inverse, for reports that came from elsewhere (ipsec-auditd over D-Bus):
 * the counters and names back, so the text renderer can print them.
 * {"ipv4": 3, ...} back into one enum's counters:
 */
static void load_counts(json_object *o, const char *key, uint64_t *counts, size_t n, const char *(*name)(int)) {
        json_object *c = json_get(o, key, json_type_object);

        for (size_t i = 0; i < n; i++)
                counts[i] = json_u64(c, name((int) i));
}
#define LOAD_COUNTS(o, key, arr, fn) load_counts((o), (key), (arr), ELEMENTSOF(arr), fn##_i)

static void load_sad(json_object *o, InvSad *s) {
        json_object *info = json_get(o, "sadinfo", json_type_object), *algs = json_get(o, "algorithms", json_type_array);

        s->info_known = info != NULL;
        s->info_err = errno_from_name(json_str(o, "sadinfo_errno"));
        s->info_count = (uint32_t) json_u64(info, "count");
        s->info_hash_buckets = (uint32_t) json_u64(info, "hash_buckets");
        s->info_hash_max = (uint32_t) json_u64(info, "hash_max_buckets");
        s->err = errno_from_name(json_str(o, "errno"));
        s->count = json_u64(o, "count");
        LOAD_COUNTS(o, "by_family", s->family, inv_family_to_string);
        LOAD_COUNTS(o, "by_protocol", s->proto, inv_proto_to_string);
        LOAD_COUNTS(o, "by_mode", s->mode, inv_mode_to_string);
        LOAD_COUNTS(o, "by_encapsulation", s->encap, inv_encap_to_string);
        for (size_t i = 0; algs && i < json_object_array_length(algs) && s->n_algs < INVENTORY_MAX_ALGS; i++) {
                json_object *a = json_object_array_get_idx(algs, i);
                InvAlg *alg = &s->algs[s->n_algs++];

                for (int k = 0; k < _INV_ALG_KIND_MAX; k++)
                        if (strcmp(inv_alg_kind_to_string((InvAlgKind) k), json_str(a, "kind") ?: "") == 0)
                                alg->kind = (InvAlgKind) k;
                strscpy(alg->name, sizeof(alg->name), json_str(a, "name") ?: "");
                alg->sas = json_u64(a, "sas");
        }
        s->algs_untold = json_u64(o, "algorithm_uses_not_listed");
}

static void load_spd(json_object *o, InvSpd *s) {
        json_object *info = json_get(o, "spdinfo", json_type_object), *tmpl = json_get(o, "templates", json_type_object);

        s->info_known = info != NULL;
        s->info_err = errno_from_name(json_str(o, "spdinfo_errno"));
        s->info_in = (uint32_t) json_u64(info, "in");
        s->info_out = (uint32_t) json_u64(info, "out");
        s->info_fwd = (uint32_t) json_u64(info, "fwd");
        s->info_in_socket = (uint32_t) json_u64(info, "in_socket");
        s->info_out_socket = (uint32_t) json_u64(info, "out_socket");
        s->info_fwd_socket = (uint32_t) json_u64(info, "fwd_socket");
        s->info_hash_buckets = (uint32_t) json_u64(info, "hash_buckets");
        s->info_hash_max = (uint32_t) json_u64(info, "hash_max_buckets");
        s->err = errno_from_name(json_str(o, "errno"));
        s->count = json_u64(o, "count");
        LOAD_COUNTS(o, "by_direction", s->dir, inv_dir_to_string);
        LOAD_COUNTS(o, "by_family", s->family, inv_family_to_string);
        LOAD_COUNTS(o, "by_action", s->action, inv_action_to_string);
        s->with_templates = json_u64(o, "with_templates");
        LOAD_COUNTS(tmpl, "by_protocol", s->tmpl_proto, inv_proto_to_string);
        LOAD_COUNTS(tmpl, "by_mode", s->tmpl_mode, inv_mode_to_string);
}

void report_inventory_from_json(json_object *o, Inventory *inv) {
        if (!o)
                return;
        inv->done = true;
        load_sad(json_get(o, "sad", json_type_object), &inv->sad);
        load_spd(json_get(o, "spd", json_type_object), &inv->spd);
}


/* "ipv4 3, ipv6 1": non-zero counters only. */
static void print_counts(FILE *f, const char *label, const uint64_t *counts, size_t n, const char *(*name)(int)) {
        bool any = false;

        fprintf(f, "    %-15s", label);
        for (size_t i = 0; i < n; i++) {
                if (!counts[i])
                        continue;
                fprintf(f, "%s%s %" PRIu64, any ? ", " : "", name((int) i), counts[i]);
                any = true;
        }
        fprintf(f, "%s\n", any ? "" : "-");
}
#define PRINT_COUNTS(f, label, arr, fn) print_counts((f), (label), (arr), ELEMENTSOF(arr), fn##_i)

void report_text_inventory(const Inventory *inv, FILE *f) {
        const InvSad *sad = &inv->sad;
        const InvSpd *spd = &inv->spd;

        if (!inv->done)
                return;
        fprintf(f, "\nLive inventory (this network namespace, read-only; no keys, SPIs or addresses)\n");
        if (sad->err)
                fprintf(f, "  SAD: not readable (%s)\n", errno_name(sad->err) ?: "error");
        else {
                fprintf(f, "  SAD: %" PRIu64 " SAs", sad->count);
                if (sad->info_known)
                        fprintf(f, " (GETSADINFO: %" PRIu32 ", %" PRIu32 " hash buckets)", sad->info_count,
                                sad->info_hash_buckets);
                fputc('\n', f);
                if (sad->count) {
                        PRINT_COUNTS(f, "family:", sad->family, inv_family_to_string);
                        PRINT_COUNTS(f, "protocol:", sad->proto, inv_proto_to_string);
                        PRINT_COUNTS(f, "mode:", sad->mode, inv_mode_to_string);
                        PRINT_COUNTS(f, "encapsulation:", sad->encap, inv_encap_to_string);
                        fprintf(f, "    %-15s", "algorithms:");
                        for (unsigned i = 0; i < sad->n_algs; i++) {
                                /* Names come from the kernel, or from a report read back (--bus). */
                                fprintf(f, "%s%s ", i ? ", " : "", inv_alg_kind_to_string(sad->algs[i].kind));
                                fputs_escaped(f, sad->algs[i].name);
                                fprintf(f, " %" PRIu64, sad->algs[i].sas);
                        }
                        if (sad->algs_untold)
                                fprintf(f, ", %" PRIu64 " more uses not listed", sad->algs_untold);
                        fprintf(f, "%s\n", sad->n_algs ? "" : "-");
                }
        }
        if (spd->err)
                fprintf(f, "  SPD: not readable (%s)\n", errno_name(spd->err) ?: "error");
        else {
                fprintf(f, "  SPD: %" PRIu64 " policies", spd->count);
                if (spd->info_known)
                        fprintf(f, " (GETSPDINFO: in %" PRIu32 ", out %" PRIu32 ", fwd %" PRIu32
                                   ", socket %" PRIu32 ")",
                                spd->info_in, spd->info_out, spd->info_fwd,
                                spd->info_in_socket + spd->info_out_socket + spd->info_fwd_socket);
                fputc('\n', f);
                if (spd->count) {
                        PRINT_COUNTS(f, "direction:", spd->dir, inv_dir_to_string);
                        PRINT_COUNTS(f, "family:", spd->family, inv_family_to_string);
                        PRINT_COUNTS(f, "action:", spd->action, inv_action_to_string);
                        PRINT_COUNTS(f, "templates:", spd->tmpl_proto, inv_proto_to_string);
                        PRINT_COUNTS(f, "template mode:", spd->tmpl_mode, inv_mode_to_string);
                }
        }
}
