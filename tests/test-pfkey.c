/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PF_KEY parser against real replies (captured from Debian's 6.1 kernel
 * under qemu with tests/pfkey-capture) and against every way of lying about
 * lengths; then the api.pfkey_v2 probe with socket/send/recv wrapped so the
 * "kernel" answers with those captured bytes. Then the SADB messages the
 * trials send when XFRM netlink is absent, and trial_sa()/trial_policy()
 * through a PF_KEY handle against a scripted af_key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/ipsec.h>
#include <linux/pfkeyv2.h>
#include <linux/udp.h>
#include <cmocka.h>

#include "macro.h"
#include "xfrm/pfkey-sa.h"
#include "probe.h"
#include "trial.h"

extern const Probe probe_api_pfkey_v2;

typedef struct Blob {
        uint8_t data[4096] __attribute__((aligned(8)));
        size_t len;
} Blob;

static void load_hex(const char *name, Blob *b) {
        char path[512];
        unsigned v;
        FILE *f;

        snprintf(path, sizeof(path), "%s/fixtures/%s", getenv("TESTS_DIR") ?: "tests", name);
        f = fopen(path, "re");
        assert_non_null(f);
        b->len = 0;
        while (b->len < sizeof(b->data) && fscanf(f, "%x", &v) == 1)
                b->data[b->len++] = (uint8_t) v;
        fclose(f);
}

static void test_parse_captured_esp(void **state) {
        Blob b;
        PfkeyMsg m;
        bool sha256 = false, aes = false;

        load_hex("pfkey-register-esp.hex", &b);
        assert_int_equal(b.len, 176);
        assert_int_equal(pfkey_parse(b.data, b.len, &m), 0);
        assert_int_equal(m.type, SADB_REGISTER);
        assert_int_equal(m.satype, SADB_SATYPE_ESP);
        assert_int_equal(m.err, 0);
        assert_true(m.ext_seen & (1u << SADB_EXT_SUPPORTED_AUTH));
        assert_int_equal(m.n_auth, 8);
        assert_int_equal(m.n_encrypt, 10);
        for (unsigned i = 0; i < m.n_auth; i++)
                sha256 |= m.auth[i].id == SADB_X_AALG_SHA2_256HMAC && m.auth[i].minbits == 256;
        for (unsigned i = 0; i < m.n_encrypt; i++)
                aes |= m.encrypt[i].id == SADB_X_EALG_AESCBC && m.encrypt[i].maxbits == 256 && m.encrypt[i].ivlen == 8;
        assert_true(sha256);
        assert_true(aes);
        assert_string_equal(pfkey_auth_name(SADB_X_AALG_SHA2_256HMAC), "hmac(sha256)");
        assert_string_equal(pfkey_encrypt_name(SADB_X_EALG_AESCBC), "cbc(aes)");
        assert_null(pfkey_auth_name(200));
}

static void test_parse_every_truncation_fails(void **state) {
        Blob b;
        PfkeyMsg m = { .type = 0xee };

        load_hex("pfkey-register-ah.hex", &b);
        assert_int_equal(pfkey_parse(b.data, b.len, &m), 0);
        assert_int_equal(m.satype, SADB_SATYPE_AH);
        for (size_t len = 0; len < b.len; len++) {
                PfkeyMsg untouched = { .type = 0xee };
                assert_int_equal(pfkey_parse(b.data, len, &untouched), -EBADMSG);
                assert_int_equal(untouched.type, 0xee);
        }
        assert_int_equal(pfkey_parse(NULL, 16, &m), -EBADMSG);
}

/* A message: header plus the given extension bytes, sadb_msg_len set from the total. */
static size_t make_msg(uint8_t *buf, const void *ext, size_t ext_len) {
        struct sadb_msg h = { .sadb_msg_version = PF_KEY_V2, .sadb_msg_type = SADB_REGISTER,
                              .sadb_msg_satype = SADB_SATYPE_ESP };
        h.sadb_msg_len = (uint16_t) ((sizeof(h) + ext_len) / 8);
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), ext, ext_len);
        return sizeof(h) + ext_len;
}

