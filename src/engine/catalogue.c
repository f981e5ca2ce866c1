/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "catalogue.h"
#include "macro.h"

#define LIST(...) ((const char *const[]) { __VA_ARGS__, NULL })

const CatalogueEntry catalogue[] = {
        {
                .id = "api.xfrm_netlink",
                .question = "Is the XFRM netlink API (NETLINK_XFRM) usable?",
                .references = "RFC 5406 Sections 3.4 and 4",
                .impact = "Without it no key manager (strongSwan, libreswan, iproute2) can configure IPsec on this host.",
                .remedy = "Build the kernel with the XFRM user configuration interface.",
                .measure = "Opens a NETLINK_XFRM socket in the private namespace and asks XFRM_MSG_GETSADINFO and "
                           "XFRM_MSG_GETSPDINFO; every other active probe then configures through it.",
                .partial = "Not used: the socket answers both queries or it does not.",
                .kernel_config = LIST("CONFIG_XFRM_USER"),
                .modules = LIST("xfrm_user"),
        },
        {
                .id = "api.pfkey_v2",
                .question = "Is a PF_KEY v2 socket (RFC 2367) usable, and which algorithms does SADB_REGISTER list?",
                .references = "RFC 2367; RFC 5406 Sections 3.4 and 4",
                .impact = "Legacy key managers (racoon, older isakmpd ports) cannot work; modern ones use XFRM netlink.",
                .remedy = "Enable PF_KEY only for legacy key managers; it is deprecated in Linux.",
                .measure = "Opens a PF_KEY_V2 socket and sends SADB_REGISTER for ESP and for AH; the algorithms each "
                           "reply lists go to details. Where XFRM netlink is missing, the other probes' trials go "
                           "through this socket.",
                .partial = "The socket opens but SADB_REGISTER is refused for ESP or for AH.",
                .kernel_config = LIST("CONFIG_NET_KEY"),
                .modules = LIST("af_key"),
        },
        {
                .id = "api.socket_policy",
                .question = "Can an application request IPsec per socket (IP_XFRM_POLICY / IPV6_XFRM_POLICY)?",
                .references = "RFC 5406 Sections 3.4 and 5",
                .impact = "Applications cannot ask for IPsec themselves; only an administrator's SPD can protect them.",
                .remedy = "Build the kernel with XFRM and the XFRM user interface.",
                .measure = "Sets IP_XFRM_POLICY on an IPv4 UDP socket and IPV6_XFRM_POLICY on an IPv6 one, each with "
                           "an ESP transport template, in the private namespace.",
                .partial = "One family's socket takes the policy, the other's does not (IPv6 disabled, for one).",
                .kernel_config = LIST("CONFIG_XFRM", "CONFIG_XFRM_USER"),
                .modules = LIST("xfrm_user"),
        },
        {
                .id = "proto.esp",
                .question = "Can ESP SAs be installed, for IPv4 and IPv6?",
                .references = "RFC 4303; RFC 5406 Section 3.1",
                .impact = "No confidentiality from IPsec at all: ESP is the only IPsec protocol that encrypts.",
                .remedy = "Build or load the ESP transforms; the algorithms they use are crypto.algorithms' finding.",
                .measure = "Installs a transport ESP SA in IPv4 and in IPv6 with the first algorithm suite the "
                           "kernel accepts and reads it back; then sends UDP through transport and tunnel ESP over a "
                           "veth pair between two namespaces (datapath flows), seen as ESP on the wire and "
                           "delivered.",
                .partial = "One family works and the other does not (esp4 without esp6), or the SAs install but a "
                           "datapath flow did not carry its packets as configured.",
                .kernel_config = LIST("CONFIG_INET_ESP", "CONFIG_INET6_ESP"),
                .modules = LIST("esp4", "esp6"),
        },
        {
                .id = "proto.ah",
                .question = "Can AH SAs be installed, for IPv4 and IPv6?",
                .references = "RFC 4302; RFC 5406 Section 3.1",
                .impact = "Protocols that need the IP header itself authenticated (RFC 5406 Section 3.1) cannot be protected.",
                .remedy = "Build or load the AH transforms.",
                .measure = "Installs a transport AH SA in IPv4 and in IPv6 (HMAC-SHA2-256, else another integrity "
                           "algorithm) and reads it back; then sends UDP through transport and tunnel AH over the "
                           "veth pair (datapath flows).",
                .partial = "One family works and the other does not, or a datapath flow did not carry its packets as "
                           "configured.",
                .kernel_config = LIST("CONFIG_INET_AH", "CONFIG_INET6_AH", "CONFIG_CRYPTO_HMAC", "CONFIG_CRYPTO_SHA256"),
                .modules = LIST("ah4", "ah6"),
        },
        {
                .id = "proto.ipcomp",
                .question = "Can IPComp SAs be installed, for IPv4 and IPv6?",
                .references = "RFC 3173; RFC 5406 Section 3.1",
                .impact = "Payload compression cannot be negotiated; IKE peers proposing IPComp fall back to none.",
                .remedy = "Build or load the IPComp transforms and the deflate compressor.",
                .measure = "Installs a transport IPComp SA in IPv4 and in IPv6 (deflate, else LZS or LZJH) and reads "
                           "it back. No datapath flow.",
                .partial = "One family works and the other does not.",
                .kernel_config = LIST("CONFIG_INET_IPCOMP", "CONFIG_INET6_IPCOMP", "CONFIG_CRYPTO_DEFLATE"),
                .modules = LIST("ipcomp", "ipcomp6", "xfrm_ipcomp", "deflate"),
        },
        {
                .id = "mode.transport",
                .question = "Can SAs run in transport mode (point-to-point)?",
                .references = "RFC 4301 Section 4.1; RFC 5406 Section 3.2",
                .impact = "Host-to-host protection of a protocol's own traffic, the mode RFC 5406 prefers for it, is impossible.",
                .remedy = "Provide ESP or AH (see proto.esp, proto.ah); transport mode is part of the XFRM core.",
                .measure = "Installs transport ESP SAs in IPv4 and IPv6 (AH ones too, optional) and sends UDP "
                           "through them over the veth pair (datapath flows). ESP decides the verdict.",
                .partial = "ESP transport works in one family only, only the optional AH variant works, or a "
                           "datapath flow was not carried.",
                .kernel_config = LIST("CONFIG_INET_ESP", "CONFIG_INET6_ESP", "CONFIG_INET_AH", "CONFIG_INET6_AH"),
                .modules = LIST("esp4", "esp6", "ah4", "ah6"),
        },
        {
                .id = "mode.tunnel",
                .question = "Can SAs run in tunnel mode (VPN)?",
                .references = "RFC 4301 Section 4.1; RFC 5406 Section 3.2",
                .impact = "No VPN or gateway use of IPsec.",
                .remedy = "Provide ESP or AH (see proto.esp, proto.ah); tunnel mode is part of the XFRM core.",
                .measure = "Installs tunnel ESP SAs in IPv4 and IPv6 (AH ones too, optional) and sends UDP through "
                           "them over the veth pair (datapath flows). ESP decides the verdict.",
                .partial = "ESP tunnel works in one family only, only the optional AH variant works, or a datapath "
                           "flow was not carried.",
                .kernel_config = LIST("CONFIG_INET_ESP", "CONFIG_INET6_ESP", "CONFIG_INET_AH", "CONFIG_INET6_AH"),
                .modules = LIST("esp4", "esp6", "ah4", "ah6"),
        },
        {
                .id = "mode.beet",
                .question = "Can ESP SAs run in BEET mode?",
                .references = "RFC 7402 (HIP); draft-nikander-esp-beet-mode",
                .impact = "HIP and other identifier/locator protocols cannot use the kernel's ESP.",
                .remedy = "Provide ESP (see proto.esp); BEET is part of the XFRM core.",
                .measure = "Installs a BEET-mode ESP SA in IPv4 and in IPv6 and reads it back. No datapath flow.",
                .partial = "BEET works in one family only.",
                .kernel_config = LIST("CONFIG_INET_ESP", "CONFIG_INET6_ESP"),
                .modules = LIST("esp4", "esp6"),
        },
        {
                .id = "crypto.algorithms",
                .question = "Which encryption, integrity, AEAD and compression algorithms do SAs accept?",
                .references = "RFC 8221; RFC 5406 Section 3.1",
                .impact = "Peers whose mandatory algorithms are missing cannot agree on an SA.",
                .remedy = "Build or load the crypto algorithms the protocol's profile mandates, and the templates ESP "
                          "wraps them in (authenc, seqiv, echainiv; details.template_missing names the missing one).",
                .measure = "Installs one ESP SA per algorithm (encryption, integrity, AEAD; IPComp compressors) in "
                           "IPv4, and in IPv6 where the IPv4 transform is missing; a refusal with ENOENT is traced "
                           "to the missing crypto template through AF_ALG (details.template_missing).",
                .partial = "Some algorithms are accepted but not both RFC 8221 mandatory suites (AES-GCM; AES-CBC "
                           "with HMAC-SHA2-256).",
                .kernel_config = LIST("CONFIG_CRYPTO_GCM", "CONFIG_CRYPTO_AUTHENC", "CONFIG_CRYPTO_CHACHA20POLY1305",
                                      "CONFIG_CRYPTO_SEQIV", "CONFIG_CRYPTO_ECHAINIV"),
                .modules = LIST("gcm", "authenc", "chacha20poly1305", "seqiv", "echainiv"),
        },
        {
                .id = "natt.udp_encap",
                .question = "Is ESP in UDP (RFC 3948) available: SAs with UDP_ENCAP_ESPINUDP and UDP_ENCAP sockets?",
                .references = "RFC 3948; RFC 5406 Section 3.1",
                .impact = "IPsec cannot cross NAT, which RFC 5406 says covers almost all user-to-server traffic.",
                .remedy = "Provide ESP (see proto.esp); ESP-in-UDP is part of the ESP transforms.",
                .measure = "Installs ESP SAs with UDP_ENCAP_ESPINUDP (port 4500) and sets UDP_ENCAP on a UDP socket, "
                           "IPv4 and IPv6; then sends UDP as ESP in UDP/4500, decapsulated by the UDP_ENCAP socket, "
                           "and a non-ESP-marker datagram that must reach that socket (datapath flows).",
                .partial = "One family works and the other does not, or a datapath flow was not carried.",
                .kernel_config = LIST("CONFIG_INET_ESP", "CONFIG_INET6_ESP"),
                .modules = LIST("esp4", "esp6"),
        },
        {
                .id = "natt.tcp_encap",
                .question = "Is ESP in TCP (RFC 8229) available?",
                .references = "RFC 8229",
                .impact = "IPsec cannot cross networks that block UDP.",
                .remedy = "Build the kernel with ESP-in-TCP.",
                .measure = "Installs ESP SAs with TCP_ENCAP_ESPINTCP and sets the espintcp TCP_ULP on a connected "
                           "TCP socket, IPv4 and IPv6. No datapath flow.",
                .partial = "One family works and the other does not.",
                .kernel_config = LIST("CONFIG_INET_ESPINTCP", "CONFIG_INET6_ESPINTCP"),
                .modules = LIST("esp4", "esp6"),
        },
        {
                .id = "km.replay_esn",
                .question = "Are replay windows and extended sequence numbers supported?",
                .references = "RFC 4303 Section 2.2.1; RFC 5406 Section 3.3",
                .impact = "High-rate SAs must rekey often, and replay protection is weaker.",
                .remedy = "Use a kernel with XFRMA_REPLAY_ESN_VAL support (2.6.39 and later).",
                .measure = "Installs ESP SAs with a replay window of 32, and with extended sequence numbers and a "
                           "window of 128 (XFRMA_REPLAY_ESN_VAL), IPv4 and IPv6, and reads them back.",
                .partial = "Replay windows work but ESN does not, or one family only.",
                .kernel_config = LIST("CONFIG_XFRM_USER"),
                .modules = LIST("xfrm_user"),
        },
        {
                .id = "km.ike_daemon",
                .question = "Is an IKE daemon listening on UDP 500/4500, and which process?",
                .references = "RFC 7296; RFC 5406 Section 3.3",
                .impact = "Only manual keying, without replay protection, is possible.",
                .remedy = "Install and start an IKE daemon (strongSwan's charon, libreswan's pluto).",
                .measure = "Reads the host's sockets with sock_diag (read-only, in the host's namespace): a socket "
                           "on UDP 500, UDP 4500 or TCP 4500, and the process that owns it.",
                .partial = "Not used.",
                .available = "A socket listens on an IKE port; details name the process.",
                .unavailable = "No socket listens on UDP 500, UDP 4500 or TCP 4500 in the host's namespace.",
                .kernel_config = LIST("CONFIG_XFRM_USER"),
                .modules = LIST("xfrm_user"),
        },
        {
                .id = "km.acquire_listener",
                .question = "Is a key manager subscribed to XFRM acquire events?",
                .references = "RFC 4301 Section 4.4; RFC 5406 Section 3.3",
                .impact = "Traffic that matches a policy without an SA is dropped instead of triggering negotiation.",
                .remedy = "Start a key manager that listens for XFRM acquires.",
                .measure = "Reads /proc/net/netlink (read-only, in the host's namespace) for a NETLINK_XFRM socket "
                           "subscribed to XFRMNLGRP_ACQUIRE, and the process that owns it.",
                .partial = "Not used.",
                .available = "A netlink socket is subscribed to XFRM acquire events; details name the process.",
                .unavailable = "No NETLINK_XFRM socket in the host's namespace is subscribed to acquire events.",
                .kernel_config = LIST("CONFIG_XFRM_USER"),
                .modules = LIST("xfrm_user"),
        },
        {
                .id = "selector.ports",
                .question = "Can policies select TCP, UDP and SCTP ports?",
                .references = "RFC 3554; RFC 5406 Sections 5 and 6",
                .impact = "Protection is all-or-nothing between two hosts (RFC 5406 Section 6).",
                .remedy = "Use a kernel whose XFRM selectors carry ports (every Linux XFRM kernel does).",
                .measure = "Installs destination-port policies for TCP, UDP and SCTP, IPv4 and IPv6, and reads them "
                           "back; then sends each protocol to port 179 (must leave as ESP) and to port 180 (must "
                           "pass in the clear) over the veth pair (datapath flows).",
                .partial = "Some protocols or one family only, or a datapath flow was not carried as its policy "
                           "says.",
                .kernel_config = LIST("CONFIG_XFRM"),
                .modules = LIST(NULL),
        },
        {
                .id = "selector.protocol",
                .question = "Can policies select an IP protocol alone?",
                .references = "RFC 4301 Section 4.4.1; RFC 5406 Section 6",
                .impact = "Protocols carried directly over IP (GRE, OSPF) cannot be protected selectively.",
                .remedy = "Use a kernel whose XFRM selectors carry the protocol (every Linux XFRM kernel does).",
                .measure = "Installs a GRE-only policy (protocol selector, no ports) in IPv4 and IPv6 and reads it "
                           "back. No datapath flow.",
                .partial = "One family works and the other does not.",
                .kernel_config = LIST("CONFIG_XFRM"),
                .modules = LIST(NULL),
        },
        {
                .id = "selector.mixed_policy",
                .question = "Can some traffic be protected while other traffic between the same two hosts passes?",
                .references = "RFC 5406 Section 6",
                .impact = "Protecting one protocol forces every other protocol between the hosts through IPsec too.",
                .remedy = "Use a kernel with prioritised XFRM policies (every Linux XFRM kernel has them).",
                .measure = "Installs a protected TCP/179 policy and a bypass policy for other traffic between the "
                           "same two addresses, IPv4 and IPv6; then sends TCP to port 179 (must leave as ESP) and to "
                           "port 180 (must pass in the clear) over the veth pair (datapath flows).",
                .partial = "One family works and the other does not, or a datapath flow was not carried as its "
                           "policy says.",
                .kernel_config = LIST("CONFIG_XFRM"),
                .modules = LIST(NULL),
        },
        {
                .id = "selector.user",
                .question = "Is user- or context-granularity available (per-socket policy, security contexts)?",
                .references = "RFC 5406 Section 5",
                .impact = "Two users on one host cannot be given different protection or credentials.",
                .remedy = "Enable labeled IPsec (SELinux) or use per-socket policies.",
                .measure = "Sets a per-socket policy (IP_XFRM_POLICY) on a UDP socket, and installs a policy with a "
                           "security context (XFRMA_SEC_CTX) and reads it back.",
                .partial = "One of the two works: typically per-socket policy without an XFRM-aware security module.",
                .kernel_config = LIST("CONFIG_SECURITY_NETWORK_XFRM"),
                .modules = LIST(NULL),
        },
        {
                .id = "sa.nested",
                .question = "Can a policy bundle two or more SAs (RFC 2401 Section 4.5, Case 4)?",
                .references = "RFC 2401 Section 4.5; RFC 5406 Section 4",
                .impact = "A telecommuter inside a VPN cannot add end-to-end IPsec to a host behind the gateway.",
                .remedy = "Provide the transforms for both layers (see proto.esp, proto.ah).",
                .measure = "Installs a policy bundle of two templates with their SAs (inner transport, outer "
                           "tunnel): ESP in ESP, IPv4 and IPv6 (AH in ESP and AH in AH optional); then sends UDP "
                           "through each bundle over the veth pair (datapath flows). ESP in ESP decides the verdict.",
                .partial = "ESP in ESP works in one family only, only an optional AH variant works, or a datapath "
                           "flow was not carried.",
                .kernel_config = LIST("CONFIG_INET_ESP", "CONFIG_INET6_ESP", "CONFIG_INET_AH", "CONFIG_INET6_AH"),
                .modules = LIST("esp4", "esp6", "ah4", "ah6"),
        },
        {
                .id = "sa.multicast",
                .question = "Can SAs and policies protect multicast destinations (RFC 5374)?",
                .references = "RFC 5374; RFC 5406 Section 7",
                .impact = "Multicast protocols cannot be protected with IPsec on this host.",
                .remedy = "Provide ESP (see proto.esp); group SAs need no further kernel support.",
                .measure = "Installs an ESP SA and a policy for a multicast group (239.1.1.1, ff0e::1234), then "
                           "sends UDP to the group as ESP, delivered to a member over the veth pair (datapath "
                           "flows).",
                .partial = "One family works and the other does not, or a datapath flow was not carried.",
                .kernel_config = LIST("CONFIG_INET_ESP", "CONFIG_INET6_ESP"),
                .modules = LIST("esp4", "esp6"),
        },
        {
                .id = "iface.xfrm",
                .question = "Can xfrm interfaces (route-based VPN) be created?",
                .references = "RFC 5406 Section 4",
                .impact = "Route-based VPNs need policy-based workarounds.",
                .remedy = "Build or load xfrm interfaces.",
                .measure = "Creates an xfrm interface (RTM_NEWLINK type xfrm with an if_id) in the private "
                           "namespace, reads it back and deletes it.",
                .partial = "Not used.",
                .kernel_config = LIST("CONFIG_XFRM_INTERFACE"),
                .modules = LIST("xfrm_interface"),
        },
        {
                .id = "iface.vti",
                .question = "Can VTI interfaces be created?",
                .references = "RFC 5406 Section 4",
                .impact = "Route-based VPNs that expect VTI devices do not work.",
                .remedy = "Build or load VTI.",
                .measure = "Creates a vti (IPv4) and a vti6 (IPv6) interface with RTM_NEWLINK in the private "
                           "namespace, reads them back and deletes them.",
                .partial = "One of vti and vti6 can be created.",
                .kernel_config = LIST("CONFIG_NET_IPVTI", "CONFIG_IPV6_VTI"),
                .modules = LIST("ip_vti", "ip6_vti"),
        },
};

