/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: XFRM netlink replies, as a receive buffer of messages run
 * through libmnl's loop like the real one: every message goes to the SA and
 * policy read-back parsers, the error/extended-ACK parser and the
 * inventory's dump counters (each checks the type it expects).
 */
#include <libmnl/libmnl.h>

#include "fuzz.h"
#include "inventory.h"
#include "netlink.h"
#include "xfrm.h"

static int each_message(const struct nlmsghdr *nlh, void *data) {
        Inventory *inv = data;
        XfrmSa sa;
        XfrmPolicy p;
        char extack[128];
        int err;

        (void) xfrm_sa_parse(nlh, &sa);
        (void) xfrm_policy_parse(nlh, &p);
        (void) inventory_count_sa(&inv->sad, nlh);
        (void) inventory_count_policy(&inv->spd, nlh);
        (void) xfrm_nl_parse_error(nlh, &err, extack, sizeof(extack));
        return MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static Inventory inv;

        /* As the receive loops do: lengths first. Sequence and port 0: libmnl checks neither. */
        if (nl_check_lengths(data, size) == 0)
                (void) mnl_cb_run(data, size, 0, 0, each_message, &inv);
        return 0;
}