static void test_parse_malformed(void **state) {
        uint8_t buf[512] __attribute__((aligned(8)));
        uint8_t ext[256] = {};
        struct sadb_supported sup = { .sadb_supported_len = 2, .sadb_supported_exttype = SADB_EXT_SUPPORTED_AUTH };
        struct sadb_alg alg = { .sadb_alg_id = 5, .sadb_alg_minbits = 256, .sadb_alg_maxbits = 256 };
        PfkeyMsg m;
        size_t len;

        /* Good: one supported extension with one algorithm. */
        memcpy(ext, &sup, sizeof(sup));
        memcpy(ext + 8, &alg, sizeof(alg));
        len = make_msg(buf, ext, 16);
        assert_int_equal(pfkey_parse(buf, len, &m), 0);
        assert_int_equal(m.n_auth, 1);

        /* Wrong version, non-zero reserved, sadb_msg_len disagreeing with the buffer. */
        buf[0] = 1;
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);
        buf[0] = PF_KEY_V2;
        buf[7] = 1;
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);
        buf[7] = 0;
        assert_int_equal(pfkey_parse(buf, len + 8, &m), -EBADMSG);
        buf[4]++;
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);
        buf[4]--;

        /* Extension length 0 (would loop forever), and one overrunning the message. */
        buf[16] = 0;
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);
        buf[16] = 3;
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);
        buf[16] = 2;

        /* minbits > maxbits. */
        buf[16 + 8 + 2] = 0xff;
        buf[16 + 8 + 3] = 0xff;
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);

        /* Duplicate extension, reserved and unknown extension types. */
        memcpy(ext + 16, ext, 16);
        len = make_msg(buf, ext, 32);
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);
        ext[2] = SADB_EXT_RESERVED;
        len = make_msg(buf, ext, 8);
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);
        ext[2] = SADB_EXT_MAX + 1;
        len = make_msg(buf, ext, 8);
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);

        /* A supported extension of one word only: no algorithms, fine. */
        ext[0] = 1;
        ext[2] = SADB_EXT_SUPPORTED_ENCRYPT;
        len = make_msg(buf, ext, 8);
        assert_int_equal(pfkey_parse(buf, len, &m), 0);
        assert_int_equal(m.n_encrypt, 0);
        /* A tail that is not a whole extension header. */
        len = make_msg(buf, ext, 8);
        assert_int_equal(pfkey_parse(buf, len + 2, &m), -EBADMSG);

        /* More algorithms than we keep. */
        {
                uint8_t big[16 + 8 + 8 * (PFKEY_MAX_ALGS + 1)] __attribute__((aligned(8))) = {};
                struct sadb_supported s = { .sadb_supported_len = 1 + PFKEY_MAX_ALGS + 1,
                                            .sadb_supported_exttype = SADB_EXT_SUPPORTED_AUTH };
                len = make_msg(big, &s, sizeof(s));
                big[4] = (uint8_t) (sizeof(big) / 8);
                assert_int_equal(pfkey_parse(big, sizeof(big), &m), -E2BIG);
        }
}

static void test_build_register_parses(void **state) {
        uint8_t buf[64] __attribute__((aligned(8)));
        PfkeyMsg m;
        size_t len;

        assert_int_equal(pfkey_build_register(buf, 8, SADB_SATYPE_AH, 1, 2, &len), -ENOBUFS);
        assert_int_equal(pfkey_build_register(buf, sizeof(buf), SADB_SATYPE_AH, 7, 42, &len), 0);
        assert_int_equal(pfkey_parse(buf, len, &m), 0);
        assert_int_equal(m.type, SADB_REGISTER);
        assert_int_equal(m.satype, SADB_SATYPE_AH);
        assert_int_equal(m.seq, 7);
        assert_int_equal(m.pid, 42);
}

/* The wrapped kernel: socket() result, then one queued reply per recv(). */
#define FAKE_FD 1000
static struct {
        int socket_err;
        Blob replies[8];
        int recv_err[8];
        unsigned n_replies, next;
        unsigned sent;
        /* The scripted af_key (af_key_answer): what it stored, and how it misbehaves. */
        bool af_key;
        Blob sa, policy;
        uint8_t refuse;      /* answer every request with this sadb_msg_errno */
        uint8_t replay_kept; /* stores this replay window instead of the one sent */
} fake;

int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol) {
        if (domain != PF_KEY)
                return __real_socket(domain, type, protocol);
        assert_int_equal(protocol, PF_KEY_V2);
        if (fake.socket_err) {
                errno = fake.socket_err;
                return -1;
        }
        return FAKE_FD;
}

int __real_setsockopt(int fd, int level, int name, const void *v, socklen_t len);
int __wrap_setsockopt(int fd, int level, int name, const void *v, socklen_t len);
int __wrap_setsockopt(int fd, int level, int name, const void *v, socklen_t len) {
        return fd == FAKE_FD ? 0 : __real_setsockopt(fd, level, name, v, len);
}

int __real_close(int fd);
int __wrap_close(int fd);
int __wrap_close(int fd) {
        return fd == FAKE_FD ? 0 : __real_close(fd);
}

