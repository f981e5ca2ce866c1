/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "macro.h"
#include "probes.h"
#include "trial.h"

/* Read-only questions (SAD and SPD counters): safe in the host's own namespace. */
static int run(const ProbeContext *ctx, CapResult *res) {
        static const struct {
                const char *name;
                int (*ask)(XfrmNl *nl, uint32_t *ret_count, XfrmAnswer *ans);
        } queries[] = {
                { "XFRM_MSG_GETSADINFO", xfrm_sad_info },
                { "XFRM_MSG_GETSPDINFO", xfrm_spd_info },
        };
        _cleanup_(xfrm_nl_freep) XfrmNl *nl = NULL;
        XfrmAnswer ans = {};
        uint32_t count;
        Check *c;
        int r;

        c = ADD_CHECK(res, "XFRM netlink", "NETLINK_XFRM socket");
        r = xfrm_nl_open(&nl);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* socket() itself is the kernel's answer here; the host may say why xfrm_user is missing. */
                c->outcome = CHECK_REFUSED;
                c->err = -r;
                if (r == -EPROTONOSUPPORT)
                        trial_explain_module(c, "xfrm_user");
                return 0;
        }
        c->outcome = CHECK_ACCEPTED;

        for (size_t i = 0; i < ELEMENTSOF(queries); i++) {
                c = ADD_CHECK(res, "XFRM netlink", queries[i].name);
                r = trial_record_answer(c, queries[i].ask(nl, &count, &ans), &ans, queries[i].name);
                if (r < 0)
                        return r;
                if (r > 0)
                        c->outcome = CHECK_ACCEPTED;
        }
        return 0;
}

DEFINE_PROBE(probe_api_xfrm_netlink, "api.xfrm_netlink", "3.4, 4", 0,
             "XFRM netlink socket answers SAD and SPD queries",
             run);
