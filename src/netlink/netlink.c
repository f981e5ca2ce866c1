/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <linux/netlink.h>

#include "netlink.h"

int nl_check_lengths(const void *buf, size_t len) {
        const char *p = buf;
        size_t off = 0;

        while (len - off >= sizeof(struct nlmsghdr)) {
                struct nlmsghdr h;

                memcpy(&h, p + off, sizeof(h)); /* a buffer from outside need not be aligned */
                if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
                        return -EBADMSG;
                /* The last message's padding may be missing. */
                off += NLMSG_ALIGN(h.nlmsg_len) < len - off ? NLMSG_ALIGN(h.nlmsg_len) : len - off;
        }
        return 0;
}
