/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "netlink.h"
#include "xfrm-internal.h"

void xfrm_nl_free(XfrmNl *nl) {
        if (nl->sock)
                netlink_socket_free(nl->sock);
        if (nl->pfkey_fd >= 0)
                close(nl->pfkey_fd);
        free(nl);
}

int xfrm_nl_fd(const XfrmNl *nl) {
        return nl->api == XFRM_API_NETLINK ? netlink_socket_fd(nl->sock) : nl->pfkey_fd;
}

int xfrm_nl_open(XfrmNl **ret) {
        _cleanup_(xfrm_nl_freep) XfrmNl *nl = NULL;
        int r;

        nl = calloc(1, sizeof(*nl));
        if (!nl)
                return -ENOMEM;
        *nl = (XfrmNl) { .api = XFRM_API_NETLINK, .pfkey_fd = -1 };
        r = netlink_socket_open(NETLINK_XFRM, NL_TIMEOUT_S, &nl->sock);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(nl);
        return 0;
}

int xfrm_nl_transact(XfrmNl *nl, struct nlmsghdr *req, NetlinkReplyFn fn, void *userdata, XfrmAnswer *ans) {
        if (nl->api != XFRM_API_NETLINK)
                return -EOPNOTSUPP;
        return netlink_transact(nl->sock, req, fn, userdata, ans);
}

int xfrm_nl_transact_one(XfrmNl *nl, struct nlmsghdr *req, NetlinkReplyFn parse, void *out, XfrmAnswer *ans) {
        if (nl->api != XFRM_API_NETLINK)
                return -EOPNOTSUPP;
        return netlink_transact_one(nl->sock, req, parse, out, ans);
}
