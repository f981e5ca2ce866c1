/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: XFRM netlink replies, as a received datagram run through the
 * transport's own parsing (netlink_parse_datagram: length checks, libmnl's
 * loop, the error/extended-ACK parser): every data message goes to the SA and
 * policy read-back parsers and the inventory's dump counters (each checks
 * the type it expects).
 */
#include <string.h>
#include <libmnl/libmnl.h>

#include "fuzz.h"
#include "inventory.h"
#include "netlink.h"
#include "xfrm.h"

static int each_message(const struct nlmsghdr *nlh, void *data) {
        Inventory *inv = data;
        XfrmSa sa;
        XfrmPolicy p;
        char extack[NL_EXTACK_MAX];
        int err;

        /* The transport parses only NLMSG_ERROR as an error; every message here widens the search. */
        (void) netlink_parse_error(nlh, &err, extack, sizeof(extack));
        (void) xfrm_sa_parse(nlh, &sa);
        (void) xfrm_policy_parse(nlh, &p);
        (void) inventory_count_sa(&inv->sad, nlh);
        (void) inventory_count_policy(&inv->spd, nlh);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static Inventory inv;
        NetlinkAnswer ans;
        const uint8_t *buf = fuzz_datagram(data, size);

        if (!buf)
                return 0;
        (void) netlink_parse_datagram(buf, size, 0, 0, each_message, &inv, &ans);
        return 0;
}
