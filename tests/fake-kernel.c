/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

#include "fake-kernel.h"

#define SLOTS 16
#define SLOT_SIZE 8192

static struct {
        uint8_t buf[SLOT_SIZE];
        size_t len;
        int recv_err;
} replies[SLOTS];
static unsigned n_replies, next_reply;

static uint8_t requests[SLOTS][SLOT_SIZE];
static unsigned n_requests, n_sockets;
static uint32_t last_seq;

/* Any non-NULL pointer will do: the fake never dereferences it. */
static int fake_socket_token;

void fake_reset(void) {
        n_replies = next_reply = n_requests = n_sockets = 0;
        last_seq = 0;
}

unsigned fake_sockets_opened(void) {
        return n_sockets;
}

void fake_push(const struct nlmsghdr *nlh) {
        if (n_replies >= SLOTS || nlh->nlmsg_len > SLOT_SIZE)
                abort();
        memcpy(replies[n_replies].buf, nlh, nlh->nlmsg_len);
        replies[n_replies].len = nlh->nlmsg_len;
        replies[n_replies].recv_err = 0;
        n_replies++;
}

void fake_push_recv_error(int err) {
        if (n_replies >= SLOTS)
                abort();
        replies[n_replies].len = 0;
        replies[n_replies].recv_err = err;
        n_replies++;
}

void fake_push_ack(int err, const char *extack, int capped) {
        uint8_t buf[SLOT_SIZE] = {};
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nlmsgerr *e;

        nlh->nlmsg_type = NLMSG_ERROR;
        e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
        e->error = -err;
        e->msg.nlmsg_len = sizeof(struct nlmsghdr);
        if (!capped) {
                /* An uncapped error echoes the request's payload: here 16 bytes of it. */
                e->msg.nlmsg_len += 16;
                mnl_nlmsg_put_extra_header(nlh, 16);
        } else
                nlh->nlmsg_flags |= NLM_F_CAPPED;
        if (extack) {
                nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
                mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extack);
        }
        fake_push(nlh);
}

void fake_push_sa(const XfrmSa *sa) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;

        /* The kernel answers GETSA with a NEWSA message laid out as a request is. */
        if (xfrm_sa_build_new(buf, sizeof(buf), sa, &nlh) < 0)
                abort();
        nlh->nlmsg_flags = 0;
        fake_push(nlh);
}

void fake_push_policy(const XfrmPolicy *p) {
        uint8_t buf[XFRM_MSG_BUF];
        struct nlmsghdr *nlh;

        if (xfrm_policy_build_new(buf, sizeof(buf), p, &nlh) < 0)
                abort();
        nlh->nlmsg_flags = 0;
        fake_push(nlh);
}

const struct nlmsghdr *fake_request(unsigned n) {
        return n < n_requests ? (const struct nlmsghdr *) requests[n] : NULL;
}

unsigned fake_request_count(void) {
        return n_requests;
}

/* The wrapped libmnl boundary. */
struct mnl_socket *__wrap_mnl_socket_open2(int bus, int flags);
int __wrap_mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid);
int __wrap_mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len);
int __wrap_mnl_socket_get_fd(const struct mnl_socket *nl);
unsigned int __wrap_mnl_socket_get_portid(const struct mnl_socket *nl);
int __wrap_mnl_socket_close(struct mnl_socket *nl);
ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t size);
ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t size);
int __wrap_setsockopt(int fd, int level, int name, const void *val, socklen_t len);

struct mnl_socket *__wrap_mnl_socket_open2(int bus, int flags) {
        n_sockets++;
        return (struct mnl_socket *) &fake_socket_token;
}

int __wrap_mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid) {
        return 0;
}

int __wrap_mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len) {
        return 0;
}

int __wrap_mnl_socket_get_fd(const struct mnl_socket *nl) {
        return 1000;
}

unsigned int __wrap_mnl_socket_get_portid(const struct mnl_socket *nl) {
        return 4242;
}

int __wrap_mnl_socket_close(struct mnl_socket *nl) {
        return 0;
}

int __wrap_setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
        return 0;
}

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t size) {
        const struct nlmsghdr *nlh = req;

        if (n_requests >= SLOTS || size > SLOT_SIZE)
                abort();
        memcpy(requests[n_requests++], req, size);
        last_seq = nlh->nlmsg_seq;
        return (ssize_t) size;
}

ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t size) {
        struct nlmsghdr *nlh;

        if (next_reply >= n_replies) {
                /* A kernel that never answers: what SO_RCVTIMEO turns into EAGAIN. */
                errno = EAGAIN;
                return -1;
        }
        if (replies[next_reply].recv_err) {
                errno = replies[next_reply++].recv_err;
                return -1;
        }
        if (replies[next_reply].len > size)
                abort();
        memcpy(buf, replies[next_reply].buf, replies[next_reply].len);
        nlh = buf;
        nlh->nlmsg_seq = last_seq;
        nlh->nlmsg_pid = 4242;
        return (ssize_t) replies[next_reply++].len;
}
