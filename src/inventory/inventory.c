/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <linux/udp.h>

#include "inventory.h"
#include "macro.h"
#include "netlink.h"
#include "string-table.h"

#ifndef TCP_ENCAP_ESPINTCP
#define TCP_ENCAP_ESPINTCP 7
#endif

/* A dump is flow-controlled by the kernel; a silent kernel is reported, not waited for. */
#define INVENTORY_TIMEOUT_S 10

static const char *const inv_family_table[_INV_FAMILY_MAX] = { "ipv4", "ipv6", "other" };
static const char *const inv_proto_table[_INV_PROTO_MAX] = { "esp", "ah", "comp", "other" };
static const char *const inv_mode_table[_INV_MODE_MAX] = { "transport", "tunnel", "beet", "other" };
static const char *const inv_encap_table[_INV_ENCAP_MAX] = {
        "none", "espinudp", "espinudp_non_ike", "espintcp", "other",
};
static const char *const inv_dir_table[_INV_DIR_MAX] = { "in", "out", "fwd", "socket", "other" };
static const char *const inv_action_table[_INV_ACTION_MAX] = { "allow", "block" };
static const char *const inv_alg_kind_table[_INV_ALG_KIND_MAX] = {
        "encryption", "integrity", "aead", "compression",
};

DEFINE_STRING_TABLE_TO_STRING(inv_family, InvFamily)
DEFINE_STRING_TABLE_TO_STRING(inv_proto, InvProto)
DEFINE_STRING_TABLE_TO_STRING(inv_mode, InvMode)
DEFINE_STRING_TABLE_TO_STRING(inv_encap, InvEncap)
DEFINE_STRING_TABLE_TO_STRING(inv_dir, InvDir)
DEFINE_STRING_TABLE_TO_STRING(inv_action, InvAction)
DEFINE_STRING_TABLE_TO_STRING(inv_alg_kind, InvAlgKind)

static InvFamily family_of(uint16_t family) {
        return family == AF_INET ? INV_FAMILY_IPV4 : family == AF_INET6 ? INV_FAMILY_IPV6 : INV_FAMILY_OTHER;
}

static InvProto proto_of(uint8_t proto) {
        switch (proto) {
        case IPPROTO_ESP:
                return INV_PROTO_ESP;
        case IPPROTO_AH:
                return INV_PROTO_AH;
        case IPPROTO_COMP:
                return INV_PROTO_COMP;
        default:
                return INV_PROTO_OTHER;
        }
}

static InvMode mode_of(uint8_t mode) {
        switch (mode) {
        case XFRM_MODE_TRANSPORT:
                return INV_MODE_TRANSPORT;
        case XFRM_MODE_TUNNEL:
                return INV_MODE_TUNNEL;
        case XFRM_MODE_BEET:
                return INV_MODE_BEET;
        default:
                return INV_MODE_OTHER;
        }
}

static InvEncap encap_of(uint16_t type) {
        switch (type) {
        case UDP_ENCAP_ESPINUDP:
                return INV_ENCAP_ESPINUDP;
        case UDP_ENCAP_ESPINUDP_NON_IKE:
                return INV_ENCAP_ESPINUDP_NON_IKE;
        case TCP_ENCAP_ESPINTCP:
                return INV_ENCAP_ESPINTCP;
        default:
                return INV_ENCAP_OTHER;
        }
}

/*
 * Every XFRM algorithm attribute starts with the name (struct xfrm_algo,
 * xfrm_algo_auth, xfrm_algo_aead): only those 64 bytes are ever read, never
 * the key that follows. A name that is not printable ASCII is not copied.
 */
static int alg_name(const struct nlattr *attr, char name[static INVENTORY_ALG_NAME_MAX]) {
        const char *p;
        size_t len;

        if (mnl_attr_get_payload_len(attr) < sizeof(struct xfrm_algo))
                return -EBADMSG;
        p = mnl_attr_get_payload(attr);
        len = strnlen(p, INVENTORY_ALG_NAME_MAX);
        if (len == 0 || len == INVENTORY_ALG_NAME_MAX)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++)
                if (p[i] < 0x21 || p[i] > 0x7e)
                        return -EBADMSG;
        memcpy(name, p, len);
        name[len] = '\0';
        return 0;
}

