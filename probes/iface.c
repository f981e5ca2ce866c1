/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iface.xfrm and iface.vti: create the interface in the private namespace
 * through rtnetlink (libnl-route-3), read it back, delete it. The kernel's
 * refusal ("Unknown device type", EOPNOTSUPP) is the answer; libnl's NLE_*
 * codes are never reported as such: the errno comes from the kernel's own
 * NLMSG_ERROR, caught with the extended-ACK text in an error callback.
 * The one refusal not asked for: where the interface's module would pull in
 * xfrm6_tunnel on a kernel with IPv6 disabled, whose failed load flushes the
 * SAs of every namespace (autoload_cause()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ip6vti.h>
#include <netlink/route/link/ipvti.h>
#include <netlink/route/link/xfrmi.h>

#include "macro.h"
#include "nl-route.h"
#include "probes.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define IFACE_IF_ID 0x1a5ec

typedef struct KernelError {
        int err;
        char extack[128];
} KernelError;

static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg) {
        KernelError *k = arg;
        /* libnl hands out the payload; the header sits right before it. */
        const struct nlmsghdr *nlh = (const struct nlmsghdr *) ((const char *) e - NLMSG_HDRLEN);

        k->err = -e->error;
        if (netlink_parse_error(nlh, &k->err, k->extack, sizeof(k->extack)) < 0)
                k->extack[0] = '\0';
        return NL_STOP;
}

static int xfrmi_setup(struct rtnl_link *l) {
        return rtnl_link_xfrmi_set_if_id(l, IFACE_IF_ID);
}

/* The if_id is what routes traffic to the interface: it must survive. */
static bool xfrmi_verify(struct rtnl_link *got, char *note, size_t size) {
        uint32_t if_id = 0;

        if (rtnl_link_xfrmi_get_if_id(got, &if_id) < 0 || if_id != IFACE_IF_ID) {
                snprintf(note, size, "read back with if_id %u instead of %u", if_id, IFACE_IF_ID);
                return false;
        }
        return true;
}

static int vti_setup(struct rtnl_link *l) {
        int r;

        /* Endpoints of its own: an all-zero VTI would collide with the fallback ip_vti0. */
        if ((r = rtnl_link_ipvti_set_local(l, htonl(0xc0000201))) < 0 ||  /* 192.0.2.1 */
            (r = rtnl_link_ipvti_set_remote(l, htonl(0xc0000202))) < 0 || /* 192.0.2.2 */
            (r = rtnl_link_ipvti_set_ikey(l, IFACE_IF_ID)) < 0)
                return r;
        return rtnl_link_ipvti_set_okey(l, IFACE_IF_ID);
}

static int vti6_setup(struct rtnl_link *l) {
        struct in6_addr local, remote;
        int r;

        if (inet_pton(AF_INET6, "2001:db8::1", &local) != 1 || inet_pton(AF_INET6, "2001:db8::2", &remote) != 1)
                return -NLE_INVAL;
        if ((r = rtnl_link_ip6vti_set_local(l, &local)) < 0 || (r = rtnl_link_ip6vti_set_remote(l, &remote)) < 0 ||
            (r = rtnl_link_ip6vti_set_ikey(l, IFACE_IF_ID)) < 0)
                return r;
        return rtnl_link_ip6vti_set_okey(l, IFACE_IF_ID);
}

/* Creates one interface, reads it back by name, deletes it; the outcome goes to c. */
static int trial_iface(const char *name, const char *kind, struct rtnl_link *(*alloc)(void),
                       int (*setup)(struct rtnl_link *), bool (*verify)(struct rtnl_link *, char *, size_t),
                       Check *c) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL, *got = NULL;
        KernelError k = {};
        char alias[64];
        int one = 1, r;

        snprintf(alias, sizeof(alias), "rtnl-link-%s", kind);
        if ((c->cause = autoload_cause("", NULL, alias, c->note, sizeof(c->note))) != HOST_CAUSE_UNKNOWN) {
                c->outcome = CHECK_REFUSED;
                c->err = EAFNOSUPPORT; /* what the module's load would end in */
                return 0;
        }
        sk = nl_socket_alloc();
        if (!sk)
                return -ENOMEM;
        if ((r = nl_connect(sk, NETLINK_ROUTE)) < 0) {
                check_set_untried(c, -nl_errno(r), "no rtnetlink socket");
                return 0;
        }
        (void) setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
        nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, error_cb, &k);

        link = alloc();
        if (!link)
                return -ENOMEM;
        rtnl_link_set_name(link, name);
        if ((r = setup(link)) < 0)
                return nl_errno(r);

        r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
        if (r < 0) {
                if (r == -NLE_NOMEM && !k.err)
                        return -ENOMEM;
                c->outcome = CHECK_REFUSED;
                /* The kernel's own errno when it answered; libnl's code translated otherwise. */
                c->err = k.err ?: -nl_errno(r);
                STRSCPY(c->extack, k.extack);
                return 0;
        }

        k = (KernelError) {};
        r = rtnl_link_get_kernel(sk, 0, name, &got);
        if (r < 0) {
                c->outcome = CHECK_ALTERED;
                snprintf(c->note, sizeof(c->note), "created, but not found by name (%s)",
                         errno_name(k.err ?: -nl_errno(r)) ?: "error");
        } else if (!rtnl_link_get_type(got) || strcmp(rtnl_link_get_type(got), kind) != 0) {
                c->outcome = CHECK_ALTERED;
                snprintf(c->note, sizeof(c->note), "read back as type %s", rtnl_link_get_type(got) ?: "(none)");
        } else if (verify && !verify(got, c->note, sizeof(c->note))) {
                c->outcome = CHECK_ALTERED;
        } else {
                c->outcome = CHECK_ACCEPTED;
                c->read_back = true;
        }
        (void) rtnl_link_delete(sk, got ?: link);
        return 0;
}

static int run_xfrm(const ProbeContext *ctx, CapResult *res) {
        Check *c = ADD_CHECK(res, "xfrm interface", "RTM_NEWLINK type xfrm (if_id)");

        return trial_iface("ipsa-xfrm0", "xfrm", rtnl_link_xfrmi_alloc, xfrmi_setup, xfrmi_verify, c);
}

static int run_vti(const ProbeContext *ctx, CapResult *res) {
        Check *c;
        int r;

        c = ADD_CHECK(res, "IPv4", "RTM_NEWLINK type vti");
        if ((r = trial_iface("ipsa-vti0", "vti", rtnl_link_ipvti_alloc, vti_setup, NULL, c)) < 0)
                return r;
        c = ADD_CHECK(res, "IPv6", "RTM_NEWLINK type vti6");
        return trial_iface("ipsa-vti6", "vti6", rtnl_link_ip6vti_alloc, vti6_setup, NULL, c);
}

DEFINE_PROBE(probe_iface_xfrm, "iface.xfrm", "4", PROBE_ACTIVE,
             "an xfrm interface can be created, read back and deleted",
             run_xfrm);

DEFINE_PROBE(probe_iface_vti, "iface.vti", "4", PROBE_ACTIVE,
             "IPv4 and IPv6 VTI interfaces can be created, read back and deleted",
             run_vti);
