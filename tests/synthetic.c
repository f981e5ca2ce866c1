/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "probe-table.h"
#include "synthetic.h"

Audit *synthetic_audit(const SyntheticCap *caps, size_t n) {
        Audit *a = calloc(1, sizeof(*a));
        const Probe **probes = calloc(n + 1, sizeof(Probe *));
        size_t k = 0;

        if (!a || !probes)
                abort();
        a->results = calloc(n + 1, sizeof(CapResult));
        if (!a->results)
                abort();
        for (const Probe *const *p = probe_table; *p; p++)
                for (size_t i = 0; i < n; i++) {
                        CapResult *r;
                        Check *c;

                        if (strcmp((*p)->id, caps[i].id) != 0)
                                continue;
                        probes[k] = *p;
                        r = &a->results[k++];
                        c = result_add_check(r, "IPv4", "trial");
                        c->outcome = caps[i].verdict == VERDICT_AVAILABLE ? CHECK_ACCEPTED : CHECK_REFUSED;
                        c->err = caps[i].err;
                        result_conclude(r, (*p)->id);
                        /* Chosen verdicts win over what the single check would give. */
                        r->verdict = caps[i].verdict;
                        r->level = caps[i].verdict == VERDICT_UNKNOWN ? LEVEL_NONE : LEVEL_API;
                }
        a->probes = probes;
        a->n_results = k;
        strcpy(a->host.kernel_release, "6.1.0-test");
        strcpy(a->host.hostname, "synthetic");
        strcpy(a->generated_at, "2026-11-23T00:00:00Z");
        a->privilege.sandbox = SANDBOX_NETNS;
        a->modules_known = true;
        return a;
}

Audit *synthetic_audit_all(Verdict v, int err) {
        SyntheticCap caps[64];
        size_t n = 0;

        for (const Probe *const *p = probe_table; *p && n < 64; p++)
                caps[n++] = (SyntheticCap) { (*p)->id, v, err };
        return synthetic_audit(caps, n);
}


void synthetic_free(Audit *a) {
        free((void *) a->probes);
        audit_free(a);
}
