/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "catalogue.h"
#include "json-util.h"
#include "config.h"
#include "macro.h"
#include "report.h"
#include "section4.h"

static int add_str(json_object *o, const char *key, const char *s) {
        return json_add(o, key, json_object_new_string(s ?: ""));
}

static int add_str_list(json_object *o, const char *key, const char *const *list, size_t n) {
        _cleanup_(json_object_putp) json_object *arr = json_object_new_array();
        int r;

        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if ((r = json_append(arr, json_object_new_string(list[i]))) < 0)
                        return r;
        return json_add(o, key, TAKE_PTR(arr));
}

static size_t strv_length(const char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

static int add_errno(json_object *o, int err) {
        return err > 0 ? add_str(o, "errno", errno_name(err) ?: "unknown") : 0;
}

static int check_json(const Check *c, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = add_str(o, "group", c->group)) < 0 ||
            (r = add_str(o, "what", c->what)) < 0 ||
            (r = add_str(o, "outcome", check_outcome_to_string(c->outcome))) < 0 ||
            (r = add_errno(o, c->err)) < 0 ||
            (c->extack[0] && (r = add_str(o, "extack", c->extack)) < 0) ||
            (c->note[0] && (r = add_str(o, "note", c->note)) < 0) ||
            (c->datapath && (r = json_add(o, "datapath", json_object_new_boolean(true))) < 0) ||
            (c->optional && (r = json_add(o, "optional", json_object_new_boolean(true))) < 0))
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* A list detail becomes an array of its ", "-separated items, a scalar a string. */
static int detail_json(const Detail *d, json_object **ret) {
        _cleanup_(json_object_putp) json_object *arr = NULL;
        int r;

        if (!d->list) {
                *ret = json_object_new_string(d->value);
                return *ret ? 0 : -ENOMEM;
        }
        if (!(arr = json_object_new_array()))
                return -ENOMEM;
        for (const char *p = d->value; *p;) {
                const char *sep = strstr(p, ", ");
                size_t n = sep ? (size_t) (sep - p) : strlen(p);

                if ((r = json_append(arr, json_object_new_string_len(p, (int) n))) < 0)
                        return r;
                p += n + (sep ? 2 : 0);
        }
        *ret = TAKE_PTR(arr);
        return 0;
}

