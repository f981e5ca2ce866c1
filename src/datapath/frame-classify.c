/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "frame-classify.h"
#include "macro.h"
#include "string-table.h"

#define ETH_HLEN_ 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100

#define PROTO_HOPOPTS 0
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_ESP 50
#define PROTO_AH 51
#define PROTO_DSTOPTS 60
#define PROTO_SCTP 132

static const char *const frame_kind_table[_FRAME_KIND_MAX] = {
        [FRAME_OTHER] = "other",
        [FRAME_ESP] = "ESP",
        [FRAME_AH] = "AH",
        [FRAME_ESP_IN_UDP] = "ESP-in-UDP",
        [FRAME_IKE_IN_UDP] = "non-ESP-marker UDP",
        [FRAME_NATT_KEEPALIVE] = "NAT-keepalive",
        [FRAME_UDP] = "UDP",
        [FRAME_TCP] = "TCP",
        [FRAME_SCTP] = "SCTP",
};

DEFINE_STRING_TABLE_TO_STRING(frame_kind, FrameKind)

static uint16_t be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* The transport header at p (len bytes to the end of the IP payload). */
static int classify_transport(const uint8_t *base, size_t off, size_t end, FrameInfo *fi) {
        const uint8_t *p = base + off;
        size_t len = end - off;

        switch (fi->ip_proto) {
        case PROTO_ESP:
                if (len < 8)
                        return -EBADMSG;
                fi->kind = FRAME_ESP;
                fi->spi = be32(p);
                fi->seq = be32(p + 4);
                fi->payload_off = off + 8;
                fi->payload_len = len - 8;
                return 0;
        case PROTO_AH: {
                size_t ah_len;

                if (len < 12)
                        return -EBADMSG;
                ah_len = ((size_t) p[1] + 2) * 4; /* RFC 4302 2.2: in 32-bit words, minus 2 */
                if (ah_len > len)
                        return -EBADMSG;
                fi->kind = FRAME_AH;
                fi->next_header = p[0];
                fi->spi = be32(p + 4);
                fi->seq = be32(p + 8);
                fi->payload_off = off + ah_len;
                fi->payload_len = len - ah_len;
                return 0;
        }
        case PROTO_UDP:
                if (len < 8)
                        return -EBADMSG;
                fi->sport = be16(p);
                fi->dport = be16(p + 2);
                fi->payload_off = off + 8;
                fi->payload_len = len - 8;
                fi->kind = FRAME_UDP;
                if (fi->sport != FRAME_NATT_PORT && fi->dport != FRAME_NATT_PORT)
                        return 0;
                /* RFC 3948: the first four payload bytes tell ESP (an SPI, never 0) from IKE (zero marker). */
                if (fi->payload_len == 1 && p[8] == 0xff)
                        fi->kind = FRAME_NATT_KEEPALIVE;
                else if (fi->payload_len >= 4 && be32(p + 8) == 0)
                        fi->kind = FRAME_IKE_IN_UDP;
                else if (fi->payload_len >= 8) {
                        fi->kind = FRAME_ESP_IN_UDP;
                        fi->spi = be32(p + 8);
                        fi->seq = be32(p + 12);
                        fi->payload_off = off + 16;
                        fi->payload_len = len - 16;
                }
                return 0;
        case PROTO_TCP:
        case PROTO_SCTP:
                if (len < 4)
                        return -EBADMSG;
                fi->kind = fi->ip_proto == PROTO_TCP ? FRAME_TCP : FRAME_SCTP;
                fi->sport = be16(p);
                fi->dport = be16(p + 2);
                return 0;
        default:
                fi->kind = FRAME_OTHER;
                return 0;
        }
}

