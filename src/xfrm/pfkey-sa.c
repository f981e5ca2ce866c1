/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * XfrmSa and XfrmPolicy as PF_KEY v2 messages (RFC 2367, with the KAME
 * extensions Linux's af_key reads: SA2 for mode and reqid, X_POLICY with its
 * ipsecrequests, NAT-T), and the kernel's replies parsed back into the same
 * descriptions, so a PF_KEY read-back compares like an XFRM netlink one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <linux/ipsec.h>

#include "macro.h"
#include "pfkey-sa.h"
#include "xfrm-internal.h"

_Static_assert(sizeof(struct sadb_sa) == 16 && sizeof(struct sadb_x_sa2) == 16 &&
               sizeof(struct sadb_address) == 8 && sizeof(struct sadb_key) == 8 &&
               sizeof(struct sadb_x_policy) == 16 && sizeof(struct sadb_x_ipsecrequest) == 16 &&
               sizeof(struct sadb_lifetime) == 32,
               "RFC 2367 and KAME extension sizes");

/* A message being built: extensions are appended, each padded to 8 bytes. */
typedef struct Msg {
        uint8_t *buf;
        size_t size, len;
} Msg;

/* Appends len bytes of data (zero-padded to a whole number of words); -ENOBUFS when full. */
static int put(Msg *m, const void *data, size_t len) {
        size_t padded = (len + PFKEY_UNIT - 1) / PFKEY_UNIT * PFKEY_UNIT;

        if (padded > m->size - m->len)
                return -ENOBUFS;
        memset(m->buf + m->len, 0, padded);
        memcpy(m->buf + m->len, data, len);
        m->len += padded;
        return 0;
}

static size_t min_size(size_t a, size_t b) {
        return a < b ? a : b;
}

static uint16_t words(size_t bytes) {
        return (uint16_t) ((bytes + PFKEY_UNIT - 1) / PFKEY_UNIT);
}

static int msg_start(Msg *m, void *buf, size_t size, uint8_t type, uint8_t satype) {
        size_t len;
        int r = pfkey_build_header(buf, size, type, satype, 0, 0, &len);

        if (r < 0)
                return r;
        *m = (Msg) { .buf = buf, .size = size, .len = len };
        return 0;
}

/* Sets sadb_msg_len once every extension is in. */
static int msg_finish(Msg *m, size_t *ret_len) {
        struct sadb_msg hdr;

        if (m->len / PFKEY_UNIT > UINT16_MAX)
                return -E2BIG;
        memcpy(&hdr, m->buf, sizeof(hdr));
        hdr.sadb_msg_len = (uint16_t) (m->len / PFKEY_UNIT);
        memcpy(m->buf, &hdr, sizeof(hdr));
        *ret_len = m->len;
        return 0;
}

typedef union Sockaddr {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
} Sockaddr;

/* Returns the sockaddr's length: what af_key expects for the family. */
static size_t sockaddr_fill(Sockaddr *s, uint16_t family, const xfrm_address_t *addr, uint16_t port) {
        *s = (Sockaddr) {};
        if (family == AF_INET6) {
                s->in6.sin6_family = AF_INET6;
                s->in6.sin6_port = htons(port);
                memcpy(&s->in6.sin6_addr, addr->a6, sizeof(s->in6.sin6_addr));
                return sizeof(s->in6);
        }
        s->in.sin_family = AF_INET;
        s->in.sin_port = htons(port);
        s->in.sin_addr.s_addr = addr->a4;
        return sizeof(s->in);
}

static int put_address(Msg *m, uint16_t type, uint16_t family, const xfrm_address_t *addr, uint16_t port,
                       uint8_t proto, uint8_t prefixlen) {
        struct {
                struct sadb_address a;
                Sockaddr s;
        } __attribute__((packed)) ext = {};
        Sockaddr s;
        size_t salen = sockaddr_fill(&s, family, addr, port);

        memcpy((uint8_t *) &ext + sizeof(ext.a), &s, salen);
        ext.a = (struct sadb_address) {
                .sadb_address_len = words(sizeof(ext.a) + salen),
                .sadb_address_exttype = type,
                .sadb_address_proto = proto,
                .sadb_address_prefixlen = prefixlen,
        };
        return put(m, &ext, sizeof(ext.a) + salen);
}

