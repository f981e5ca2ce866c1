/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A worker's namespace serves another probe only when that probe could not
 * tell it from a new one. What a probe can change of a namespace is its XFRM
 * state (SAs, policies, per-socket policies) and what rtnetlink reports: links,
 * addresses, routes, rules, neighbours, traffic control, netconf. XFRM state is
 * counted, and flushed when there is any; rtnetlink's part is not compared with
 * a list of what a new namespace has: the watch hears the kernel announce every
 * change there, and any change at all (a link made and deleted again; a module
 * loaded meanwhile, which adds its fallback device, ip_vti0 or sit0, to every
 * namespace) retires the namespace. Not watched, and written by no probe:
 * sysctls, the XFRM default policy and SPD hash thresholds, nftables.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <linux/rtnetlink.h>

#include "macro.h"
#include "netlink.h"
#include "netns-scrub.h"
#include "xfrm.h"

struct NetnsWatch {
        XfrmNl *xfrm;
        NetlinkSocket *route;
        struct stat sock[NETNS_WATCH_FDS]; /* the sockets as opened */
};

/* Every rtnetlink group a socket can join by bind() (1 to 32): links, addresses, routes, rules,
 * neighbours, traffic control, netconf, next hops, ...; whatever a probe could see changed. */
#define WATCHED_GROUPS UINT32_MAX

static bool same_socket(int fd, const struct stat *was) {
        struct stat st;

        return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == was->st_dev && st.st_ino == was->st_ino;
}

int netns_watch_open(NetnsWatch **ret) {
        _cleanup_(netns_watch_freep) NetnsWatch *w = calloc(1, sizeof(NetnsWatch));
        int fds[NETNS_WATCH_FDS], r;

        if (!w)
                return -ENOMEM;
        if ((r = xfrm_nl_open(&w->xfrm)) < 0 || (r = netlink_watch_open(NETLINK_ROUTE, WATCHED_GROUPS, &w->route)) < 0)
                return r;
        netns_watch_fds(w, fds);
        for (size_t i = 0; i < NETNS_WATCH_FDS; i++)
                if (fstat(fds[i], &w->sock[i]) < 0)
                        return -errno;
        *ret = TAKE_PTR(w);
        return 0;
}

void netns_watch_free(NetnsWatch *w) {
        if (w->xfrm)
                xfrm_nl_free(w->xfrm);
        if (w->route)
                netlink_socket_free(w->route);
        free(w);
}

void netns_watch_fds(const NetnsWatch *w, int ret[NETNS_WATCH_FDS]) {
        ret[0] = xfrm_nl_fd(w->xfrm);
        ret[1] = netlink_socket_fd(w->route);
}

/* 0 if asked and answered, the kernel's refusal or our fault as -errno. */
static int answered(int r, const XfrmAnswer *ans) {
        return r < 0 ? r : -ans->err;
}

static int xfrm_counts(XfrmNl *nl, uint32_t *ret_sas, uint32_t *ret_policies) {
        uint32_t policies, socket_policies;
        XfrmAnswer ans;
        int r;

        if ((r = answered(xfrm_sad_info(nl, ret_sas, &ans), &ans)) < 0 ||
            (r = answered(xfrm_spd_counts(nl, &policies, &socket_policies, &ans), &ans)) < 0)
                return r;
        *ret_policies = policies + socket_policies;
        return 0;
}

int netns_scrub(NetnsWatch *w) {
        int fds[NETNS_WATCH_FDS];
        uint32_t sas, policies;
        XfrmAnswer ans;
        int r;

        /* A job that closed or replaced them would have us ask some other socket. */
        netns_watch_fds(w, fds);
        for (size_t i = 0; i < NETNS_WATCH_FDS; i++)
                if (!same_socket(fds[i], &w->sock[i]))
                        return 0;
        if ((r = netlink_watch_heard(w->route)) != 0)
                return r < 0 ? r : 0;
        if ((r = xfrm_counts(w->xfrm, &sas, &policies)) < 0)
                return r;
        /* Deleting an IPComp SA releases its inner tunnel SA, which a flush that passed it already kept. */
        for (unsigned pass = 0; pass < 2 && sas + policies > 0; pass++)
                if ((r = answered(xfrm_flush(w->xfrm, &ans), &ans)) < 0 || (r = xfrm_counts(w->xfrm, &sas, &policies)) < 0)
                        return r;
        return sas == 0 && policies == 0;
}
