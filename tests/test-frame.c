/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The frame classifier against real frames: tests/fixtures/debian-6.1-datapath.hex
 * was captured by the datapath stage (IPSEC_AUDIT_FRAME_DUMP) on Debian's 6.1
 * kernel, which has ESP, AH and NAT-T; hand-built frames cover what that
 * capture cannot (keepalives, extension headers, truncation).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "frame-classify.h"
#include "macro.h"

#define MAX_FRAMES 512

typedef struct Fixture {
        char label[MAX_FRAMES][128];
        uint8_t frame[MAX_FRAMES][2048];
        size_t len[MAX_FRAMES];
        size_t n;
} Fixture;

static Fixture fixture;

static int load_fixture(void **state) {
        const char *dir = getenv("TESTS_DIR");
        char path[512], line[8192], label[128] = "";
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(path, sizeof(path), "%s/fixtures/debian-6.1-datapath.hex", dir ?: "tests");
        f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "cannot open %s\n", path);
                return -1;
        }
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] == '#') {
                        if (line[1] == ' ')
                                STRSCPY(label, line + 2);
                        continue;
                }
                if (!line[0] || fixture.n >= MAX_FRAMES)
                        continue;
                if (frame_from_hex(line, fixture.frame[fixture.n], sizeof(fixture.frame[0]), &fixture.len[fixture.n]) < 0)
                        return -1;
                STRSCPY(fixture.label[fixture.n], label);
                fixture.n++;
        }
        return fixture.n > 0 ? 0 : -1;
}

/* How many frames of the first flow with this label have kind (and spi, if non-zero); *ret the last one. */
static unsigned count(const char *label, FrameKind kind, uint32_t spi, FrameInfo *ret, size_t *ret_idx) {
        unsigned n = 0;
        bool seen = false;

        for (size_t i = 0; i < fixture.n; i++) {
                FrameInfo fi;

                if (strcmp(fixture.label[i], label) != 0) {
                        if (seen)
                                break; /* the same label again later is another probe's flow */
                        continue;
                }
                seen = true;
                assert_int_equal(frame_classify(fixture.frame[i], fixture.len[i], &fi), 0);
                if (fi.kind != kind || (spi && fi.spi != spi))
                        continue;
                n++;
                if (ret)
                        *ret = fi;
                if (ret_idx)
                        *ret_idx = i;
        }
        assert_true(seen);
        return n;
}

static void assert_addr(const FrameInfo *fi, const char *want) {
        uint8_t a[16] = {};

        assert_int_equal(inet_pton(fi->family, want, a), 1);
        assert_memory_equal(fi->dst, a, fi->family == AF_INET ? 4 : 16);
}

static void test_esp_transport(void **state) {
        FrameInfo fi;

        assert_int_equal(count("ESP IPv4: UDP through transport ESP", FRAME_ESP, 0x11000, &fi, NULL), 1);
        assert_int_equal(fi.family, AF_INET);
        assert_int_equal(fi.ip_proto, 50);
        assert_int_equal(fi.seq, 1);
        assert_addr(&fi, "192.0.2.2");
        /* ARP is there too, and is nothing we look into; no clear UDP escaped. */
        assert_true(count("ESP IPv4: UDP through transport ESP", FRAME_OTHER, 0, NULL, NULL) >= 2);
        assert_int_equal(count("ESP IPv4: UDP through transport ESP", FRAME_UDP, 0, NULL, NULL), 0);

        assert_int_equal(count("ESP IPv6: UDP through transport ESP", FRAME_ESP, 0x11020, &fi, NULL), 1);
        assert_int_equal(fi.family, AF_INET6);
        assert_addr(&fi, "2001:db8::2");
}

static void test_esp_tunnel_uses_gateways(void **state) {
        FrameInfo fi;

        assert_int_equal(count("ESP IPv4: UDP through tunnel ESP", FRAME_ESP, 0x11010, &fi, NULL), 1);
        assert_addr(&fi, "198.51.100.2");
        assert_int_equal(count("ESP IPv6: UDP through tunnel ESP", FRAME_ESP, 0x11030, &fi, NULL), 1);
        assert_addr(&fi, "2001:db8:1::2");
}

