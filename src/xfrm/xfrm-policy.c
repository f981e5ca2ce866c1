/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "macro.h"
#include "pfkey-sa.h"
#include "xfrm-internal.h"

static void selector_to_kernel(const XfrmSelector *s, struct xfrm_selector *k) {
        *k = (struct xfrm_selector) {
                .daddr = s->daddr,
                .saddr = s->saddr,
                .dport = htons(s->dport),
                .dport_mask = htons(s->dport_mask),
                .sport = htons(s->sport),
                .sport_mask = htons(s->sport_mask),
                .family = s->family,
                .prefixlen_d = s->prefixlen_d,
                .prefixlen_s = s->prefixlen_s,
                .proto = s->proto,
                .user = s->user,
        };
}

static void selector_from_kernel(const struct xfrm_selector *k, XfrmSelector *s) {
        *s = (XfrmSelector) {
                .family = k->family,
                .saddr = k->saddr,
                .daddr = k->daddr,
                .prefixlen_s = k->prefixlen_s,
                .prefixlen_d = k->prefixlen_d,
                .proto = k->proto,
                .sport = ntohs(k->sport),
                .dport = ntohs(k->dport),
                .sport_mask = ntohs(k->sport_mask),
                .dport_mask = ntohs(k->dport_mask),
                .user = k->user,
        };
}

/* The context as struct xfrm_user_sec_ctx and its string; the kernel knows one algorithm and DOI. */
static int put_sec_ctx(struct nlmsghdr *nlh, size_t size, const char *ctx) {
        size_t len = strlen(ctx);
        struct {
                struct xfrm_user_sec_ctx hdr;
                char str[XFRM_SEC_CTX_MAX];
        } attr = {
                .hdr = {
                        .len = (uint16_t) (sizeof(attr.hdr) + len),
                        .exttype = XFRMA_SEC_CTX,
                        .ctx_alg = XFRM_SC_ALG_SELINUX,
                        .ctx_doi = XFRM_SC_DOI_LSM,
                        .ctx_len = (uint16_t) len,
                },
        };

        if (len == 0)
                return 0;
        memcpy(attr.str, ctx, len);
        return mnl_attr_put_check(nlh, size, XFRMA_SEC_CTX, sizeof(attr.hdr) + len, &attr) ? 0 : -ENOBUFS;
}

static void policy_to_kernel(const XfrmPolicy *p, struct xfrm_userpolicy_info *info,
                             struct xfrm_user_tmpl tmpl[static XFRM_MAX_DEPTH]) {
        selector_to_kernel(&p->sel, &info->sel);
        xfrm_lifetime_infinite(&info->lft);
        info->priority = p->priority;
        info->dir = p->dir;
        info->action = p->action;
        for (unsigned i = 0; i < p->n_tmpl; i++) {
                tmpl[i] = (struct xfrm_user_tmpl) {
                        .id = { .daddr = p->tmpl[i].daddr, .proto = p->tmpl[i].proto },
                        .family = p->tmpl[i].family,
                        .saddr = p->tmpl[i].saddr,
                        .reqid = p->tmpl[i].reqid,
                        .mode = p->tmpl[i].mode,
                        /* All-ones: any algorithm may satisfy the template (as iproute2 sends). */
                        .aalgos = ~0U,
                        .ealgos = ~0U,
                        .calgos = ~0U,
                };
        }
}

int xfrm_policy_build_new(void *buf, size_t size, const XfrmPolicy *p, struct nlmsghdr **ret) {
        struct xfrm_user_tmpl tmpl[XFRM_MAX_DEPTH] = {};
        struct xfrm_userpolicy_info *info;
        struct nlmsghdr *nlh;
        int r;

        if (p->n_tmpl > XFRM_MAX_DEPTH)
                return -EINVAL;
        r = xfrm_msg_start(buf, size, XFRM_MSG_NEWPOLICY, NLM_F_CREATE | NLM_F_EXCL, sizeof(*info), &nlh);
        if (r < 0)
                return r;
        info = mnl_nlmsg_get_payload(nlh);
        policy_to_kernel(p, info, tmpl);
        if (p->n_tmpl > 0 &&
            !mnl_attr_put_check(nlh, size, XFRMA_TMPL, p->n_tmpl * sizeof(tmpl[0]), tmpl))
                return -ENOBUFS;
        r = put_sec_ctx(nlh, size, p->sec_ctx);
        if (r < 0)
                return r;
        *ret = nlh;
        return 0;
}

