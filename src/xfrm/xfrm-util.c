/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

#include "macro.h"
#include "string-table.h"
#include "xfrm-internal.h"

int xfrm_msg_start(void *buf, size_t size, uint16_t type, uint16_t flags, size_t fixed, struct nlmsghdr **ret) {
        struct nlmsghdr *nlh;

        if (size < mnl_nlmsg_size(MNL_ALIGN(fixed)))
                return -ENOBUFS;
        memset(buf, 0, size);
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | flags;
        mnl_nlmsg_put_extra_header(nlh, fixed);
        *ret = nlh;
        return 0;
}

void xfrm_lifetime_infinite(struct xfrm_lifetime_cfg *lft) {
        /* Zero limits would make the kernel expire a trial SA on first use. */
        lft->soft_byte_limit = XFRM_INF;
        lft->hard_byte_limit = XFRM_INF;
        lft->soft_packet_limit = XFRM_INF;
        lft->hard_packet_limit = XFRM_INF;
}

bool xfrm_addr_equal(uint16_t family, const xfrm_address_t *a, const xfrm_address_t *b) {
        return memcmp(a, b, family == AF_INET6 ? 16 : 4) == 0;
}

int xfrm_addr(uint16_t family, const char *s, xfrm_address_t *ret) {
        xfrm_address_t a = {};

        if (family != AF_INET && family != AF_INET6)
                return -EAFNOSUPPORT;
        if (inet_pton(family, s, &a) != 1)
                return -EINVAL;
        *ret = a;
        return 0;
}

typedef struct InfoParse {
        uint16_t reply_type;
        uint32_t count;
        uint32_t socket_count; /* per-socket policies (SPD info only) */
} InfoParse;

static int info_attr_cb(const struct nlattr *attr, void *data) {
        InfoParse *p = data;

        switch (mnl_attr_get_type(attr)) {
        case XFRMA_SAD_CNT: /* == XFRMA_SPD_INFO: the reply type tells which */
                if (p->reply_type == XFRM_MSG_NEWSADINFO) {
                        if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
                                return MNL_CB_ERROR;
                        p->count = mnl_attr_get_u32(attr);
                } else {
                        struct xfrmu_spdinfo si;
                        if (mnl_attr_get_payload_len(attr) < sizeof(si))
                                return MNL_CB_ERROR;
                        memcpy(&si, mnl_attr_get_payload(attr), sizeof(si));
                        p->count = si.incnt + si.outcnt + si.fwdcnt;
                        p->socket_count = si.inscnt + si.outscnt + si.fwdscnt;
                }
                break;
        default:
                break;
        }
        return MNL_CB_OK;
}

static int info_reply(const struct nlmsghdr *nlh, void *userdata) {
        InfoParse *p = userdata;

        if (nlh->nlmsg_type != p->reply_type || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(uint32_t)))
                return -EBADMSG;
        if (mnl_attr_parse(nlh, sizeof(uint32_t), info_attr_cb, p) < 0)
                return -EBADMSG;
        return 0;
}

static int xfrm_info_full(XfrmNl *nl, uint16_t type, uint16_t reply_type, InfoParse *ret, XfrmAnswer *ans) {
        uint8_t buf[256];
        struct nlmsghdr *nlh;
        InfoParse p = { .reply_type = reply_type };
        int r;

        r = xfrm_msg_start(buf, sizeof(buf), type, 0, sizeof(uint32_t), &nlh);
        if (r < 0 || (r = xfrm_nl_transact_one(nl, nlh, info_reply, &p, ans)) < 0)
                return r;
        *ret = p;
        return 0;
}

static int xfrm_info(XfrmNl *nl, uint16_t type, uint16_t reply_type, uint32_t *ret_count, XfrmAnswer *ans) {
        InfoParse p;
        int r = xfrm_info_full(nl, type, reply_type, &p, ans);

        if (r < 0)
                return r;
        *ret_count = p.count;
        return 0;
}

int xfrm_spd_counts(XfrmNl *nl, uint32_t *ret_count, uint32_t *ret_socket_count, XfrmAnswer *ans) {
        InfoParse p;
        int r = xfrm_info_full(nl, XFRM_MSG_GETSPDINFO, XFRM_MSG_NEWSPDINFO, &p, ans);

        if (r < 0)
                return r;
        *ret_count = p.count;
        *ret_socket_count = p.socket_count;
        return 0;
}

int xfrm_spd_socket_count(XfrmNl *nl, uint32_t *ret_count, XfrmAnswer *ans) {
        uint32_t policies;

        if (nl->api == XFRM_API_PFKEY)
                return xfrm_pfkey_socket_count(nl, ret_count, ans);
        return xfrm_spd_counts(nl, &policies, ret_count, ans);
}

int xfrm_sad_info(XfrmNl *nl, uint32_t *ret_count, XfrmAnswer *ans) {
        return xfrm_info(nl, XFRM_MSG_GETSADINFO, XFRM_MSG_NEWSADINFO, ret_count, ans);
}

int xfrm_spd_info(XfrmNl *nl, uint32_t *ret_count, XfrmAnswer *ans) {
        return xfrm_info(nl, XFRM_MSG_GETSPDINFO, XFRM_MSG_NEWSPDINFO, ret_count, ans);
}

int xfrm_flush(XfrmNl *nl, XfrmAnswer *ans) {
        uint8_t buf[64];
        struct nlmsghdr *nlh;
        struct xfrm_usersa_flush *sa;
        int r;

        /* Protocol 0 matches every SA, IPComp's inner IPIP tunnel SAs included (IPSEC_PROTO_ANY would not). */
        if ((r = xfrm_msg_start(buf, sizeof(buf), XFRM_MSG_FLUSHSA, 0, sizeof(*sa), &nlh)) < 0 ||
            (r = xfrm_nl_transact(nl, nlh, NULL, NULL, ans)) < 0 || ans->err)
                return r;
        if ((r = xfrm_msg_start(buf, sizeof(buf), XFRM_MSG_FLUSHPOLICY, 0, 0, &nlh)) < 0)
                return r;
        return xfrm_nl_transact(nl, nlh, NULL, NULL, ans);
}

static const char *const xfrm_mode_table[] = {
        [XFRM_MODE_TRANSPORT] = "transport",
        [XFRM_MODE_TUNNEL] = "tunnel",
        [XFRM_MODE_ROUTEOPTIMIZATION] = "route-optimization",
        [XFRM_MODE_IN_TRIGGER] = "in-trigger",
        [XFRM_MODE_BEET] = "BEET",
};

const char *xfrm_mode_name(uint8_t mode) {
        return string_table_to_string(xfrm_mode_table, ELEMENTSOF(xfrm_mode_table), mode) ?: "unknown-mode";
}