static int put_key(Msg *m, uint16_t type, unsigned bits) {
        struct {
                struct sadb_key k;
                uint8_t key[ALG_KEY_MAX];
        } ext = {};
        size_t bytes = (bits + 7) / 8;

        if (bytes > ALG_KEY_MAX)
                return -EINVAL;
        ext.k = (struct sadb_key) {
                .sadb_key_len = words(sizeof(ext.k) + bytes),
                .sadb_key_exttype = type,
                .sadb_key_bits = (uint16_t) bits,
        };
        memset(ext.key, TRIAL_KEY_BYTE, bytes);
        return put(m, &ext, sizeof(ext.k) + bytes);
}

static int put_natt_port(Msg *m, uint16_t type, uint16_t port) {
        struct sadb_x_nat_t_port ext = {
                .sadb_x_nat_t_port_len = words(sizeof(ext)),
                .sadb_x_nat_t_port_exttype = type,
                .sadb_x_nat_t_port_port = htons(port),
        };
        return put(m, &ext, sizeof(ext));
}

/* PF_KEY's SA types for the transforms; 0 on either side: none. */
static const struct {
        uint8_t proto, satype;
} satypes[] = {
        { IPPROTO_ESP, SADB_SATYPE_ESP },
        { IPPROTO_AH, SADB_SATYPE_AH },
        { IPPROTO_COMP, SADB_X_SATYPE_IPCOMP },
};

static uint8_t satype_of(uint8_t proto) {
        for (size_t i = 0; i < ELEMENTSOF(satypes); i++)
                if (satypes[i].proto == proto)
                        return satypes[i].satype;
        return SADB_SATYPE_UNSPEC;
}

static uint8_t proto_of(uint8_t satype) {
        for (size_t i = 0; i < ELEMENTSOF(satypes); i++)
                if (satypes[i].satype == satype)
                        return satypes[i].proto;
        return 0;
}

/* linux/ipsec.h numbers modes its own way (af_key.c, pfkey_mode_from_xfrm); 0 for none. */
static uint8_t mode_to_pfkey(uint8_t mode) {
        switch (mode) {
        case XFRM_MODE_TRANSPORT:
                return IPSEC_MODE_TRANSPORT;
        case XFRM_MODE_TUNNEL:
                return IPSEC_MODE_TUNNEL;
        case XFRM_MODE_BEET:
                return IPSEC_MODE_BEET;
        default:
                return IPSEC_MODE_ANY;
        }
}

/* IPSEC_MODE_ANY is what af_key takes as transport; -EBADMSG for numbers it never sends. */
static int mode_from_pfkey(uint8_t mode, uint8_t *ret) {
        switch (mode) {
        case IPSEC_MODE_ANY:
        case IPSEC_MODE_TRANSPORT:
                *ret = XFRM_MODE_TRANSPORT;
                return 0;
        case IPSEC_MODE_TUNNEL:
                *ret = XFRM_MODE_TUNNEL;
                return 0;
        case IPSEC_MODE_BEET:
                *ret = XFRM_MODE_BEET;
                return 0;
        default:
                return -EBADMSG;
        }
}

static bool mode_expressible(uint8_t mode) {
        return mode_to_pfkey(mode) != IPSEC_MODE_ANY;
}

/* The PF_KEY id of a Linux algorithm name: the inverse of pfkey_*_name(); 0 for none. */
static uint8_t alg_id(const char *name, const char *(*lookup)(uint8_t id)) {
        for (unsigned id = 1; id <= UINT8_MAX; id++) {
                const char *n = lookup((uint8_t) id);
                if (n && strcmp(n, name) == 0)
                        return (uint8_t) id;
        }
        return 0;
}

const char *pfkey_sa_inexpressible(const XfrmSa *sa) {
        if (sa->family != AF_INET && sa->family != AF_INET6)
                return "the address family";
        if (!satype_of(sa->proto))
                return "the protocol";
        if (!mode_expressible(sa->mode))
                return "the mode";
        if (sa->aead.name[0])
                return "AEAD algorithms";
        if (sa->esn)
                return "extended sequence numbers";
        if (sa->enc.name[0] && !alg_id(sa->enc.name, pfkey_encrypt_name))
                return "the encryption algorithm";
        if (sa->auth.name[0] && !alg_id(sa->auth.name, pfkey_auth_name))
                return "the integrity algorithm";
        if (sa->comp.name[0] && !alg_id(sa->comp.name, pfkey_comp_name))
                return "the compression algorithm";
        if (sa->encap && sa->encap_type > UINT8_MAX)
                return "the encapsulation type";
        return NULL;
}

