/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "macro.h"
#include "shared/bus-util.h"

int bus_open(const char *address, const char *description, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (!address || strcmp(address, "system") == 0)
                r = sd_bus_open_system_with_description(&bus, description);
        else if (strcmp(address, "session") == 0)
                r = sd_bus_open_user_with_description(&bus, description);
        else {
                if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, address)) < 0 ||
                    (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_set_description(bus, description)) < 0)
                        return r;
                r = sd_bus_start(bus);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}
