/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Connects to BUS: NULL or "system", "session", or a D-Bus address; DESCRIPTION names
 * the connection in the bus's logs. 0, or a negative errno. */
int bus_open(const char *address, const char *description, sd_bus **ret);