void pfkey_sa_as_carried(const XfrmSa *sa, XfrmSa *ret) {
        *ret = *sa;
        /* No field for it: the kernel truncates to the algorithm's default (96 bits for hmac(sha256)). */
        ret->auth.icv_bits = 0;
}

int pfkey_build_sa(void *buf, size_t size, uint8_t type, const XfrmSa *sa, size_t *ret_len) {
        bool add = type == SADB_ADD;
        struct sadb_sa ext = {
                .sadb_sa_len = words(sizeof(ext)),
                .sadb_sa_exttype = SADB_EXT_SA,
                .sadb_sa_spi = htonl(sa->spi),
        };
        Msg m;
        int r;

        if (pfkey_sa_inexpressible(sa))
                return -EOPNOTSUPP;
        if (type != SADB_ADD && type != SADB_GET)
                return -EINVAL;
        if ((r = msg_start(&m, buf, size, type, satype_of(sa->proto))) < 0)
                return r;
        if (add) {
                ext.sadb_sa_replay = sa->replay_window;
                ext.sadb_sa_state = SADB_SASTATE_MATURE;
                if (sa->auth.name[0])
                        ext.sadb_sa_auth = alg_id(sa->auth.name, pfkey_auth_name);
                /* KAME overloads the encryption field with the compression algorithm. */
                if (sa->enc.name[0])
                        ext.sadb_sa_encrypt = alg_id(sa->enc.name, pfkey_encrypt_name);
                else if (sa->comp.name[0])
                        ext.sadb_sa_encrypt = alg_id(sa->comp.name, pfkey_comp_name);
        }
        if ((r = put(&m, &ext, sizeof(ext))) < 0 ||
            (r = put_address(&m, SADB_EXT_ADDRESS_SRC, sa->family, &sa->saddr, 0, IPSEC_ULPROTO_ANY, 0)) < 0 ||
            (r = put_address(&m, SADB_EXT_ADDRESS_DST, sa->family, &sa->daddr, 0, IPSEC_ULPROTO_ANY, 0)) < 0)
                return r;
        if (add) {
                struct sadb_x_sa2 sa2 = {
                        .sadb_x_sa2_len = words(sizeof(sa2)),
                        .sadb_x_sa2_exttype = SADB_X_EXT_SA2,
                        .sadb_x_sa2_mode = mode_to_pfkey(sa->mode),
                        .sadb_x_sa2_reqid = sa->reqid,
                };

                if ((r = put(&m, &sa2, sizeof(sa2))) < 0)
                        return r;
                if (sa->auth.name[0] && (r = put_key(&m, SADB_EXT_KEY_AUTH, sa->auth.key_bits)) < 0)
                        return r;
                if (sa->enc.name[0] && sa->enc.key_bits && (r = put_key(&m, SADB_EXT_KEY_ENCRYPT, sa->enc.key_bits)) < 0)
                        return r;
                if (sa->encap) {
                        struct sadb_x_nat_t_type nt = {
                                .sadb_x_nat_t_type_len = words(sizeof(nt)),
                                .sadb_x_nat_t_type_exttype = SADB_X_EXT_NAT_T_TYPE,
                                .sadb_x_nat_t_type_type = (uint8_t) sa->encap_type,
                        };
                        if ((r = put(&m, &nt, sizeof(nt))) < 0 ||
                            (r = put_natt_port(&m, SADB_X_EXT_NAT_T_SPORT, sa->encap_sport)) < 0 ||
                            (r = put_natt_port(&m, SADB_X_EXT_NAT_T_DPORT, sa->encap_dport)) < 0)
                                return r;
                }
        }
        return msg_finish(&m, ret_len);
}

/*
 * Templates become ipsecrequests. af_key takes a reqid only at level
 * "unique" and only up to IPSEC_MANUAL_REQID_MAX (above it, or zero, it
 * makes one up); without one the level is "require", as setkey sends it.
 * Tunnel endpoints follow the request as two sockaddrs.
 */