/* AH authenticates but does not encrypt: the protected UDP datagram is readable behind it. */
static void test_ah_shows_payload(void **state) {
        FrameInfo fi, udp;
        size_t i;

        assert_int_equal(count("AH IPv4: UDP through transport AH", FRAME_AH, 0x11000, &fi, &i), 1);
        assert_int_equal(fi.next_header, 17);
        assert_int_equal(fi.seq, 1);
        assert_true(fi.payload_len >= 8);
        assert_non_null(memmem(fixture.frame[i] + fi.payload_off, fi.payload_len, "ipsec-audit datapath probe", 26));

        assert_int_equal(count("AH IPv4: UDP through tunnel AH", FRAME_AH, 0x11010, &fi, &i), 1);
        assert_int_equal(fi.next_header, 4); /* IPv4 in IPv4 */
        assert_int_equal(frame_classify_ip(fixture.frame[i] + fi.payload_off, fi.payload_len, &udp), 0);
        assert_int_equal(udp.kind, FRAME_UDP);
        assert_int_equal(udp.dport, 7001);
        assert_addr(&udp, "192.0.2.2");

        assert_int_equal(count("AH IPv6: UDP through tunnel AH", FRAME_AH, 0x11030, &fi, NULL), 1);
        assert_int_equal(fi.next_header, 41); /* IPv6 in IPv6 */
}

static void test_nested_null_outer_shows_inner(void **state) {
        static const struct {
                const char *label;
                uint32_t outer;
                FrameKind inner_kind;
                uint32_t inner;
                uint8_t next;
        } cases[] = {
                { "ESP in ESP IPv4: UDP as ESP inside null-cipher tunnel ESP", 0x46001, FRAME_ESP, 0x46000, 4 },
                { "AH in ESP IPv4: UDP as AH inside null-cipher tunnel ESP", 0x46011, FRAME_AH, 0x46010, 4 },
                { "ESP in ESP IPv6: UDP as ESP inside null-cipher tunnel ESP", 0x46031, FRAME_ESP, 0x46030, 41 },
                { "AH in ESP IPv6: UDP as AH inside null-cipher tunnel ESP", 0x46041, FRAME_AH, 0x46040, 41 },
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                FrameInfo fi, inner;
                uint8_t next;
                size_t i, off, len;

                assert_int_equal(count(cases[k].label, FRAME_ESP, cases[k].outer, &fi, &i), 1);
                assert_int_equal(frame_esp_null_payload(fixture.frame[i], fixture.len[i], &fi, 16, &next, &off, &len), 0);
                assert_int_equal(next, cases[k].next);
                assert_int_equal(frame_classify_ip(fixture.frame[i] + off, len, &inner), 0);
                assert_int_equal(inner.kind, cases[k].inner_kind);
                assert_int_equal(inner.spi, cases[k].inner);
        }
}

/* AH never encrypts: a tunnel AH frame shows the inner AH SA without any help. */
static void test_nested_ah_in_ah(void **state) {
        FrameInfo fi, inner;
        size_t i;

        assert_int_equal(count("AH in AH IPv4: UDP as AH inside tunnel AH", FRAME_AH, 0x46021, &fi, &i), 1);
        assert_int_equal(fi.next_header, 4);
        assert_addr(&fi, "198.51.100.2");
        assert_int_equal(frame_classify_ip(fixture.frame[i] + fi.payload_off, fi.payload_len, &inner), 0);
        assert_int_equal(inner.kind, FRAME_AH);
        assert_int_equal(inner.spi, 0x46020);
        assert_int_equal(inner.next_header, 17);
        assert_addr(&inner, "192.0.2.2");
        assert_int_equal(count("AH in AH IPv6: UDP as AH inside tunnel AH", FRAME_AH, 0x46051, &fi, NULL), 1);
        assert_int_equal(fi.next_header, 41);
}

