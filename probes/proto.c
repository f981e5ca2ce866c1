/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

#include "probes.h"
#include "trial.h"

/* Transforms and modes: one trial SA per family and variant, each in its own group. */
static int try_sa(const ProbeContext *ctx, CapResult *res, uint8_t proto, uint8_t mode, uint32_t spi, bool optional) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                char group[32], what[64];
                XfrmSa sa;
                Check *c;
                int r;

                snprintf(group, sizeof(group), "%s %s", proto_name(proto), f->name);
                snprintf(what, sizeof(what), "%s SA", xfrm_mode_name(mode));
                r = trial_sa_init(&sa, f, proto, mode, spi + (uint32_t) i);
                if (r < 0)
                        return r;
                c = ADD_CHECK(res, group, what);
                c->optional = optional;
                r = trial_sa(ctx->xfrm, &sa, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * The datapath stage: for every family whose API group was accepted, UDP from
 * one namespace to the other through each mode's SA; skipped with --quick.
 * Flows get their own SPI and port, so several share one datapath (*dp).
 */
static int traffic(const ProbeContext *ctx, CapResult *res, Datapath **dp, uint8_t proto, const uint8_t *modes,
                   size_t n_modes, uint32_t spi, uint16_t port) {
        if (!ctx->datapath)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                char group[32];
                int r;

                snprintf(group, sizeof(group), "%s %s", proto_name(proto), f->name);
                if (!group_accepted(res, group))
                        continue;
                if ((r = traffic_open(ctx, res, group, dp)) <= 0)
                        return r;
                for (size_t m = 0; m < n_modes; m++, spi += 0x10, port++)
                        if ((r = traffic_sa_flow(res, *dp, f, group, proto, modes[m], spi, port)) < 0)
                                return r;
        }
        return 0;
}

static const uint8_t both_modes[] = { XFRM_MODE_TRANSPORT, XFRM_MODE_TUNNEL };

/* A transform: transport-mode SAs, then traffic through both modes. */
static int run_transform(const ProbeContext *ctx, CapResult *res, uint8_t proto) {
        _cleanup_(datapath_freep) Datapath *dp = NULL;
        int r = try_sa(ctx, res, proto, XFRM_MODE_TRANSPORT, TRIAL_SPI_PROTO, false);

        return r < 0 ? r
                     : traffic(ctx, res, &dp, proto, both_modes, ELEMENTSOF(both_modes), TRIAL_SPI_FLOW_PROTO,
                               TRIAL_PORT_FLOW);
}

static int run_esp(const ProbeContext *ctx, CapResult *res) {
        return run_transform(ctx, res, IPPROTO_ESP);
}

static int run_ah(const ProbeContext *ctx, CapResult *res) {
        return run_transform(ctx, res, IPPROTO_AH);
}

static int run_ipcomp(const ProbeContext *ctx, CapResult *res) {
        return try_sa(ctx, res, IPPROTO_COMP, XFRM_MODE_TRANSPORT, TRIAL_SPI_PROTO, false);
}

/*
 * A mode is available when ESP, the mandatory transform, runs in it in both
 * families; AH (a MAY in RFC 4301) is tried and reported as optional
 * variants, which make the mode partial only where ESP cannot run at all.
 */
static int run_mode(const ProbeContext *ctx, CapResult *res, uint8_t mode) {
        _cleanup_(datapath_freep) Datapath *dp = NULL;
        int r = try_sa(ctx, res, IPPROTO_ESP, mode, TRIAL_SPI_MODE_ESP, false);
        if (r >= 0)
                r = try_sa(ctx, res, IPPROTO_AH, mode, TRIAL_SPI_MODE_AH, true);
        if (r >= 0)
                r = traffic(ctx, res, &dp, IPPROTO_ESP, &mode, 1, TRIAL_SPI_FLOW_MODE_ESP, TRIAL_PORT_FLOW);
        return r < 0 ? r : traffic(ctx, res, &dp, IPPROTO_AH, &mode, 1, TRIAL_SPI_FLOW_MODE_AH, TRIAL_PORT_FLOW_AH);
}

static int run_transport(const ProbeContext *ctx, CapResult *res) {
        return run_mode(ctx, res, XFRM_MODE_TRANSPORT);
}

static int run_tunnel(const ProbeContext *ctx, CapResult *res) {
        return run_mode(ctx, res, XFRM_MODE_TUNNEL);
}

/* BEET is defined for ESP only. */
static int run_beet(const ProbeContext *ctx, CapResult *res) {
        return try_sa(ctx, res, IPPROTO_ESP, XFRM_MODE_BEET, TRIAL_SPI_BEET, false);
}

#define SA_PROBE_FLAGS (PROBE_ACTIVE | PROBE_NEEDS_XFRM)

DEFINE_PROBE(probe_proto_esp, "proto.esp", "3.1", SA_PROBE_FLAGS, "ESP SAs for IPv4 and IPv6", run_esp);
DEFINE_PROBE(probe_proto_ah, "proto.ah", "3.1", SA_PROBE_FLAGS, "AH SAs for IPv4 and IPv6", run_ah);
DEFINE_PROBE(probe_proto_ipcomp, "proto.ipcomp", "3.1", SA_PROBE_FLAGS, "IPComp SAs for IPv4 and IPv6", run_ipcomp);
DEFINE_PROBE(probe_mode_transport, "mode.transport", "3.2", SA_PROBE_FLAGS, "transport-mode ESP and AH SAs", run_transport);
DEFINE_PROBE(probe_mode_tunnel, "mode.tunnel", "3.2", SA_PROBE_FLAGS, "tunnel-mode ESP and AH SAs", run_tunnel);
DEFINE_PROBE(probe_mode_beet, "mode.beet", "3.2", SA_PROBE_FLAGS, "BEET-mode ESP SAs", run_beet);
