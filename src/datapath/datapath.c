/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "datapath.h"
#include "host-cause.h"
#include "macro.h"
#include "nl-route.h"

#define IFNAME_A "dp-a"
#define IFNAME_B "dp-b"
/* A frame normally arrives in microseconds, and a frame B's XFRM input drops moves its drop
 * counters as it happens: the wait ends on either. The timeout only bounds a wait with no such
 * evidence (a kernel without CONFIG_XFRM_STATISTICS, a frame lost before B): under qemu TCG on a
 * loaded host the guest stalls for a second or more, and 3 s also outlasts TCP's first SYN
 * retransmission, so one stall does not turn into a different verdict. */
#define TIMEOUT_MS 3000
/* How often a wait looks at B's drop counters. */
#define DROP_CHECK_MS 10
#define XFRM_STAT "/proc/net/xfrm_stat"
#define NATT_PORT 4500
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static const char payload[] = "ipsec-audit datapath probe";

struct Datapath {
        int ns_orig;
        XfrmNl *xfrm_orig; /* the probe's own socket (borrowed): a flow's SAs are tried there first */
        bool built;        /* the namespaces and the link were made, or build_err says why not */
        int build_err;
        int ns[_DP_SIDE_MAX];
        int ifindex[_DP_SIDE_MAX];
        XfrmNl *xfrm[_DP_SIDE_MAX];
        int family_err[2]; /* IPv4, IPv6 */
        char family_note[2][128]; /* a host setting that explains family_err, or "" */
        int capture;       /* AF_PACKET on A's veth, opened on the first flow and kept */
        int xfrm_stat;     /* B's /proc/net/xfrm_stat, -1 without CONFIG_XFRM_STATISTICS */
        uint64_t drops;    /* B's XFRM input drops when the current flow started */
};

static void rtnl_addr_putp(struct rtnl_addr **a) {
        if (*a)
                rtnl_addr_put(*a);
}

static void nl_addr_putp(struct nl_addr **a) {
        if (*a)
                nl_addr_put(*a);
}

static int enter(Datapath *dp, DpSide side) {
        return setns(dp->ns[side], CLONE_NEWNET) < 0 ? -errno : 0;
}

static int route_socket(struct nl_sock **ret) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
        int r;

        if (!sk)
                return -ENOMEM;
        if ((r = nl_connect(sk, NETLINK_ROUTE)) < 0)
                return nl_errno(r);
        *ret = TAKE_PTR(sk);
        return 0;
}

/* A fresh namespace; the caller stays in it. */
static int new_namespace(int *ret) {
        int fd;

        if (unshare(CLONE_NEWNET) < 0)
                return -errno;
        fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret = fd;
        return 0;
}

static int add_address(struct nl_sock *sk, int ifindex, uint16_t family, const char *addr) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *a = rtnl_addr_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *local = NULL;
        char text[64];
        int r;

        if (!a)
                return -ENOMEM;
        /* /24 and /64 make the peer and the gateway on-link: no routes needed. */
        snprintf(text, sizeof(text), "%s/%u", addr, family == AF_INET ? 24 : 64);
        if ((r = nl_addr_parse(text, family, &local)) < 0)
                return nl_errno(r);
        rtnl_addr_set_ifindex(a, ifindex);
        rtnl_addr_set_family(a, family);
        if ((r = rtnl_addr_set_local(a, local)) < 0)
                return nl_errno(r);
        /* Duplicate address detection would hold IPv6 traffic for a second or more. */
        if (family == AF_INET6)
                rtnl_addr_set_flags(a, IFA_F_NODAD);
        return nl_errno(rtnl_addr_add(sk, a, 0));
}

static int family_index(uint16_t family) {
        return family == AF_INET6 ? 1 : 0;
}