static void test_natt(void **state) {
        FrameInfo fi;

        assert_int_equal(count("IPv4: UDP as ESP in UDP/4500, decapsulated by a UDP_ENCAP socket", FRAME_ESP_IN_UDP,
                               0x45000, &fi, NULL), 1);
        assert_int_equal(fi.dport, FRAME_NATT_PORT);
        assert_int_equal(fi.ip_proto, 17);
        assert_int_equal(fi.seq, 1);
        assert_int_equal(count("IPv6: UDP as ESP in UDP/4500, decapsulated by a UDP_ENCAP socket", FRAME_ESP_IN_UDP,
                               0x45010, NULL, NULL), 1);
        assert_int_equal(count("IPv4: non-ESP-marker datagram delivered to the UDP_ENCAP socket", FRAME_IKE_IN_UDP, 0,
                               &fi, NULL), 1);
        assert_int_equal(fi.dport, FRAME_NATT_PORT);
        assert_int_equal(count("IPv4: non-ESP-marker datagram delivered to the UDP_ENCAP socket", FRAME_ESP_IN_UDP, 0,
                               NULL, NULL), 0);
}

static void test_selectors(void **state) {
        FrameInfo fi;

        /* The selected port: ESP, and not one clear TCP segment in either direction. */
        assert_true(count("TCP IPv4: TCP to port 179 as ESP", FRAME_ESP, 0, NULL, NULL) >= 3);
        assert_int_equal(count("TCP IPv4: TCP to port 179 as ESP", FRAME_TCP, 0, NULL, NULL), 0);
        /* Another port between the same hosts: clear, both ways. */
        assert_true(count("TCP IPv4: TCP to port 180 in the clear", FRAME_TCP, 0, &fi, NULL) >= 3);
        assert_true(fi.sport == 180 || fi.dport == 180);
        assert_int_equal(count("TCP IPv4: TCP to port 180 in the clear", FRAME_ESP, 0, NULL, NULL), 0);
        assert_true(count("SCTP IPv6: SCTP to port 179 as ESP", FRAME_ESP, 0, NULL, NULL) >= 2);
        assert_true(count("SCTP IPv6: SCTP to port 180 in the clear", FRAME_SCTP, 0, &fi, NULL) >= 2);
        assert_int_equal(count("UDP IPv6: UDP to port 180 in the clear", FRAME_UDP, 0, &fi, NULL), 1);
        assert_int_equal(fi.dport, 180);
}

static void test_multicast(void **state) {
        FrameInfo fi;

        assert_int_equal(count("IPv4: UDP to 239.1.1.1 as ESP, delivered to a member", FRAME_ESP, 0x47000, &fi, NULL), 1);
        assert_addr(&fi, "239.1.1.1");
        assert_int_equal(count("IPv6: UDP to ff0e::1234 as ESP, delivered to a member", FRAME_ESP, 0x47010, &fi, NULL), 1);
        assert_addr(&fi, "ff0e::1234");
}

/* --- hand-built frames --- */

static size_t hex(const char *s, uint8_t *buf, size_t size) {
        size_t len;

        assert_int_equal(frame_from_hex(s, buf, size, &len), 0);
        return len;
}

#define ETH_V4 "020000000002 020000000001 0800"
#define ETH_V6 "020000000002 020000000001 86dd"

static void test_natt_keepalive_and_marker(void **state) {
        uint8_t f[128];
        FrameInfo fi;
        size_t len;

        /* IPv4 UDP 4500 -> 4500 carrying the single byte 0xff (RFC 3948 2.3). */
        len = hex(ETH_V4 "4500001d 0000 0000 4011 0000 c0000201 c0000202  1194 1194 0009 0000  ff", f, sizeof(f));
        assert_int_equal(frame_classify(f, len, &fi), 0);
        assert_int_equal(fi.kind, FRAME_NATT_KEEPALIVE);
        /* Four zero bytes: the non-ESP marker, IKE follows. */
        len = hex(ETH_V4 "45000024 0000 0000 4011 0000 c0000201 c0000202  1194 1194 0010 0000  00000000 01020304", f,
                  sizeof(f));
        assert_int_equal(frame_classify(f, len, &fi), 0);
        assert_int_equal(fi.kind, FRAME_IKE_IN_UDP);
        /* A non-zero first word on port 4500 is an SPI. */
        len = hex(ETH_V4 "45000024 0000 0000 4011 0000 c0000201 c0000202  1194 1194 0010 0000  00001234 00000007", f,
                  sizeof(f));
        assert_int_equal(frame_classify(f, len, &fi), 0);
        assert_int_equal(fi.kind, FRAME_ESP_IN_UDP);
        assert_int_equal(fi.spi, 0x1234);
        assert_int_equal(fi.seq, 7);
        /* Any other port is plain UDP. */
        len = hex(ETH_V4 "45000024 0000 0000 4011 0000 c0000201 c0000202  1195 1195 0010 0000  00001234 00000007", f,
                  sizeof(f));
        assert_int_equal(frame_classify(f, len, &fi), 0);
        assert_int_equal(fi.kind, FRAME_UDP);
}

