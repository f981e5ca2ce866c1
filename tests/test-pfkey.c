/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PF_KEY parser against real replies (captured from Debian's 6.1 kernel
 * under qemu with tests/pfkey-capture) and against every way of lying about
 * lengths; then the api.pfkey_v2 probe with socket/send/recv wrapped so the
 * "kernel" answers with those captured bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/pfkeyv2.h>
#include <cmocka.h>

#include "macro.h"
#include "pfkey.h"
#include "probe.h"

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
        Blob replies[4];
        int recv_err[4];
        unsigned n_replies, next;
        unsigned sent;
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

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags) {
        PfkeyMsg m;

        assert_int_equal(fd, FAKE_FD);
        /* What we send must itself be a well-formed SADB_REGISTER. */
        assert_int_equal(pfkey_parse(buf, len, &m), 0);
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
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