static int configure_side(Datapath *dp, DpSide side) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(rtnl_link_putp) struct rtnl_link *change = NULL, *link = NULL;
        const char *name = side == DP_A ? IFNAME_A : IFNAME_B;
        int r, pfkey_err;

        if ((r = enter(dp, side)) < 0 || (r = route_socket(&sk)) < 0)
                return r;
        if ((r = rtnl_link_get_kernel(sk, 0, name, &link)) < 0)
                return nl_errno(r);
        /* Opened here, it stays B's file whichever namespace reads it later. */
        if (side == DP_B && (dp->xfrm_stat = open(XFRM_STAT, O_RDONLY | O_CLOEXEC)) < 0 && errno != ENOENT)
                return -errno;
        dp->ifindex[side] = rtnl_link_get_ifindex(link);
        change = rtnl_link_alloc();
        if (!change)
                return -ENOMEM;
        rtnl_link_set_flags(change, IFF_UP);
        if ((r = rtnl_link_change(sk, link, change, 0)) < 0)
                return nl_errno(r);

        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                int k = family_index(f->family);
                int *err = &dp->family_err[k];

                if (*err)
                        continue;
                r = add_address(sk, dp->ifindex[side], f->family, side == DP_A ? f->local : f->peer);
                if (r >= 0)
                        r = add_address(sk, dp->ifindex[side], f->family, side == DP_A ? f->gw_local : f->gw_peer);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        *err = -r;
                        if (r == -EACCES && f->family == AF_INET6)
                                (void) host_ipv6_off("", name, dp->family_note[k], sizeof(dp->family_note[k]));
                }
        }
        /* The API the probe's own trials used: PF_KEY where the kernel has no XFRM netlink. */
        return xfrm_open(&dp->xfrm[side], &pfkey_err);
}

/* Both namespaces, the veth pair between them and its addresses; the caller is left in A. */
static int make_link(Datapath *dp) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(rtnl_link_putp) struct rtnl_link *veth = NULL;
        struct rtnl_link *peer;
        int r;

        if ((r = new_namespace(&dp->ns[DP_B])) < 0 || (r = new_namespace(&dp->ns[DP_A])) < 0)
                return r;

        /* Created in A with its peer moved straight into B. */
        if ((r = route_socket(&sk)) < 0)
                return r;
        veth = rtnl_link_veth_alloc();
        if (!veth)
                return -ENOMEM;
        rtnl_link_set_name(veth, IFNAME_A);
        peer = rtnl_link_veth_get_peer(veth);
        rtnl_link_set_name(peer, IFNAME_B);
        rtnl_link_set_ns_fd(peer, dp->ns[DP_B]);
        rtnl_link_put(peer);
        if ((r = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL)) < 0)
                return nl_errno(r);

        if ((r = configure_side(dp, DP_B)) < 0 || (r = configure_side(dp, DP_A)) < 0)
                return r;
        return 0;
}

/* Made once, by the first flow that needs it: later calls return that attempt's result. */
static int build(Datapath *dp) {
        if (!dp->built) {
                dp->built = true;
                dp->build_err = make_link(dp);
        }
        return dp->build_err;
}

int datapath_open(XfrmNl *probe_xfrm, Datapath **ret) {
        _cleanup_(datapath_freep) Datapath *dp = NULL;

        dp = calloc(1, sizeof(*dp));
        if (!dp)
                return -ENOMEM;
        dp->ns[DP_A] = dp->ns[DP_B] = dp->capture = dp->xfrm_stat = -1;
        dp->ns_orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (dp->ns_orig < 0)
                return -errno;
        dp->xfrm_orig = probe_xfrm;
        *ret = TAKE_PTR(dp);
        return 0;
}

void datapath_free(Datapath *dp) {
        if (dp->capture >= 0)
                close(dp->capture);
        if (dp->xfrm_stat >= 0)
                close(dp->xfrm_stat);
        for (int s = 0; s < _DP_SIDE_MAX; s++) {
                if (dp->xfrm[s])
                        xfrm_nl_free(dp->xfrm[s]);
                if (dp->ns[s] >= 0)
                        close(dp->ns[s]);
        }
        if (dp->ns_orig >= 0) {
                /* Only building leaves the probe's namespace. */
                if (dp->built)
                        (void) setns(dp->ns_orig, CLONE_NEWNET);
                close(dp->ns_orig);
        }
        free(dp);
}

int datapath_family_error(Datapath *dp, uint16_t family) {
        int r = build(dp);

        return r < 0 ? -r : dp->family_err[family_index(family)];
}

FrameKind datapath_clear_kind(uint8_t proto) {
        switch (proto) {
        case IPPROTO_UDP:
                return FRAME_UDP;
        case IPPROTO_TCP:
                return FRAME_TCP;
        case IPPROTO_SCTP:
                return FRAME_SCTP;
        default:
                return FRAME_OTHER;
        }
}

