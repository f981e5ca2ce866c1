/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which module events of an audit were its own: apart from the socket and /proc, so a unit test can feed it. */
#include <errno.h>
#include <string.h>

#include "auditd.h"
#include "macro.h"

/*
 * Removed by someone else while the audit ran, having been loaded when it started (before
 * NULL: unknown, so perhaps): an audit unloads only what it loaded itself. A module someone
 * loaded and removed again meanwhile changed nothing the audit found.
 */
static bool removed_by_others(const Context *c, const ModuleEvent *e, const ModuleList *before) {
        return e->removed && (!before || module_list_has(before, e->module)) &&
               !cache_report_lists_module(c, "modules_loaded_by_audit", e->module);
}

static bool removed_by_others_named(const Context *c, const ModuleList *before, const char *module) {
        for (size_t i = 0; i < c->n_uevent_events; i++)
                if (strcmp(c->uevent_events[i].module, module) == 0 && removed_by_others(c, &c->uevent_events[i], before))
                        return true;
        return false;
}

/* now is before plus what the audit says it left loaded: nothing else came or went. */
static bool modules_explained(const Context *c, const ModuleList *before, const ModuleList *now) {
        _cleanup_(module_list_free) ModuleList gone = {}, came = {};

        if (modules_added(now, before, &gone) < 0 || modules_added(before, now, &came) < 0 || gone.n > 0)
                return false;
        for (size_t i = 0; i < came.n; i++)
                if (!cache_report_lists_module(c, "modules_left_loaded", came.names[i]))
                        return false;
        return true;
}

int audit_events_judge(const Context *c, const ModuleList *before, const ModuleList *now, bool *ret_again,
                       ModuleList *ret_removed) {
        _cleanup_(module_list_free) ModuleList removed = {};
        bool foreign = c->uevent_overflow, removal = false;
        int r;

        /* Its own: the loads and unloads of what it reports it loaded. Anything else is news. */
        for (size_t i = 0; i < c->n_uevent_events; i++) {
                foreign = foreign || !cache_report_lists_module(c, "modules_loaded_by_audit", c->uevent_events[i].module);
                removal = removal || removed_by_others(c, &c->uevent_events[i], before);
        }
        /* Removed by others and loaded again: the audit's trials, for which they were present. */
        for (size_t i = 0; now && i < now->n; i++)
                if (removed_by_others_named(c, before, now->names[i]) &&
                    (r = module_list_push(&removed, now->names[i])) < 0)
                        return r;
        *ret_again = removal || (foreign && !(before && now && modules_explained(c, before, now)));
        *ret_removed = removed;
        removed = (ModuleList) {};
        return 0;
}
