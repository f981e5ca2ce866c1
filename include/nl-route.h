/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <netlink/netlink.h>
#include <netlink/route/link.h>

/* libnl answers NLE_* codes; the rest of the program speaks errno: 0 or a negative errno. */
int nl_errno(int nle);

static inline void nl_socket_freep(struct nl_sock **sk) {
        if (*sk)
                nl_socket_free(*sk);
}

static inline void rtnl_link_putp(struct rtnl_link **l) {
        if (*l)
                rtnl_link_put(*l);
}
