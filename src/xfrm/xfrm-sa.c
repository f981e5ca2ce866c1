/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "macro.h"
#include "xfrm-internal.h"

/* 4096 packets of replay window, far beyond what IKE daemons configure. */
#define ESN_BMP_MAX 128

static int put_alg(struct nlmsghdr *nlh, size_t size, uint16_t type, const XfrmAlg *alg) {
        union {
                struct xfrm_algo plain;
                struct xfrm_algo_auth auth;
                struct xfrm_algo_aead aead;
                uint8_t raw[sizeof(struct xfrm_algo_aead) + ALG_KEY_MAX];
        } u = {};
        size_t key_len = (alg->key_bits + 7) / 8, head;

        if (key_len > ALG_KEY_MAX || strlen(alg->name) >= sizeof(u.plain.alg_name))
                return -EINVAL;

        /* The three layouts share their head (name, key length in bits) and end in the key. */
        STRSCPY(u.plain.alg_name, alg->name);
        u.plain.alg_key_len = alg->key_bits;
        switch (type) {
        case XFRMA_ALG_AUTH_TRUNC:
                u.auth.alg_trunc_len = alg->icv_bits;
                head = sizeof(u.auth);
                break;
        case XFRMA_ALG_AEAD:
                u.aead.alg_icv_len = alg->icv_bits;
                head = sizeof(u.aead);
                break;
        default:
                head = sizeof(u.plain);
        }
        memset(u.raw + head, TRIAL_KEY_BYTE, key_len);
        if (!mnl_attr_put_check(nlh, size, type, head + key_len, &u))
                return -ENOBUFS;
        return 0;
}

int xfrm_sa_build_new(void *buf, size_t size, const XfrmSa *sa, struct nlmsghdr **ret) {
        const struct {
                uint16_t type;
                const XfrmAlg *alg;
        } algs[] = {
                { XFRMA_ALG_CRYPT, &sa->enc },
                { XFRMA_ALG_AUTH_TRUNC, &sa->auth },
                { XFRMA_ALG_AEAD, &sa->aead },
                { XFRMA_ALG_COMP, &sa->comp },
        };
        struct xfrm_usersa_info *info;
        struct nlmsghdr *nlh;
        int r;

        r = xfrm_msg_start(buf, size, XFRM_MSG_NEWSA, NLM_F_CREATE | NLM_F_EXCL, sizeof(*info), &nlh);
        if (r < 0)
                return r;
        info = mnl_nlmsg_get_payload(nlh);
        info->family = sa->family;
        info->saddr = sa->saddr;
        info->id.daddr = sa->daddr;
        info->id.spi = htonl(sa->spi);
        info->id.proto = sa->proto;
        info->mode = sa->mode;
        info->reqid = sa->reqid;
        info->replay_window = sa->replay_window;
        xfrm_lifetime_infinite(&info->lft);

        for (size_t i = 0; i < ELEMENTSOF(algs); i++) {
                if (!algs[i].alg->name[0])
                        continue;
                r = put_alg(nlh, size, algs[i].type, algs[i].alg);
                if (r < 0)
                        return r;
        }
        if (sa->encap) {
                struct xfrm_encap_tmpl encap = {
                        .encap_type = sa->encap_type,
                        .encap_sport = htons(sa->encap_sport),
                        .encap_dport = htons(sa->encap_dport),
                };
                if (!mnl_attr_put_check(nlh, size, XFRMA_ENCAP, sizeof(encap), &encap))
                        return -ENOBUFS;
        }
        if (sa->esn) {
                /* The bitmap follows the header: one bit per packet of the window. */
                struct {
                        struct xfrm_replay_state_esn rs;
                        uint32_t bmp[ESN_BMP_MAX];
                } esn = {};
                uint32_t bmp_len = (sa->esn_window + 31) / 32;

                if (bmp_len == 0 || bmp_len > ESN_BMP_MAX)
                        return -EINVAL;
                esn.rs.bmp_len = bmp_len;
                esn.rs.replay_window = sa->esn_window;
                info->flags |= XFRM_STATE_ESN;
                if (!mnl_attr_put_check(nlh, size, XFRMA_REPLAY_ESN_VAL, sizeof(esn.rs) + bmp_len * sizeof(uint32_t),
                                        &esn))
                        return -ENOBUFS;
        }
        *ret = nlh;
        return 0;
}