const unsigned catalogue_size = ELEMENTSOF(catalogue);

const CatalogueEntry *catalogue_find(const char *id) {
        for (unsigned i = 0; i < catalogue_size; i++)
                if (strcmp(catalogue[i].id, id) == 0)
                        return &catalogue[i];
        return NULL;
}

int remedy_for(const char *id, const CapResult *r, Remedy *ret) {
        static const char *const none[] = { NULL };
        const CatalogueEntry *e = catalogue_find(id), *first = NULL;
        const char *host = host_cause_remedy(r->cause);
        size_t len = 0;

        if (!e)
                return -ENOENT;
        *ret = (Remedy) { .impact = e->impact, .kernel_config = e->kernel_config, .modules = e->modules };
        if (host) {
                strbuf_appendf(ret->text, sizeof(ret->text), &len, "%s", host);
                ret->kernel_config = none;
                return 0;
        }
        for (unsigned i = 0; i < r->n_blocked_by; i++) {
                const CatalogueEntry *b = catalogue_find(r->blocked_by[i]);

                if (!b)
                        continue;
                strbuf_appendf(ret->text, sizeof(ret->text), &len, "%s%s: %s", first ? " " : "Provide ",
                               b->id, b->remedy);
                first = first ?: b;
        }
        if (first) {
                ret->kernel_config = first->kernel_config;
                ret->modules = first->modules;
        } else
                strbuf_appendf(ret->text, sizeof(ret->text), &len, "%s", e->remedy);
        return 0;
}