static Blob *queue_reply(const void *data, size_t len) {
        Blob *b;

        assert_true(fake.n_replies < ELEMENTSOF(fake.replies));
        b = &fake.replies[fake.n_replies++];
        assert_true(len <= sizeof(b->data));
        memcpy(b->data, data, len);
        b->len = len;
        return b;
}

static void set_header(Blob *b, uint8_t type, uint8_t err, uint16_t reserved, uint32_t seq, uint32_t pid) {
        struct sadb_msg h;

        memcpy(&h, b->data, sizeof(h));
        h.sadb_msg_type = type;
        h.sadb_msg_errno = err;
        h.sadb_msg_reserved = reserved;
        h.sadb_msg_seq = seq;
        h.sadb_msg_pid = pid;
        h.sadb_msg_len = (uint16_t) (b->len / 8);
        memcpy(b->data, &h, sizeof(h));
}

/*
 * What af_key does with each request, as net/key/af_key.c does it: SADB_ADD
 * and SADB_X_SPDADD are broadcast back (after another socket's message), the
 * policy with its refcount in sadb_msg_reserved; SADB_GET is answered as
 * SADB_DUMP; SADB_X_SPDDUMP lists the one policy with sequence number 0;
 * errors echo the header with sadb_msg_errno.
 */
static void af_key_answer(const uint8_t *req, size_t len, const PfkeyMsg *m) {
        Blob *b;

        if (fake.refuse) {
                set_header(queue_reply(req, sizeof(struct sadb_msg)), m->type, fake.refuse, 0, m->seq, m->pid);
                return;
        }
        switch (m->type) {
        case SADB_ADD:
                set_header(queue_reply(req, len), SADB_ADD, 0, 0, 77, m->pid + 1);
                queue_reply(req, len);
                memcpy(fake.sa.data, req, len);
                fake.sa.len = len;
                if (fake.replay_kept) {
                        struct sadb_sa sa;
                        memcpy(&sa, fake.sa.data + m->ext_off[SADB_EXT_SA], sizeof(sa));
                        sa.sadb_sa_replay = fake.replay_kept;
                        memcpy(fake.sa.data + m->ext_off[SADB_EXT_SA], &sa, sizeof(sa));
                }
                break;
        case SADB_GET:
                if (!fake.sa.len) {
                        set_header(queue_reply(req, sizeof(struct sadb_msg)), SADB_GET, ESRCH, 0, m->seq, m->pid);
                        break;
                }
                set_header(queue_reply(fake.sa.data, fake.sa.len), SADB_DUMP, 0, 0, m->seq, m->pid);
                break;
        case SADB_X_SPDADD:
                b = queue_reply(req, len);
                set_header(b, SADB_X_SPDADD, 0, 2, m->seq, m->pid);
                fake.policy = *b;
                break;
        case SADB_X_SPDDUMP:
                if (!fake.policy.len) {
                        set_header(queue_reply(req, sizeof(struct sadb_msg)), SADB_X_SPDDUMP, ENOENT, 0, m->seq, m->pid);
                        break;
                }
                set_header(queue_reply(fake.policy.data, fake.policy.len), SADB_X_SPDDUMP, 0, 2, 0, m->pid);
                break;
        default:
                fail_msg("unexpected request type %u", m->type);
        }
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags) {
        PfkeyMsg m;

        assert_int_equal(fd, FAKE_FD);
        /* What we send must itself be well-formed. */
        assert_int_equal(pfkey_parse(buf, len, &m), 0);
        if (fake.af_key)
                af_key_answer(buf, len, &m);
        else
                assert_int_equal(m.type, SADB_REGISTER);
        fake.sent++;
        return (ssize_t) len;
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags) {
        unsigned i = fake.next++;

        assert_int_equal(fd, FAKE_FD);
        if (i >= fake.n_replies || fake.recv_err[i]) {
                errno = i < fake.n_replies ? fake.recv_err[i] : EAGAIN;
                return -1;
        }
        assert_true(fake.replies[i].len <= len);
        memcpy(buf, fake.replies[i].data, fake.replies[i].len);
        return (ssize_t) fake.replies[i].len;
}

static int reset(void **state) {
        memset(&fake, 0, sizeof(fake));
        return 0;
}

static void run_probe(CapResult *r) {
        ProbeContext ctx = {};

        *r = (CapResult) {};
        assert_int_equal(probe_api_pfkey_v2.run(&ctx, r), 0);
        result_conclude(r, probe_api_pfkey_v2.id);
}

static void queue_fixture(const char *name, uint8_t seq) {
        Blob *b = &fake.replies[fake.n_replies++];
        load_hex(name, b);
        b->data[8] = seq; /* sadb_msg_seq, little-endian: the answer to our request */
}

