/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Records a kernel's SADB_REGISTER reply as hex, for tests/fixtures: run it
 * on a kernel with af_key (e.g. under qemu). Usage: pfkey-capture esp|ah
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/pfkeyv2.h>

#include "pfkey-parse.h"

int main(int argc, char **argv) {
        uint8_t buf[4096] __attribute__((aligned(8)));
        uint8_t satype = argc > 1 && strcmp(argv[1], "ah") == 0 ? SADB_SATYPE_AH : SADB_SATYPE_ESP;
        size_t len;
        ssize_t n;
        int fd = socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC, PF_KEY_V2);

        if (fd < 0) {
                perror("socket(PF_KEY)");
                return 1;
        }
        if (pfkey_build_register(buf, sizeof(buf), satype, 1, (uint32_t) getpid(), &len) < 0 ||
            send(fd, buf, len, 0) < 0 || (n = recv(fd, buf, sizeof(buf), 0)) < 0) {
                perror("SADB_REGISTER");
                return 1;
        }
        for (ssize_t i = 0; i < n; i++)
                printf("%02x%s", buf[i], (i + 1) % 16 == 0 || i + 1 == n ? "\n" : " ");
        return 0;
}