int report_json_remedy(const Remedy *m, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = add_str(o, "text", m->text)) < 0 ||
            (r = add_str(o, "impact", m->impact)) < 0 ||
            (r = add_str_list(o, "kernel_config", m->kernel_config, strv_length(m->kernel_config))) < 0 ||
            (r = add_str_list(o, "modules", m->modules, strv_length(m->modules))) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int report_json_capability(const Probe *p, const CapResult *res, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *checks = json_object_new_array(),
                                                *details = json_object_new_object();
        const CatalogueEntry *e = catalogue_find(p->id);
        Remedy m;
        int r;

        if (!o || !checks || !details)
                return -ENOMEM;
        if ((r = add_str(o, "id", p->id)) < 0 ||
            (r = add_str(o, "rfc5406_section", p->rfc5406_section)) < 0 ||
            (e && (r = add_str(o, "question", e->question)) < 0) ||
            (r = add_str(o, "verdict", verdict_to_string(res->verdict))) < 0 ||
            (r = add_str(o, "level", level_to_string(res->level))) < 0 ||
            (r = add_str(o, "evidence", res->evidence)) < 0 ||
            (r = add_errno(o, res->err)) < 0 ||
            (res->extack[0] && (r = add_str(o, "extack", res->extack)) < 0) ||
            (res->n_blocked_by && (r = add_str_list(o, "blocked_by", res->blocked_by, res->n_blocked_by)) < 0))
                return r;

        for (unsigned i = 0; i < res->n_checks; i++) {
                json_object *c = NULL;
                if ((r = check_json(&res->checks[i], &c)) < 0 || (r = json_append(checks, c)) < 0)
                        return r;
        }
        for (unsigned i = 0; i < res->n_details; i++) {
                json_object *d = NULL;
                if ((r = detail_json(&res->details[i], &d)) < 0 || (r = json_add(details, res->details[i].key, d)) < 0)
                        return r;
        }
        if ((r = json_add(details, "checks", TAKE_PTR(checks))) < 0 ||
            (r = json_add(o, "details", TAKE_PTR(details))) < 0)
                return r;

        if (res->verdict != VERDICT_AVAILABLE && remedy_for(p->id, res, &m) >= 0) {
                json_object *remedy = NULL;
                if ((r = report_json_remedy(&m, &remedy)) < 0 || (r = json_add(o, "remedy", remedy)) < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

static int host_json(const HostFacts *h, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = add_str(o, "hostname", h->hostname)) < 0 ||
            (r = add_str(o, "kernel_release", h->kernel_release)) < 0 ||
            (r = add_str(o, "machine", h->machine)) < 0 ||
            (r = add_str(o, "os_pretty_name", h->os_pretty_name)) < 0 ||
            (r = add_str(o, "boot_id", h->boot_id)) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int privilege_json(const Audit *a, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const Privilege *p = &a->privilege;
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = json_add(o, "euid", json_object_new_int64(p->euid))) < 0 ||
            (r = add_str(o, "sandbox", sandbox_kind_to_string(p->sandbox))) < 0 ||
            (r = json_add(o, "passive", json_object_new_boolean(a->passive))) < 0 ||
            (r = json_add(o, "datapath", json_object_new_boolean(!a->passive && !a->quick))) < 0 ||
            (r = json_add(o, "active_probes_run", json_object_new_boolean(!a->passive && p->sandbox != SANDBOX_HOST))) < 0 ||
            (p->sandbox_err && (r = add_str(o, "sandbox_errno", errno_name(p->sandbox_err))) < 0))
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int section4_json(const Audit *a, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        Section4 s;
        int r;

        if (!o)
                return -ENOMEM;
        section4_derive(a, &s);
        if ((r = add_str(o, "ipsec_available", verdict_to_string(s.ipsec_available))) < 0 ||
            (r = add_str(o, "point_to_point", verdict_to_string(s.point_to_point))) < 0 ||
            (r = add_str(o, "vpn", verdict_to_string(s.vpn))) < 0 ||
            (r = add_str(o, "multiple_layers", verdict_to_string(s.multiple_layers))) < 0 ||
            (r = add_str(o, "verdict", verdict_to_string(s.verdict))) < 0 ||
            (r = add_str(o, "summary", s.summary)) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int report_json(const Audit *a, json_object **ret) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object(), *tool = json_object_new_object(),
                                                *caps = json_object_new_array();
        json_object *child = NULL;
        int r;

        if (!root || !tool || !caps)
                return -ENOMEM;
        if ((r = add_str(root, "schema", REPORT_SCHEMA)) < 0 ||
            (r = add_str(tool, "name", PACKAGE_NAME)) < 0 ||
            (r = add_str(tool, "version", PACKAGE_VERSION)) < 0 ||
            (r = json_add(root, "tool", TAKE_PTR(tool))) < 0 ||
            (r = add_str(root, "generated_at", a->generated_at)) < 0 ||
            (r = json_add(root, "duration_ms", json_object_new_int64((int64_t) a->duration_ms))) < 0 ||
            (r = host_json(&a->host, &child)) < 0 || (r = json_add(root, "host", child)) < 0 ||
            (r = privilege_json(a, &child)) < 0 || (r = json_add(root, "privilege", child)) < 0)
                return r;

        for (size_t i = 0; i < a->n_results; i++) {
                const char *on_demand[16];
                size_t n = audit_on_demand_modules(a, a->probes[i]->id, on_demand, ELEMENTSOF(on_demand));

                if ((r = report_json_capability(a->probes[i], &a->results[i], &child)) < 0 ||
                    (r = json_append(caps, child)) < 0 ||
                    (n && (r = add_str_list(child, "modules_loaded_on_demand", on_demand, n)) < 0))
                        return r;
        }
        if ((r = json_add(root, "capabilities", TAKE_PTR(caps))) < 0 ||
            (r = section4_json(a, &child)) < 0 || (r = json_add(root, "section4", child)) < 0)
                return r;

        if ((r = report_json_inventory(&a->inventory, &child)) < 0 ||
            (r = json_object_object_add(root, "inventory", child) < 0 ? -ENOMEM : 0) < 0)
                return r;

        if (a->modules_known) {
                if ((r = add_str_list(root, "modules_loaded_by_audit", (const char *const *) a->modules_loaded.names,
                                      a->modules_loaded.n)) < 0 ||
                    (r = add_str_list(root, "modules_left_loaded", (const char *const *) a->modules_left.names,
                                      a->modules_left.n)) < 0)
                        return r;
        } else if (json_object_object_add(root, "modules_loaded_by_audit", NULL) < 0 ||
                   json_object_object_add(root, "modules_left_loaded", NULL) < 0)
                /* Unreadable /proc/modules: say "not known" rather than "none". */
                return -ENOMEM;
        *ret = TAKE_PTR(root);
        return 0;
}