static void test_probe_no_af_key(void **state) {
        CapResult r;

        fake.socket_err = EAFNOSUPPORT;
        run_probe(&r);
        assert_int_equal(r.verdict, VERDICT_UNAVAILABLE);
        assert_int_equal(r.err, EAFNOSUPPORT);
        assert_int_equal(r.n_details, 0);
}

static void test_probe_real_replies(void **state) {
        const Detail *d;
        CapResult r;

        queue_fixture("pfkey-register-esp.hex", 1);
        queue_fixture("pfkey-register-ah.hex", 2);
        run_probe(&r);
        assert_int_equal(fake.sent, 2);
        assert_int_equal(r.verdict, VERDICT_AVAILABLE);
        assert_non_null(d = result_find_detail(&r, "esp_encrypt"));
        assert_true(d->list);
        assert_non_null(strstr(d->value, "cbc(aes), "));
        assert_non_null(strstr(d->value, "cbc(twofish)"));
        assert_non_null(d = result_find_detail(&r, "esp_auth"));
        assert_non_null(strstr(d->value, "hmac(sha256)"));
        assert_non_null(d = result_find_detail(&r, "ah_auth"));
        assert_non_null(strstr(d->value, "hmac(sha512)"));
        /* An AH reply's encryption list is not AH's business. */
        assert_null(result_find_detail(&r, "ah_encrypt"));
}

static void test_probe_skips_others_and_reads_errno(void **state) {
        CapResult r;

        /* Someone else's ESP registration first (seq 9), then ours; AH refused by the kernel. */
        queue_fixture("pfkey-register-esp.hex", 9);
        queue_fixture("pfkey-register-esp.hex", 1);
        queue_fixture("pfkey-register-ah.hex", 2);
        fake.replies[2].data[2] = EEXIST; /* sadb_msg_errno */
        run_probe(&r);
        assert_int_equal(r.verdict, VERDICT_PARTIAL);
        assert_int_equal(r.checks[2].outcome, CHECK_REFUSED);
        assert_int_equal(r.checks[2].err, EEXIST);
}

static void test_probe_garbage_and_silence(void **state) {
        CapResult r;

        queue_fixture("pfkey-register-esp.hex", 1);
        fake.replies[0].len -= 8; /* a reply shorter than it claims */
        run_probe(&r);
        assert_int_equal(r.checks[1].outcome, CHECK_UNTRIED);
        assert_int_equal(r.checks[1].err, EBADMSG);
        /* No reply at all to AH: untried, not refused. */
        assert_int_equal(r.checks[2].outcome, CHECK_UNTRIED);
        assert_int_equal(r.checks[2].err, EAGAIN);
        /* The socket opened; nothing else could be measured. */
        assert_int_equal(r.verdict, VERDICT_PARTIAL);
        assert_int_equal(r.n_details, 0);
}

/* Builds a request and parses it back as the kernel's reply to SADB_GET would be. */
static void sa_round_trip(const XfrmSa *sa) {
        uint8_t buf[1024] __attribute__((aligned(8)));
        XfrmSa want, got;
        char what[64] = "";
        size_t len;

        assert_null(pfkey_sa_inexpressible(sa));
        assert_int_equal(pfkey_build_sa(buf, sizeof(buf), SADB_ADD, sa, &len), 0);
        assert_int_equal(len % 8, 0);
        assert_int_equal(pfkey_sa_from_msg(buf, len, &got), 0);
        pfkey_sa_as_carried(sa, &want);
        assert_int_equal(xfrm_sa_compare(&want, &got, what, sizeof(what)), 0);
        /* The ICV length has no field: it is not read back either. */
        assert_int_equal(got.auth.icv_bits, 0);
}

