/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel matrix's PF_KEY oracle: an independent PF_KEY v2 client,
 * written from RFC 2367 and the KAME extensions in <linux/pfkeyv2.h> (no
 * Debian package has one any more: ipsec-tools/setkey is gone), sharing no
 * code with ipsec-audit. Each trial runs in a fresh network namespace and
 * prints one line, as tests/kernel-matrix/guest.sh's iproute2 oracle does:
 *
 *     oracle NAME ok
 *     oracle NAME refused ERRNO-NAME
 *
 * Names match the iproute2 oracle's (esp4, nested4, ...); null4 is a
 * null-cipher tunnel SA (RFC 2410, the outer layer of the nested datapath
 * flows); socket4/socket6 are per-socket policies (IP_IPSEC_POLICY /
 * IPV6_IPSEC_POLICY). An SA
 * counts only when SADB_GET finds it afterwards, a policy only when
 * SADB_X_SPDDUMP lists it. Exit 0 when every trial got an answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/ipsec.h>
#include <linux/pfkeyv2.h>

/* A request under construction: 64-bit words, as RFC 2367 counts lengths. */
static uint64_t req[512];
static size_t req_words;

static void *grow(size_t bytes) {
        void *p = (uint8_t *) req + req_words * 8;
        size_t w = (bytes + 7) / 8;

        memset(p, 0, w * 8);
        req_words += w;
        return p;
}

static void begin(uint8_t type, uint8_t satype, uint32_t seq) {
        struct sadb_msg *m;

        req_words = 0;
        m = grow(sizeof(*m));
        m->sadb_msg_version = PF_KEY_V2;
        m->sadb_msg_type = type;
        m->sadb_msg_satype = satype;
        m->sadb_msg_seq = seq;
        m->sadb_msg_pid = (uint32_t) getpid();
}

/* An address extension: header plus sockaddr_in or sockaddr_in6 for a literal. */
static void address(uint16_t exttype, const char *lit, uint16_t port, uint8_t ulproto, uint8_t plen) {
        size_t start = req_words;
        struct sadb_address *a = grow(sizeof(*a));
        int v6 = strchr(lit, ':') != NULL;

        a->sadb_address_exttype = exttype;
        a->sadb_address_proto = ulproto;
        a->sadb_address_prefixlen = plen;
        if (v6) {
                struct sockaddr_in6 *s = grow(sizeof(*s));
                s->sin6_family = AF_INET6;
                s->sin6_port = htons(port);
                inet_pton(AF_INET6, lit, &s->sin6_addr);
        } else {
                struct sockaddr_in *s = grow(sizeof(*s));
                s->sin_family = AF_INET;
                s->sin_port = htons(port);
                inet_pton(AF_INET, lit, &s->sin_addr);
        }
        a->sadb_address_len = (uint16_t) (req_words - start);
}

static void key(uint16_t exttype, unsigned bits) {
        size_t start = req_words;
        struct sadb_key *k = grow(sizeof(*k));

        k->sadb_key_exttype = exttype;
        k->sadb_key_bits = (uint16_t) bits;
        memset(grow(bits / 8), 0x42, bits / 8);
        k->sadb_key_len = (uint16_t) (req_words - start);
}

static size_t finish(void) {
        struct sadb_msg *m = (void *) req;

        m->sadb_msg_len = (uint16_t) req_words;
        return req_words * 8;
}

static int key_socket(void) {
        struct timeval tv = { .tv_sec = 5 };
        int fd;

        if (unshare(CLONE_NEWNET) < 0)
                return -errno;
        fd = socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC, PF_KEY_V2);
        if (fd < 0)
                return -errno;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        return fd;
}

/*
 * Sends the request and waits for the kernel's answer to it (same pid and
 * sequence number): 0, or the positive errno it carried, or -errno for a
 * conversation that failed. Dumps end with sequence number 0.
 */
static uint64_t reply[1024];

static int ask(int fd, uint32_t seq, int dump) {
        if (send(fd, req, finish(), 0) < 0)
                return errno;
        for (;;) {
                ssize_t n = recv(fd, reply, sizeof(reply), 0);
                const struct sadb_msg *m = (const void *) reply;

                if (n < 0)
                        return -errno;
                if ((size_t) n < sizeof(*m) || m->sadb_msg_pid != (uint32_t) getpid())
                        continue;
                if (m->sadb_msg_errno)
                        return m->sadb_msg_errno;
                if (dump ? m->sadb_msg_type == SADB_X_SPDDUMP : m->sadb_msg_seq == seq)
                        return 0;
        }
}

typedef struct Sa {
        const char *src, *dst;
        uint8_t satype, mode, auth, enc;
        unsigned auth_bits, enc_bits;
        int natt;
} Sa;

