/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

#include "probes.h"
#include "trial.h"

#define GRE_PROTO 47

/* Policies need no transform in the kernel, so templates name ESP even where it is missing. */
static int protected_policy(XfrmPolicy *p, const TrialFamily *f, uint8_t dir, uint8_t proto) {
        int r = trial_policy_init(p, f, dir);
        if (r < 0)
                return r;
        p->sel.proto = proto;
        return trial_policy_add_tmpl(p, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0);
}

static int run_ports(const ProbeContext *ctx, CapResult *res) {
        static const struct {
                uint8_t proto;
                const char *name;
        } protos[] = {
                { IPPROTO_TCP, "TCP" },
                { IPPROTO_UDP, "UDP" },
                { IPPROTO_SCTP, "SCTP" },
        };

        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++)
                for (size_t j = 0; j < ELEMENTSOF(protos); j++) {
                        const TrialFamily *f = &trial_families[i];
                        XfrmPolicy out, in;
                        char group[32];
                        int r;

                        snprintf(group, sizeof(group), "%s %s", protos[j].name, f->name);
                        /* Both directions of one session: to the port, and back from it. */
                        if ((r = protected_policy(&out, f, XFRM_POLICY_OUT, protos[j].proto)) < 0 ||
                            (r = protected_policy(&in, f, XFRM_POLICY_IN, protos[j].proto)) < 0)
                                return r;
                        out.sel.dport = TRIAL_PORT_SELECTED;
                        out.sel.dport_mask = 0xffff;
                        in.sel.sport = TRIAL_PORT_SELECTED;
                        in.sel.sport_mask = 0xffff;
                        if ((r = trial_policy(ctx->xfrm, &out, ADD_CHECK(res, group, "destination-port policy"))) < 0 ||
                            (r = trial_policy(ctx->xfrm, &in, ADD_CHECK(res, group, "source-port policy"))) < 0)
                                return r;
                }
        if (!ctx->datapath)
                return 0;

        /* Datapath: the selected port is ESP on the wire, another port between the same hosts is not. */
        _cleanup_(datapath_freep) Datapath *dp = NULL;
        uint32_t spi = TRIAL_SPI_FLOW_PORTS;
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++)
                for (size_t j = 0; j < ELEMENTSOF(protos); j++, spi += 0x10) {
                        const TrialFamily *f = &trial_families[i];
                        char group[32];
                        int r;

                        snprintf(group, sizeof(group), "%s %s", protos[j].name, f->name);
                        if (!group_accepted(res, group) || !traffic_has_proto(f->family, protos[j].proto))
                                continue;
                        if ((r = traffic_open(ctx, res, group, &dp)) <= 0)
                                return r;
                        r = traffic_port_flows(res, dp, f, group, protos[j].proto, spi, TRIAL_PORT_SELECTED,
                                               TRIAL_PORT_OTHER, false);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int run_protocol(const ProbeContext *ctx, CapResult *res) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                XfrmPolicy p;
                int r;

                r = protected_policy(&p, f, XFRM_POLICY_OUT, GRE_PROTO);
                if (r < 0)
                        return r;
                r = trial_policy(ctx->xfrm, &p, ADD_CHECK(res, f->name, "GRE-only policy"));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Datapath: TCP/179 ESP and TCP/180 clear under an explicit bypass policy, per family. */
static int mixed_policy_flows(CapResult *res, Datapath *dp, const TrialFamily *f, uint32_t i) {
        return traffic_port_flows(res, dp, f, f->name, IPPROTO_TCP, TRIAL_SPI_FLOW_MIXED + 0x10 * i, TRIAL_PORT_SELECTED, TRIAL_PORT_OTHER,
                                  true);
}

/*
 * RFC 5406 Section 6: protect some traffic and let other traffic between the
 * same two hosts pass. A protected TCP/179 policy sits above a bypass policy
 * for everything else; both must be kept side by side.
 */
static int run_mixed(const ProbeContext *ctx, CapResult *res) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                XfrmPolicy protect, bypass;
                int r;

                if ((r = protected_policy(&protect, f, XFRM_POLICY_OUT, IPPROTO_TCP)) < 0 ||
                    (r = trial_policy_init(&bypass, f, XFRM_POLICY_OUT)) < 0)
                        return r;
                protect.sel.dport = TRIAL_PORT_SELECTED;
                protect.sel.dport_mask = 0xffff;
                protect.priority = 100;
                bypass.priority = 200;
                if ((r = trial_policy(ctx->xfrm, &protect, ADD_CHECK(res, f->name, "protected TCP/179 policy"))) < 0 ||
                    (r = trial_policy(ctx->xfrm, &bypass, ADD_CHECK(res, f->name, "bypass policy for other traffic"))) < 0)
                        return r;
        }
        if (!ctx->datapath)
                return 0;

        return traffic_each_family(ctx, res, mixed_policy_flows);
}

DEFINE_PROBE(probe_selector_ports, "selector.ports", "5, 6", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "policies selecting TCP, UDP and SCTP ports (RFC 3554)",
             run_ports);

DEFINE_PROBE(probe_selector_protocol, "selector.protocol", "6", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "policies selecting an IP protocol only",
             run_protocol);

DEFINE_PROBE(probe_selector_mixed_policy, "selector.mixed_policy", "6", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "protected and bypassed traffic between the same two hosts",
             run_mixed);
