/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/*
 * The sd-bus client calls that bus_open() and the CLI's --bus make, resolved
 * from libsystemd at first use, as systemd does for its optional libraries:
 * ipsec-audit is not linked with libsystemd, whose loading (with the six
 * libraries it needs) every audit would otherwise pay for at start. The daemon
 * is linked with it, and gets the same library back.
 */
#define BUS_DLSYM(symbol) typeof(symbol) *sym_##symbol
extern BUS_DLSYM(sd_bus_open_system_with_description);
extern BUS_DLSYM(sd_bus_open_user_with_description);
extern BUS_DLSYM(sd_bus_new);
extern BUS_DLSYM(sd_bus_set_address);
extern BUS_DLSYM(sd_bus_set_bus_client);
extern BUS_DLSYM(sd_bus_set_description);
extern BUS_DLSYM(sd_bus_start);
extern BUS_DLSYM(sd_bus_flush_close_unref);
extern BUS_DLSYM(sd_bus_call_method);
extern BUS_DLSYM(sd_bus_message_read);
extern BUS_DLSYM(sd_bus_message_unref);
extern BUS_DLSYM(sd_bus_error_free);

/* Loads libsystemd.so.0 once and resolves the calls above: 0, or -ELIBACC without it. */
int bus_dlopen(void);

static inline void sym_sd_bus_flush_close_unrefp(sd_bus **bus) {
        if (*bus)
                sym_sd_bus_flush_close_unref(*bus);
}

static inline void sym_sd_bus_message_unrefp(sd_bus_message **m) {
        if (*m)
                sym_sd_bus_message_unref(*m);
}

/* Connects to BUS: NULL or "system", "session", or a D-Bus address; DESCRIPTION names
 * the connection in the bus's logs. 0, or a negative errno (-ELIBACC: no libsystemd). */
int bus_open(const char *address, const char *description, sd_bus **ret);