static void test_sa_messages(void **state) {
        uint8_t buf[1024] __attribute__((aligned(8)));
        struct sadb_sa ext;
        struct sadb_x_sa2 sa2;
        struct sadb_key key;
        PfkeyMsg m;
        XfrmSa sa;
        size_t len;

        assert_int_equal(trial_sa_init(&sa, &trial_families[0], IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x1234), 0);
        sa.reqid = 7;
        assert_int_equal(pfkey_build_sa(buf, sizeof(buf), SADB_ADD, &sa, &len), 0);
        assert_int_equal(pfkey_parse(buf, len, &m), 0);
        assert_int_equal(m.type, SADB_ADD);
        assert_int_equal(m.satype, SADB_SATYPE_ESP);
        for (unsigned t = SADB_EXT_SA; t <= SADB_X_EXT_SA2; t++) {
                bool want = t == SADB_EXT_SA || t == SADB_EXT_ADDRESS_SRC || t == SADB_EXT_ADDRESS_DST ||
                            t == SADB_EXT_KEY_AUTH || t == SADB_EXT_KEY_ENCRYPT || t == SADB_X_EXT_SA2;
                assert_int_equal(!!(m.ext_seen & (1u << t)), want);
        }
        memcpy(&ext, buf + m.ext_off[SADB_EXT_SA], sizeof(ext));
        assert_int_equal(ext.sadb_sa_spi, htonl(0x1234));
        assert_int_equal(ext.sadb_sa_auth, SADB_X_AALG_SHA2_256HMAC);
        assert_int_equal(ext.sadb_sa_encrypt, SADB_X_EALG_AESCBC);
        assert_int_equal(ext.sadb_sa_state, SADB_SASTATE_MATURE);
        memcpy(&sa2, buf + m.ext_off[SADB_X_EXT_SA2], sizeof(sa2));
        assert_int_equal(sa2.sadb_x_sa2_mode, IPSEC_MODE_TRANSPORT);
        assert_int_equal(sa2.sadb_x_sa2_reqid, 7);
        memcpy(&key, buf + m.ext_off[SADB_EXT_KEY_AUTH], sizeof(key));
        assert_int_equal(key.sadb_key_bits, 256);
        assert_int_equal(key.sadb_key_len, 1 + 256 / 64);

        /* SADB_GET names the SA only: no keys, no algorithms. */
        assert_int_equal(pfkey_build_sa(buf, sizeof(buf), SADB_GET, &sa, &len), 0);
        assert_int_equal(pfkey_parse(buf, len, &m), 0);
        assert_int_equal(m.ext_seen, (1u << SADB_EXT_SA) | (1u << SADB_EXT_ADDRESS_SRC) | (1u << SADB_EXT_ADDRESS_DST));
        memcpy(&ext, buf + m.ext_off[SADB_EXT_SA], sizeof(ext));
        assert_int_equal(ext.sadb_sa_auth, 0);
        assert_int_equal(pfkey_build_sa(buf, 40, SADB_ADD, &sa, &len), -ENOBUFS);
        assert_int_equal(pfkey_build_sa(buf, sizeof(buf), SADB_DELETE, &sa, &len), -EINVAL);

        /* BEET is 3 in linux/ipsec.h, not XFRM_MODE_BEET + 1. */
        assert_int_equal(trial_sa_init(&sa, &trial_families[1], IPPROTO_ESP, XFRM_MODE_BEET, 1), 0);
        assert_int_equal(pfkey_build_sa(buf, sizeof(buf), SADB_ADD, &sa, &len), 0);
        assert_int_equal(pfkey_parse(buf, len, &m), 0);
        memcpy(&sa2, buf + m.ext_off[SADB_X_EXT_SA2], sizeof(sa2));
        assert_int_equal(sa2.sadb_x_sa2_mode, IPSEC_MODE_BEET);
}

static void test_sa_round_trips(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                XfrmSa sa;

                assert_int_equal(trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x100), 0);
                sa.replay_window = 32;
                sa.reqid = 0x46000;
                sa_round_trip(&sa);
                assert_int_equal(trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_TUNNEL, 0x101), 0);
                sa_round_trip(&sa);
                assert_int_equal(trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_BEET, 0x102), 0);
                sa_round_trip(&sa);
                assert_int_equal(trial_sa_init(&sa, f, IPPROTO_AH, XFRM_MODE_TUNNEL, 0x103), 0);
                sa_round_trip(&sa);
                assert_int_equal(trial_sa_init(&sa, f, IPPROTO_COMP, XFRM_MODE_TRANSPORT, 0x104), 0);
                sa_round_trip(&sa);
                assert_int_equal(trial_encap_sa_init(&sa, f, XFRM_MODE_TUNNEL, 0x105, UDP_ENCAP_ESPINUDP), 0);
                sa_round_trip(&sa);
        }
}

static void test_sa_inexpressible(void **state) {
        uint8_t buf[1024] __attribute__((aligned(8)));
        XfrmSa sa, esn, aead, alg, mode;
        size_t len;

        assert_int_equal(trial_sa_init(&sa, &trial_families[0], IPPROTO_ESP, XFRM_MODE_TRANSPORT, 1), 0);
        esn = aead = alg = mode = sa;
        esn.esn = true;
        esn.esn_window = 128;
        STRSCPY(aead.aead.name, "rfc4106(gcm(aes))");
        STRSCPY(alg.enc.name, "cbc(nonsense)");
        mode.mode = XFRM_MODE_ROUTEOPTIMIZATION;
        assert_string_equal(pfkey_sa_inexpressible(&esn), "extended sequence numbers");
        assert_string_equal(pfkey_sa_inexpressible(&aead), "AEAD algorithms");
        assert_string_equal(pfkey_sa_inexpressible(&alg), "the encryption algorithm");
        assert_string_equal(pfkey_sa_inexpressible(&mode), "the mode");
        assert_int_equal(pfkey_build_sa(buf, sizeof(buf), SADB_ADD, &esn, &len), -EOPNOTSUPP);
        assert_int_equal(pfkey_build_sa(buf, sizeof(buf), SADB_ADD, &mode, &len), -EOPNOTSUPP);
}

