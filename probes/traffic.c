/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
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

int traffic_open(const ProbeContext *ctx, CapResult *res, const char *group, Datapath **ret) {
        int r;

        if (*ret)
                return 1;
        r = datapath_open(ctx->xfrm, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                Check *c = ADD_DATAPATH_CHECK(res, group, "veth pair between two namespaces");
                check_set_untried(c, -r, "could not open the datapath");
                return 0;
        }
        return 1;
}

int traffic_each_family(const ProbeContext *ctx, CapResult *res, FamilyFlow flow) {
        _cleanup_(datapath_freep) Datapath *dp = NULL;

        for (uint32_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                int r;

                if (!group_accepted(res, f->name))
                        continue;
                if ((r = traffic_open(ctx, res, f->name, &dp)) <= 0)
                        return r;
                if ((r = flow(res, dp, f, i)) < 0)
                        return r;
        }
        return 0;
}

/* The A-side policy out selects proto traffic to port: one port per flow, so flows live side by side. */
static void select_port(XfrmPolicy *out, uint8_t proto, uint16_t port) {
        out->sel.proto = proto;
        out->sel.dport = port;
        out->sel.dport_mask = 0xffff;
}

/* One SA and the outbound policy that sends sel_proto traffic to port through it; the SPI is the reqid too. */
static int sa_and_policy(const TrialFamily *f, uint8_t proto, uint8_t mode, uint32_t spi, uint8_t sel_proto,
                         uint16_t port, XfrmSa *sa, XfrmPolicy *out) {
        int r;

        if ((r = trial_sa_init(sa, f, proto, mode, spi)) < 0 || (r = trial_policy_init(out, f, XFRM_POLICY_OUT)) < 0 ||
            (r = trial_policy_add_tmpl(out, f, proto, mode, spi)) < 0)
                return r;
        sa->reqid = spi;
        select_port(out, sel_proto, port);
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
        if ((r = sa_and_policy(f, proto, mode, spi, IPPROTO_UDP, port, &sa, &out)) < 0)
                return r;
        e.sas = &sa;
        if ((r = datapath_protect(dp, &sa, 1, &out, DP_ONE_WAY, c)) <= 0)
                return r;
        return datapath_check(dp, &flow, &e, c);
}

bool traffic_has_proto(uint16_t family, uint8_t proto) {
        _cleanup_close_ int fd = -1;

        if (proto != IPPROTO_SCTP)
                return true;
        fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
        return fd >= 0;
}

int traffic_port_flows(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint8_t proto,
                       uint32_t spi, uint16_t port, uint16_t other_port, bool bypass) {
        const char *name = proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" : "SCTP";
        DpFlow flow = { .family = f, .proto = proto, .port = port };
        DpExpect e = { .kind = FRAME_ESP, .spi = spi, .n_sas = 1 };
        XfrmSa sa;
        XfrmPolicy out;
        char what[64];
        Check *c;
        int r;

        snprintf(what, sizeof(what), "%s to port %u as ESP", name, port);
        c = ADD_DATAPATH_CHECK(res, group, what);
        if ((r = sa_and_policy(f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, spi, proto, port, &sa, &out)) < 0)
                return r;
        out.priority = 100;
        e.sas = &sa;
        /* Both ways: stream set-up needs the answers protected too. */
        if ((r = datapath_protect(dp, &sa, 1, &out, 0, c)) <= 0)
                return r;
        if (bypass) {
                XfrmPolicy pass, back;

                /* Everything else between the two hosts, explicitly allowed in the clear. */
                if ((r = trial_policy_init(&pass, f, XFRM_POLICY_OUT)) < 0 ||
                    (r = trial_policy_init(&back, f, XFRM_POLICY_IN)) < 0)
                        return r;
                pass.priority = back.priority = 200;
                back.dir = XFRM_POLICY_OUT; /* B's outbound: from the peer to the local host */
                if ((r = datapath_add_policy(dp, DP_A, &pass, c)) <= 0 ||
                    (r = datapath_add_policy(dp, DP_B, &back, c)) <= 0)
                        return r;
        }
        if ((r = datapath_check(dp, &flow, &e, c)) < 0)
                return r;

        snprintf(what, sizeof(what), "%s to port %u in the clear", name, other_port);
        c = ADD_DATAPATH_CHECK(res, group, what);
        flow.port = other_port;
        e = (DpExpect) { .kind = datapath_clear_kind(proto) };
        return datapath_check(dp, &flow, &e, c);
}