/* --- SAs and policies on both sides --- */

static void swap_addr(xfrm_address_t *a, xfrm_address_t *b) {
        xfrm_address_t t = *a;
        *a = *b;
        *b = t;
}

static XfrmSa reverse_sa(const XfrmSa *sa) {
        XfrmSa r = *sa;

        swap_addr(&r.saddr, &r.daddr);
        r.spi += TRIAL_SPI_REVERSE;
        if (r.encap) {
                uint16_t t = r.encap_sport;
                r.encap_sport = r.encap_dport;
                r.encap_dport = t;
        }
        return r;
}

/* The same traffic seen from the other end, or the way back. */
static XfrmPolicy reverse_policy(const XfrmPolicy *p) {
        XfrmPolicy r = *p;
        uint8_t t8;
        uint16_t t16;

        swap_addr(&r.sel.saddr, &r.sel.daddr);
        t8 = r.sel.prefixlen_s, r.sel.prefixlen_s = r.sel.prefixlen_d, r.sel.prefixlen_d = t8;
        t16 = r.sel.sport, r.sel.sport = r.sel.dport, r.sel.dport = t16;
        t16 = r.sel.sport_mask, r.sel.sport_mask = r.sel.dport_mask, r.sel.dport_mask = t16;
        for (unsigned i = 0; i < r.n_tmpl; i++)
                swap_addr(&r.tmpl[i].saddr, &r.tmpl[i].daddr);
        return r;
}

static XfrmPolicy with_dir(XfrmPolicy p, uint8_t dir) {
        p.dir = dir;
        return p;
}

#define IN_DATAPATH "in the datapath namespaces"

/* 1: accepted; 0: refusal recorded in c (what refused where); <0: our fault. */
static int record(Check *c, int r, const XfrmAnswer *ans, const char *what, const char *where, uint8_t proto) {
        char note[sizeof(((Check *) 0)->note)];
        size_t len = 0;

        if (r == -ENOMEM)
                return r;
        if (r >= 0 && ans->err == 0)
                return 1;
        strbuf_appendf(note, sizeof(note), &len, "%s refused %s%s%s", what, where,
                       ans->extack[0] ? ": " : "", ans->extack);
        check_set_untried(c, r < 0 ? -r : ans->err, note);
        if (r >= 0 && ans->err == EPROTONOSUPPORT)
                c->blocked_by = proto_capability(proto);
        return 0;
}

static int add_sa_both(Datapath *dp, const XfrmSa *sa, Check *c) {
        for (int s = 0; s < _DP_SIDE_MAX; s++) {
                XfrmAnswer ans = {};
                int r = record(c, xfrm_sa_add(dp->xfrm[s], sa, &ans), &ans, "SA", IN_DATAPATH, sa->proto);
                if (r <= 0)
                        return r;
        }
        return 1;
}

int datapath_add_policy(Datapath *dp, DpSide side, const XfrmPolicy *p, Check *c) {
        XfrmAnswer ans = {};

        return record(c, xfrm_policy_add(dp->xfrm[side], p, &ans), &ans, "policy", IN_DATAPATH,
                      p->n_tmpl > 0 ? p->tmpl[0].proto : 0);
}

int datapath_del_policy(Datapath *dp, DpSide side, const XfrmPolicy *p) {
        XfrmAnswer ans = {};
        int r = xfrm_policy_del(dp->xfrm[side], p, &ans);

        return r < 0 ? r : -ans.err;
}

/*
 * 1 when the datapath is built and has the family's addresses, else 0 with the reason in c.
 * Nothing is built before a flow's SAs have been accepted: where the kernel refuses them (a
 * kernel without ESP), no flow can run, and two namespaces and a veth pair would only be made to
 * be torn down. The SAs are tried in the probe's own namespace, which holds only the probe's
 * trials and dies with it, through the socket of its trials (XFRM netlink, or PF_KEY where the
 * kernel has no XFRM netlink); flows have other SPIs than the API trials.
 */
