/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inverse of report_json(): an Audit rebuilt from a JSON report, so a
 * report that came from elsewhere (ipsec-auditd over D-Bus) is printed by the
 * one text renderer. Only what the contract carries comes back; ids are
 * matched against the probe table so every string pointer in the results is
 * static again, as CapResult requires.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "macro.h"
#include "report.h"

static const char *str(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static json_object *get(json_object *o, const char *key, json_type type) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

static void copy(char *dst, size_t size, const char *src) {
        strscpy(dst, size, src ?: "");
}
#define COPY(dst, src) copy((dst), sizeof(dst), (src))

/* "EPROTONOSUPPORT" back to its number; 0 for names this libc does not know. */
static int errno_from_name(const char *name) {
        if (!name)
                return 0;
        for (int e = 1; e < 4096; e++) {
                const char *n = errno_name(e);
                if (n && strcmp(n, name) == 0)
                        return e;
        }
        return 0;
}

/* A capability id from the report, as the static string of the table or catalogue. */
static const char *static_id(const Probe *const *table, const char *id) {
        const Probe *p = probe_find(table, id);
        const CatalogueEntry *e;

        if (p)
                return p->id;
        e = catalogue_find(id);
        return e ? e->id : NULL;
}

static uint64_t u64(json_object *o, const char *key) {
        json_object *v = get(o, key, json_type_int);
        int64_t n = v ? json_object_get_int64(v) : 0;

        return n > 0 ? (uint64_t) n : 0;
}

static int load_check(json_object *o, Check *c) {
        CheckOutcome outcome;
        json_object *datapath = get(o, "datapath", json_type_boolean);

        if (check_outcome_from_string(str(o, "outcome") ?: "", &outcome) < 0)
                return -EBADMSG;
        COPY(c->group, str(o, "group"));
        COPY(c->what, str(o, "what"));
        c->outcome = outcome;
        c->read_back = outcome == CHECK_ACCEPTED;
        c->err = errno_from_name(str(o, "errno"));
        COPY(c->extack, str(o, "extack"));
        COPY(c->note, str(o, "note"));
        c->datapath = datapath && json_object_get_boolean(datapath);
        return 0;
}

/* The probe-specific entries of details: a string, or a list of strings. */
static int load_details(json_object *details, CapResult *r) {
        int k;

        if (!details)
                return 0;
        json_object_object_foreach(details, key, v) {
                if (strcmp(key, "checks") == 0)
                        continue;
                if (json_object_is_type(v, json_type_string)) {
                        if ((k = result_set_detail(r, key, json_object_get_string(v))) < 0)
                                return k;
                } else if (json_object_is_type(v, json_type_array)) {
                        for (size_t i = 0; i < json_object_array_length(v); i++) {
                                const char *item = json_object_get_string(json_object_array_get_idx(v, i));
                                if ((k = result_append_detail(r, key, item ?: "")) < 0)
                                        return k;
                        }
                } else
                        return -EBADMSG;
        }
        return 0;
}

static int load_result(json_object *o, const Probe *const *table, CapResult *r) {
        json_object *blocked = get(o, "blocked_by", json_type_array);
        json_object *details = get(o, "details", json_type_object);
        json_object *checks = get(details, "checks", json_type_array);
        Verdict v;
        Level l;
        int k;

        if (verdict_from_string(str(o, "verdict") ?: "", &v) < 0 || level_from_string(str(o, "level") ?: "", &l) < 0)
                return -EBADMSG;
        r->done = true;
        r->verdict = v;
        r->level = l;
        COPY(r->evidence, str(o, "evidence"));
        r->err = errno_from_name(str(o, "errno"));
        COPY(r->extack, str(o, "extack"));
        for (size_t i = 0; blocked && i < json_object_array_length(blocked) && r->n_blocked_by < RESULT_MAX_BLOCKERS; i++) {
                const char *id = static_id(table, json_object_get_string(json_object_array_get_idx(blocked, i)));
                if (id)
                        r->blocked_by[r->n_blocked_by++] = id;
        }
        for (size_t i = 0; checks && i < json_object_array_length(checks) && r->n_checks < RESULT_MAX_CHECKS; i++)
                if ((k = load_check(json_object_array_get_idx(checks, i), &r->checks[r->n_checks++])) < 0)
                        return k;
        return load_details(details, r);
}

static void load_host(json_object *o, HostFacts *h) {
        COPY(h->hostname, str(o, "hostname"));
        COPY(h->kernel_release, str(o, "kernel_release"));
        COPY(h->machine, str(o, "machine"));
        COPY(h->os_pretty_name, str(o, "os_pretty_name"));
        COPY(h->boot_id, str(o, "boot_id"));
}

static void load_privilege(json_object *o, Audit *a) {
        json_object *v;
        const char *kind = str(o, "sandbox");

        if ((v = get(o, "euid", json_type_int)))
                a->privilege.euid = (uid_t) json_object_get_int64(v);
        for (int k = 0; kind && k < _SANDBOX_KIND_MAX; k++)
                if (strcmp(sandbox_kind_to_string((SandboxKind) k), kind) == 0)
                        a->privilege.sandbox = (SandboxKind) k;
        a->privilege.sandbox_err = errno_from_name(str(o, "sandbox_errno"));
        if ((v = get(o, "passive", json_type_boolean)))
                a->passive = json_object_get_boolean(v);
        if ((v = get(o, "datapath", json_type_boolean)))
                a->quick = !a->passive && !json_object_get_boolean(v);
}

/* {"ipv4": 3, ...} back into one enum's counters. */
static void load_counts(json_object *o, const char *key, uint64_t *counts, size_t n, const char *(*name)(int)) {
        json_object *c = get(o, key, json_type_object);

        for (size_t i = 0; i < n; i++)
                counts[i] = u64(c, name((int) i));
}

#define ENUM_NAME(fn, type) \
        static const char *fn##_i(int v) { return fn((type) v); }
ENUM_NAME(inv_family_name, InvFamily)
ENUM_NAME(inv_proto_name, InvProto)
ENUM_NAME(inv_mode_name, InvMode)
ENUM_NAME(inv_encap_name, InvEncap)
ENUM_NAME(inv_dir_name, InvDir)
ENUM_NAME(inv_action_name, InvAction)
#undef ENUM_NAME
#define COUNTS(o, key, arr, fn) load_counts((o), (key), (arr), ELEMENTSOF(arr), fn##_i)

static void load_sad(json_object *o, InvSad *s) {
        json_object *info = get(o, "sadinfo", json_type_object), *algs = get(o, "algorithms", json_type_array);

        s->info_known = info != NULL;
        s->info_err = errno_from_name(str(o, "sadinfo_errno"));
        s->info_count = (uint32_t) u64(info, "count");
        s->info_hash_buckets = (uint32_t) u64(info, "hash_buckets");
        s->info_hash_max = (uint32_t) u64(info, "hash_max_buckets");
        s->err = errno_from_name(str(o, "errno"));
        s->count = u64(o, "count");
        COUNTS(o, "by_family", s->family, inv_family_name);
        COUNTS(o, "by_protocol", s->proto, inv_proto_name);
        COUNTS(o, "by_mode", s->mode, inv_mode_name);
        COUNTS(o, "by_encapsulation", s->encap, inv_encap_name);
        for (size_t i = 0; algs && i < json_object_array_length(algs) && s->n_algs < INVENTORY_MAX_ALGS; i++) {
                json_object *a = json_object_array_get_idx(algs, i);
                InvAlg *alg = &s->algs[s->n_algs++];

                for (int k = 0; k < _INV_ALG_KIND_MAX; k++)
                        if (strcmp(inv_alg_kind_name((InvAlgKind) k), str(a, "kind") ?: "") == 0)
                                alg->kind = (InvAlgKind) k;
                COPY(alg->name, str(a, "name"));
                alg->sas = u64(a, "sas");
        }
        s->algs_untold = u64(o, "algorithm_uses_not_listed");
}

static void load_spd(json_object *o, InvSpd *s) {
        json_object *info = get(o, "spdinfo", json_type_object), *tmpl = get(o, "templates", json_type_object);

        s->info_known = info != NULL;
        s->info_err = errno_from_name(str(o, "spdinfo_errno"));
        s->info_in = (uint32_t) u64(info, "in");
        s->info_out = (uint32_t) u64(info, "out");
        s->info_fwd = (uint32_t) u64(info, "fwd");
        s->info_in_socket = (uint32_t) u64(info, "in_socket");
        s->info_out_socket = (uint32_t) u64(info, "out_socket");
        s->info_fwd_socket = (uint32_t) u64(info, "fwd_socket");
        s->info_hash_buckets = (uint32_t) u64(info, "hash_buckets");
        s->info_hash_max = (uint32_t) u64(info, "hash_max_buckets");
        s->err = errno_from_name(str(o, "errno"));
        s->count = u64(o, "count");
        COUNTS(o, "by_direction", s->dir, inv_dir_name);
        COUNTS(o, "by_family", s->family, inv_family_name);
        COUNTS(o, "by_action", s->action, inv_action_name);
        s->with_templates = u64(o, "with_templates");
        COUNTS(tmpl, "by_protocol", s->tmpl_proto, inv_proto_name);
        COUNTS(tmpl, "by_mode", s->tmpl_mode, inv_mode_name);
}

static void load_inventory(json_object *o, Inventory *inv) {
        if (!o)
                return;
        inv->done = true;
        load_sad(get(o, "sad", json_type_object), &inv->sad);
        load_spd(get(o, "spd", json_type_object), &inv->spd);
}

static int load_modules(json_object *root, Audit *a) {
        json_object *mods = get(root, "modules_loaded_by_audit", json_type_array);
        size_t n = mods ? json_object_array_length(mods) : 0;

        a->modules_known = mods != NULL;
        if (n == 0)
                return 0;
        a->modules_loaded.names = calloc(n, sizeof(char *));
        if (!a->modules_loaded.names)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *m = json_object_get_string(json_object_array_get_idx(mods, i));
                if (!(a->modules_loaded.names[a->modules_loaded.n] = strdup(m ?: "")))
                        return -ENOMEM;
                a->modules_loaded.n++;
        }
        return 0;
}