static void test_ipv6_extension_headers(void **state) {
        uint8_t f[256];
        FrameInfo fi;
        size_t len;

        /* Hop-by-hop (8 bytes) then ESP. */
        len = hex(ETH_V6 "60000000 0010 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002"
                         "3200 0000 00000000  00000abc 00000002", f, sizeof(f));
        assert_int_equal(frame_classify(f, len, &fi), 0);
        assert_int_equal(fi.kind, FRAME_ESP);
        assert_int_equal(fi.ip_proto, 50);
        assert_int_equal(fi.spi, 0xabc);
        assert_int_equal(fi.seq, 2);
        /* A later fragment has no transport header to look at. */
        len = hex(ETH_V6 "60000000 0010 2c 40 20010db8000000000000000000000001 20010db8000000000000000000000002"
                         "32 00 0008 00000001  00000abc 00000002", f, sizeof(f));
        assert_int_equal(frame_classify(f, len, &fi), 0);
        assert_int_equal(fi.kind, FRAME_OTHER);
}

static void test_truncated_and_bad_input(void **state) {
        uint8_t f[128];
        FrameInfo fi;
        size_t len;

        /* The IPv4 header claims more bytes than the frame has. */
        len = hex(ETH_V4 "45000040 0000 0000 4032 0000 c0000201 c0000202 00001000", f, sizeof(f));
        assert_int_equal(frame_classify(f, len, &fi), -EBADMSG);
        /* Shorter than an Ethernet header. */
        assert_int_equal(frame_classify(f, 10, &fi), -EBADMSG);
        /* ARP: not IP, not an error. */
        len = hex("ffffffffffff 020000000001 0806 0001 0800 0604 0001", f, sizeof(f));
        assert_int_equal(frame_classify(f, len, &fi), 0);
        assert_int_equal(fi.kind, FRAME_OTHER);
        assert_int_equal(fi.family, 0);
        /* Hex: odd digits and stray characters are refused. */
        assert_int_equal(frame_from_hex("abc", f, sizeof(f), &len), -EINVAL);
        assert_int_equal(frame_from_hex("zz", f, sizeof(f), &len), -EINVAL);
        assert_int_equal(frame_from_hex("0102", f, 1, &len), -ENOBUFS);
        /* A null-cipher trailer whose padding runs past the payload. */
        len = hex(ETH_V4 "4500001e 0000 0000 4032 0000 c0000201 c0000202 00001000 00000001 ff04", f, sizeof(f));
        assert_int_equal(frame_classify(f, len, &fi), 0);
        {
                uint8_t next;
                size_t off, plen;
                assert_int_equal(frame_esp_null_payload(f, len, &fi, 0, &next, &off, &plen), -EBADMSG);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_esp_transport),
                cmocka_unit_test(test_esp_tunnel_uses_gateways),
                cmocka_unit_test(test_ah_shows_payload),
                cmocka_unit_test(test_nested_null_outer_shows_inner),
                cmocka_unit_test(test_nested_ah_in_ah),
                cmocka_unit_test(test_natt),
                cmocka_unit_test(test_selectors),
                cmocka_unit_test(test_multicast),
                cmocka_unit_test(test_natt_keepalive_and_marker),
                cmocka_unit_test(test_ipv6_extension_headers),
                cmocka_unit_test(test_truncated_and_bad_input),
        };
        return cmocka_run_group_tests(tests, load_fixture, NULL);
}