static int ready(Datapath *dp, const XfrmSa *sas, size_t n_sas, uint16_t family, Check *c) {
        int r;

        for (size_t i = 0; i < n_sas && !dp->built; i++) {
                XfrmAnswer ans = {};

                r = record(c, xfrm_sa_add(dp->xfrm_orig, &sas[i], &ans), &ans, "SA",
                           "in the probe's namespace, so no datapath was built", sas[i].proto);
                if (r <= 0)
                        return r;
        }
        r = datapath_family_error(dp, family);
        if (r == ENOMEM)
                return -r;
        if (r) {
                const char *why = dp->family_note[family_index(family)];

                check_set_untried(c, r, dp->build_err ? "could not build the datapath"
                                        : why[0]    ? why
                                                    : "could not configure the family's addresses on the veth pair");
                return 0;
        }
        return 1;
}

int datapath_protect(Datapath *dp, const XfrmSa *sas, size_t n_sas, const XfrmPolicy *out, unsigned flags, Check *c) {
        bool both = !(flags & DP_ONE_WAY);
        XfrmPolicy back = reverse_policy(out), in_b = with_dir(*out, XFRM_POLICY_IN),
                   out_b = with_dir(back, XFRM_POLICY_OUT), in_a = with_dir(back, XFRM_POLICY_IN);
        int r;

        if ((r = ready(dp, sas, n_sas, out->sel.family, c)) <= 0)
                return r;
        for (size_t i = 0; i < n_sas; i++) {
                XfrmSa rev = reverse_sa(&sas[i]);
                if ((r = add_sa_both(dp, &sas[i], c)) <= 0 || (both && (r = add_sa_both(dp, &rev, c)) <= 0))
                        return r;
        }
        if ((r = datapath_add_policy(dp, DP_A, out, c)) <= 0 || (r = datapath_add_policy(dp, DP_B, &in_b, c)) <= 0)
                return r;
        if (both && ((r = datapath_add_policy(dp, DP_B, &out_b, c)) <= 0 ||
                     (r = datapath_add_policy(dp, DP_A, &in_a, c)) <= 0))
                return r;
        return 1;
}

int datapath_sa_counters(Datapath *dp, DpSide side, const XfrmSa *sa, XfrmSa *ret, XfrmAnswer *ans) {
        return xfrm_sa_get(dp->xfrm[side], sa, ret, ans);
}

/* --- traffic --- */

typedef union SockAddr {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
} SockAddr;

static int sockaddr_make(uint16_t family, const char *addr, uint16_t port, SockAddr *ret, socklen_t *ret_len) {
        *ret = (SockAddr) {};
        if (family == AF_INET) {
                ret->in.sin_family = AF_INET;
                ret->in.sin_port = htons(port);
                if (!addr)
                        ret->in.sin_addr.s_addr = htonl(INADDR_ANY);
                else if (inet_pton(AF_INET, addr, &ret->in.sin_addr) != 1)
                        return -EINVAL;
                *ret_len = sizeof(ret->in);
        } else {
                ret->in6.sin6_family = AF_INET6;
                ret->in6.sin6_port = htons(port);
                if (addr && inet_pton(AF_INET6, addr, &ret->in6.sin6_addr) != 1)
                        return -EINVAL;
                *ret_len = sizeof(ret->in6);
        }
        return 0;
}

/* The sum of B's XfrmIn* counters: packets its XFRM input refused (no policy, template mismatch, ...). */
static uint64_t xfrm_in_drops(const Datapath *dp) {
        char buf[4096], *line, *save = NULL;
        uint64_t sum = 0;
        ssize_t n;

        if (dp->xfrm_stat < 0 || (n = pread(dp->xfrm_stat, buf, sizeof(buf) - 1, 0)) <= 0)
                return 0;
        buf[n] = '\0';
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned long long v;

                if (strncmp(line, "XfrmIn", 6) == 0 && sscanf(line, "%*s %llu", &v) == 1)
                        sum += v;
        }
        return sum;
}

/*
 * Until fd is ready, or B's XFRM input has dropped a packet since the flow
 * started (the kernel has decided: nothing will come), or TIMEOUT_MS without
 * either. -ETIMEDOUT for the last two: the flow was not carried.
 */
