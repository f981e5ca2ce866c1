/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/pfkeyv2.h>

#include "macro.h"
#include "pfkey-parse.h"
#include "probes.h"

#define PFKEY_TIMEOUT_S 2
#define PFKEY_BUF 4096

/* Names the algorithms of one supported extension into a list detail. */
static int list_algs(CapResult *res, const char *key, const PfkeyAlg *algs, unsigned n,
                     const char *(*name)(uint8_t id)) {
        for (unsigned i = 0; i < n; i++) {
                char unknown[16];
                const char *s = name(algs[i].id);
                int r;

                if (!s) {
                        snprintf(unknown, sizeof(unknown), "id-%u", algs[i].id);
                        s = unknown;
                }
                r = result_append_detail(res, key, s);
                /* A name the list already holds twice (GCM ICV lengths) is fine; a full list is truncation. */
                if (r == -ENOBUFS)
                        return 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * SADB_REGISTER for one SA type: the kernel answers with the algorithms it
 * supports for it. Registered sockets also get other sockets' REGISTER
 * replies, so only the answer to our own sequence number counts.
 */
static int do_register(int fd, uint8_t satype, uint32_t seq, CapResult *res, Check *c,
                       const char *auth_key, const char *enc_key) {
        uint8_t buf[PFKEY_BUF] __attribute__((aligned(8)));
        size_t len;
        PfkeyMsg m;
        int r;

        r = pfkey_build_register(buf, sizeof(buf), satype, seq, (uint32_t) getpid(), &len);
        if (r < 0)
                return r;
        if (send(fd, buf, len, 0) < 0) {
                c->outcome = CHECK_REFUSED;
                c->err = errno;
                return 0;
        }
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);

                if (n < 0) {
                        check_set_untried(c, errno, errno == EAGAIN ? "no SADB_REGISTER reply in time"
                                                                    : "recv() on the PF_KEY socket failed");
                        return 0;
                }
                r = pfkey_parse(buf, (size_t) n, &m);
                if (r < 0) {
                        check_set_untried(c, -r, "the kernel's PF_KEY reply did not parse");
                        return 0;
                }
                if (m.type == SADB_REGISTER && m.satype == satype && m.seq == seq)
                        break;
        }
        if (m.err) {
                c->outcome = CHECK_REFUSED;
                c->err = m.err;
                return 0;
        }
        c->outcome = CHECK_ACCEPTED;
        if (auth_key && (r = list_algs(res, auth_key, m.auth, m.n_auth, pfkey_auth_name)) < 0)
                return r;
        if (enc_key && (r = list_algs(res, enc_key, m.encrypt, m.n_encrypt, pfkey_encrypt_name)) < 0)
                return r;
        return 0;
}

static int run(const ProbeContext *ctx, CapResult *res) {
        struct timeval tv = { .tv_sec = PFKEY_TIMEOUT_S };
        _cleanup_close_ int fd = -1;
        Check *c;
        int r;

        c = ADD_CHECK(res, "PF_KEY", "PF_KEY_V2 socket");
        fd = socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC, PF_KEY_V2);
        if (fd < 0) {
                /* EAFNOSUPPORT: af_key is not in this kernel; the host may say why. */
                c->outcome = CHECK_REFUSED;
                c->err = errno;
                if (c->err == EAFNOSUPPORT)
                        trial_explain_module(c, "af_key");
                return 0;
        }
        c->outcome = CHECK_ACCEPTED;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;

        if ((r = do_register(fd, SADB_SATYPE_ESP, 1, res, ADD_CHECK(res, "ESP", "SADB_REGISTER"),
                             "esp_auth", "esp_encrypt")) < 0 ||
            (r = do_register(fd, SADB_SATYPE_AH, 2, res, ADD_CHECK(res, "AH", "SADB_REGISTER"), "ah_auth",
                             NULL)) < 0)
                return r;
        return 0;
}

DEFINE_PROBE(probe_api_pfkey_v2, "api.pfkey_v2", "3.4, 4", PROBE_ACTIVE,
             "PF_KEY v2 socket: SADB_REGISTER for ESP and AH and the algorithms listed",
             run);
