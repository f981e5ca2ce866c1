/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "probe-table.h"
#include "probes.h"

/* Each probe is declared here and listed once below: registering a probe touches this file only. */
extern const Probe probe_api_xfrm_netlink;
extern const Probe probe_api_pfkey_v2;
extern const Probe probe_crypto_algorithms;
extern const Probe probe_api_socket_policy, probe_selector_user;
extern const Probe probe_km_replay_esn, probe_natt_tcp_encap;
extern const Probe probe_proto_esp, probe_proto_ah, probe_proto_ipcomp;
extern const Probe probe_mode_transport, probe_mode_tunnel, probe_mode_beet;
extern const Probe probe_natt_udp_encap;
extern const Probe probe_selector_ports, probe_selector_protocol, probe_selector_mixed_policy;
extern const Probe probe_sa_nested, probe_sa_multicast;
extern const Probe probe_iface_xfrm, probe_iface_vti;
extern const Probe probe_km_ike_daemon, probe_km_acquire_listener;

/* Report order follows RFC 5406: Sections 3.1 to 7, the API first. */
const Probe *const probe_table[] = {
        &probe_api_xfrm_netlink,
        &probe_api_pfkey_v2,
        &probe_api_socket_policy,
        &probe_proto_esp,
        &probe_proto_ah,
        &probe_proto_ipcomp,
        &probe_natt_udp_encap,
        &probe_natt_tcp_encap,
        &probe_crypto_algorithms,
        &probe_mode_transport,
        &probe_mode_tunnel,
        &probe_mode_beet,
        &probe_km_replay_esn,
        &probe_sa_nested,
        &probe_selector_ports,
        &probe_selector_protocol,
        &probe_selector_mixed_policy,
        &probe_selector_user,
        &probe_sa_multicast,
        &probe_km_ike_daemon,
        &probe_km_acquire_listener,
        &probe_iface_xfrm,
        &probe_iface_vti,
        NULL,
};