static int wait_for(const Datapath *dp, int fd, short events) {
        struct pollfd p = { .fd = fd, .events = events };
        int slice = dp->xfrm_stat < 0 ? TIMEOUT_MS : DROP_CHECK_MS;

        for (int waited = 0; waited < TIMEOUT_MS; waited += slice) {
                int r = poll(&p, 1, slice);

                if (r > 0)
                        return 0;
                if (r < 0 && errno != EINTR)
                        return -errno;
                /* The drop may be an earlier packet of the flow (a retransmission): one last look. */
                if (dp->xfrm_stat >= 0 && xfrm_in_drops(dp) != dp->drops)
                        return poll(&p, 1, 0) > 0 ? 0 : -ETIMEDOUT;
        }
        return -ETIMEDOUT;
}

/* Records a failed socket step; always returns 0 so callers can "return fail(...)". */
static int fail(DpTrace *t, const char *step, int err) {
        if (!t->err) {
                t->err = err > 0 ? err : EIO;
                t->step = step;
        }
        return 0;
}

/*
 * A step of the traffic itself failed (send, connection set-up, receive):
 * the configuration was in place, so this is what the kernel did with it,
 * a finding for the frames and counters to explain, not a reason to give up.
 */
static int lost(DpTrace *t, const char *step, int err) {
        if (!t->lost_err) {
                t->lost_err = err > 0 ? err : EIO;
                t->lost_step = step;
        }
        return 0;
}

static int join_group(int fd, const TrialFamily *f, int ifindex) {
        if (f->family == AF_INET) {
                struct ip_mreqn m = { .imr_ifindex = ifindex };
                if (inet_pton(AF_INET, f->group, &m.imr_multiaddr) != 1)
                        return -EINVAL;
                return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0 ? -errno : 0;
        } else {
                struct ipv6_mreq m = { .ipv6mr_interface = (unsigned) ifindex };
                if (inet_pton(AF_INET6, f->group, &m.ipv6mr_multiaddr) != 1)
                        return -EINVAL;
                return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)) < 0 ? -errno : 0;
        }
}

static int multicast_if(int fd, const TrialFamily *f, int ifindex) {
        if (f->family == AF_INET) {
                struct ip_mreqn m = { .imr_ifindex = ifindex };
                return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m)) < 0 ? -errno : 0;
        }
        return setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ? -errno : 0;
}

static void dump_frame(FILE *f, const uint8_t *buf, size_t len) {
        for (size_t i = 0; i < len; i++)
                fprintf(f, "%02x", buf[i]);
        fputc('\n', f);
}

/* Everything the capture socket holds now; the flow has finished by then. */
static void drain_capture(int fd, const char *label, DpTrace *t) {
        const char *path = getenv("IPSEC_AUDIT_FRAME_DUMP");
        _cleanup_fclose_ FILE *dump = path && *path ? fopen(path, "ae") : NULL;
        uint8_t buf[2048];

        if (dump)
                fprintf(dump, "# %s\n", label);
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
                FrameInfo fi;

                if (n < 0)
                        break;
                if ((size_t) n > sizeof(buf))
                        n = sizeof(buf);
                if (dump)
                        dump_frame(dump, buf, (size_t) n);
                if (frame_classify(buf, (size_t) n, &fi) < 0 || t->n_frames >= DP_MAX_FRAMES)
                        continue;
                t->frames[t->n_frames] = fi;
                t->raw_len[t->n_frames] = MIN((size_t) n, sizeof(t->raw[0]));
                memcpy(t->raw[t->n_frames], buf, t->raw_len[t->n_frames]);
                t->n_frames++;
        }
}

static int open_capture(Datapath *dp, int *ret) {
        struct sockaddr_ll ll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ALL),
                .sll_ifindex = dp->ifindex[DP_A],
        };
        int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &ll, sizeof(ll)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        *ret = fd;
        return 0;
}

static bool same_payload(const char *buf, ssize_t n) {
        return n == (ssize_t) sizeof(payload) && memcmp(buf, payload, sizeof(payload)) == 0;
}

/*
 * Closing sends an abort (TCP RST, SCTP ABORT) instead of a shutdown: a shutdown
 * whose peer's namespace is gone is retransmitted for minutes, and the socket
 * behind it pins the protocol's module (sctp) that the audit must unload.
 */
static void abort_on_close(int fd) {
        static const struct linger abort_now = { .l_onoff = 1, .l_linger = 0 };

        (void) setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_now, sizeof(abort_now));
}