static void sa_msg(uint8_t type, const Sa *s, uint32_t seq) {
        struct sadb_sa *e;

        begin(type, s->satype, seq);
        e = grow(sizeof(*e));
        e->sadb_sa_len = sizeof(*e) / 8;
        e->sadb_sa_exttype = SADB_EXT_SA;
        e->sadb_sa_spi = htonl(0x100);
        if (type == SADB_ADD) {
                e->sadb_sa_state = SADB_SASTATE_MATURE;
                e->sadb_sa_auth = s->auth;
                e->sadb_sa_encrypt = s->enc;
        }
        address(SADB_EXT_ADDRESS_SRC, s->src, 0, IPSEC_ULPROTO_ANY, 0);
        address(SADB_EXT_ADDRESS_DST, s->dst, 0, IPSEC_ULPROTO_ANY, 0);
        if (type != SADB_ADD)
                return;
        {
                struct sadb_x_sa2 *x = grow(sizeof(*x));
                x->sadb_x_sa2_len = sizeof(*x) / 8;
                x->sadb_x_sa2_exttype = SADB_X_EXT_SA2;
                x->sadb_x_sa2_mode = s->mode;
        }
        if (s->auth_bits)
                key(SADB_EXT_KEY_AUTH, s->auth_bits);
        if (s->enc_bits)
                key(SADB_EXT_KEY_ENCRYPT, s->enc_bits);
        if (s->natt) {
                struct sadb_x_nat_t_type *t = grow(sizeof(*t));
                struct sadb_x_nat_t_port *sp = grow(sizeof(*sp)), *dp = grow(sizeof(*dp));

                t->sadb_x_nat_t_type_len = sizeof(*t) / 8;
                t->sadb_x_nat_t_type_exttype = SADB_X_EXT_NAT_T_TYPE;
                t->sadb_x_nat_t_type_type = 1; /* UDP_ENCAP_ESPINUDP */
                sp->sadb_x_nat_t_port_len = dp->sadb_x_nat_t_port_len = sizeof(*sp) / 8;
                sp->sadb_x_nat_t_port_exttype = SADB_X_EXT_NAT_T_SPORT;
                dp->sadb_x_nat_t_port_exttype = SADB_X_EXT_NAT_T_DPORT;
                sp->sadb_x_nat_t_port_port = dp->sadb_x_nat_t_port_port = htons(4500);
        }
}

static void report(const char *name, int err) {
        if (err == 0)
                printf("oracle %s ok\n", name);
        else
                printf("oracle %s refused %s\n", name, strerrorname_np(err < 0 ? -err : err) ?: "?");
}

/* The request in req is sent; once accepted, the check the one build() makes must find it. */
static int add_then_find(const char *name, int fd, void (*build)(const void *what), const void *what, int dump) {
        int err = ask(fd, 1, 0);

        if (err == 0) {
                build(what);
                err = ask(fd, 2, dump);
        }
        close(fd);
        report(name, err);
        return err >= 0;
}

static void sa_get(const void *s) {
        sa_msg(SADB_GET, s, 2);
}

/* SADB_ADD, then SADB_GET must find it. */
static int try_sa(const char *name, const Sa *s) {
        int fd = key_socket();

        if (fd < 0) {
                report(name, fd);
                return 0;
        }
        sa_msg(SADB_ADD, s, 1);
        return add_then_find(name, fd, sa_get, s, 0);
}

static void spd_dump(const void *unused) {
        begin(SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC, 2);
}

/* One ipsecrequest: ESP, at level "require"; tunnel ones carry their endpoints. */
static void request(uint8_t mode, const char *tsrc, const char *tdst) {
        size_t start = req_words;
        struct sadb_x_ipsecrequest *r = grow(sizeof(*r));

        r->sadb_x_ipsecrequest_proto = IPPROTO_ESP;
        r->sadb_x_ipsecrequest_mode = mode;
        r->sadb_x_ipsecrequest_level = IPSEC_LEVEL_REQUIRE;
        if (mode == IPSEC_MODE_TUNNEL) {
                struct sockaddr_in *a = grow(sizeof(*a)), *b = grow(sizeof(*b));
                a->sin_family = b->sin_family = AF_INET;
                inet_pton(AF_INET, tsrc, &a->sin_addr);
                inet_pton(AF_INET, tdst, &b->sin_addr);
        }
        r->sadb_x_ipsecrequest_len = (uint16_t) ((req_words - start) * 8);
}