static int classify_ip(const uint8_t *base, size_t off, size_t end, FrameInfo *fi) {
        const uint8_t *p = base + off;
        size_t len = end - off;

        if (len < 1)
                return -EBADMSG;
        if (p[0] >> 4 == 4) {
                size_t ihl, total;

                if (len < 20)
                        return -EBADMSG;
                ihl = (size_t) (p[0] & 0x0f) * 4;
                total = be16(p + 2);
                if (ihl < 20 || total < ihl || total > len)
                        return -EBADMSG;
                fi->family = AF_INET;
                memcpy(fi->src, p + 12, 4);
                memcpy(fi->dst, p + 16, 4);
                fi->ip_proto = p[9];
                /* Only first fragments carry the transport header. */
                if ((be16(p + 6) & 0x1fff) != 0) {
                        fi->kind = FRAME_OTHER;
                        return 0;
                }
                return classify_transport(base, off + ihl, off + total, fi);
        }
        if (p[0] >> 4 == 6) {
                size_t pos = 40, total;
                uint8_t next;

                if (len < 40)
                        return -EBADMSG;
                total = 40 + (size_t) be16(p + 4);
                if (total > len)
                        return -EBADMSG;
                fi->family = AF_INET6;
                memcpy(fi->src, p + 8, 16);
                memcpy(fi->dst, p + 24, 16);
                next = p[6];
                /* Walk the extension headers that may precede ESP/AH or the transport header. */
                while (next == PROTO_HOPOPTS || next == PROTO_ROUTING || next == PROTO_DSTOPTS ||
                       next == PROTO_FRAGMENT) {
                        size_t ext_len;

                        if (pos + 8 > total)
                                return -EBADMSG;
                        if (next == PROTO_FRAGMENT) {
                                if ((be16(p + pos + 2) & 0xfff8) != 0) {
                                        fi->ip_proto = p[pos];
                                        fi->kind = FRAME_OTHER;
                                        return 0;
                                }
                                ext_len = 8;
                        } else
                                ext_len = ((size_t) p[pos + 1] + 1) * 8;
                        next = p[pos];
                        pos += ext_len;
                        if (pos > total)
                                return -EBADMSG;
                }
                fi->ip_proto = next;
                return classify_transport(base, off + pos, off + total, fi);
        }
        fi->kind = FRAME_OTHER;
        return 0;
}

int frame_classify_ip(const void *packet, size_t len, FrameInfo *ret) {
        FrameInfo fi = {};
        int r = classify_ip(packet, 0, len, &fi);

        if (r < 0)
                return r;
        *ret = fi;
        return 0;
}

int frame_classify(const void *frame, size_t len, FrameInfo *ret) {
        const uint8_t *p = frame;
        FrameInfo fi = {};
        size_t off = 12;
        uint16_t type;
        int r;

        if (len < ETH_HLEN_)
                return -EBADMSG;
        type = be16(p + off);
        if (type == ETHERTYPE_VLAN) {
                if (len < ETH_HLEN_ + 4)
                        return -EBADMSG;
                off += 4;
                type = be16(p + off);
        }
        off += 2;
        if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6) {
                *ret = fi;
                return 0;
        }
        r = classify_ip(p, off, len, &fi);
        if (r < 0)
                return r;
        *ret = fi;
        return 0;
}

int frame_esp_null_payload(const void *frame, size_t len, const FrameInfo *esp, size_t icv_len,
                           uint8_t *ret_next_header, size_t *ret_off, size_t *ret_len) {
        const uint8_t *p = frame;
        size_t end, pad;

        if ((esp->kind != FRAME_ESP && esp->kind != FRAME_ESP_IN_UDP) || esp->payload_off > len ||
            esp->payload_len > len - esp->payload_off || esp->payload_len < icv_len + 2)
                return -EBADMSG;
        /* Trailer: payload, padding, pad length, next header, ICV. */
        end = esp->payload_off + esp->payload_len - icv_len;
        pad = p[end - 2];
        if (pad + 2 > end - esp->payload_off)
                return -EBADMSG;
        *ret_next_header = p[end - 1];
        *ret_off = esp->payload_off;
        *ret_len = end - 2 - pad - esp->payload_off;
        return 0;
}

static int hex_value(int c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int frame_from_hex(const char *hex, uint8_t *buf, size_t size, size_t *ret_len) {
        size_t n = 0;
        int hi = -1;

        for (const char *s = hex; *s; s++) {
                int v;

                if (isspace((unsigned char) *s))
                        continue;
                v = hex_value((unsigned char) *s);
                if (v < 0)
                        return -EINVAL;
                if (hi < 0) {
                        hi = v;
                        continue;
                }
                if (n >= size)
                        return -ENOBUFS;
                buf[n++] = (uint8_t) (hi << 4 | v);
                hi = -1;
        }
        if (hi >= 0)
                return -EINVAL;
        *ret_len = n;
        return 0;
}
