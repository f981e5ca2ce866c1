/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <unistd.h>

#include "probes.h"
#include "trial.h"

/*
 * RFC 2401 Section 4.5, Case 4: an end-to-end transport SA carried inside a
 * tunnel SA to a gateway. XFRM applies a bundle's templates in array order,
 * so the inner (transport) template comes first and the tunnel second.
 */
static int try_bundle(const ProbeContext *ctx, CapResult *res, const TrialFamily *f,
                      uint8_t outer, uint8_t inner, uint32_t spi, uint16_t port) {
        /* ESP in ESP decides; bundles with AH (optional, RFC 4301) are reported beside it. */
        bool optional = outer == IPPROTO_AH || inner == IPPROTO_AH;
        XfrmPolicy p;
        XfrmSa inner_sa, outer_sa;
        Check *c[3];
        char group[32];
        int r;

        snprintf(group, sizeof(group), "%s in %s %s", proto_name(inner), proto_name(outer), f->name);
        if ((r = trial_policy_init(&p, f, XFRM_POLICY_OUT)) < 0 ||
            (r = trial_policy_add_tmpl(&p, f, inner, XFRM_MODE_TRANSPORT, spi)) < 0 ||
            (r = trial_policy_add_tmpl(&p, f, outer, XFRM_MODE_TUNNEL, spi + 1)) < 0 ||
            (r = trial_sa_init(&inner_sa, f, inner, XFRM_MODE_TRANSPORT, spi)) < 0 ||
            (r = trial_sa_init(&outer_sa, f, outer, XFRM_MODE_TUNNEL, spi + 1)) < 0)
                return r;
        /* Each bundle selects its own TCP port: the SPD holds one policy per selector. */
        p.sel.proto = IPPROTO_TCP;
        p.sel.dport = port;
        p.sel.dport_mask = 0xffff;
        inner_sa.reqid = spi;
        outer_sa.reqid = spi + 1;

        c[0] = ADD_CHECK(res, group, "two-template policy bundle");
        c[1] = ADD_CHECK(res, group, "inner transport SA");
        c[2] = ADD_CHECK(res, group, "outer tunnel SA");
        for (size_t i = 0; i < ELEMENTSOF(c); i++)
                c[i]->optional = optional;
        if ((r = trial_policy(ctx->xfrm, &p, c[0])) < 0 || (r = trial_sa(ctx->xfrm, &inner_sa, c[1])) < 0 ||
            (r = trial_sa(ctx->xfrm, &outer_sa, c[2])) < 0)
                return r;
        return 0;
}

/*
 * A variant carried only with an inbound policy for the inner packet between the two layers:
 * what a loaded module changed (see traffic.c), so the details name the module when it is there.
 */
static int note_needs_policy(CapResult *res, const char *group) {
        char item[64];
        int r;

        snprintf(item, sizeof(item), "%s%s", group,
                 access("/sys/module/xfrm_interface", F_OK) == 0 ? " (xfrm_interface loaded)" : "");
        r = result_append_detail(res, "inbound_policy_between_layers", item);
        return r == -ENOBUFS ? 0 : r;
}

static int run_nested(const ProbeContext *ctx, CapResult *res) {
        static const struct {
                uint8_t outer, inner;
        } layers[] = {
                { IPPROTO_ESP, IPPROTO_ESP },
                { IPPROTO_ESP, IPPROTO_AH },
                { IPPROTO_AH, IPPROTO_AH },
        };
        uint32_t spi = TRIAL_SPI_NESTED;

        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++)
                for (size_t j = 0; j < ELEMENTSOF(layers); j++, spi += 2) {
                        int r = try_bundle(ctx, res, &trial_families[i], layers[j].outer, layers[j].inner, spi,
                                           (uint16_t) (TRIAL_PORT_NESTED + j));
                        if (r < 0)
                                return r;
                }
        if (!ctx->datapath)
                return 0;

        /* Datapath: the outer layer is AH or null-cipher ESP, so the captured frame shows the inner SA. */
        _cleanup_(datapath_freep) Datapath *dp = NULL;
        spi = TRIAL_SPI_FLOW_NESTED;
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++)
                for (size_t j = 0; j < ELEMENTSOF(layers); j++, spi += 0x10) {
                        const TrialFamily *f = &trial_families[i];
                        char group[32];
                        bool needs = false;
                        int r;

                        snprintf(group, sizeof(group), "%s in %s %s", proto_name(layers[j].inner),
                                 proto_name(layers[j].outer), f->name);
                        if (!group_accepted(res, group))
                                continue;
                        if ((r = traffic_open(ctx, res, group, &dp)) <= 0)
                                return r;
                        /* First without the policy for the packet between the layers, while none selects it. */
                        if ((r = traffic_nested_needs_policy(dp, f, group, layers[j].outer, layers[j].inner, spi + 8,
                                                             (uint16_t) (TRIAL_PORT_FLOW_AH + (spi + 8) % 0x100), &needs)) < 0 ||
                            (r = traffic_nested_flow(res, dp, f, group, layers[j].outer, layers[j].inner, spi,
                                                     (uint16_t) (TRIAL_PORT_FLOW_AH + spi % 0x100))) < 0)
                                return r;
                        if (needs && res->checks[res->n_checks - 1].outcome == CHECK_ACCEPTED &&
                            (r = note_needs_policy(res, group)) < 0)
                                return r;
                }
        return 0;
}

static int multicast_flow(CapResult *res, Datapath *dp, const TrialFamily *f, uint32_t i) {
        return traffic_multicast_flow(res, dp, f, f->name, TRIAL_SPI_FLOW_MULTICAST + 0x10 * i,
                                      (uint16_t) (TRIAL_PORT_FLOW_MULTICAST + i));
}

/* RFC 5374: an SA and a policy whose destination is a group address. */
static int run_multicast(const ProbeContext *ctx, CapResult *res) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                XfrmSa sa;
                XfrmPolicy p;
                int r;

                if ((r = trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, TRIAL_SPI_MULTICAST + (uint32_t) i)) < 0 ||
                    (r = xfrm_addr(f->family, f->group, &sa.daddr)) < 0 ||
                    (r = trial_policy_init(&p, f, XFRM_POLICY_OUT)) < 0 ||
                    (r = xfrm_addr(f->family, f->group, &p.sel.daddr)) < 0 ||
                    (r = trial_policy_add_tmpl(&p, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0)) < 0)
                        return r;

                if ((r = trial_sa(ctx->xfrm, &sa, ADD_CHECK(res, f->name, "ESP SA to a group"))) < 0 ||
                    (r = trial_policy(ctx->xfrm, &p, ADD_CHECK(res, f->name, "policy to a group"))) < 0)
                        return r;
        }
        if (!ctx->datapath)
                return 0;

        return traffic_each_family(ctx, res, multicast_flow);
}

DEFINE_PROBE(probe_sa_nested, "sa.nested", "4", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "a policy bundle of two templates and the SAs it needs (RFC 2401 Case 4)",
             run_nested);

DEFINE_PROBE(probe_sa_multicast, "sa.multicast", "7", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "SAs and policies for multicast destinations (RFC 5374)",
             run_multicast);