int xfrm_socket_policy_build(const XfrmNl *nl, const XfrmPolicy *p, void *buf, size_t size, size_t *ret_len) {
        struct xfrm_user_tmpl tmpl[XFRM_MAX_DEPTH] = {};
        struct xfrm_userpolicy_info info = {};
        size_t len;

        if (nl->api == XFRM_API_PFKEY)
                return pfkey_build_socket_policy(buf, size, p, ret_len);
        /* xfrm_compile_policy() reads the fixed header and templates, no attributes. */
        if (p->n_tmpl > XFRM_MAX_DEPTH || p->sec_ctx[0])
                return -EOPNOTSUPP;
        len = sizeof(info) + p->n_tmpl * sizeof(tmpl[0]);
        if (len > size)
                return -ENOBUFS;
        policy_to_kernel(p, &info, tmpl);
        memcpy(buf, &info, sizeof(info));
        memcpy((uint8_t *) buf + sizeof(info), tmpl, p->n_tmpl * sizeof(tmpl[0]));
        *ret_len = len;
        return 0;
}

/* GETPOLICY and DELPOLICY name a policy the same way: selector, direction and context. */
static int build_by_id(void *buf, size_t size, uint16_t type, const XfrmPolicy *p, struct nlmsghdr **ret) {
        struct xfrm_userpolicy_id *id;
        struct nlmsghdr *nlh;
        int r;

        r = xfrm_msg_start(buf, size, type, 0, sizeof(*id), &nlh);
        if (r < 0)
                return r;
        id = mnl_nlmsg_get_payload(nlh);
        selector_to_kernel(&p->sel, &id->sel);
        id->dir = p->dir;
        r = put_sec_ctx(nlh, size, p->sec_ctx);
        if (r < 0)
                return r;
        *ret = nlh;
        return 0;
}

int xfrm_policy_build_get(void *buf, size_t size, const XfrmPolicy *p, struct nlmsghdr **ret) {
        return build_by_id(buf, size, XFRM_MSG_GETPOLICY, p, ret);
}

static int parse_sec_ctx(const struct nlattr *attr, XfrmPolicy *p) {
        struct xfrm_user_sec_ctx hdr;
        size_t len = mnl_attr_get_payload_len(attr);

        if (len < sizeof(hdr))
                return MNL_CB_ERROR;
        memcpy(&hdr, mnl_attr_get_payload(attr), sizeof(hdr));
        if (hdr.ctx_len > len - sizeof(hdr))
                return MNL_CB_ERROR;
        /* A longer context than we ever send is kept cut short: it then compares as different. */
        snprintf(p->sec_ctx, sizeof(p->sec_ctx), "%.*s", (int) hdr.ctx_len,
                 (const char *) mnl_attr_get_payload(attr) + sizeof(hdr));
        return MNL_CB_OK;
}

static int policy_attr_cb(const struct nlattr *attr, void *data) {
        XfrmPolicy *p = data;
        size_t len = mnl_attr_get_payload_len(attr);
        const uint8_t *payload = mnl_attr_get_payload(attr);

        if (mnl_attr_get_type(attr) == XFRMA_SEC_CTX)
                return parse_sec_ctx(attr, p);
        if (mnl_attr_get_type(attr) != XFRMA_TMPL)
                return MNL_CB_OK;
        if (len % sizeof(struct xfrm_user_tmpl) != 0 || len / sizeof(struct xfrm_user_tmpl) > XFRM_MAX_DEPTH)
                return MNL_CB_ERROR;
        p->n_tmpl = (unsigned) (len / sizeof(struct xfrm_user_tmpl));
        for (unsigned i = 0; i < p->n_tmpl; i++) {
                struct xfrm_user_tmpl t;

                memcpy(&t, payload + i * sizeof(t), sizeof(t));
                p->tmpl[i] = (XfrmTmpl) {
                        .family = t.family,
                        .saddr = t.saddr,
                        .daddr = t.id.daddr,
                        .proto = t.id.proto,
                        .mode = t.mode,
                        .reqid = t.reqid,
                };
        }
        return MNL_CB_OK;
}