static const char *tmpl_inexpressible(const XfrmPolicy *p, const XfrmTmpl *t) {
        if (!mode_expressible(t->mode))
                return "the template mode";
        if (t->reqid > IPSEC_MANUAL_REQID_MAX)
                return "reqids above IPSEC_MANUAL_REQID_MAX";
        if (t->mode != XFRM_MODE_TUNNEL && t->family != p->sel.family)
                return "a transport template of another family";
        return NULL;
}

const char *pfkey_policy_inexpressible(const XfrmPolicy *p) {
        if (p->sel.family != AF_INET && p->sel.family != AF_INET6)
                return "the address family";
        /* Ports are exact or any: af_key sets an all-ones mask for a non-zero port. */
        if ((p->sel.sport ? p->sel.sport_mask != 0xffff : p->sel.sport_mask != 0) ||
            (p->sel.dport ? p->sel.dport_mask != 0xffff : p->sel.dport_mask != 0))
                return "port masks";
        if (p->sel.proto == IPSEC_ULPROTO_ANY)
                return "protocol 255";
        if (p->sel.user)
                return "the selector's user field";
        if (p->sec_ctx[0])
                return "a security context";
        if (p->dir > XFRM_POLICY_FWD)
                return "the direction";
        if (p->action != XFRM_POLICY_ALLOW && p->action != XFRM_POLICY_BLOCK)
                return "the action";
        if (p->action == XFRM_POLICY_BLOCK && p->n_tmpl > 0)
                return "templates on a blocking policy";
        if (p->n_tmpl > XFRM_MAX_DEPTH)
                return "the number of templates";
        for (unsigned i = 0; i < p->n_tmpl; i++) {
                const char *what = tmpl_inexpressible(p, &p->tmpl[i]);
                if (what)
                        return what;
        }
        return NULL;
}

static int put_policy(Msg *m, const XfrmPolicy *p) {
        struct sadb_x_policy pol = {
                .sadb_x_policy_exttype = SADB_X_EXT_POLICY,
                .sadb_x_policy_type = p->action == XFRM_POLICY_BLOCK ? IPSEC_POLICY_DISCARD
                                      : p->n_tmpl > 0                ? IPSEC_POLICY_IPSEC
                                                                     : IPSEC_POLICY_NONE,
                .sadb_x_policy_dir = (uint8_t) (p->dir + 1),
                .sadb_x_policy_priority = p->priority,
        };
        size_t start = m->len, len;
        int r;

        if ((r = put(m, &pol, sizeof(pol))) < 0)
                return r;
        for (unsigned i = 0; i < p->n_tmpl; i++) {
                const XfrmTmpl *t = &p->tmpl[i];
                bool tunnel = t->mode == XFRM_MODE_TUNNEL;
                struct {
                        struct sadb_x_ipsecrequest rq;
                        Sockaddr ends[2];
                } __attribute__((packed)) req = {};
                size_t salen = 0;

                if (tunnel) {
                        Sockaddr s;
                        salen = sockaddr_fill(&s, t->family, &t->saddr, 0);
                        memcpy((uint8_t *) &req.ends, &s, salen);
                        sockaddr_fill(&s, t->family, &t->daddr, 0);
                        memcpy((uint8_t *) &req.ends + salen, &s, salen);
                }
                req.rq = (struct sadb_x_ipsecrequest) {
                        /* In bytes, unlike every other PF_KEY length. */
                        .sadb_x_ipsecrequest_len = (uint16_t) (sizeof(req.rq) + 2 * salen),
                        .sadb_x_ipsecrequest_proto = t->proto,
                        .sadb_x_ipsecrequest_mode = mode_to_pfkey(t->mode),
                        .sadb_x_ipsecrequest_level = t->reqid ? IPSEC_LEVEL_UNIQUE : IPSEC_LEVEL_REQUIRE,
                        .sadb_x_ipsecrequest_reqid = t->reqid,
                };
                if (req.rq.sadb_x_ipsecrequest_len % PFKEY_UNIT)
                        return -EINVAL;
                if ((r = put(m, &req, req.rq.sadb_x_ipsecrequest_len)) < 0)
                        return r;
        }
        len = m->len - start;
        pol.sadb_x_policy_len = words(len);
        memcpy(m->buf + start, &pol, sizeof(pol));
        return 0;
}

