/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/*
 * The one netlink transport (src/netlink/netlink.c): a socket of any
 * netlink protocol (NETLINK_XFRM, NETLINK_SOCK_DIAG, ...), requests answered
 * by an acknowledgement or error, and dumps, restarted when the kernel says
 * the table changed under them. Every received byte is wiped once read: XFRM
 * SA dumps carry keys.
 */

/* A kernel that has not answered in this long is reported, not waited for. */
#define NL_TIMEOUT_S 5
/* Large enough for any one dump skb (the kernel caps them at 32 KiB). */
#define NL_RECV_BUF 32768
/* A dump the table changed under (NLM_F_DUMP_INTR) is started over at most this often in all. */
#define NL_DUMP_TRIES 3
#define NL_EXTACK_MAX 128

/* What the kernel said to one request. */
typedef struct NetlinkAnswer {
        int err;                     /* 0: accepted; otherwise a positive errno from NLMSG_ERROR */
        char extack[NL_EXTACK_MAX];  /* NLMSGERR_ATTR_MSG, empty if the kernel sent none */
} NetlinkAnswer;

/* Called for every reply message that is not a control message; a negative errno stops the conversation. */
typedef int (*NetlinkReplyFn)(const struct nlmsghdr *nlh, void *userdata);
/* Forgets what an interrupted dump delivered, before it is started over. */
typedef void (*NetlinkRestartFn)(void *userdata);

typedef struct NetlinkSocket NetlinkSocket;

/* Bound, close-on-exec, extended ACKs asked for, receives time out after timeout_s. */
int netlink_socket_open(int protocol, unsigned timeout_s, NetlinkSocket **ret);
/* A socket that only listens to the multicast groups (a bit mask, as bind() takes it) of protocol. */
int netlink_watch_open(int protocol, unsigned groups, NetlinkSocket **ret);
/* Whether anything was heard on a watch since it opened, without waiting: 1 if a notification arrived
 * or was lost for want of room (ENOBUFS), 0 if not, or -errno. */
int netlink_watch_heard(NetlinkSocket *s);
/* The socket's descriptor, for checks that it is still open as it was. */
int netlink_socket_fd(const NetlinkSocket *s);
void netlink_socket_free(NetlinkSocket *s);
static inline void netlink_socket_freep(NetlinkSocket **s) {
        if (*s)
                netlink_socket_free(*s);
}

/*
 * Sends req (sequence number filled in; NLM_F_ACK added unless it is a dump),
 * passes every reply message to fn and stores the kernel's verdict in ans.
 * Returns 0 when the kernel answered (even with an error: that is in ans), a
 * negative errno when the conversation itself failed: send/receive error,
 * -ETIMEDOUT, -EBADMSG for a malformed reply, -EINTR for an interrupted dump,
 * or fn's own error.
 */
int netlink_transact(NetlinkSocket *s, struct nlmsghdr *req, NetlinkReplyFn fn, void *userdata, NetlinkAnswer *ans);

/* As netlink_transact for a request answered by exactly one message, which parse reads. */
int netlink_transact_one(NetlinkSocket *s, struct nlmsghdr *req, NetlinkReplyFn parse, void *out, NetlinkAnswer *ans);

/*
 * As netlink_transact with NLM_F_DUMP set; an interrupted dump is started over
 * (restart first) on the same socket, up to NL_DUMP_TRIES times in all.
 */
int netlink_dump(NetlinkSocket *s, struct nlmsghdr *req, NetlinkReplyFn fn, NetlinkRestartFn restart, void *userdata, NetlinkAnswer *ans);

/*
 * One received datagram of the conversation with sequence number seq, as
 * netlink_transact reads it: 1 when more is to come, 0 when the answer is
 * complete (in ans), a negative errno as netlink_transact returns them. Exposed
 * for the fuzz targets.
 */
int netlink_parse_datagram(const void *buf, size_t len, uint32_t seq, uint32_t portid, NetlinkReplyFn fn, void *userdata,
                      NetlinkAnswer *ans);

/* Parses an NLMSG_ERROR message: *ret_err positive errno or 0, extack copied. */
int netlink_parse_error(const struct nlmsghdr *nlh, int *ret_err, char *extack, size_t extack_size);

/*
 * 0 when buf holds only whole netlink messages, each inside the buffer;
 * -EBADMSG otherwise. libmnl 1.0.4's mnl_nlmsg_ok() compares nlmsg_len as
 * an int, so a length above INT_MAX passes and mnl_cb_run() walks off the
 * buffer (found by tests/fuzz-xfrm): every received buffer is checked first.
 */
int netlink_check_lengths(const void *buf, size_t len);
