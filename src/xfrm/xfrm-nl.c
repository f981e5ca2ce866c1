/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <libmnl/libmnl.h>

#include "macro.h"
#include "netlink.h"
#include "xfrm-internal.h"

/* A kernel that has not answered in this long is reported, not waited for. */
#define XFRM_NL_TIMEOUT_S 5

void xfrm_nl_free(XfrmNl *nl) {
        if (nl->sock)
                mnl_socket_close(nl->sock);
        if (nl->pfkey_fd >= 0)
                close(nl->pfkey_fd);
        free(nl);
}

int xfrm_nl_open(XfrmNl **ret) {
        _cleanup_(xfrm_nl_freep) XfrmNl *nl = NULL;
        struct timeval tv = { .tv_sec = XFRM_NL_TIMEOUT_S };
        int one = 1;

        nl = calloc(1, sizeof(*nl));
        if (!nl)
                return -ENOMEM;
        *nl = (XfrmNl) { .api = XFRM_API_NETLINK, .pfkey_fd = -1 };
        nl->sock = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC);
        if (!nl->sock)
                return -errno;
        if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
                return -errno;
        /* Kernels before 4.12 lack extended ACKs: their answers then carry no text. */
        (void) mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
        (void) mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
        if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        nl->portid = mnl_socket_get_portid(nl->sock);
        nl->seq = (unsigned) time(NULL);
        *ret = TAKE_PTR(nl);
        return 0;
}

typedef struct ExtackParse {
        char *buf;
        size_t size;
} ExtackParse;

static int extack_attr_cb(const struct nlattr *attr, void *data) {
        ExtackParse *p = data;

        if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
                strscpy(p->buf, p->size, mnl_attr_get_str(attr));
        return MNL_CB_OK;
}

int xfrm_nl_parse_error(const struct nlmsghdr *nlh, int *ret_err, char *extack, size_t extack_size) {
        const struct nlmsgerr *e;
        ExtackParse p = { .buf = extack, .size = extack_size };
        size_t off;

        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
                return -EBADMSG;
        e = mnl_nlmsg_get_payload(nlh);
        if (e->error > 0 || e->error < -4095)
                return -EBADMSG;
        *ret_err = -e->error;
        if (!extack || extack_size == 0)
                return 0;
        extack[0] = '\0';
        if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
                return 0;

        /* The TLVs follow the echoed request unless NETLINK_CAP_ACK trimmed it. */
        off = sizeof(*e);
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
                if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
                        return -EBADMSG;
                off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
        }
        if (mnl_nlmsg_size(MNL_ALIGN(off)) > nlh->nlmsg_len)
                return -EBADMSG;
        if (mnl_attr_parse(nlh, (unsigned) off, extack_attr_cb, &p) < 0)
                return -EBADMSG;
        return 0;
}

typedef struct Transaction {
        XfrmReplyFn fn;
        void *userdata;
        XfrmAnswer *ans;
        int fault; /* our negative errno, raised from inside a callback */
} Transaction;

static int data_cb(const struct nlmsghdr *nlh, void *data) {
        Transaction *t = data;
        int r;

        if (!t->fn)
                return MNL_CB_OK;
        r = t->fn(nlh, t->userdata);
        if (r < 0) {
                t->fault = r;
                return MNL_CB_ERROR;
        }
        return MNL_CB_OK;
}

static int error_cb(const struct nlmsghdr *nlh, void *data) {
        Transaction *t = data;
        int r;

        r = xfrm_nl_parse_error(nlh, &t->ans->err, t->ans->extack, sizeof(t->ans->extack));
        if (r < 0) {
                t->fault = r;
                return MNL_CB_ERROR;
        }
        return MNL_CB_STOP;
}

static int done_cb(const struct nlmsghdr *nlh, void *data) {
        return MNL_CB_STOP;
}

int xfrm_nl_transact(XfrmNl *nl, struct nlmsghdr *req, XfrmReplyFn fn, void *userdata, XfrmAnswer *ans) {
        static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
                [NLMSG_ERROR] = error_cb,
                [NLMSG_DONE] = done_cb,
        };
        Transaction t = { .fn = fn, .userdata = userdata, .ans = ans };
        uint8_t buf[16384];

        if (nl->api != XFRM_API_NETLINK)
                return -EOPNOTSUPP;
        *ans = (XfrmAnswer) {};
        req->nlmsg_seq = ++nl->seq;
        req->nlmsg_flags |= NLM_F_ACK;
        if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
                return -errno;

        for (;;) {
                ssize_t n;
                int r;

                n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
                if (n < 0)
                        return errno == EAGAIN ? -ETIMEDOUT : -errno;
                if (n == 0)
                        return -EPIPE;
                if (nl_check_lengths(buf, (size_t) n) < 0)
                        return -EBADMSG;
                errno = 0;
                r = mnl_cb_run2(buf, (size_t) n, req->nlmsg_seq, nl->portid, data_cb, &t, ctl, ELEMENTSOF(ctl));
                if (r < 0)
                        return t.fault ?: (errno > 0 ? -errno : -EBADMSG);
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

typedef struct OneReply {
        XfrmReplyFn parse;
        void *out;
        bool seen;
} OneReply;

static int one_reply(const struct nlmsghdr *nlh, void *userdata) {
        OneReply *o = userdata;
        int r;

        if (o->seen)
                return -EBADMSG;
        r = o->parse(nlh, o->out);
        if (r < 0)
                return r;
        o->seen = true;
        return 0;
}

int xfrm_nl_transact_one(XfrmNl *nl, struct nlmsghdr *req, XfrmReplyFn parse, void *out, XfrmAnswer *ans) {
        OneReply o = { .parse = parse, .out = out };
        int r = xfrm_nl_transact(nl, req, one_reply, &o, ans);

        if (r < 0)
                return r;
        /* Acknowledged without the object it was asked for. */
        if (ans->err == 0 && !o.seen)
                return -EBADMSG;
        return 0;
}
