/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "probes.h"

bool group_accepted(const CapResult *res, const char *group) {
        bool any = false;

        for (unsigned i = 0; i < res->n_checks; i++) {
                const Check *c = &res->checks[i];
                if (c->datapath || strcmp(c->group, group) != 0)
                        continue;
                if (c->outcome != CHECK_ACCEPTED)
                        return false;
                any = true;
        }
        return any;
}

int traffic_open(CapResult *res, const char *group, Datapath **ret) {
        int r;

        if (*ret)
                return 1;
        r = datapath_open(ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                Check *c = ADD_DATAPATH_CHECK(res, group, "veth pair between two namespaces");
                check_set_untried(c, -r, "could not build the datapath");
                return 0;
        }
        return 1;
}

int traffic_family_ready(Datapath *dp, const TrialFamily *f, Check *c) {
        int err = datapath_family_error(dp, f->family);

        if (!err)
                return 1;
        check_set_untried(c, err, "could not configure the family's addresses on the veth pair");
        return 0;
}

int traffic_sa_flow(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint8_t proto,
                    uint8_t mode, uint32_t spi, uint16_t port) {
        XfrmSa sa;
        XfrmPolicy out;
        DpFlow flow = { .family = f, .proto = IPPROTO_UDP, .port = port };
        DpExpect e = { .kind = proto == IPPROTO_AH ? FRAME_AH : FRAME_ESP, .spi = spi, .n_sas = 1 };
        char what[64];
        Check *c;
        int r;

        snprintf(what, sizeof(what), "UDP through %s %s", xfrm_mode_name(mode), proto_name(proto));
        c = ADD_DATAPATH_CHECK(res, group, what);
        if ((r = traffic_family_ready(dp, f, c)) <= 0)
                return r;
        if ((r = trial_sa_init(&sa, f, proto, mode, spi)) < 0 || (r = trial_policy_init(&out, f, XFRM_POLICY_OUT)) < 0 ||
            (r = trial_policy_add_tmpl(&out, f, proto, mode, spi)) < 0)
                return r;
        sa.reqid = spi;
        /* One port per flow: policies of several flows live side by side. */
        out.sel.proto = IPPROTO_UDP;
        out.sel.dport = port;
        out.sel.dport_mask = 0xffff;
        e.sas = &sa;
        if ((r = datapath_protect(dp, &sa, 1, &out, DP_ONE_WAY, c)) <= 0)
                return r;
        return datapath_check(dp, &flow, &e, c);
}