static void count_alg(InvSad *sad, InvAlgKind kind, const char *name) {
        for (unsigned i = 0; i < sad->n_algs; i++)
                if (sad->algs[i].kind == kind && strcmp(sad->algs[i].name, name) == 0) {
                        sad->algs[i].sas++;
                        return;
                }
        if (sad->n_algs >= INVENTORY_MAX_ALGS) {
                sad->algs_untold++;
                return;
        }
        sad->algs[sad->n_algs] = (InvAlg) { .kind = kind, .sas = 1 };
        STRSCPY(sad->algs[sad->n_algs].name, name);
        sad->n_algs++;
}

typedef struct SaAttrs {
        char alg[_INV_ALG_KIND_MAX][INVENTORY_ALG_NAME_MAX];
        bool encap;
        uint16_t encap_type;
        bool bad;
} SaAttrs;

static int sa_attr_cb(const struct nlattr *attr, void *data) {
        SaAttrs *a = data;
        int kind;

        switch (mnl_attr_get_type(attr)) {
        case XFRMA_ALG_CRYPT:
                kind = INV_ALG_ENCRYPTION;
                break;
        case XFRMA_ALG_AUTH: /* the kernel sends both AUTH and AUTH_TRUNC: one name */
        case XFRMA_ALG_AUTH_TRUNC:
                kind = INV_ALG_INTEGRITY;
                break;
        case XFRMA_ALG_AEAD:
                kind = INV_ALG_AEAD;
                break;
        case XFRMA_ALG_COMP:
                kind = INV_ALG_COMPRESSION;
                break;
        case XFRMA_ENCAP: {
                struct xfrm_encap_tmpl t;

                if (mnl_attr_get_payload_len(attr) < sizeof(t)) {
                        a->bad = true;
                        return MNL_CB_OK;
                }
                memcpy(&t, mnl_attr_get_payload(attr), sizeof(t));
                a->encap = true;
                a->encap_type = t.encap_type;
                return MNL_CB_OK;
        }
        default:
                return MNL_CB_OK;
        }
        if (alg_name(attr, a->alg[kind]) < 0)
                a->bad = true;
        return MNL_CB_OK;
}

int inventory_count_sa(InvSad *sad, const struct nlmsghdr *nlh) {
        struct xfrm_usersa_info copy;
        const struct xfrm_usersa_info *info = &copy;
        SaAttrs a = {};

        if (nlh->nlmsg_type != XFRM_MSG_NEWSA || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(copy)))
                return -EBADMSG;
        /* Netlink messages are only 4-byte aligned; the struct holds 64-bit counters. */
        memcpy(&copy, mnl_nlmsg_get_payload(nlh), sizeof(copy));
        if (mnl_attr_parse(nlh, sizeof(copy), sa_attr_cb, &a) < 0 || a.bad)
                return -EBADMSG;

        sad->count++;
        sad->family[family_of(info->family)]++;
        sad->proto[proto_of(info->id.proto)]++;
        sad->mode[mode_of(info->mode)]++;
        sad->encap[a.encap ? encap_of(a.encap_type) : INV_ENCAP_NONE]++;
        for (int k = 0; k < _INV_ALG_KIND_MAX; k++)
                if (a.alg[k][0])
                        count_alg(sad, (InvAlgKind) k, a.alg[k]);
        return 0;
}

typedef struct PolicyAttrs {
        const struct nlattr *tmpl;
        bool bad;
} PolicyAttrs;

static int policy_attr_cb(const struct nlattr *attr, void *data) {
        PolicyAttrs *a = data;

        if (mnl_attr_get_type(attr) == XFRMA_TMPL) {
                if (mnl_attr_get_payload_len(attr) % sizeof(struct xfrm_user_tmpl) != 0)
                        a->bad = true;
                a->tmpl = attr;
        }
        return MNL_CB_OK;
}