static void policy_round_trip(const XfrmPolicy *p) {
        uint8_t buf[1024] __attribute__((aligned(8)));
        XfrmPolicy got;
        char what[64] = "";
        size_t len;

        assert_null(pfkey_policy_inexpressible(p));
        assert_int_equal(pfkey_build_spdadd(buf, sizeof(buf), p, &len), 0);
        /* Linux sends the policy's refcount in sadb_msg_reserved: not malformed for SPD messages. */
        buf[6] = 3;
        assert_int_equal(pfkey_policy_from_msg(buf, len, &got), 0);
        assert_int_equal(xfrm_policy_compare(p, &got, what, sizeof(what)), 0);
}

static void test_policy_round_trips(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                XfrmPolicy p;

                /* Port selector, both ways. */
                assert_int_equal(trial_policy_init(&p, f, XFRM_POLICY_OUT), 0);
                assert_int_equal(trial_policy_add_tmpl(&p, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0), 0);
                p.sel.proto = IPPROTO_TCP;
                p.sel.dport = 179;
                p.sel.dport_mask = 0xffff;
                p.priority = 100;
                policy_round_trip(&p);
                p.dir = XFRM_POLICY_IN;
                p.sel.sport = 179;
                p.sel.sport_mask = 0xffff;
                policy_round_trip(&p);
                /* A bundle: transport inside tunnel, reqids at "unique" level. */
                assert_int_equal(trial_policy_init(&p, f, XFRM_POLICY_FWD), 0);
                assert_int_equal(trial_policy_add_tmpl(&p, f, IPPROTO_AH, XFRM_MODE_TRANSPORT, 5), 0);
                assert_int_equal(trial_policy_add_tmpl(&p, f, IPPROTO_ESP, XFRM_MODE_TUNNEL, 6), 0);
                policy_round_trip(&p);
                /* Protocol only, a bypass and a block. */
                assert_int_equal(trial_policy_init(&p, f, XFRM_POLICY_OUT), 0);
                p.sel.proto = IPPROTO_GRE;
                policy_round_trip(&p);
                p.action = XFRM_POLICY_BLOCK;
                policy_round_trip(&p);
        }
}

