/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Load client for ipsec-auditd: N GetReport calls, one connection, each
 * reply checked to be a report. Prints "calls=N failures=N seconds=S".
 * Usage: dbus-load-client ADDRESS CALLS [ID_BYTES|ping]
 * With ID_BYTES, each call is GetCapability with an unknown id that long
 * instead, and must fail with InvalidArgs in a short message (tests/dbus.sh
 * sends 20 MB ids: the daemon must neither echo them nor keep the memory).
 * With "ping", each call is org.freedesktop.DBus.Peer.Ping to the daemon,
 * which sd-bus answers by itself: the bus and library's own cost per call.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        struct timespec t0, t1;
        unsigned long calls, failures = 0;
        bool ping = argc == 4 && strcmp(argv[3], "ping") == 0;
        size_t id_bytes = argc == 4 && !ping ? strtoul(argv[3], NULL, 10) : 0;
        char *id = NULL;
        int r;

        if (argc < 3 || argc > 4 || (calls = strtoul(argv[2], NULL, 10)) == 0 || (argc == 4 && !ping && id_bytes == 0)) {
                fprintf(stderr, "usage: %s ADDRESS CALLS [ID_BYTES|ping]\n", argv[0]);
                return 2;
        }
        if (id_bytes) {
                if (!(id = malloc(id_bytes + 1)))
                        return 1;
                memset(id, 'x', id_bytes);
                id[id_bytes] = '\0';
        }
        if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, argv[1])) < 0 ||
            (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0) {
                fprintf(stderr, "cannot connect to %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (unsigned long i = 0; i < calls; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                const char *s = NULL;
                bool ok;

                if (ping) {
                        r = sd_bus_call_method(bus, "net.ipsecaudit.Auditor1", "/net/ipsecaudit/Auditor1",
                                               "org.freedesktop.DBus.Peer", "Ping", &error, &reply, "");
                        ok = r >= 0;
                } else if (id) {
                        r = sd_bus_call_method(bus, "net.ipsecaudit.Auditor1", "/net/ipsecaudit/Auditor1",
                                               "net.ipsecaudit.Auditor1", "GetCapability", &error, &reply, "s", id);
                        ok = r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_INVALID_ARGS) &&
                             strlen(error.message) < 256;
                } else {
                        r = sd_bus_call_method(bus, "net.ipsecaudit.Auditor1", "/net/ipsecaudit/Auditor1",
                                               "net.ipsecaudit.Auditor1", "GetReport", &error, &reply, "");
                        ok = r >= 0 && sd_bus_message_read(reply, "s", &s) >= 0 &&
                             strstr(s, "\"ipsec-audit/report/v1\"");
                }
                if (!ok && failures++ < 3)
                        fprintf(stderr, "call %lu failed (%zu-byte error): %.80s\n", i,
                                error.message ? strlen(error.message) : 0, error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                sd_bus_message_unref(reply);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("calls=%lu failures=%lu seconds=%.3f\n", calls, failures,
               (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
        sd_bus_flush_close_unref(bus);
        free(id);
        return failures ? 1 : 0;
}
