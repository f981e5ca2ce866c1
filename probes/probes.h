/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "datapath.h"
#include "macro.h"
#include "probe.h"
#include "trial.h"

/*
 * A probe's definition, the one way to write one: the name probe-table.c
 * lists, the catalogue id, its RFC 5406 section, flags, a summary, run() and
 * optionally ".conclude = fn".
 */
#define DEFINE_PROBE(name_, id_, section_, flags_, summary_, run_, ...)                                 \
        const Probe name_ = {                                                                           \
                .id = id_, .rfc5406_section = section_, .summary = summary_, .flags = flags_, .run = run_, \
                __VA_ARGS__                                                                             \
        }

/* Adds a check or fails the probe: a full result is a probe bug. */
#define ADD_CHECK(r, group, what) ({                                    \
        Check *_c = result_add_check((r), (group), (what));             \
        if (!_c)                                                        \
                return -ENOBUFS;                                        \
        _c;                                                             \
})

/* As ADD_CHECK, for a datapath check. */
#define ADD_DATAPATH_CHECK(r, group, what) ({                           \
        Check *_c = result_add_datapath_check((r), (group), (what));    \
        if (!_c)                                                        \
                return -ENOBUFS;                                        \
        _c;                                                             \
})

/* The datapath stage's shared steps (probes/traffic.c). */

/* Every API (non-datapath) check of group was accepted. */
bool group_accepted(const CapResult *res, const char *group);

/* Opens *dp unless open; on failure records an untried datapath check in group. 1: open, 0: recorded. */
int traffic_open(const ProbeContext *ctx, CapResult *res, const char *group, Datapath **dp);

/*
 * Runs flow for each trial family whose API checks were all accepted (the
 * group named after the family), on one datapath opened for the first.
 * i is the family's index, for distinct SPIs and ports.
 */
typedef int (*FamilyFlow)(CapResult *res, Datapath *dp, const TrialFamily *f, uint32_t i);
int traffic_each_family(const ProbeContext *ctx, CapResult *res, FamilyFlow flow);

/*
 * One UDP flow from A to B through a single SA (proto, mode, spi as reqid)
 * that a policy for UDP to port selects; records a datapath check in group.
 */
int traffic_sa_flow(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint8_t proto,
                    uint8_t mode, uint32_t spi, uint16_t port);

/* False if the kernel cannot open sockets of this transport protocol (SCTP may be missing). */
bool traffic_has_proto(uint16_t family, uint8_t proto);

/*
 * selector.ports and selector.mixed_policy: proto to port through a transport
 * ESP SA (spi) selected by port, both ways, must be ESP on the wire; proto to
 * other_port between the same hosts must stay clear (with bypass: under an
 * explicit lower-priority allow policy). Two datapath checks in group.
 */
int traffic_port_flows(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint8_t proto,
                       uint32_t spi, uint16_t port, uint16_t other_port, bool bypass);

/*
 * sa.nested: UDP through a bundle of inner (ESP or AH, transport, spi) inside
 * outer (tunnel, spi + 1): null-cipher ESP or AH, so the frame shows the inner SA.
 */
int traffic_nested_flow(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint8_t outer,
                        uint8_t inner, uint32_t spi, uint16_t port);

/*
 * The same flow without an inbound policy for the inner packet between the two layers: *ret
 * is true when the kernel then did not carry it (it checks nested packets against the SPD).
 * Records no check: a fact for details, not a verdict.
 */
int traffic_nested_needs_policy(Datapath *dp, const TrialFamily *f, const char *group, uint8_t outer, uint8_t inner,
                                uint32_t spi, uint16_t port, bool *ret);

/* sa.multicast: UDP to the family's group through an ESP SA to the group, received by a member in B. */
int traffic_multicast_flow(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint32_t spi,
                           uint16_t port);

/* natt.udp_encap: UDP through tunnel ESP in UDP/4500 to a UDP_ENCAP socket, and an IKE datagram with the marker. */
int traffic_natt_flows(CapResult *res, Datapath *dp, const TrialFamily *f, const char *group, uint32_t spi,
                       uint16_t port);