static void test_policy_messages(void **state) {
        uint8_t buf[1024] __attribute__((aligned(8)));
        const TrialFamily *f = &trial_families[0];
        struct sadb_x_policy pol;
        struct sadb_x_ipsecrequest rq;
        XfrmPolicy p, bad, got;
        PfkeyMsg m;
        size_t len;

        assert_int_equal(trial_policy_init(&p, f, XFRM_POLICY_OUT), 0);
        assert_int_equal(trial_policy_add_tmpl(&p, f, IPPROTO_ESP, XFRM_MODE_TUNNEL, 9), 0);
        assert_int_equal(pfkey_build_spdadd(buf, sizeof(buf), &p, &len), 0);
        assert_int_equal(pfkey_parse(buf, len, &m), 0);
        memcpy(&pol, buf + m.ext_off[SADB_X_EXT_POLICY], sizeof(pol));
        assert_int_equal(pol.sadb_x_policy_type, IPSEC_POLICY_IPSEC);
        assert_int_equal(pol.sadb_x_policy_dir, IPSEC_DIR_OUTBOUND);
        /* Policy header, request, two sockaddr_in: 16 + 16 + 32 bytes. */
        assert_int_equal(pol.sadb_x_policy_len, 8);
        memcpy(&rq, buf + m.ext_off[SADB_X_EXT_POLICY] + sizeof(pol), sizeof(rq));
        assert_int_equal(rq.sadb_x_ipsecrequest_len, 48);
        assert_int_equal(rq.sadb_x_ipsecrequest_mode, IPSEC_MODE_TUNNEL);
        assert_int_equal(rq.sadb_x_ipsecrequest_level, IPSEC_LEVEL_UNIQUE);
        assert_int_equal(rq.sadb_x_ipsecrequest_reqid, 9);

        /* A request whose length overruns the policy, and tunnel endpoints of two families. */
        rq.sadb_x_ipsecrequest_len = 56;
        memcpy(buf + m.ext_off[SADB_X_EXT_POLICY] + sizeof(pol), &rq, sizeof(rq));
        assert_int_equal(pfkey_policy_from_msg(buf, len, &got), -EBADMSG);
        rq.sadb_x_ipsecrequest_len = 48;
        memcpy(buf + m.ext_off[SADB_X_EXT_POLICY] + sizeof(pol), &rq, sizeof(rq));
        buf[m.ext_off[SADB_X_EXT_POLICY] + sizeof(pol) + sizeof(rq) + 16] = AF_INET6;
        assert_int_equal(pfkey_policy_from_msg(buf, len, &got), -EBADMSG);
        /* An SA reply without its SA extension. */
        assert_int_equal(pfkey_sa_from_msg(buf, len, &(XfrmSa) {}), -EBADMSG);
        /* Non-zero sadb_msg_reserved is only an SPD message's refcount. */
        buf[1] = SADB_GET;
        buf[6] = 1;
        assert_int_equal(pfkey_parse(buf, len, &m), -EBADMSG);

        /* What af_key cannot hold. */
        bad = p;
        bad.sel.dport = 80;
        bad.sel.dport_mask = 0xff00;
        assert_string_equal(pfkey_policy_inexpressible(&bad), "port masks");
        assert_int_equal(pfkey_build_spdadd(buf, sizeof(buf), &bad, &len), -EOPNOTSUPP);
        bad = p;
        bad.tmpl[0].reqid = IPSEC_MANUAL_REQID_MAX + 1;
        assert_non_null(pfkey_policy_inexpressible(&bad));
        /* Fields our PF_KEY requests carry no extension for. */
        bad = p;
        bad.sel.user = 4242;
        assert_string_equal(pfkey_policy_inexpressible(&bad), "the selector's user field");
        bad = p;
        STRSCPY(bad.sec_ctx, "system_u:object_r:ipsec_spd_t:s0");
        assert_string_equal(pfkey_policy_inexpressible(&bad), "a security context");
        assert_int_equal(pfkey_build_spdadd(buf, sizeof(buf), &bad, &len), -EOPNOTSUPP);

        /* The per-socket form: the policy extension alone. */
        p = (XfrmPolicy) { .sel.family = AF_INET6, .dir = XFRM_POLICY_OUT, .action = XFRM_POLICY_ALLOW };
        assert_int_equal(trial_policy_add_tmpl(&p, &trial_families[1], IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0), 0);
        assert_int_equal(pfkey_build_socket_policy(buf, sizeof(buf), &p, &len), 0);
        assert_int_equal(len, 32);
        memcpy(&pol, buf, sizeof(pol));
        assert_int_equal(pol.sadb_x_policy_len, 4);
        assert_int_equal(pol.sadb_x_policy_exttype, SADB_X_EXT_POLICY);
        memcpy(&rq, buf + sizeof(pol), sizeof(rq));
        assert_int_equal(rq.sadb_x_ipsecrequest_level, IPSEC_LEVEL_REQUIRE);
        assert_int_equal(rq.sadb_x_ipsecrequest_proto, IPPROTO_ESP);
}

static int reset_af_key(void **state) {
        reset(state);
        fake.af_key = true;
        return 0;
}

static void open_pfkey(XfrmNl **nl) {
        assert_int_equal(xfrm_pfkey_open(nl), 0);
        assert_int_equal(xfrm_api(*nl), XFRM_API_PFKEY);
}

static void test_trial_sa_through_pfkey(void **state) {
        _cleanup_(xfrm_nl_freep) XfrmNl *nl = NULL;
        Check c = {};
        XfrmSa sa;

        open_pfkey(&nl);
        assert_int_equal(trial_sa_init(&sa, &trial_families[0], IPPROTO_ESP, XFRM_MODE_TUNNEL, 0x2000), 0);
        sa.reqid = 0x46000;
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_ACCEPTED);
        assert_true(c.read_back);
        /* Requests: SADB_ADD, then SADB_GET; another socket's broadcast came first and was skipped. */
        assert_int_equal(fake.sent, 2);
        assert_int_equal(fake.next, 3);
}

