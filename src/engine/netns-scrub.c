/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A worker's namespace serves another probe only when that probe could not
 * tell it from a new one. What a probe can observe of a namespace is its XFRM state
 * (SAs, policies, per-socket policies), its links and their addresses;
 * probes write no sysctl and no XFRM default policy. XFRM state is flushed
 * and counted; links and addresses are compared with the namespace as it
 * was made, not with "loopback only": a module loaded meanwhile (ip_vti,
 * sit, ...) adds its fallback device to every namespace, and one made now
 * would have it too, but the comparison does not try to know which devices
 * those are: any difference retires the namespace.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "macro.h"
#include "netlink.h"
#include "netns-scrub.h"
#include "xfrm.h"

static int link_cb(const struct nlmsghdr *nlh, void *userdata) {
        NetnsSnapshot *s = userdata;
        const struct ifinfomsg *ifi;

        if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
                return -EBADMSG;
        if (s->n_links == ELEMENTSOF(s->links))
                return -E2BIG;
        ifi = mnl_nlmsg_get_payload(nlh);
        s->links[s->n_links++] = (NetnsLink) { .ifindex = ifi->ifi_index, .up = ifi->ifi_flags & IFF_UP };
        return 0;
}

static int address_cb(const struct nlmsghdr *nlh, void *userdata) {
        NetnsSnapshot *s = userdata;

        if (nlh->nlmsg_type != RTM_NEWADDR)
                return -EBADMSG;
        s->n_addresses++;
        return 0;
}

static void snapshot_restart(void *userdata) {
        NetnsSnapshot *s = userdata;

        *s = (NetnsSnapshot) {};
}

int netns_dump(NetlinkSocket *sock, uint16_t type, size_t fixed, NetlinkReplyFn fn, NetlinkRestartFn restart,
               void *userdata) {
        uint8_t buf[64];
        struct nlmsghdr *nlh;
        NetlinkAnswer ans;
        int r;

        memset(buf, 0, sizeof(buf));
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        mnl_nlmsg_put_extra_header(nlh, fixed); /* family AF_UNSPEC: all of them */
        r = netlink_dump(sock, nlh, fn, restart, userdata, &ans);
        return r < 0 ? r : -ans.err;
}

int netns_snapshot(NetnsSnapshot *ret) {
        _cleanup_(netlink_socket_freep) NetlinkSocket *sock = NULL;
        NetnsSnapshot links = {}, addresses = {};
        int r;

        if ((r = netlink_socket_open(NETLINK_ROUTE, NL_TIMEOUT_S, &sock)) < 0 ||
            (r = netns_dump(sock, RTM_GETLINK, sizeof(struct ifinfomsg), link_cb, snapshot_restart, &links)) < 0 ||
            (r = netns_dump(sock, RTM_GETADDR, sizeof(struct ifaddrmsg), address_cb, snapshot_restart, &addresses)) < 0)
                return r;
        links.n_addresses = addresses.n_addresses;
        *ret = links;
        return 0;
}

static bool snapshot_equal(const NetnsSnapshot *a, const NetnsSnapshot *b) {
        if (a->n_links != b->n_links || a->n_addresses != b->n_addresses)
                return false;
        for (unsigned i = 0; i < a->n_links; i++)
                if (a->links[i].ifindex != b->links[i].ifindex || a->links[i].up != b->links[i].up)
                        return false;
        return true;
}

/* 0 if asked and answered, the kernel's refusal or our fault as -errno. */
static int answered(int r, const XfrmAnswer *ans) {
        return r < 0 ? r : -ans->err;
}

int netns_scrub(const NetnsSnapshot *base) {
        _cleanup_(xfrm_nl_freep) XfrmNl *nl = NULL;
        NetnsSnapshot now;
        XfrmAnswer ans;
        uint32_t sas = 0, policies, socket_policies;
        int r;

        if ((r = xfrm_nl_open(&nl)) < 0)
                return r;
        /* Deleting an IPComp SA releases its inner tunnel SA, which a flush that passed it already kept. */
        for (unsigned pass = 0; pass < 2; pass++) {
                if ((r = answered(xfrm_flush(nl, &ans), &ans)) < 0 ||
                    (r = answered(xfrm_sad_info(nl, &sas, &ans), &ans)) < 0)
                        return r;
                if (sas == 0)
                        break;
        }
        if ((r = answered(xfrm_spd_counts(nl, &policies, &socket_policies, &ans), &ans)) < 0 ||
            (r = netns_snapshot(&now)) < 0)
                return r;
        return sas == 0 && policies == 0 && socket_policies == 0 && snapshot_equal(base, &now);
}