int xfrm_sa_build_get(void *buf, size_t size, const XfrmSa *sa, struct nlmsghdr **ret) {
        struct xfrm_usersa_id *id;
        struct nlmsghdr *nlh;
        int r;

        r = xfrm_msg_start(buf, size, XFRM_MSG_GETSA, 0, sizeof(*id), &nlh);
        if (r < 0)
                return r;
        id = mnl_nlmsg_get_payload(nlh);
        id->daddr = sa->daddr;
        id->spi = htonl(sa->spi);
        id->family = sa->family;
        id->proto = sa->proto;
        if (!mnl_attr_put_check(nlh, size, XFRMA_SRCADDR, sizeof(sa->saddr), &sa->saddr))
                return -ENOBUFS;
        *ret = nlh;
        return 0;
}

_Static_assert(sizeof(struct xfrm_algo_auth) == sizeof(struct xfrm_algo_aead) &&
               offsetof(struct xfrm_algo_auth, alg_trunc_len) == offsetof(struct xfrm_algo_aead, alg_icv_len),
               "auth and AEAD algorithm attributes share a layout");

/* Copies an algorithm attribute after checking it holds the key length it claims. */
static int parse_alg(const struct nlattr *attr, uint16_t type, XfrmAlg *ret) {
        size_t len = mnl_attr_get_payload_len(attr), head;
        const void *p = mnl_attr_get_payload(attr);
        const char *name;
        unsigned key_bits, icv_bits = 0;

        switch (type) {
        case XFRMA_ALG_AUTH_TRUNC:
        case XFRMA_ALG_AEAD: {
                /* xfrm_algo_auth and xfrm_algo_aead share one layout: name, key bits, ICV bits, key. */
                struct xfrm_algo_aead a;
                if (len < sizeof(a))
                        return -EBADMSG;
                memcpy(&a, p, sizeof(a));
                key_bits = a.alg_key_len;
                icv_bits = a.alg_icv_len;
                head = sizeof(a);
                break;
        }
        default: {
                struct xfrm_algo a;
                if (len < sizeof(a))
                        return -EBADMSG;
                memcpy(&a, p, sizeof(a));
                key_bits = a.alg_key_len;
                head = sizeof(a);
        }
        }
        if (len < head + (key_bits + 7) / 8)
                return -EBADMSG;
        /* alg_name leads every variant; the kernel need not terminate it. */
        name = p;
        if (strnlen(name, XFRM_ALG_NAME_MAX) >= XFRM_ALG_NAME_MAX)
                return -EBADMSG;
        STRSCPY(ret->name, name);
        ret->key_bits = key_bits;
        ret->icv_bits = icv_bits;
        return 0;
}

static int sa_attr_cb(const struct nlattr *attr, void *data) {
        XfrmSa *sa = data;
        uint16_t type = mnl_attr_get_type(attr);
        int r = 0;

        switch (type) {
        case XFRMA_ALG_CRYPT:
                r = parse_alg(attr, type, &sa->enc);
                break;
        case XFRMA_ALG_AUTH_TRUNC:
                r = parse_alg(attr, type, &sa->auth);
                break;
        case XFRMA_ALG_AUTH:
                /* The kernel sends both forms; the truncated one carries more. */
                if (!sa->auth.name[0])
                        r = parse_alg(attr, type, &sa->auth);
                break;
        case XFRMA_ALG_AEAD:
                r = parse_alg(attr, type, &sa->aead);
                break;
        case XFRMA_ALG_COMP:
                r = parse_alg(attr, type, &sa->comp);
                break;
        case XFRMA_ENCAP: {
                struct xfrm_encap_tmpl e;
                if (mnl_attr_get_payload_len(attr) < sizeof(e))
                        return MNL_CB_ERROR;
                memcpy(&e, mnl_attr_get_payload(attr), sizeof(e));
                sa->encap = true;
                sa->encap_type = e.encap_type;
                sa->encap_sport = ntohs(e.encap_sport);
                sa->encap_dport = ntohs(e.encap_dport);
                break;
        }
        case XFRMA_REPLAY_ESN_VAL: {
                struct xfrm_replay_state_esn rs;
                size_t len = mnl_attr_get_payload_len(attr);
                if (len < sizeof(rs))
                        return MNL_CB_ERROR;
                memcpy(&rs, mnl_attr_get_payload(attr), sizeof(rs));
                if (rs.bmp_len > (len - sizeof(rs)) / sizeof(uint32_t))
                        return MNL_CB_ERROR;
                sa->esn_window = rs.replay_window;
                break;
        }
        default:
                break;
        }
        return r < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int xfrm_sa_parse(const struct nlmsghdr *nlh, XfrmSa *ret) {
        struct xfrm_usersa_info info;
        XfrmSa sa = {};

        if (nlh->nlmsg_type != XFRM_MSG_NEWSA || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(info)))
                return -EBADMSG;
        memcpy(&info, mnl_nlmsg_get_payload(nlh), sizeof(info));
        sa.family = info.family;
        sa.saddr = info.saddr;
        sa.daddr = info.id.daddr;
        sa.spi = ntohl(info.id.spi);
        sa.proto = info.id.proto;
        sa.mode = info.mode;
        sa.reqid = info.reqid;
        sa.replay_window = info.replay_window;
        sa.esn = info.flags & XFRM_STATE_ESN;
        sa.cur_bytes = info.curlft.bytes;
        sa.cur_packets = info.curlft.packets;
        if (mnl_attr_parse(nlh, sizeof(info), sa_attr_cb, &sa) < 0)
                return -EBADMSG;
        *ret = sa;
        return 0;
}