static void test_trial_sa_pfkey_refused_altered_inexpressible(void **state) {
        _cleanup_(xfrm_nl_freep) XfrmNl *nl = NULL;
        Check c = {};
        XfrmSa sa;

        open_pfkey(&nl);
        assert_int_equal(trial_sa_init(&sa, &trial_families[1], IPPROTO_AH, XFRM_MODE_TRANSPORT, 0x2000), 0);
        fake.refuse = EPROTONOSUPPORT;
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_REFUSED);
        assert_int_equal(c.err, EPROTONOSUPPORT);
        assert_string_equal(c.blocked_by, "proto.ah");
        assert_string_equal(c.extack, "");

        fake.refuse = 0;
        fake.replay_kept = 4;
        sa.replay_window = 32;
        c = (Check) {};
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_ALTERED);
        assert_string_equal(c.note, "read back differs: replay window");

        /* Never sent: the kernel was not asked, so nothing about it is known. */
        fake.sent = 0;
        sa.esn = true;
        sa.esn_window = 128;
        c = (Check) {};
        assert_int_equal(trial_sa(nl, &sa, &c), 0);
        assert_int_equal(c.outcome, CHECK_UNTRIED);
        assert_int_equal(c.err, 0);
        assert_non_null(strstr(c.note, "PF_KEY cannot express extended sequence numbers"));
        assert_int_equal(fake.sent, 0);
        assert_string_equal(xfrm_op_name(nl, XFRM_OP_SA_ADD), "SADB_ADD");
}

static void test_trial_policy_through_pfkey(void **state) {
        _cleanup_(xfrm_nl_freep) XfrmNl *nl = NULL;
        const TrialFamily *f = &trial_families[0];
        struct sadb_x_ipsecrequest rq;
        XfrmPolicy p;
        PfkeyMsg m;
        Check c = {};

        open_pfkey(&nl);
        /* An empty SPD answers SADB_X_SPDDUMP with ENOENT: no policy, no error. */
        {
                uint32_t n = 99;
                XfrmAnswer ans;
                assert_int_equal(xfrm_spd_socket_count(nl, &n, &ans), 0);
                assert_int_equal(ans.err, 0);
                assert_int_equal(n, 0);
        }
        assert_int_equal(trial_policy_init(&p, f, XFRM_POLICY_OUT), 0);
        assert_int_equal(trial_policy_add_tmpl(&p, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x46000), 0);
        assert_int_equal(trial_policy_add_tmpl(&p, f, IPPROTO_ESP, XFRM_MODE_TUNNEL, 0x46001), 0);
        assert_null(xfrm_policy_inexpressible(nl, &p));
        assert_int_equal(trial_policy(nl, &p, &c), 0);
        assert_int_equal(c.outcome, CHECK_ACCEPTED);
        assert_true(c.read_back);
        /* On the wire, the reqids are the handle's own small numbers. */
        assert_int_equal(pfkey_parse(fake.policy.data, fake.policy.len, &m), 0);
        memcpy(&rq, fake.policy.data + m.ext_off[SADB_X_EXT_POLICY] + sizeof(struct sadb_x_policy), sizeof(rq));
        assert_true(rq.sadb_x_ipsecrequest_reqid >= 1 && rq.sadb_x_ipsecrequest_reqid <= IPSEC_MANUAL_REQID_MAX);

        /* The dump lists that policy only: another selector or direction is not found, as with XFRM_MSG_GETPOLICY. */
        {
                XfrmPolicy key = p, got;
                XfrmAnswer ans;

                key.sel.dport = 22;
                key.sel.dport_mask = 0xffff;
                key.sel.proto = IPPROTO_TCP;
                assert_int_equal(xfrm_policy_get(nl, &key, &got, &ans), 0);
                assert_int_equal(ans.err, ENOENT);
                key = p;
                key.dir = XFRM_POLICY_IN;
                assert_int_equal(xfrm_policy_get(nl, &key, &got, &ans), 0);
                assert_int_equal(ans.err, ENOENT);
                assert_int_equal(xfrm_policy_get(nl, &p, &got, &ans), 0);
                assert_int_equal(ans.err, 0);
                assert_int_equal(got.tmpl[1].reqid, 0x46001);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_captured_esp),
                cmocka_unit_test(test_parse_every_truncation_fails),
                cmocka_unit_test(test_parse_malformed),
                cmocka_unit_test(test_build_register_parses),
                cmocka_unit_test_setup(test_probe_no_af_key, reset),
                cmocka_unit_test_setup(test_probe_real_replies, reset),
                cmocka_unit_test_setup(test_probe_skips_others_and_reads_errno, reset),
                cmocka_unit_test_setup(test_probe_garbage_and_silence, reset),
                cmocka_unit_test(test_sa_messages),
                cmocka_unit_test(test_sa_round_trips),
                cmocka_unit_test(test_sa_inexpressible),
                cmocka_unit_test(test_policy_round_trips),
                cmocka_unit_test(test_policy_messages),
                cmocka_unit_test_setup(test_trial_sa_through_pfkey, reset_af_key),
                cmocka_unit_test_setup(test_trial_sa_pfkey_refused_altered_inexpressible, reset_af_key),
                cmocka_unit_test_setup(test_trial_policy_through_pfkey, reset_af_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