#define NULL_ICV_BITS 128

/*
 * The inner SA's packet, just decapsulated from the tunnel SA, is itself checked against the
 * inbound SPD on kernels with xfrm_interface loaded: its ESP handler (xfrmi_input() in
 * net/xfrm/xfrm_interface_core.c) calls xfrm_policy_check() on every ESP packet that already
 * carries a secpath, before the inner SA sees it, and with no policy selecting it the packet is
 * dropped (XfrmInNoPols). RFC 4301 asks for that SPD entry anyway: B gets one for the inner
 * protocol between the two hosts, protected by the tunnel SA, unless the flow is run to find out
 * whether the kernel needs it (between = false).
 */
static int nested_flow(Datapath *dp, const TrialFamily *f, uint8_t outer, uint8_t inner, uint32_t spi,
                       uint16_t port, bool between, Check *c) {
        DpFlow flow = { .family = f, .proto = IPPROTO_UDP, .port = port };
        XfrmSa sas[2];
        XfrmPolicy out, mid;
        DpExpect e = {
                .kind = outer == IPPROTO_AH ? FRAME_AH : FRAME_ESP, .spi = spi + 1, .sas = sas, .n_sas = 2,
                .inner_kind = inner == IPPROTO_AH ? FRAME_AH : FRAME_ESP, .inner_spi = spi,
                .null_icv_len = NULL_ICV_BITS / 8,
        };
        int r;

        if ((r = trial_sa_init(&sas[0], f, inner, XFRM_MODE_TRANSPORT, spi)) < 0 ||
            (r = trial_sa_init(&sas[1], f, outer, XFRM_MODE_TUNNEL, spi + 1)) < 0 ||
            (r = trial_policy_init(&out, f, XFRM_POLICY_OUT)) < 0 ||
            (r = trial_policy_add_tmpl(&out, f, inner, XFRM_MODE_TRANSPORT, spi)) < 0 ||
            (r = trial_policy_add_tmpl(&out, f, outer, XFRM_MODE_TUNNEL, spi + 1)) < 0 ||
            (r = trial_policy_init(&mid, f, XFRM_POLICY_OUT)) < 0 ||
            (r = trial_policy_add_tmpl(&mid, f, outer, XFRM_MODE_TUNNEL, spi + 1)) < 0)
                return r;
        sas[0].reqid = spi;
        sas[1].reqid = spi + 1;
        /* RFC 2410's null cipher with integrity: the inner header stays readable on the wire (AH: always). */
        if (outer == IPPROTO_ESP) {
                STRSCPY(sas[1].enc.name, "ecb(cipher_null)");
                sas[1].enc.key_bits = 0;
                sas[1].auth.icv_bits = NULL_ICV_BITS;
        }
        select_port(&out, IPPROTO_UDP, port);
        /* B's inbound view of A's outbound selector, as datapath_protect() builds it. */
        mid.sel.proto = inner;
        mid.dir = XFRM_POLICY_IN;
        if ((r = datapath_protect(dp, sas, 2, &out, DP_ONE_WAY, c)) <= 0)
                return r;
        if (!between)
                return datapath_check(dp, &flow, &e, c);
        /* Only for this flow: the next variant with the same inner protocol needs the selector. */
        if ((r = datapath_add_policy(dp, DP_B, &mid, c)) <= 0 || (r = datapath_check(dp, &flow, &e, c)) < 0)
                return r;
        /* A refusal needs no record here: a policy left in place makes the next variant's EEXIST. */
        r = datapath_del_policy(dp, DP_B, &mid);
        return r == -ENOMEM ? r : 0;
}

