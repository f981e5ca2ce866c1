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
#include "json-util.h"
#include "macro.h"
#include "report.h"

static void copy(char *dst, size_t size, const char *src) {
        strscpy(dst, size, src ?: "");
}
#define COPY(dst, src) copy((dst), sizeof(dst), (src))

/* A capability id from the report, as the static string of the table or catalogue. */
static const char *static_id(const Probe *const *table, const char *id) {
        const Probe *p = probe_find(table, id);
        const CatalogueEntry *e;

        if (p)
                return p->id;
        e = catalogue_find(id);
        return e ? e->id : NULL;
}

static int load_check(json_object *o, Check *c) {
        CheckOutcome outcome;
        json_object *datapath = json_get(o, "datapath", json_type_boolean);
        json_object *optional = json_get(o, "optional", json_type_boolean);

        if (check_outcome_from_string(json_str(o, "outcome") ?: "", &outcome) < 0)
                return -EBADMSG;
        COPY(c->group, json_str(o, "group"));
        COPY(c->what, json_str(o, "what"));
        c->outcome = outcome;
        c->read_back = outcome == CHECK_ACCEPTED;
        c->err = errno_from_name(json_str(o, "errno"));
        COPY(c->extack, json_str(o, "extack"));
        COPY(c->note, json_str(o, "note"));
        c->datapath = datapath && json_object_get_boolean(datapath);
        c->optional = optional && json_object_get_boolean(optional);
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
        json_object *blocked = json_get(o, "blocked_by", json_type_array);
        json_object *details = json_get(o, "details", json_type_object);
        json_object *checks = json_get(details, "checks", json_type_array);
        Verdict v;
        Level l;
        int k;

        if (verdict_from_string(json_str(o, "verdict") ?: "", &v) < 0 || level_from_string(json_str(o, "level") ?: "", &l) < 0)
                return -EBADMSG;
        r->done = true;
        r->verdict = v;
        r->level = l;
        COPY(r->evidence, json_str(o, "evidence"));
        r->err = errno_from_name(json_str(o, "errno"));
        COPY(r->extack, json_str(o, "extack"));
        r->cause = host_cause_from_remedy(json_str(json_get(o, "remedy", json_type_object), "text"));
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
        COPY(h->hostname, json_str(o, "hostname"));
        COPY(h->kernel_release, json_str(o, "kernel_release"));
        COPY(h->machine, json_str(o, "machine"));
        COPY(h->os_pretty_name, json_str(o, "os_pretty_name"));
        COPY(h->boot_id, json_str(o, "boot_id"));
        COPY(h->ipv6_off, json_str(o, "ipv6_off")); /* absent from reports before it */
}

static void load_privilege(json_object *o, Audit *a) {
        json_object *v;
        const char *kind = json_str(o, "sandbox");

        if ((v = json_get(o, "euid", json_type_int)))
                a->privilege.euid = (uid_t) json_object_get_int64(v);
        for (int k = 0; kind && k < _SANDBOX_KIND_MAX; k++)
                if (strcmp(sandbox_kind_to_string((SandboxKind) k), kind) == 0)
                        a->privilege.sandbox = (SandboxKind) k;
        a->privilege.sandbox_err = errno_from_name(json_str(o, "sandbox_errno"));
        if ((v = json_get(o, "passive", json_type_boolean)))
                a->passive = json_object_get_boolean(v);
        if ((v = json_get(o, "datapath", json_type_boolean)))
                a->quick = !a->passive && !json_object_get_boolean(v);
}

static int load_module_list(json_object *mods, ModuleList *ret) {
        size_t n = mods ? json_object_array_length(mods) : 0;

        for (size_t i = 0; i < n; i++) {
                const char *m = json_object_get_string(json_object_array_get_idx(mods, i));
                int r = module_list_push(ret, m ?: "");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_modules(json_object *root, Audit *a) {
        json_object *mods = json_get(root, "modules_loaded_by_audit", json_type_array);
        int r;

        a->modules_known = mods != NULL;
        if ((r = load_module_list(mods, &a->modules_loaded)) < 0)
                return r;
        return load_module_list(json_get(root, "modules_left_loaded", json_type_array), &a->modules_left);
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
        json_object *caps = json_get(root, "capabilities", json_type_array), *v;
        const Probe **probes;
        size_t n;
        int r;

        if (!json_str(root, "schema") || strcmp(json_str(root, "schema"), REPORT_SCHEMA) != 0 || !caps)
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
                const Probe *p = probe_find(table, json_str(cap, "id") ?: "");

                /* A capability this build has no probe for (a newer daemon) cannot be rendered. */
                if (!p)
                        continue;
                if ((r = load_result(cap, table, &a->results[a->n_results])) < 0)
                        return r;
                probes[a->n_results++] = p;
        }

        load_host(json_get(root, "host", json_type_object), &a->host);
        COPY(a->generated_at, json_str(root, "generated_at"));
        if ((v = json_get(root, "duration_ms", json_type_int)))
                a->duration_ms = (uint64_t) json_object_get_int64(v);
        load_privilege(json_get(root, "privilege", json_type_object), a);
        report_inventory_from_json(json_get(root, "inventory", json_type_object), &a->inventory);
        if ((r = load_modules(root, a)) < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}
