/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: kernel uevent messages (NETLINK_KOBJECT_UEVENT datagrams) through uevent_module(). */
#include <string.h>

#include "daemon/auditd.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *action = NULL, *module = uevent_module((const char *) data, size, &action);

        /* What it returns must be a string inside the message. */
        if (module && (strlen(module) >= size || !action))
                abort();
        return 0;
}