int inventory_count_policy(InvSpd *spd, const struct nlmsghdr *nlh) {
        struct xfrm_userpolicy_info pol;
        const struct xfrm_userpolicy_info *info = &pol;
        PolicyAttrs a = {};

        if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(pol)))
                return -EBADMSG;
        /* Netlink messages are only 4-byte aligned; the struct holds 64-bit lifetimes. */
        memcpy(&pol, mnl_nlmsg_get_payload(nlh), sizeof(pol));
        if (mnl_attr_parse(nlh, sizeof(pol), policy_attr_cb, &a) < 0 || a.bad)
                return -EBADMSG;

        spd->count++;
        /* Per-socket policies live in the same table with dir + XFRM_POLICY_MAX. */
        spd->dir[info->dir == XFRM_POLICY_IN    ? INV_DIR_IN
                 : info->dir == XFRM_POLICY_OUT ? INV_DIR_OUT
                 : info->dir == XFRM_POLICY_FWD ? INV_DIR_FWD
                 : info->dir < 2 * XFRM_POLICY_MAX ? INV_DIR_SOCKET
                                                   : INV_DIR_OTHER]++;
        spd->family[family_of(info->sel.family)]++;
        spd->action[info->action == XFRM_POLICY_BLOCK ? INV_ACTION_BLOCK : INV_ACTION_ALLOW]++;
        if (a.tmpl && mnl_attr_get_payload_len(a.tmpl) > 0) {
                const struct xfrm_user_tmpl *t = mnl_attr_get_payload(a.tmpl);
                size_t n = mnl_attr_get_payload_len(a.tmpl) / sizeof(*t);

                spd->with_templates++;
                for (size_t i = 0; i < n; i++) {
                        struct xfrm_user_tmpl copy;

                        memcpy(&copy, &t[i], sizeof(copy)); /* attribute payloads are only 4-byte aligned */
                        spd->tmpl_proto[proto_of(copy.id.proto)]++;
                        spd->tmpl_mode[mode_of(copy.mode)]++;
                }
        }
        return 0;
}

typedef struct Info {
        InvSad *sad;
        InvSpd *spd;
        bool bad;
} Info;

static int info_attr_cb(const struct nlattr *attr, void *data) {
        Info *i = data;
        uint16_t type = mnl_attr_get_type(attr);
        size_t len = mnl_attr_get_payload_len(attr);

        if (i->sad) {
                if (type == XFRMA_SAD_CNT && len >= sizeof(uint32_t))
                        i->sad->info_count = mnl_attr_get_u32(attr);
                else if (type == XFRMA_SAD_HINFO && len >= sizeof(struct xfrmu_sadhinfo)) {
                        struct xfrmu_sadhinfo h;
                        memcpy(&h, mnl_attr_get_payload(attr), sizeof(h));
                        i->sad->info_hash_buckets = h.sadhcnt;
                        i->sad->info_hash_max = h.sadhmcnt;
                } else if (type == XFRMA_SAD_CNT || type == XFRMA_SAD_HINFO)
                        i->bad = true;
        } else {
                if (type == XFRMA_SPD_INFO && len >= sizeof(struct xfrmu_spdinfo)) {
                        struct xfrmu_spdinfo s;
                        memcpy(&s, mnl_attr_get_payload(attr), sizeof(s));
                        i->spd->info_in = s.incnt;
                        i->spd->info_out = s.outcnt;
                        i->spd->info_fwd = s.fwdcnt;
                        i->spd->info_in_socket = s.inscnt;
                        i->spd->info_out_socket = s.outscnt;
                        i->spd->info_fwd_socket = s.fwdscnt;
                } else if (type == XFRMA_SPD_HINFO && len >= sizeof(struct xfrmu_spdhinfo)) {
                        struct xfrmu_spdhinfo h;
                        memcpy(&h, mnl_attr_get_payload(attr), sizeof(h));
                        i->spd->info_hash_buckets = h.spdhcnt;
                        i->spd->info_hash_max = h.spdhmcnt;
                } else if (type == XFRMA_SPD_INFO || type == XFRMA_SPD_HINFO)
                        i->bad = true;
        }
        return MNL_CB_OK;
}

/* What one request is for, and where its answer goes. */
typedef struct Request {
        uint16_t type, reply_type;
        bool dump;
        int (*count)(void *target, const struct nlmsghdr *nlh);
        void *target;
} Request;

static int count_sa_cb(void *target, const struct nlmsghdr *nlh) {
        return inventory_count_sa(target, nlh);
}

static int count_policy_cb(void *target, const struct nlmsghdr *nlh) {
        return inventory_count_policy(target, nlh);
}

