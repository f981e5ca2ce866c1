/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame-classify.h"
#include "result.h"
#include "trial.h"
#include "xfrm.h"

/*
 * The datapath stage: two fresh network namespaces, A and B, created inside
 * the probe's own private namespace and joined by a veth pair (libnl-route-3).
 * A holds the trial families' local and gw_local addresses, B the peer and
 * gw_peer ones, so trial SAs and policies work unchanged between them. Real
 * traffic goes from A to B; an AF_PACKET socket on A's veth sees it on the
 * wire, the receiving socket in B sees what was delivered, and GETSA reads
 * the SA counters on both sides. Everything dies with the probe process.
 * Nothing is built until a flow needs it: the first datapath_protect() whose
 * SAs the kernel accepts (tried first in the probe's own namespace), or the
 * first datapath_send(). The other calls come after one of those.
 */
typedef struct Datapath Datapath;

typedef enum DpSide {
        DP_A, /* sender: the trial families' local side */
        DP_B, /* receiver: the peer side */
        _DP_SIDE_MAX,
} DpSide;

/*
 * Builds nothing yet (see above). probe_xfrm is the probe's own socket, in the
 * namespace the caller is in, borrowed for as long as the datapath is open.
 */
int datapath_open(XfrmNl *probe_xfrm, Datapath **ret);
void datapath_free(Datapath *dp);
static inline void datapath_freep(Datapath **dp) {
        if (*dp)
                datapath_free(*dp);
}

/*
 * Builds the datapath if needed. Positive errno if it could not be built, or
 * if the family's addresses could not be configured (e.g. IPv6 disabled), else 0.
 */
int datapath_family_error(Datapath *dp, uint16_t family);

typedef enum DpProtectFlags {
        DP_ONE_WAY = 1 << 0, /* only A to B (multicast): no reverse SAs and policies */
} DpProtectFlags;

/*
 * Protects traffic as out (an A-side outbound policy) selects it, with the SAs
 * sas[] (A to B, in template order): the SAs go into both namespaces, out and
 * the matching inbound policy into A and B, and (unless DP_ONE_WAY) mirrored
 * SAs (SPI + TRIAL_SPI_REVERSE) and policies for the way back. A refusal is recorded in
 * c as untried ("could not send"), with the capability it needed in
 * blocked_by; so are a datapath that could not be built and a family whose
 * addresses could not be configured on it. Returns 1 when all is in place, 0
 * when a refusal was recorded, a negative errno for our own faults.
 */
int datapath_protect(Datapath *dp, const XfrmSa *sas, size_t n_sas, const XfrmPolicy *out, unsigned flags, Check *c);

/* Installs one policy in one namespace only (a bypass policy, ...); same return convention. */
int datapath_add_policy(Datapath *dp, DpSide side, const XfrmPolicy *p, Check *c);

/* Removes a policy datapath_add_policy() installed, so that another may take its selector: 0 or -errno. */
int datapath_del_policy(Datapath *dp, DpSide side, const XfrmPolicy *p);

/* One message from A to B. */
typedef struct DpFlow {
        const TrialFamily *family;
        uint8_t proto;       /* IPPROTO_UDP, IPPROTO_TCP, IPPROTO_SCTP */
        uint16_t port;       /* destination port in B */
        bool to_group;       /* send to the family's multicast group, received by a member in B */
        bool encap_receiver; /* B also holds a UDP_ENCAP_ESPINUDP socket on port 4500 */
        bool ike_marker;     /* UDP to B's UDP_ENCAP socket on port 4500, starting with the non-ESP marker */
} DpFlow;

#define DP_MAX_FRAMES 32

/* What one flow did. */
typedef struct DpTrace {
        int err;              /* positive errno: setting up a socket failed (step says which): untried */
        const char *step;     /* static string */
        bool delivered;       /* the payload arrived intact at B's socket */
        int lost_err;         /* positive errno: the traffic itself failed (lost_step: send, connection set-up, ...) */
        const char *lost_step;
        unsigned n_frames;
        FrameInfo frames[DP_MAX_FRAMES]; /* frames seen on A's veth, both directions */
        uint8_t raw[DP_MAX_FRAMES][1600];
        size_t raw_len[DP_MAX_FRAMES];
} DpTrace;

/*
 * Sends flow and captures. Socket failures are in ret->err (a kernel without
 * SCTP answers EPROTONOSUPPORT); the return value is negative only for our
 * faults. With IPSEC_AUDIT_FRAME_DUMP=FILE in the environment every captured
 * frame is appended to FILE as one hex line after a "# label" line: the
 * format of tests/fixtures/.
 */
int datapath_send(Datapath *dp, const DpFlow *flow, const char *label, DpTrace *ret);

/* What the wire and the receiver must show for a flow to count. */
typedef struct DpExpect {
        FrameKind kind;     /* FRAME_ESP, FRAME_AH, FRAME_ESP_IN_UDP; any other kind: frames of the flow must have it */
        uint32_t spi;       /* protected kinds: the outermost SA's SPI */
        const XfrmSa *sas;  /* protected kinds: SAs whose counters must move on both sides */
        size_t n_sas;
        /* ESP with the null cipher: the inner packet must be this kind (0: not checked) with inner_spi. */
        FrameKind inner_kind;
        uint32_t inner_spi;
        size_t null_icv_len;
} DpExpect;

/*
 * Sends flow and records in c (a datapath check) whether everything in e was
 * seen: ACCEPTED, or ALTERED with a note naming what was missing, or UNTRIED
 * when the traffic could not be sent.
 */
int datapath_check(Datapath *dp, const DpFlow *flow, const DpExpect *e, Check *c);

/* Reads an SA's counters in one namespace. Kernel refusals in ans. */
int datapath_sa_counters(Datapath *dp, DpSide side, const XfrmSa *sa, XfrmSa *ret, XfrmAnswer *ans);

/* The frame kind a flow of this transport protocol has when it is not protected. */
FrameKind datapath_clear_kind(uint8_t proto);