static int send_stream(Datapath *dp, const DpFlow *flow, const SockAddr *to, socklen_t to_len, DpTrace *t) {
        const TrialFamily *f = flow->family;
        _cleanup_close_ int listener = -1, client = -1, conn = -1;
        char buf[sizeof(payload) + 16];
        socklen_t len = sizeof(int);
        int r, err = 0;

        if ((r = enter(dp, DP_B)) < 0)
                return r;
        listener = socket(f->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, flow->proto);
        if (listener < 0)
                return fail(t, "receiving socket", errno);
        if (bind(listener, &to->sa, to_len) < 0 || listen(listener, 1) < 0)
                return fail(t, "bind/listen", errno);

        if ((r = enter(dp, DP_A)) < 0)
                return r;
        client = socket(f->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, flow->proto);
        if (client < 0)
                return fail(t, "sending socket", errno);
        abort_on_close(client);
        if (connect(client, &to->sa, to_len) < 0 && errno != EINPROGRESS)
                return lost(t, "connect", errno);
        if ((r = wait_for(dp, client, POLLOUT)) < 0)
                return lost(t, "connection set-up", -r);
        if (getsockopt(client, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
                return lost(t, "connection set-up", err ?: errno);
        if (send(client, payload, sizeof(payload), MSG_NOSIGNAL) != (ssize_t) sizeof(payload))
                return lost(t, "send", errno);
        if ((r = wait_for(dp, listener, POLLIN)) < 0)
                return lost(t, "accept", -r);
        conn = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (conn < 0)
                return lost(t, "accept", errno);
        abort_on_close(conn);
        if ((r = wait_for(dp, conn, POLLIN)) < 0)
                return lost(t, "receive", -r);
        t->delivered = same_payload(buf, recv(conn, buf, sizeof(buf), 0));
        return 0;
}

/*
 * B's receiving socket for a datagram flow (left as it was when a step fails: t says which):
 * the UDP_ENCAP socket on port 4500 itself for the non-ESP marker, else a
 * plain UDP socket (a group member where the flow goes to the group), with
 * the UDP_ENCAP socket beside it in *ret_encap when the flow asks for one.
 */
static int open_receiver(Datapath *dp, const DpFlow *flow, const SockAddr *to, socklen_t to_len, DpTrace *t,
                         int *ret_receiver, int *ret_encap) {
        const TrialFamily *f = flow->family;
        _cleanup_close_ int receiver = -1, encap = -1;
        SockAddr bind_to;
        socklen_t bind_len;
        int r;

        if ((r = enter(dp, DP_B)) < 0)
                return r;
        if (flow->encap_receiver || flow->ike_marker) {
                int type = UDP_ENCAP_ESPINUDP;
                SockAddr natt;
                socklen_t natt_len;

                if ((r = sockaddr_make(f->family, NULL, NATT_PORT, &natt, &natt_len)) < 0)
                        return r;
                encap = socket(f->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
                if (encap < 0 || setsockopt(encap, SOL_UDP, UDP_ENCAP, &type, sizeof(type)) < 0 ||
                    bind(encap, &natt.sa, natt_len) < 0)
                        return fail(t, "UDP_ENCAP socket on port 4500", errno);
        }
        if (flow->ike_marker) {
                *ret_receiver = TAKE_FD(encap);
                return 0;
        }
        receiver = socket(f->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
        if (receiver < 0)
                return fail(t, "receiving socket", errno);
        /* A group member binds the wildcard address and joins on the veth. */
        if (flow->to_group) {
                if ((r = sockaddr_make(f->family, NULL, flow->port, &bind_to, &bind_len)) < 0)
                        return r;
        } else
                bind_to = *to, bind_len = to_len;
        if (bind(receiver, &bind_to.sa, bind_len) < 0)
                return fail(t, "bind", errno);
        if (flow->to_group && (r = join_group(receiver, f, dp->ifindex[DP_B])) < 0)
                return fail(t, "joining the group", -r);
        *ret_receiver = TAKE_FD(receiver);
        *ret_encap = TAKE_FD(encap);
        return 0;
}

/* A's sending socket (left as it was when a step fails: t says which). */
static int open_sender(Datapath *dp, const DpFlow *flow, DpTrace *t, int *ret) {
        const TrialFamily *f = flow->family;
        _cleanup_close_ int sender = -1;
        int r;

        if ((r = enter(dp, DP_A)) < 0)
                return r;
        sender = socket(f->family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
        if (sender < 0)
                return fail(t, "sending socket", errno);
        if (flow->to_group) {
                SockAddr src;
                socklen_t src_len;

                /* The SA and policy name A's address as the source. */
                if ((r = sockaddr_make(f->family, f->local, 0, &src, &src_len)) < 0)
                        return r;
                if ((r = multicast_if(sender, f, dp->ifindex[DP_A])) < 0 || bind(sender, &src.sa, src_len) < 0)
                        return fail(t, "multicast sending socket", r < 0 ? -r : errno);
        }
        *ret = TAKE_FD(sender);
        return 0;
}

static int send_datagram(Datapath *dp, const DpFlow *flow, const SockAddr *to, socklen_t to_len, DpTrace *t) {
        _cleanup_close_ int receiver = -1, sender = -1, encap = -1;
        char msg[sizeof(payload) + 4] = {}, buf[sizeof(msg) + 16];
        /* RFC 3948 2.2: IKE on port 4500 starts with four zero bytes, the non-ESP marker. */
        size_t off = flow->ike_marker ? 4 : 0, msg_len = off + sizeof(payload);
        ssize_t n;
        int r;

        memcpy(msg + off, payload, sizeof(payload));
        if ((r = open_receiver(dp, flow, to, to_len, t, &receiver, &encap)) < 0 || receiver < 0)
                return r;
        if ((r = open_sender(dp, flow, t, &sender)) < 0 || sender < 0)
                return r;
        if (sendto(sender, msg, msg_len, 0, &to->sa, to_len) != (ssize_t) msg_len)
                return lost(t, "send", errno);
        if ((r = wait_for(dp, receiver, POLLIN)) < 0)
                return r == -ETIMEDOUT ? 0 : lost(t, "receive", -r); /* not delivered: a finding */
        n = recv(receiver, buf, sizeof(buf), 0);
        t->delivered = n == (ssize_t) msg_len && memcmp(buf, msg, msg_len) == 0;
        return 0;
}

/* Frames left from an earlier flow (a closing connection's last segments) are not this flow's. */
static void discard_capture(int fd) {
        uint8_t buf[64];

        while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) >= 0)
                ;
}

int datapath_send(Datapath *dp, const DpFlow *flow, const char *label, DpTrace *ret) {
        const TrialFamily *f = flow->family;
        DpTrace t = {};
        SockAddr to;
        socklen_t to_len;
        int r;

        if ((r = sockaddr_make(f->family, flow->to_group ? f->group : f->peer, flow->port, &to, &to_len)) < 0)
                return r;
        if ((r = build(dp)) == -ENOMEM)
                return r;
        if (r < 0) {
                fail(&t, "building the datapath", -r);
                *ret = t;
                return 0;
        }
        if ((r = enter(dp, DP_A)) < 0)
                return r;
        /* One capture socket for all flows: closing one waits for an RCU grace period. */
        if (dp->capture < 0 && (r = open_capture(dp, &dp->capture)) < 0) {
                fail(&t, "AF_PACKET capture socket", -r);
                *ret = t;
                return 0;
        }
        discard_capture(dp->capture);
        dp->drops = xfrm_in_drops(dp);
        if (flow->proto == IPPROTO_UDP)
                r = send_datagram(dp, flow, &to, to_len, &t);
        else
                r = send_stream(dp, flow, &to, to_len, &t);
        if (r < 0)
                return r;
        drain_capture(dp->capture, label, &t);
        *ret = t;
        return 0;
}

/* --- judging a flow --- */

static bool is_flow_frame(const FrameInfo *fi, FrameKind kind, const DpFlow *flow) {
        return fi->kind == kind && (fi->dport == flow->port || fi->sport == flow->port);
}

/*
 * A tunnel-mode frame whose payload is readable (null-cipher ESP, or AH,
 * which never encrypts): the packet it carries must show the inner SA.
 */
static bool inner_matches(const DpTrace *t, unsigned i, const DpExpect *e) {
        const FrameInfo *fi = &t->frames[i];
        FrameInfo inner;
        uint8_t next;
        size_t off, len;

        if (e->inner_kind == FRAME_OTHER)
                return true;
        if (fi->kind == FRAME_AH) {
                next = fi->next_header;
                off = fi->payload_off;
                len = fi->payload_len;
        } else if (frame_esp_null_payload(t->raw[i], t->raw_len[i], fi, e->null_icv_len, &next, &off, &len) < 0)
                return false;
        if ((next != IPPROTO_IPIP && next != IPPROTO_IPV6) ||
            frame_classify_ip(t->raw[i] + off, len, &inner) < 0)
                return false;
        return inner.kind == e->inner_kind && inner.spi == e->inner_spi;
}

static int counters_moved(Datapath *dp, const XfrmSa *sa, bool *ret) {
        *ret = true;
        for (int s = 0; s < _DP_SIDE_MAX; s++) {
                XfrmAnswer ans = {};
                XfrmSa got = {};
                int r = datapath_sa_counters(dp, (DpSide) s, sa, &got, &ans);

                if (r == -ENOMEM)
                        return r;
                if (r < 0 || ans.err || got.cur_packets == 0 || got.cur_bytes == 0)
                        *ret = false;
        }
        return 0;
}

int datapath_check(Datapath *dp, const DpFlow *flow, const DpExpect *e, Check *c) {
        bool protect = e->kind == FRAME_ESP || e->kind == FRAME_AH || e->kind == FRAME_ESP_IN_UDP;
        unsigned wire = 0, clear = 0, expected = 0;
        char label[128], missing[96] = "";
        size_t len = 0;
        DpTrace t;
        int r;

        snprintf(label, sizeof(label), "%s: %s", c->group, c->what);
        if ((r = datapath_send(dp, flow, label, &t)) < 0)
                return r;
        if (t.err) {
                char note[sizeof(((Check *) 0)->note)];
                snprintf(note, sizeof(note), "%s failed", t.step ?: "a socket step");
                check_set_untried(c, t.err, note);
                return 0;
        }
        for (unsigned i = 0; i < t.n_frames; i++) {
                const FrameInfo *fi = &t.frames[i];
                if (protect && fi->kind == e->kind && fi->spi == e->spi && inner_matches(&t, i, e))
                        wire++;
                if (is_flow_frame(fi, datapath_clear_kind(flow->proto), flow))
                        clear++;
                if (!protect && is_flow_frame(fi, e->kind, flow))
                        expected++;
        }

#define MISSING(...) strbuf_appendf(missing, sizeof(missing), &len, __VA_ARGS__)
        if (protect) {
                bool moved = true;
                if (!wire)
                        MISSING("%sno %s frame with SPI 0x%x", len ? "; " : "", frame_kind_to_string(e->kind), e->spi);
                if (clear)
                        MISSING("%s%u clear %s frame%s", len ? "; " : "", clear,
                                frame_kind_to_string(datapath_clear_kind(flow->proto)), clear == 1 ? "" : "s");
                for (size_t i = 0; i < e->n_sas && moved; i++)
                        if ((r = counters_moved(dp, &e->sas[i], &moved)) < 0)
                                return r;
                if (!moved)
                        MISSING("%sSA counters unchanged", len ? "; " : "");
        } else if (!expected)
                MISSING("no %s frame to port %u", frame_kind_to_string(e->kind), flow->port);
        if (!t.delivered && t.lost_err && t.lost_err != ETIMEDOUT)
                MISSING("%spayload not delivered (%s: %s)", len ? "; " : "", t.lost_step,
                        errno_name(t.lost_err) ?: "error");
        else if (!t.delivered)
                MISSING("%spayload not delivered", len ? "; " : "");
#undef MISSING

        if (len) {
                char setting[64];

                c->outcome = CHECK_ALTERED;
                STRSCPY(c->note, missing);
                /* Clear IPv4 where IPsec was configured: a host setting the namespaces inherited may be why. */
                if (protect && flow->family->family == AF_INET &&
                    (c->cause = host_cause_ipv4_bypass("", setting, sizeof(setting))) != HOST_CAUSE_UNKNOWN)
                        snprintf(c->note, sizeof(c->note), "%s: %s", setting, missing);
        } else
                c->outcome = CHECK_ACCEPTED;
        return 0;
}