static int count_info_cb(void *target, const struct nlmsghdr *nlh) {
        Info *i = target;

        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(uint32_t)) ||
            mnl_attr_parse(nlh, sizeof(uint32_t), info_attr_cb, i) < 0 || i->bad)
                return -EBADMSG;
        return 0;
}

static int reply_cb(const struct nlmsghdr *nlh, void *userdata) {
        Request *q = userdata;

        if (nlh->nlmsg_type != q->reply_type)
                return -EBADMSG;
        return q->count(q->target, nlh);
}

/* Zeroes what a dump counted, keeping the GETSADINFO/GETSPDINFO answers beside it. */
static void restart_dump(void *userdata) {
        Request *q = userdata;

        if (q->count == count_sa_cb) {
                InvSad *sad = q->target, keep = *sad;
                *sad = (InvSad) { .info_known = keep.info_known, .info_err = keep.info_err,
                                  .info_count = keep.info_count, .info_hash_buckets = keep.info_hash_buckets,
                                  .info_hash_max = keep.info_hash_max };
        } else if (q->count == count_policy_cb) {
                InvSpd *spd = q->target, keep = *spd;
                *spd = (InvSpd) { .info_known = keep.info_known, .info_err = keep.info_err,
                                  .info_in = keep.info_in, .info_out = keep.info_out, .info_fwd = keep.info_fwd,
                                  .info_in_socket = keep.info_in_socket, .info_out_socket = keep.info_out_socket,
                                  .info_fwd_socket = keep.info_fwd_socket,
                                  .info_hash_buckets = keep.info_hash_buckets, .info_hash_max = keep.info_hash_max };
        }
}

/*
 * One request on a socket of its own: an interrupted dump leaves nothing
 * behind for the next one. Returns the kernel's positive errno, or the
 * conversation's (the inventory is best effort: a failure is recorded like a
 * refusal); only -ENOMEM is returned as our own fault.
 */
static int request(Request *q) {
        _cleanup_(netlink_socket_freep) NetlinkSocket *s = NULL;
        uint8_t buf[MNL_NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(uint32_t))] = {};
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        NetlinkAnswer ans;
        int r;

        r = netlink_socket_open(NETLINK_XFRM, INVENTORY_TIMEOUT_S, &s);
        if (r < 0)
                return r == -ENOMEM ? r : -r;
        nlh->nlmsg_type = q->type;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        if (q->dump)
                r = netlink_dump(s, nlh, reply_cb, restart_dump, q, &ans);
        else {
                mnl_nlmsg_put_extra_header(nlh, sizeof(uint32_t));
                r = netlink_transact_one(s, nlh, reply_cb, q, &ans);
        }
        if (r == -ENOMEM)
                return r;
        return r < 0 ? -r : ans.err;
}

int inventory_read(Inventory *inv) {
        Info sadinfo = { .sad = &inv->sad }, spdinfo = { .spd = &inv->spd };
        Request reqs[] = {
                { XFRM_MSG_GETSADINFO, XFRM_MSG_NEWSADINFO, false, count_info_cb, &sadinfo },
                { XFRM_MSG_GETSPDINFO, XFRM_MSG_NEWSPDINFO, false, count_info_cb, &spdinfo },
                /*
                 * Dumps carry no fixed header, as iproute2's: the kernel's xfrm_dump_sa() parses the
                 * payload from offset 0 as attributes (XFRMA_ADDRESS_FILTER, XFRMA_PROTO), so a
                 * zeroed xfrm_usersa_info made it log "224 bytes leftover after parsing attributes".
                 */
                { XFRM_MSG_GETSA, XFRM_MSG_NEWSA, true, count_sa_cb, &inv->sad },
                { XFRM_MSG_GETPOLICY, XFRM_MSG_NEWPOLICY, true, count_policy_cb, &inv->spd },
        };
        int *errs[] = { &inv->sad.info_err, &inv->spd.info_err, &inv->sad.err, &inv->spd.err };

        *inv = (Inventory) { .done = true };
        for (size_t i = 0; i < ELEMENTSOF(reqs); i++) {
                int r = request(&reqs[i]);

                if (r < 0)
                        return r;
                *errs[i] = r;
        }
        inv->sad.info_known = inv->sad.info_err == 0;
        inv->spd.info_known = inv->spd.info_err == 0;
        return 0;
}
