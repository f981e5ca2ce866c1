/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"
#include "probe.h"

extern const Probe probe_api_xfrm_netlink;
extern const Probe probe_proto_esp, probe_proto_ah, probe_proto_ipcomp;
extern const Probe probe_mode_transport, probe_mode_tunnel, probe_mode_beet;
extern const Probe probe_natt_udp_encap;
extern const Probe probe_selector_ports, probe_selector_protocol, probe_selector_mixed_policy;
extern const Probe probe_sa_nested, probe_sa_multicast;
extern const Probe probe_iface_xfrm, probe_iface_vti;
extern const Probe probe_km_ike_daemon, probe_km_acquire_listener;

/* Adds a check or fails the probe: a full result is a probe bug. */
#define ADD_CHECK(r, group, what) ({                                    \
        Check *_c = result_add_check((r), (group), (what));             \
        if (!_c)                                                        \
                return -ENOBUFS;                                        \
        _c;                                                             \
})
