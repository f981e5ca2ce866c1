/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What a captured frame is, as far as the datapath checks care: pure
 * parsing of bytes, no sockets, so captured frames can be unit tested.
 */
typedef enum FrameKind {
        FRAME_OTHER,          /* not IP, or an IP protocol we do not look into */
        FRAME_ESP,            /* IP protocol 50: spi, seq */
        FRAME_AH,             /* IP protocol 51: spi, seq, next_header */
        FRAME_ESP_IN_UDP,     /* UDP, port 4500, first 4 bytes a non-zero SPI (RFC 3948 2.1): spi, seq */
        FRAME_IKE_IN_UDP,     /* UDP, port 4500, non-ESP marker (4 zero bytes, RFC 3948 2.2) */
        FRAME_NATT_KEEPALIVE, /* UDP, port 4500, the single byte 0xff (RFC 3948 2.3) */
        FRAME_UDP,            /* clear UDP: ports */
        FRAME_TCP,            /* clear TCP: ports */
        FRAME_SCTP,           /* clear SCTP: ports */
        _FRAME_KIND_MAX,
} FrameKind;

typedef struct FrameInfo {
        FrameKind kind;
        uint16_t family;        /* AF_INET, AF_INET6; 0 if not IP */
        uint8_t src[16], dst[16]; /* network byte order; IPv4 in the first 4 bytes */
        uint8_t ip_proto;       /* the IP header's (last) next protocol */
        uint32_t spi, seq;      /* ESP, AH, ESP-in-UDP; host byte order */
        uint8_t next_header;    /* AH: the protocol it protects */
        uint16_t sport, dport;  /* UDP, TCP, SCTP (also the UDP around ESP); host byte order */
        size_t payload_off;     /* where the protocol's payload starts in the buffer */
        size_t payload_len;     /* ESP: everything after SPI and sequence number (IV, data, trailer, ICV) */
} FrameInfo;

#define FRAME_NATT_PORT 4500

const char *frame_kind_to_string(FrameKind k);

/* An Ethernet frame (as AF_PACKET delivers it). -EBADMSG if an IP header is truncated. */
int frame_classify(const void *frame, size_t len, FrameInfo *ret);

/* An IP packet without link header (e.g. the inner packet of a tunnel). */
int frame_classify_ip(const void *packet, size_t len, FrameInfo *ret);

/*
 * An ESP packet with the null cipher (RFC 2410: no IV, no encryption) and an
 * ICV of icv_len bytes: finds the protected payload and its next header in
 * the trailer (RFC 4303 Section 2). -EBADMSG if the trailer does not fit.
 */
int frame_esp_null_payload(const void *frame, size_t len, const FrameInfo *esp, size_t icv_len,
                           uint8_t *ret_next_header, size_t *ret_off, size_t *ret_len);

/* Parses a hex dump ("0a1b ..", whitespace ignored) into buf: the fixture format. Returns the length. */
int frame_from_hex(const char *hex, uint8_t *buf, size_t size, size_t *ret_len);
