/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "probes.h"
#include "trial.h"

typedef struct EncapSockets {
        int fd[ELEMENTSOF(trial_families)];
} EncapSockets;

static void encap_sockets_close(EncapSockets *s) {
        for (size_t i = 0; i < ELEMENTSOF(s->fd); i++)
                if (s->fd[i] >= 0)
                        close(s->fd[i]);
}

/* The receiving half of RFC 3948: a UDP socket the kernel decapsulates ESP on, left open in *ret. */
static void try_encap_socket(uint16_t family, Check *c, int *ret) {
        int type = UDP_ENCAP_ESPINUDP;

        *ret = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
        if (*ret < 0) {
                c->outcome = CHECK_REFUSED;
                c->err = errno;
                return;
        }
        trial_sockopt(c, *ret, SOL_UDP, UDP_ENCAP, &type, sizeof(type), "UDP_ENCAP");
}

/*
 * The first UDP_ENCAP socket on the host turns a static key on (IPv6: two), and
 * the last one's close turns it off, each time patching the kernel's code on
 * every CPU (about 0.1 ms here). The sockets are closed together, when the API
 * checks end, so that each key turns once each way rather than once per family.
 */
static int api_checks(CapResult *res, XfrmNl *xfrm) {
        _cleanup_(encap_sockets_close) EncapSockets held = { .fd = { -1, -1 } };

        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                XfrmSa sa;
                int r;

                r = trial_encap_sa_init(&sa, f, XFRM_MODE_TUNNEL, TRIAL_SPI_NATT + (uint32_t) i, UDP_ENCAP_ESPINUDP);
                if (r < 0)
                        return r;
                r = trial_sa(xfrm, &sa, ADD_CHECK(res, f->name, "ESP-in-UDP SA"));
                if (r < 0)
                        return r;
                try_encap_socket(f->family, ADD_CHECK(res, f->name, "UDP_ENCAP socket option"), &held.fd[i]);
        }
        return 0;
}

static int natt_flows(CapResult *res, Datapath *dp, const TrialFamily *f, uint32_t i) {
        return traffic_natt_flows(res, dp, f, f->name, TRIAL_SPI_FLOW_NATT + 0x10 * i,
                                  (uint16_t) (TRIAL_PORT_FLOW_NATT + i));
}

static int run(const ProbeContext *ctx, CapResult *res) {
        int r = api_checks(res, ctx->xfrm);

        if (r < 0)
                return r;
        if (!ctx->datapath)
                return 0;

        return traffic_each_family(ctx, res, natt_flows);
}

DEFINE_PROBE(probe_natt_udp_encap, "natt.udp_encap", "3.1", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "ESP in UDP (RFC 3948): SA with UDP_ENCAP_ESPINUDP and a UDP_ENCAP socket",
             run);