int xfrm_policy_parse(const struct nlmsghdr *nlh, XfrmPolicy *ret) {
        struct xfrm_userpolicy_info info;
        XfrmPolicy p = {};

        if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(info)))
                return -EBADMSG;
        memcpy(&info, mnl_nlmsg_get_payload(nlh), sizeof(info));
        selector_from_kernel(&info.sel, &p.sel);
        p.dir = info.dir;
        p.action = info.action;
        p.priority = info.priority;
        if (mnl_attr_parse(nlh, sizeof(info), policy_attr_cb, &p) < 0)
                return -EBADMSG;
        *ret = p;
        return 0;
}

const char *xfrm_selector_difference(const XfrmSelector *a, const XfrmSelector *b) {
        if (a->family != b->family)
                return "selector family";
        if (!xfrm_addr_equal(a->family, &a->saddr, &b->saddr) || a->prefixlen_s != b->prefixlen_s)
                return "selector source";
        if (!xfrm_addr_equal(a->family, &a->daddr, &b->daddr) || a->prefixlen_d != b->prefixlen_d)
                return "selector destination";
        if (a->proto != b->proto)
                return "selector protocol";
        if (a->sport != b->sport || a->sport_mask != b->sport_mask)
                return "selector source port";
        if (a->dport != b->dport || a->dport_mask != b->dport_mask)
                return "selector destination port";
        if (a->user != b->user)
                return "selector user";
        return NULL;
}

static const char *tmpl_difference(const XfrmTmpl *a, const XfrmTmpl *b) {
        if (a->family != b->family || a->proto != b->proto)
                return "family or protocol";
        if (a->mode != b->mode)
                return "mode";
        if (a->reqid != b->reqid)
                return "reqid";
        if (!xfrm_addr_equal(a->family, &a->saddr, &b->saddr) || !xfrm_addr_equal(a->family, &a->daddr, &b->daddr))
                return "endpoints";
        return NULL;
}

int xfrm_policy_compare(const XfrmPolicy *want, const XfrmPolicy *got, char *what, size_t size) {
        const char *d;

        if ((d = xfrm_selector_difference(&want->sel, &got->sel))) {
                strscpy(what, size, d);
                return 1;
        }
        if (want->dir != got->dir || want->action != got->action || want->priority != got->priority) {
                strscpy(what, size, "direction, action or priority");
                return 1;
        }
        if (strcmp(want->sec_ctx, got->sec_ctx) != 0) {
                strscpy(what, size, "security context");
                return 1;
        }
        if (want->n_tmpl != got->n_tmpl) {
                snprintf(what, size, "%u of %u templates kept", got->n_tmpl, want->n_tmpl);
                return 1;
        }
        for (unsigned i = 0; i < want->n_tmpl; i++)
                if ((d = tmpl_difference(&want->tmpl[i], &got->tmpl[i]))) {
                        snprintf(what, size, "template %u %s", i + 1, d);
                        return 1;
                }
        return 0;
}

int xfrm_policy_add(XfrmNl *nl, const XfrmPolicy *p, XfrmAnswer *ans) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        int r;

        if (nl->api == XFRM_API_PFKEY)
                return xfrm_pfkey_policy_add(nl, p, ans);
        r = xfrm_policy_build_new(buf, sizeof(buf), p, &nlh);

        return r < 0 ? r : xfrm_nl_transact(nl, nlh, NULL, NULL, ans);
}

int xfrm_policy_del(XfrmNl *nl, const XfrmPolicy *p, XfrmAnswer *ans) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        int r = build_by_id(buf, sizeof(buf), XFRM_MSG_DELPOLICY, p, &nlh);

        return r < 0 ? r : xfrm_nl_transact(nl, nlh, NULL, NULL, ans);
}

static int policy_reply(const struct nlmsghdr *nlh, void *userdata) {
        return xfrm_policy_parse(nlh, userdata);
}

int xfrm_policy_get(XfrmNl *nl, const XfrmPolicy *key, XfrmPolicy *ret, XfrmAnswer *ans) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;
        XfrmPolicy got = {};
        int r;

        if (nl->api == XFRM_API_PFKEY)
                return xfrm_pfkey_policy_get(nl, key, ret, ans);
        r = xfrm_policy_build_get(buf, sizeof(buf), key, &nlh);
        if (r < 0 || (r = xfrm_nl_transact_one(nl, nlh, policy_reply, &got, ans)) < 0)
                return r;
        *ret = got;
        return 0;
}