int traffic_nested_flow(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint8_t outer,
                        uint8_t inner, uint32_t spi, uint16_t port) {
        char what[64];
        Check *c;

        snprintf(what, sizeof(what), outer == IPPROTO_AH ? "UDP as %s inside tunnel AH" :
                                     "UDP as %s inside null-cipher tunnel ESP", proto_name(inner));
        c = ADD_DATAPATH_CHECK(res, group, what);
        return nested_flow(dp, f, outer, inner, spi, port, true, c);
}

int traffic_nested_needs_policy(Datapath *dp, const TrialFamily *f, const char *group, uint8_t outer, uint8_t inner,
                                uint32_t spi, uint16_t port, bool *ret) {
        Check c = {};
        int r;

        /* Named for IPSEC_AUDIT_FRAME_DUMP's flow labels. */
        STRSCPY(c.group, group);
        STRSCPY(c.what, "without an inbound policy between the layers");
        if ((r = nested_flow(dp, f, outer, inner, spi, port, false, &c)) < 0)
                return r;
        *ret = c.outcome == CHECK_ALTERED;
        return 0;
}

int traffic_multicast_flow(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint32_t spi,
                           uint16_t port) {
        DpFlow flow = { .family = f, .proto = IPPROTO_UDP, .port = port, .to_group = true };
        XfrmSa sa;
        XfrmPolicy out;
        DpExpect e = { .kind = FRAME_ESP, .spi = spi, .sas = &sa, .n_sas = 1 };
        char what[64];
        Check *c;
        int r;

        snprintf(what, sizeof(what), "UDP to %s as ESP, delivered to a member", f->group);
        c = ADD_DATAPATH_CHECK(res, group, what);
        if ((r = sa_and_policy(f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, spi, IPPROTO_UDP, port, &sa, &out)) < 0 ||
            (r = xfrm_addr(f->family, f->group, &sa.daddr)) < 0 ||
            (r = xfrm_addr(f->family, f->group, &out.sel.daddr)) < 0)
                return r;
        if ((r = datapath_protect(dp, &sa, 1, &out, DP_ONE_WAY, c)) <= 0)
                return r;
        return datapath_check(dp, &flow, &e, c);
}

int traffic_natt_flows(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint32_t spi,
                       uint16_t port) {
        DpFlow flow = { .family = f, .proto = IPPROTO_UDP, .port = port, .encap_receiver = true };
        XfrmSa sa;
        XfrmPolicy out;
        DpExpect e = { .kind = FRAME_ESP_IN_UDP, .spi = spi, .sas = &sa, .n_sas = 1 };
        Check *c;
        int r;

        c = ADD_DATAPATH_CHECK(res, group, "UDP as ESP in UDP/4500, decapsulated by a UDP_ENCAP socket");
        if ((r = sa_and_policy(f, IPPROTO_ESP, XFRM_MODE_TUNNEL, spi, IPPROTO_UDP, port, &sa, &out)) < 0)
                return r;
        sa.encap = true;
        sa.encap_type = UDP_ENCAP_ESPINUDP;
        sa.encap_sport = sa.encap_dport = FRAME_NATT_PORT;
        if ((r = datapath_protect(dp, &sa, 1, &out, DP_ONE_WAY, c)) <= 0 || (r = datapath_check(dp, &flow, &e, c)) < 0)
                return r;

        /* RFC 3948 2.2: a datagram with the non-ESP marker is IKE, handed to the socket as is. */
        c = ADD_DATAPATH_CHECK(res, group, "non-ESP-marker datagram delivered to the UDP_ENCAP socket");
        flow = (DpFlow) { .family = f, .proto = IPPROTO_UDP, .port = FRAME_NATT_PORT, .ike_marker = true };
        e = (DpExpect) { .kind = FRAME_IKE_IN_UDP };
        return datapath_check(dp, &flow, &e, c);
}