int pfkey_build_spdadd(void *buf, size_t size, const XfrmPolicy *p, size_t *ret_len) {
        const XfrmSelector *s = &p->sel;
        uint8_t proto = s->proto ?: IPSEC_ULPROTO_ANY;
        Msg m;
        int r;

        if (pfkey_policy_inexpressible(p))
                return -EOPNOTSUPP;
        if ((r = msg_start(&m, buf, size, SADB_X_SPDADD, SADB_SATYPE_UNSPEC)) < 0 ||
            (r = put_address(&m, SADB_EXT_ADDRESS_SRC, s->family, &s->saddr, s->sport, proto, s->prefixlen_s)) < 0 ||
            (r = put_address(&m, SADB_EXT_ADDRESS_DST, s->family, &s->daddr, s->dport, proto, s->prefixlen_d)) < 0 ||
            (r = put_policy(&m, p)) < 0)
                return r;
        return msg_finish(&m, ret_len);
}

int pfkey_build_socket_policy(void *buf, size_t size, const XfrmPolicy *p, size_t *ret_len) {
        Msg m = { .buf = buf, .size = size };
        int r;

        if (pfkey_policy_inexpressible(p))
                return -EOPNOTSUPP;
        if ((r = put_policy(&m, p)) < 0)
                return r;
        *ret_len = m.len;
        return 0;
}

/*
 * Copies extension type into out (size bytes, zero-filled beyond what the
 * extension holds): 0 if absent, 1 if copied, -EBADMSG if shorter than min.
 */
static int ext_copy(const uint8_t *buf, const PfkeyMsg *msg, unsigned type, void *out, size_t min, size_t size,
                    size_t *ret_len) {
        struct sadb_ext hdr;
        size_t len;

        memset(out, 0, size);
        if (!(msg->ext_seen & (1u << type)))
                return 0;
        memcpy(&hdr, buf + msg->ext_off[type], sizeof(hdr));
        len = (size_t) hdr.sadb_ext_len * PFKEY_UNIT;
        if (len < min)
                return -EBADMSG;
        memcpy(out, buf + msg->ext_off[type], min_size(len, size));
        if (ret_len)
                *ret_len = len;
        return 1;
}

/* Parses a sockaddr of len bytes at s: the family's address and port. */
static int sockaddr_parse(const void *s, size_t len, uint16_t *family, xfrm_address_t *addr, uint16_t *port) {
        Sockaddr sa = {};

        if (len < sizeof(sa.sa))
                return -EBADMSG;
        memcpy(&sa, s, min_size(len, sizeof(sa)));
        *addr = (xfrm_address_t) {};
        switch (sa.sa.sa_family) {
        case AF_INET:
                if (len < sizeof(sa.in))
                        return -EBADMSG;
                addr->a4 = sa.in.sin_addr.s_addr;
                *port = ntohs(sa.in.sin_port);
                break;
        case AF_INET6:
                if (len < sizeof(sa.in6))
                        return -EBADMSG;
                memcpy(addr->a6, &sa.in6.sin6_addr, sizeof(addr->a6));
                *port = ntohs(sa.in6.sin6_port);
                break;
        default:
                return -EBADMSG;
        }
        *family = sa.sa.sa_family;
        return 0;
}

typedef struct Address {
        uint16_t family, port;
        xfrm_address_t addr;
        uint8_t proto, prefixlen;
} Address;

/* A mandatory address extension. */
static int address_parse(const uint8_t *buf, const PfkeyMsg *msg, unsigned type, Address *ret) {
        struct {
                struct sadb_address a;
                Sockaddr s;
        } __attribute__((packed)) ext;
        size_t len;
        int r = ext_copy(buf, msg, type, &ext, sizeof(ext.a) + sizeof(struct sockaddr), sizeof(ext), &len);

        if (r <= 0)
                return r < 0 ? r : -EBADMSG;
        ret->proto = ext.a.sadb_address_proto;
        ret->prefixlen = ext.a.sadb_address_prefixlen;
        return sockaddr_parse(&ext.s, min_size(len, sizeof(ext)) - sizeof(ext.a), &ret->family, &ret->addr, &ret->port);
}

