/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz targets for the key-management probes' parsers, which are static in
 * probes/km.c and so compiled in here:
 *   -DFUZZ_SOCK_DIAG  sock_diag (inet_diag) dump replies, through libmnl's loop
 *   -DFUZZ_PROC_NET   /proc/net/netlink and /proc/net/pfkey text, read from a memfd
 */
#include "../probes/km.c"

#include <sys/mman.h>

#include "fuzz.h"

#ifdef FUZZ_SOCK_DIAG
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Found found[KM_MAX_SOCKETS];
        DiagQuery q = { .protocol = IPPROTO_UDP, .found = found, .max = ELEMENTSOF(found) };
        NetlinkAnswer ans;
        const uint8_t *buf = fuzz_datagram(data, size);

        if (!buf)
                return 0;
        (void) netlink_parse_datagram(buf, size, 0, 0, diag_cb, &q, &ans);
        q = (DiagQuery) { .protocol = IPPROTO_TCP, .found = found, .max = ELEMENTSOF(found) };
        (void) netlink_parse_datagram(buf, size, 0, 0, diag_cb, &q, &ans);
        return 0;
}
#endif

#ifdef FUZZ_PROC_NET
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static int fd = -1;
        static char path[64];
        Subscribers subs = {};
        KeySockets keys = {};

        if (fd < 0) {
                fd = memfd_create("proc-net", MFD_CLOEXEC);
                if (fd < 0)
                        abort();
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        }
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t) size)
                abort();
        (void) proc_table_each(path, acquire_line, &subs);
        (void) proc_table_each(path, netlink_key_line, &keys);
        (void) proc_table_each(path, pfkey_line, &keys);
        return 0;
}
#endif
