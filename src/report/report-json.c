/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "catalogue.h"
#include "json-util.h"
#include "config.h"
#include "macro.h"
#include "report.h"
#include "section4.h"

static int host_json(const HostFacts *h, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = json_add_str(o, "hostname", h->hostname)) < 0 ||
            (r = json_add_str(o, "kernel_release", h->kernel_release)) < 0 ||
            (r = json_add_str(o, "machine", h->machine)) < 0 ||
            (r = json_add_str(o, "os_pretty_name", h->os_pretty_name)) < 0 ||
            (r = json_add_str(o, "boot_id", h->boot_id)) < 0 ||
            (r = json_add_str(o, "ipv6_off", h->ipv6_off)) < 0)
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
            (r = json_add_str(o, "sandbox", sandbox_kind_to_string(p->sandbox))) < 0 ||
            (r = json_add(o, "passive", json_object_new_boolean(a->passive))) < 0 ||
            (r = json_add(o, "datapath", json_object_new_boolean(!a->passive && !a->quick))) < 0 ||
            (r = json_add(o, "active_probes_run", json_object_new_boolean(!a->passive && p->sandbox != SANDBOX_HOST))) < 0 ||
            (p->sandbox_err && (r = json_add_str(o, "sandbox_errno", errno_name(p->sandbox_err))) < 0))
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
        if ((r = json_add_str(o, "ipsec_available", verdict_to_string(s.ipsec_available))) < 0 ||
            (r = json_add_str(o, "point_to_point", verdict_to_string(s.point_to_point))) < 0 ||
            (r = json_add_str(o, "vpn", verdict_to_string(s.vpn))) < 0 ||
            (r = json_add_str(o, "multiple_layers", verdict_to_string(s.multiple_layers))) < 0 ||
            (r = json_add_str(o, "verdict", verdict_to_string(s.verdict))) < 0 ||
            (r = json_add_str(o, "summary", s.summary)) < 0)
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
        if ((r = json_add_str(root, "schema", REPORT_SCHEMA)) < 0 ||
            (r = json_add_str(tool, "name", PACKAGE_NAME)) < 0 ||
            (r = json_add_str(tool, "version", PACKAGE_VERSION)) < 0 ||
            (r = json_add(root, "tool", TAKE_PTR(tool))) < 0 ||
            (r = json_add_str(root, "generated_at", a->generated_at)) < 0 ||
            (r = json_add(root, "duration_ms", json_object_new_int64((int64_t) a->duration_ms))) < 0 ||
            (r = host_json(&a->host, &child)) < 0 || (r = json_add(root, "host", child)) < 0 ||
            (r = privilege_json(a, &child)) < 0 || (r = json_add(root, "privilege", child)) < 0)
                return r;

        for (size_t i = 0; i < a->n_results; i++) {
                const char *on_demand[16];
                size_t n = audit_on_demand_modules(a, a->probes[i]->id, on_demand, ELEMENTSOF(on_demand));

                if ((r = report_json_capability(a->probes[i], &a->results[i], &child)) < 0 ||
                    (r = json_append(caps, child)) < 0 ||
                    (n && (r = json_add_str_list(child, "modules_loaded_on_demand", on_demand, n)) < 0))
                        return r;
        }
        if ((r = json_add(root, "capabilities", TAKE_PTR(caps))) < 0 ||
            (r = section4_json(a, &child)) < 0 || (r = json_add(root, "section4", child)) < 0)
                return r;

        if ((r = report_json_inventory(&a->inventory, &child)) < 0 ||
            (r = json_object_object_add(root, "inventory", child) < 0 ? -ENOMEM : 0) < 0)
                return r;

        if (a->modules_known) {
                if ((r = json_add_str_list(root, "modules_loaded_by_audit", (const char *const *) a->modules_loaded.names,
                                      a->modules_loaded.n)) < 0 ||
                    (r = json_add_str_list(root, "modules_left_loaded", (const char *const *) a->modules_left.names,
                                      a->modules_left.n)) < 0)
                        return r;
        } else if (json_object_object_add(root, "modules_loaded_by_audit", NULL) < 0 ||
                   json_object_object_add(root, "modules_left_loaded", NULL) < 0)
                /* Unreadable /proc/modules: say "not known" rather than "none". */
                return -ENOMEM;
        *ret = TAKE_PTR(root);
        return 0;
}
