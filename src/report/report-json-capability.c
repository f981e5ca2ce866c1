/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One capability of the JSON report, written and found again: apart from the
 * whole report (report-json.c), so that the daemon, which reads reports and
 * evaluates profiles on them but runs no audit, links none of the engine.
 */
#include <errno.h>
#include <string.h>

#include "catalogue.h"
#include "json-util.h"
#include "macro.h"
#include "report.h"

static size_t strv_length(const char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

static int add_errno(json_object *o, int err) {
        return err > 0 ? json_add_str(o, "errno", errno_name(err) ?: "unknown") : 0;
}

static int check_json(const Check *c, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = json_add_str(o, "group", c->group)) < 0 ||
            (r = json_add_str(o, "what", c->what)) < 0 ||
            (r = json_add_str(o, "outcome", check_outcome_to_string(c->outcome))) < 0 ||
            (r = add_errno(o, c->err)) < 0 ||
            (c->extack[0] && (r = json_add_str(o, "extack", c->extack)) < 0) ||
            (c->note[0] && (r = json_add_str(o, "note", c->note)) < 0) ||
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
        if ((r = json_add_str(o, "text", m->text)) < 0 ||
            (r = json_add_str(o, "impact", m->impact)) < 0 ||
            (r = json_add_str_list(o, "kernel_config", m->kernel_config, strv_length(m->kernel_config))) < 0 ||
            (r = json_add_str_list(o, "modules", m->modules, strv_length(m->modules))) < 0)
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
        if ((r = json_add_str(o, "id", p->id)) < 0 ||
            (r = json_add_str(o, "rfc5406_section", p->rfc5406_section)) < 0 ||
            (e && (r = json_add_str(o, "question", e->question)) < 0) ||
            (r = json_add_str(o, "verdict", verdict_to_string(res->verdict))) < 0 ||
            (r = json_add_str(o, "level", level_to_string(res->level))) < 0 ||
            (r = json_add_str(o, "evidence", res->evidence)) < 0 ||
            (r = add_errno(o, res->err)) < 0 ||
            (res->extack[0] && (r = json_add_str(o, "extack", res->extack)) < 0) ||
            (res->n_blocked_by && (r = json_add_str_list(o, "blocked_by", res->blocked_by, res->n_blocked_by)) < 0))
                return r;

        for (unsigned i = 0; i < res->n_checks; i++) {
                json_object *c = NULL;
                if ((r = check_json(&res->checks[i], &c)) < 0 || (r = json_append(checks, c)) < 0)
                        return r;
        }
        for (unsigned i = 0; i < res->n_details; i++) {
                json_object *d = NULL;
                if ((r = detail_json(&res->details[i], &d)) < 0 || (r = json_add_copy(details, res->details[i].key, d)) < 0)
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

json_object *report_json_find(json_object *report, const char *id) {
        json_object *caps = json_get(report, "capabilities", json_type_array);

        for (size_t i = 0; caps && i < json_object_array_length(caps); i++) {
                json_object *cap = json_object_array_get_idx(caps, i);
                const char *cid = json_str(cap, "id");
                if (cid && strcmp(cid, id) == 0)
                        return cap;
        }
        return NULL;
}