/* SADB_X_SPDADD of an outbound policy, then SADB_X_SPDDUMP must list one. */
static int try_policy(const char *name, uint8_t ulproto, uint16_t dport, int nested) {
        struct sadb_x_policy *p;
        size_t start;
        int fd = key_socket();

        if (fd < 0) {
                report(name, fd);
                return 0;
        }
        begin(SADB_X_SPDADD, SADB_SATYPE_UNSPEC, 1);
        address(SADB_EXT_ADDRESS_SRC, "192.0.2.1", 0, ulproto, 32);
        address(SADB_EXT_ADDRESS_DST, "192.0.2.2", dport, ulproto, 32);
        start = req_words;
        p = grow(sizeof(*p));
        p->sadb_x_policy_exttype = SADB_X_EXT_POLICY;
        p->sadb_x_policy_type = IPSEC_POLICY_IPSEC;
        p->sadb_x_policy_dir = IPSEC_DIR_OUTBOUND;
        request(IPSEC_MODE_TRANSPORT, NULL, NULL);
        if (nested)
                request(IPSEC_MODE_TUNNEL, "198.51.100.1", "198.51.100.2");
        p = (void *) ((uint64_t *) req + start);
        p->sadb_x_policy_len = (uint16_t) (req_words - start);
        return add_then_find(name, fd, spd_dump, NULL, 1);
}

/* setsockopt(IP_IPSEC_POLICY) with an outbound ESP transport policy, as racoon-era applications do. */
static int try_socket(const char *name, int family) {
        struct {
                struct sadb_x_policy p;
                struct sadb_x_ipsecrequest r;
        } pol = {
                .p = {
                        .sadb_x_policy_len = sizeof(pol) / 8,
                        .sadb_x_policy_exttype = SADB_X_EXT_POLICY,
                        .sadb_x_policy_type = IPSEC_POLICY_IPSEC,
                        .sadb_x_policy_dir = IPSEC_DIR_OUTBOUND,
                },
                .r = {
                        .sadb_x_ipsecrequest_len = sizeof(pol.r),
                        .sadb_x_ipsecrequest_proto = IPPROTO_ESP,
                        .sadb_x_ipsecrequest_mode = IPSEC_MODE_TRANSPORT,
                        .sadb_x_ipsecrequest_level = IPSEC_LEVEL_REQUIRE,
                },
        };
        int fd, err = 0;

        if (unshare(CLONE_NEWNET) < 0) {
                report(name, -errno);
                return 0;
        }
        fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
                                 family == AF_INET6 ? IPV6_IPSEC_POLICY : IP_IPSEC_POLICY, &pol, sizeof(pol)) < 0)
                err = errno;
        if (fd >= 0)
                close(fd);
        report(name, err);
        return 1;
}

int main(void) {
        enum { T = IPSEC_MODE_TRANSPORT, TUN = IPSEC_MODE_TUNNEL, BEET = IPSEC_MODE_BEET };
        const uint8_t E = SADB_SATYPE_ESP, A = SADB_SATYPE_AH, C = SADB_X_SATYPE_IPCOMP;
        const uint8_t SHA256 = SADB_X_AALG_SHA2_256HMAC, AES = SADB_X_EALG_AESCBC, DEFL = SADB_X_CALG_DEFLATE;
        const char *v4s = "192.0.2.1", *v4d = "192.0.2.2", *v6s = "2001:db8::1", *v6d = "2001:db8::2";
        int ok = 1;

        setvbuf(stdout, NULL, _IOLBF, 0);
        ok &= try_sa("esp4", &(Sa) { v4s, v4d, E, T, SHA256, AES, 256, 128, 0 });
        ok &= try_sa("esp6", &(Sa) { v6s, v6d, E, T, SHA256, AES, 256, 128, 0 });
        ok &= try_sa("ah4", &(Sa) { v4s, v4d, A, T, SHA256, 0, 256, 0, 0 });
        ok &= try_sa("ah6", &(Sa) { v6s, v6d, A, T, SHA256, 0, 256, 0, 0 });
        ok &= try_sa("comp4", &(Sa) { v4s, v4d, C, T, 0, DEFL, 0, 0, 0 });
        ok &= try_sa("comp6", &(Sa) { v6s, v6d, C, T, 0, DEFL, 0, 0, 0 });
        ok &= try_sa("tunnel4", &(Sa) { v4s, v4d, E, TUN, SHA256, AES, 256, 128, 0 });
        ok &= try_sa("beet4", &(Sa) { v4s, v4d, E, BEET, SHA256, AES, 256, 128, 0 });
        ok &= try_sa("natt4", &(Sa) { v4s, v4d, E, TUN, SHA256, AES, 256, 128, 1 });
        ok &= try_sa("mcast4", &(Sa) { v4s, "239.1.1.1", E, T, SHA256, AES, 256, 128, 0 });
        ok &= try_sa("null4", &(Sa) { v4s, v4d, E, TUN, SHA256, SADB_EALG_NULL, 256, 0, 0 });
        ok &= try_policy("ports4", IPPROTO_TCP, 179, 0);
        ok &= try_policy("nested4", IPSEC_ULPROTO_ANY, 0, 1);
        ok &= try_socket("socket4", AF_INET);
        ok &= try_socket("socket6", AF_INET6);
        return ok ? 0 : 1;
}
