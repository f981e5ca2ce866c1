/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "shared/bus-util.h"

BUS_DLSYM(sd_bus_open_system_with_description);
BUS_DLSYM(sd_bus_open_user_with_description);
BUS_DLSYM(sd_bus_new);
BUS_DLSYM(sd_bus_set_address);
BUS_DLSYM(sd_bus_set_bus_client);
BUS_DLSYM(sd_bus_set_description);
BUS_DLSYM(sd_bus_start);
BUS_DLSYM(sd_bus_flush_close_unref);
BUS_DLSYM(sd_bus_call_method);
BUS_DLSYM(sd_bus_message_read);
BUS_DLSYM(sd_bus_message_unref);
BUS_DLSYM(sd_bus_error_free);

#define SYM(symbol) { (void **) &sym_##symbol, #symbol }

int bus_dlopen(void) {
        static const struct {
                void **where;
                const char *name;
        } syms[] = {
                SYM(sd_bus_open_system_with_description),
                SYM(sd_bus_open_user_with_description),
                SYM(sd_bus_new),
                SYM(sd_bus_set_address),
                SYM(sd_bus_set_bus_client),
                SYM(sd_bus_set_description),
                SYM(sd_bus_start),
                SYM(sd_bus_flush_close_unref),
                SYM(sd_bus_call_method),
                SYM(sd_bus_message_read),
                SYM(sd_bus_message_unref),
                SYM(sd_bus_error_free),
        };
        static bool loaded;
        void *lib;

        if (loaded)
                return 0;
        /* Never closed: the symbols stay in use until the process ends. */
        if (!(lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_NODELETE)))
                return -ELIBACC;
        for (size_t i = 0; i < ELEMENTSOF(syms); i++)
                if (!(*syms[i].where = dlsym(lib, syms[i].name)))
                        return -ELIBACC;
        loaded = true;
        return 0;
}

int bus_open(const char *address, const char *description, sd_bus **ret) {
        _cleanup_(sym_sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if ((r = bus_dlopen()) < 0)
                return r;
        if (!address || strcmp(address, "system") == 0)
                r = sym_sd_bus_open_system_with_description(&bus, description);
        else if (strcmp(address, "session") == 0)
                r = sym_sd_bus_open_user_with_description(&bus, description);
        else {
                if ((r = sym_sd_bus_new(&bus)) < 0 || (r = sym_sd_bus_set_address(bus, address)) < 0 ||
                    (r = sym_sd_bus_set_bus_client(bus, 1)) < 0 ||
                    (r = sym_sd_bus_set_description(bus, description)) < 0)
                        return r;
                r = sym_sd_bus_start(bus);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}