void report_loaded_free(Audit *a) {
        if (!a)
                return;
        free((void *) a->probes);
        audit_free(a);
}

static void report_loaded_freep(Audit **a) {
        report_loaded_free(*a);
}

int report_from_json(json_object *root, const Probe *const *table, Audit **ret) {
        _cleanup_(report_loaded_freep) Audit *a = NULL;
        json_object *caps = get(root, "capabilities", json_type_array), *v;
        const Probe **probes;
        size_t n;
        int r;

        if (!str(root, "schema") || strcmp(str(root, "schema"), REPORT_SCHEMA) != 0 || !caps)
                return -EBADMSG;
        n = json_object_array_length(caps);
        if (!(a = calloc(1, sizeof(*a))))
                return -ENOMEM;
        a->probes = probes = calloc(n + 1, sizeof(Probe *));
        a->results = calloc(n + 1, sizeof(CapResult));
        if (!probes || !a->results)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                json_object *cap = json_object_array_get_idx(caps, i);
                const Probe *p = probe_find(table, str(cap, "id") ?: "");

                /* A capability this build has no probe for (a newer daemon) cannot be rendered. */
                if (!p)
                        continue;
                if ((r = load_result(cap, table, &a->results[a->n_results])) < 0)
                        return r;
                probes[a->n_results++] = p;
        }

        load_host(get(root, "host", json_type_object), &a->host);
        COPY(a->generated_at, str(root, "generated_at"));
        if ((v = get(root, "duration_ms", json_type_int)))
                a->duration_ms = (uint64_t) json_object_get_int64(v);
        load_privilege(get(root, "privilege", json_type_object), a);
        load_inventory(get(root, "inventory", json_type_object), &a->inventory);
        if ((r = load_modules(root, a)) < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}