static int alg_parse(const uint8_t *buf, const PfkeyMsg *msg, uint8_t id, unsigned key_type,
                     const char *(*lookup)(uint8_t id), XfrmAlg *ret) {
        struct sadb_key key;
        const char *name;
        int r;

        *ret = (XfrmAlg) {};
        if (id == 0)
                return 0;
        /* An id this build does not know still differs from what was asked for: keep it visible. */
        if ((name = lookup(id)))
                STRSCPY(ret->name, name);
        else
                snprintf(ret->name, sizeof(ret->name), "pfkey-id-%u", id);
        if (key_type && (r = ext_copy(buf, msg, key_type, &key, sizeof(key), sizeof(key), NULL)) < 0)
                return r;
        ret->key_bits = key_type ? key.sadb_key_bits : 0;
        return 0;
}

int pfkey_sa_from_msg(const void *buf, size_t len, XfrmSa *ret) {
        struct sadb_sa ext;
        struct sadb_x_sa2 sa2;
        struct sadb_lifetime cur;
        struct sadb_x_nat_t_type nt;
        struct sadb_x_nat_t_port port;
        Address src, dst;
        PfkeyMsg msg;
        XfrmSa sa = {};
        int r;

        if ((r = pfkey_parse(buf, len, &msg)) < 0)
                return r;
        if ((r = ext_copy(buf, &msg, SADB_EXT_SA, &ext, sizeof(ext), sizeof(ext), NULL)) <= 0 ||
            (r = address_parse(buf, &msg, SADB_EXT_ADDRESS_SRC, &src)) < 0 ||
            (r = address_parse(buf, &msg, SADB_EXT_ADDRESS_DST, &dst)) < 0)
                return r < 0 ? r : -EBADMSG;
        if (src.family != dst.family || !(sa.proto = proto_of(msg.satype)))
                return -EBADMSG;
        sa.family = src.family;
        sa.saddr = src.addr;
        sa.daddr = dst.addr;
        sa.spi = ntohl(ext.sadb_sa_spi);
        sa.replay_window = ext.sadb_sa_replay;
        if ((r = alg_parse(buf, &msg, ext.sadb_sa_auth, SADB_EXT_KEY_AUTH, pfkey_auth_name, &sa.auth)) < 0)
                return r;
        if (sa.proto == IPPROTO_COMP)
                r = alg_parse(buf, &msg, ext.sadb_sa_encrypt, 0, pfkey_comp_name, &sa.comp);
        else
                r = alg_parse(buf, &msg, ext.sadb_sa_encrypt, SADB_EXT_KEY_ENCRYPT, pfkey_encrypt_name, &sa.enc);
        if (r < 0)
                return r;

        if ((r = ext_copy(buf, &msg, SADB_X_EXT_SA2, &sa2, sizeof(sa2), sizeof(sa2), NULL)) < 0)
                return r;
        if (r > 0) {
                if ((r = mode_from_pfkey(sa2.sadb_x_sa2_mode, &sa.mode)) < 0)
                        return r;
                sa.reqid = sa2.sadb_x_sa2_reqid;
        }
        if ((r = ext_copy(buf, &msg, SADB_EXT_LIFETIME_CURRENT, &cur, sizeof(cur), sizeof(cur), NULL)) < 0)
                return r;
        /* af_key reports packets as "allocations". */
        sa.cur_bytes = cur.sadb_lifetime_bytes;
        sa.cur_packets = cur.sadb_lifetime_allocations;

        if ((r = ext_copy(buf, &msg, SADB_X_EXT_NAT_T_TYPE, &nt, sizeof(nt), sizeof(nt), NULL)) < 0)
                return r;
        if (r > 0) {
                sa.encap = true;
                sa.encap_type = nt.sadb_x_nat_t_type_type;
                if ((r = ext_copy(buf, &msg, SADB_X_EXT_NAT_T_SPORT, &port, sizeof(port), sizeof(port), NULL)) < 0)
                        return r;
                sa.encap_sport = ntohs(port.sadb_x_nat_t_port_port);
                if ((r = ext_copy(buf, &msg, SADB_X_EXT_NAT_T_DPORT, &port, sizeof(port), sizeof(port), NULL)) < 0)
                        return r;
                sa.encap_dport = ntohs(port.sadb_x_nat_t_port_port);
        }
        *ret = sa;
        return 0;
}

