/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "macro.h"
#include "probes.h"

static void record(Check *c, int r, const XfrmAnswer *ans) {
        if (r < 0) {
                check_set_untried(c, -r, "no usable answer from the kernel");
        } else if (ans->err != 0) {
                c->outcome = CHECK_REFUSED;
                c->err = ans->err;
                STRSCPY(c->extack, ans->extack);
        } else {
                c->outcome = CHECK_ACCEPTED;
        }
}

/* Read-only questions (SAD and SPD counters): safe in the host's own namespace. */
static int run(const ProbeContext *ctx, CapResult *res) {
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
                /* socket() itself is the kernel's answer here. */
                c->outcome = CHECK_REFUSED;
                c->err = -r;
                return 0;
        }
        c->outcome = CHECK_ACCEPTED;

        r = xfrm_sad_info(nl, &count, &ans);
        record(ADD_CHECK(res, "XFRM netlink", "XFRM_MSG_GETSADINFO"), r, &ans);
        r = xfrm_spd_info(nl, &count, &ans);
        record(ADD_CHECK(res, "XFRM netlink", "XFRM_MSG_GETSPDINFO"), r, &ans);
        return 0;
}

const Probe probe_api_xfrm_netlink = {
        .id = "api.xfrm_netlink",
        .rfc5406_section = "3.4, 4",
        .summary = "XFRM netlink socket answers SAD and SPD queries",
        .flags = 0,
        .run = run,
};
