/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <libmnl/libmnl.h>

#include "macro.h"
#include "netlink.h"

struct NetlinkSocket {
        struct mnl_socket *sock;
        int protocol;
        unsigned timeout_s;
        unsigned portid;
        unsigned seq;
        uint8_t *buf; /* NL_RECV_BUF bytes; what a conversation wrote is wiped after it */
};

int netlink_check_lengths(const void *buf, size_t len) {
        const char *p = buf;
        size_t off = 0;

        while (len - off >= sizeof(struct nlmsghdr)) {
                struct nlmsghdr h;

                memcpy(&h, p + off, sizeof(h)); /* a buffer from outside need not be aligned */
                if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
                        return -EBADMSG;
                /* The last message's padding may be missing. */
                off += NLMSG_ALIGN(h.nlmsg_len) < len - off ? NLMSG_ALIGN(h.nlmsg_len) : len - off;
        }
        return 0;
}

static void disconnect(NetlinkSocket *s) {
        if (s->sock)
                mnl_socket_close(s->sock);
        s->sock = NULL;
}

static int connect_socket(NetlinkSocket *s, unsigned groups) {
        struct timeval tv = { .tv_sec = s->timeout_s };
        int one = 1;

        s->sock = mnl_socket_open2(s->protocol, SOCK_CLOEXEC);
        if (!s->sock)
                return -errno;
        if (mnl_socket_bind(s->sock, groups, MNL_SOCKET_AUTOPID) < 0)
                return -errno;
        /* Kernels before 4.12 lack extended ACKs: their answers then carry no text. */
        (void) mnl_socket_setsockopt(s->sock, NETLINK_EXT_ACK, &one, sizeof(one));
        (void) mnl_socket_setsockopt(s->sock, NETLINK_CAP_ACK, &one, sizeof(one));
        if (setsockopt(mnl_socket_get_fd(s->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        s->portid = mnl_socket_get_portid(s->sock);
        return 0;
}

void netlink_socket_free(NetlinkSocket *s) {
        disconnect(s);
        free(s->buf);
        free(s);
}

static int socket_open(int protocol, unsigned timeout_s, unsigned groups, NetlinkSocket **ret) {
        _cleanup_(netlink_socket_freep) NetlinkSocket *s = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (NetlinkSocket) { .protocol = protocol, .timeout_s = timeout_s, .seq = (unsigned) time(NULL) };
        /* Not zeroed: a datagram's few padding bytes are, as it arrives (an audit opens ~70 sockets). */
        s->buf = malloc(NL_RECV_BUF);
        if (!s->buf)
                return -ENOMEM;
        r = connect_socket(s, groups);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int netlink_socket_open(int protocol, unsigned timeout_s, NetlinkSocket **ret) {
        return socket_open(protocol, timeout_s, 0, ret);
}

int netlink_watch_open(int protocol, unsigned groups, NetlinkSocket **ret) {
        return socket_open(protocol, NL_TIMEOUT_S, groups, ret);
}

int netlink_watch_heard(NetlinkSocket *s) {
        char c;
        ssize_t n = recv(mnl_socket_get_fd(s->sock), &c, sizeof(c), MSG_DONTWAIT | MSG_PEEK);

        if (n >= 0 || errno == ENOBUFS)
                return 1;
        return errno == EAGAIN ? 0 : -errno;
}

int netlink_socket_fd(const NetlinkSocket *s) {
        return mnl_socket_get_fd(s->sock);
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

int netlink_parse_error(const struct nlmsghdr *nlh, int *ret_err, char *extack, size_t extack_size) {
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
        NetlinkReplyFn fn;
        void *userdata;
        NetlinkAnswer *ans;
        bool one;  /* a request without NLM_F_ACK: its one reply (or error) ends it */
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
        return t->one ? MNL_CB_STOP : MNL_CB_OK;
}

static int error_cb(const struct nlmsghdr *nlh, void *data) {
        Transaction *t = data;
        int r;

        r = netlink_parse_error(nlh, &t->ans->err, t->ans->extack, sizeof(t->ans->extack));
        if (r < 0) {
                t->fault = r;
                return MNL_CB_ERROR;
        }
        return MNL_CB_STOP;
}

static int done_cb(const struct nlmsghdr *nlh, void *data) {
        return MNL_CB_STOP;
}

static int parse_datagram(const void *buf, size_t len, uint32_t seq, uint32_t portid, Transaction *t) {
        static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
                [NLMSG_ERROR] = error_cb,
                [NLMSG_DONE] = done_cb,
        };
        int r;

        if (netlink_check_lengths(buf, len) < 0)
                return -EBADMSG;
        /* libmnl reports NLM_F_DUMP_INTR, a foreign sequence number or port through errno. */
        errno = 0;
        r = mnl_cb_run2(buf, len, seq, portid, data_cb, t, ctl, ELEMENTSOF(ctl));
        if (r < 0)
                return t->fault ?: (errno > 0 ? -errno : -EBADMSG);
        return r == MNL_CB_STOP ? 0 : 1;
}

int netlink_parse_datagram(const void *buf, size_t len, uint32_t seq, uint32_t portid, NetlinkReplyFn fn, void *userdata,
                      NetlinkAnswer *ans) {
        Transaction t = { .fn = fn, .userdata = userdata, .ans = ans };

        return parse_datagram(buf, len, seq, portid, &t);
}

/*
 * NLM_F_DUMP_INTR: the table changed while the kernel dumped it. libmnl stops at
 * the first message so marked, which would leave the rest of the dump on the
 * socket; the marks are taken off here, the dump read to its end, and the
 * caller told afterwards. Lengths are checked first: the buffer is the kernel's.
 */
static bool take_dump_intr(uint8_t *buf, size_t len) {
        bool intr = false;
        int left = (int) len;

        if (netlink_check_lengths(buf, len) < 0)
                return false; /* the parser reports it */
        for (struct nlmsghdr *h = (struct nlmsghdr *) buf; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left))
                if (h->nlmsg_flags & NLM_F_DUMP_INTR) {
                        h->nlmsg_flags &= (uint16_t) ~NLM_F_DUMP_INTR;
                        intr = true;
                }
        return intr;
}

static int transact(NetlinkSocket *s, struct nlmsghdr *req, Transaction *t) {
        bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP, interrupted = false;
        size_t used = 0;
        int r;

        *t->ans = (NetlinkAnswer) {};
        req->nlmsg_seq = ++s->seq;
        if (!dump && !t->one)
                req->nlmsg_flags |= NLM_F_ACK;
        if (mnl_socket_sendto(s->sock, req, req->nlmsg_len) < 0)
                return -errno;
        do {
                ssize_t n = mnl_socket_recvfrom(s->sock, s->buf, NL_RECV_BUF - NLMSG_ALIGNTO);

                if (n <= 0) {
                        r = n == 0 ? -EPIPE : errno == EAGAIN ? -ETIMEDOUT : -errno;
                        break;
                }
                /* libmnl reads a last message's attributes up to its 4-byte-rounded length. */
                memset(s->buf + n, 0, NLMSG_ALIGNTO);
                if ((size_t) n > used)
                        used = (size_t) n;
                if (dump && take_dump_intr(s->buf, (size_t) n))
                        interrupted = true;
                r = parse_datagram(s->buf, (size_t) n, req->nlmsg_seq, s->portid, t);
        } while (r > 0);
        explicit_bzero(s->buf, used);
        return r == 0 && interrupted ? -EINTR : r;
}

int netlink_transact(NetlinkSocket *s, struct nlmsghdr *req, NetlinkReplyFn fn, void *userdata, NetlinkAnswer *ans) {
        Transaction t = { .fn = fn, .userdata = userdata, .ans = ans };

        return transact(s, req, &t);
}

typedef struct OneReply {
        NetlinkReplyFn parse;
        void *out;
        bool seen;
} OneReply;

/* The transaction ends after it (Transaction.one): a second object is never read. */
static int one_reply(const struct nlmsghdr *nlh, void *userdata) {
        OneReply *o = userdata;
        int r;

        r = o->parse(nlh, o->out);
        if (r < 0)
                return r;
        o->seen = true;
        return 0;
}

/*
 * Asked without NLM_F_ACK: the kernel answers a request it fulfils with the
 * object alone, and one it refuses with the error; an acknowledgement after the
 * object would cost a message and a recvmsg() more for nothing.
 */
int netlink_transact_one(NetlinkSocket *s, struct nlmsghdr *req, NetlinkReplyFn parse, void *out, NetlinkAnswer *ans) {
        OneReply o = { .parse = parse, .out = out };
        Transaction t = { .fn = one_reply, .userdata = &o, .ans = ans, .one = true };
        int r;

        req->nlmsg_flags &= (uint16_t) ~NLM_F_ACK;
        r = transact(s, req, &t);
        if (r < 0)
                return r;
        /* Acknowledged without the object it was asked for. */
        if (ans->err == 0 && !o.seen)
                return -EBADMSG;
        return 0;
}

int netlink_dump(NetlinkSocket *s, struct nlmsghdr *req, NetlinkReplyFn fn, NetlinkRestartFn restart, void *userdata, NetlinkAnswer *ans) {
        req->nlmsg_flags |= NLM_F_DUMP;
        for (unsigned attempt = 1;; attempt++) {
                int r = netlink_transact(s, req, fn, userdata, ans);

                /* Read to its end, on the same socket: a new one would be opened in whatever
                 * namespace the caller is in by now, not necessarily the socket's. */
                if (r != -EINTR || attempt >= NL_DUMP_TRIES)
                        return r;
                restart(userdata);
        }
}