static int requests_parse(const uint8_t *pol, size_t len, XfrmPolicy *p) {
        size_t off = sizeof(struct sadb_x_policy);

        while (len - off >= sizeof(struct sadb_x_ipsecrequest)) {
                struct sadb_x_ipsecrequest rq;
                XfrmTmpl *t;
                size_t rq_len;
                int r;

                memcpy(&rq, pol + off, sizeof(rq));
                rq_len = rq.sadb_x_ipsecrequest_len;
                if (rq_len < sizeof(rq) || rq_len > len - off)
                        return -EBADMSG;
                if (p->n_tmpl >= XFRM_MAX_DEPTH)
                        return -E2BIG;
                t = &p->tmpl[p->n_tmpl++];
                *t = (XfrmTmpl) {
                        .family = p->sel.family,
                        .proto = (uint8_t) rq.sadb_x_ipsecrequest_proto,
                        .reqid = rq.sadb_x_ipsecrequest_reqid,
                };
                if ((r = mode_from_pfkey(rq.sadb_x_ipsecrequest_mode, &t->mode)) < 0)
                        return r;
                if (t->mode == XFRM_MODE_TUNNEL) {
                        /* Two sockaddrs of one family fill the rest of the request. */
                        size_t half = (rq_len - sizeof(rq)) / 2;
                        uint16_t port, family2;

                        if ((r = sockaddr_parse(pol + off + sizeof(rq), half, &t->family, &t->saddr, &port)) < 0 ||
                            (r = sockaddr_parse(pol + off + sizeof(rq) + half, half, &family2, &t->daddr, &port)) < 0)
                                return r;
                        if (family2 != t->family)
                                return -EBADMSG;
                }
                off += rq_len;
        }
        return off == len ? 0 : -EBADMSG;
}

int pfkey_policy_from_msg(const void *buf, size_t len, XfrmPolicy *ret) {
        struct sadb_x_policy hdr;
        const uint8_t *pol;
        Address src, dst;
        PfkeyMsg msg;
        XfrmPolicy p = {};
        size_t pol_len;
        int r;

        if ((r = pfkey_parse(buf, len, &msg)) < 0)
                return r;
        if ((r = address_parse(buf, &msg, SADB_EXT_ADDRESS_SRC, &src)) < 0 ||
            (r = address_parse(buf, &msg, SADB_EXT_ADDRESS_DST, &dst)) < 0 ||
            (r = ext_copy(buf, &msg, SADB_X_EXT_POLICY, &hdr, sizeof(hdr), sizeof(hdr), &pol_len)) <= 0)
                return r < 0 ? r : -EBADMSG;
        if (src.family != dst.family || hdr.sadb_x_policy_dir == IPSEC_DIR_ANY)
                return -EBADMSG;
        /* pfkey_parse() checked that the whole extension lies inside buf. */
        pol = (const uint8_t *) buf + msg.ext_off[SADB_X_EXT_POLICY];
        p.sel = (XfrmSelector) {
                .family = src.family,
                .saddr = src.addr,
                .daddr = dst.addr,
                .prefixlen_s = src.prefixlen,
                .prefixlen_d = dst.prefixlen,
                .proto = src.proto == IPSEC_ULPROTO_ANY ? 0 : src.proto,
                .sport = src.port,
                .dport = dst.port,
                .sport_mask = src.port ? 0xffff : 0,
                .dport_mask = dst.port ? 0xffff : 0,
        };
        /* Socket policies come back with directions past IPSEC_DIR_FWD, as XFRM numbers them. */
        p.dir = (uint8_t) (hdr.sadb_x_policy_dir - 1);
        p.action = hdr.sadb_x_policy_type == IPSEC_POLICY_DISCARD ? XFRM_POLICY_BLOCK : XFRM_POLICY_ALLOW;
        p.priority = hdr.sadb_x_policy_priority;
        if (hdr.sadb_x_policy_type == IPSEC_POLICY_IPSEC && (r = requests_parse(pol, pol_len, &p)) < 0)
                return r;
        *ret = p;
        return 0;
}