static int compare_alg(const char *attr, const XfrmAlg *want, const XfrmAlg *got, char *what, size_t size) {
        if (!want->name[0])
                return 0;
        if (!got->name[0])
                snprintf(what, size, "%s missing", attr);
        else if (strcmp(want->name, got->name) != 0)
                snprintf(what, size, "%s is %s", attr, got->name);
        else if (want->key_bits != got->key_bits || want->icv_bits != got->icv_bits)
                snprintf(what, size, "%s lengths", attr);
        else
                return 0;
        return 1;
}

int xfrm_sa_compare(const XfrmSa *want, const XfrmSa *got, char *what, size_t size) {
        const char *field = NULL;
        int r;

        if (want->family != got->family)
                field = "family";
        else if (!xfrm_addr_equal(want->family, &want->daddr, &got->daddr))
                field = "destination address";
        else if (!xfrm_addr_equal(want->family, &want->saddr, &got->saddr))
                field = "source address";
        else if (want->proto != got->proto || want->spi != got->spi)
                field = "SPI or protocol";
        else if (want->mode != got->mode)
                field = "mode";
        else if (want->reqid != got->reqid)
                field = "reqid";
        else if (want->replay_window && want->replay_window != got->replay_window)
                field = "replay window";
        else if (want->esn && !got->esn)
                field = "XFRM_STATE_ESN flag";
        else if (want->esn && want->esn_window != got->esn_window)
                field = "XFRMA_REPLAY_ESN_VAL window";
        else if (want->encap && !got->encap)
                field = "XFRMA_ENCAP missing";
        else if (want->encap && (want->encap_type != got->encap_type ||
                                 want->encap_sport != got->encap_sport ||
                                 want->encap_dport != got->encap_dport))
                field = "XFRMA_ENCAP";
        if (field) {
                strscpy(what, size, field);
                return 1;
        }
        if ((r = compare_alg("XFRMA_ALG_CRYPT", &want->enc, &got->enc, what, size)) ||
            (r = compare_alg("XFRMA_ALG_AUTH_TRUNC", &want->auth, &got->auth, what, size)) ||
            (r = compare_alg("XFRMA_ALG_AEAD", &want->aead, &got->aead, what, size)) ||
            (r = compare_alg("XFRMA_ALG_COMP", &want->comp, &got->comp, what, size)))
                return r;
        return 0;
}

int xfrm_sa_add(XfrmNl *nl, const XfrmSa *sa, XfrmAnswer *ans) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        int r;

        if (nl->api == XFRM_API_PFKEY)
                return xfrm_pfkey_sa_add(nl, sa, ans);
        r = xfrm_sa_build_new(buf, sizeof(buf), sa, &nlh);

        return r < 0 ? r : xfrm_nl_transact(nl, nlh, NULL, NULL, ans);
}

static int sa_reply(const struct nlmsghdr *nlh, void *userdata) {
        return xfrm_sa_parse(nlh, userdata);
}

int xfrm_sa_get(XfrmNl *nl, const XfrmSa *key, XfrmSa *ret, XfrmAnswer *ans) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        XfrmSa got = {};
        int r;

        if (nl->api == XFRM_API_PFKEY)
                return xfrm_pfkey_sa_get(nl, key, ret, ans);
        r = xfrm_sa_build_get(buf, sizeof(buf), key, &nlh);
        if (r < 0 || (r = xfrm_nl_transact_one(nl, nlh, sa_reply, &got, ans)) < 0)
                return r;
        *ret = got;
        return 0;
}
