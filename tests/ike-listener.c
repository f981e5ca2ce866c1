/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stand-in IKE daemon for the tests: binds UDP 500 (IPv4), UDP 4500
 * (IPv6) and listens on TCP 4500 (IPv4), says "ready" and waits to be
 * killed. Run it inside a throw-away network namespace.
 *   ike-listener [--nat-t-only | --ike-only] [--name=NAME]
 * --nat-t-only skips UDP 500 (a privileged port), so that an unprivileged
 * user can run it; --ike-only binds UDP 500 alone, beside such a user;
 * --name sets the process name (comm), hostile bytes included.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int bind_port(int family, int type, int port) {
        struct sockaddr_storage ss = {};
        socklen_t len;
        int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1;

        if (fd < 0)
                return -1;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(port);
                len = sizeof(*sin);
        } else {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(port);
                len = sizeof(*sin6);
        }
        if (bind(fd, (struct sockaddr *) &ss, len) < 0 || (type == SOCK_STREAM && listen(fd, 1) < 0)) {
                perror("bind");
                return -1;
        }
        return fd;
}

int main(int argc, char **argv) {
        int nat_t_only = 0, ike_only = 0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--nat-t-only") == 0)
                        nat_t_only = 1;
                else if (strcmp(argv[i], "--ike-only") == 0)
                        ike_only = 1;
                else if (strncmp(argv[i], "--name=", 7) == 0)
                        (void) prctl(PR_SET_NAME, argv[i] + 7, 0, 0, 0);
                else {
                        fprintf(stderr, "usage: ike-listener [--nat-t-only | --ike-only] [--name=NAME]\n");
                        return 2;
                }
        }
        if ((!nat_t_only && bind_port(AF_INET, SOCK_DGRAM, 500) < 0) ||
            (!ike_only && (bind_port(AF_INET6, SOCK_DGRAM, 4500) < 0 || bind_port(AF_INET, SOCK_STREAM, 4500) < 0)))
                return 1;
        printf("ready\n");
        fflush(stdout);
        for (;;)
                pause();
}
