/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "macro.h"
#include "probes.h"
#include "trial.h"

/* RFC 8229 encapsulation type (include/uapi/linux/udp.h in newer headers). */
#ifndef TCP_ENCAP_ESPINTCP
#define TCP_ENCAP_ESPINTCP 7
#endif

/* The probe's namespace is fresh: loopback is down until someone brings it up. */
static int loopback_up(void) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {};

        if (fd < 0)
                return -errno;
        STRSCPY(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP;
        return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

/*
 * ENOENT: no such ULP (CONFIG_INET_ESPINTCP / CONFIG_INET6_ESPINTCP).
 * tcp_set_ulp() looks the name up, loading tcp-ulp-espintcp where it may,
 * before anything that depends on the socket, and a connected socket gets the
 * same answer. Asked on a new socket first, a kernel without the ULP says so
 * without loopback brought up and a connection made for each family.
 */
static bool ulp_unknown(uint16_t family, Check *c) {
        _cleanup_close_ int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);

        if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_ULP, "espintcp", strlen("espintcp")) == 0 || errno != ENOENT)
                return false;
        c->outcome = CHECK_REFUSED;
        c->err = ENOENT;
        return true;
}

/*
 * The socket half of RFC 8229: the "espintcp" TCP upper-layer protocol on a
 * connected TCP socket (over loopback), read back with getsockopt(TCP_ULP).
 */
static void try_ulp(uint16_t family, Check *c) {
        _cleanup_close_ int lfd = -1, fd = -1;
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } addr = {};
        socklen_t alen = family == AF_INET6 ? sizeof(addr.in6) : sizeof(addr.in);
        int r;

        if (ulp_unknown(family, c))
                return;
        if ((r = loopback_up()) < 0) {
                check_set_untried(c, -r, "could not bring up loopback in the namespace");
                return;
        }
        addr.sa.sa_family = family;
        if (family == AF_INET6)
                addr.in6.sin6_addr = in6addr_loopback;
        else
                addr.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
        fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
        if (lfd < 0 || fd < 0) {
                c->outcome = CHECK_REFUSED;
                c->err = errno;
                STRSCPY(c->note, "no TCP socket of this family");
                return;
        }
        if (bind(lfd, &addr.sa, alen) < 0 || listen(lfd, 1) < 0 || getsockname(lfd, &addr.sa, &alen) < 0 ||
            connect(fd, &addr.sa, alen) < 0) {
                check_set_untried(c, errno, "no loopback TCP connection to try it on");
                return;
        }
        trial_sockopt(c, fd, IPPROTO_TCP, TCP_ULP, "espintcp", strlen("espintcp"), "TCP_ULP");
}

static int run(const ProbeContext *ctx, CapResult *res) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                XfrmSa sa;
                int r;

                r = trial_encap_sa_init(&sa, f, XFRM_MODE_TRANSPORT, TRIAL_SPI_ESPINTCP + (uint32_t) i, TCP_ENCAP_ESPINTCP);
                if (r < 0)
                        return r;
                r = trial_sa(ctx->xfrm, &sa, ADD_CHECK(res, f->name, "ESP-in-TCP SA"));
                if (r < 0)
                        return r;
                try_ulp(f->family, ADD_CHECK(res, f->name, "espintcp TCP_ULP on a connected socket"));
        }
        return 0;
}

DEFINE_PROBE(probe_natt_tcp_encap, "natt.tcp_encap", "3.1", PROBE_ACTIVE | PROBE_NEEDS_XFRM | PROBE_SPENDS_NAMESPACE,
             "ESP in TCP (RFC 8229): SA with TCP_ENCAP_ESPINTCP and the espintcp TCP ULP",
             run);
