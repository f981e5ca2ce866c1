/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A scripted kernel behind the libmnl socket calls (linked with
 * -Wl,--wrap=mnl_socket_*): tests queue the replies the kernel would send and
 * read back the requests our code sent. Used only for answers a real kernel
 * cannot be made to give here: refusals with chosen extack text, malformed
 * replies, silence.
 */
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "xfrm.h"

void fake_reset(void);

/* Queue a reply; the fake stamps it with the sequence number of the last request. */
void fake_push(const struct nlmsghdr *nlh);
void fake_push_ack(int err, const char *extack, int capped);
/* The next recvfrom fails with this errno (EAGAIN: the socket timeout fired). */
void fake_push_recv_error(int err);
void fake_push_sa(const XfrmSa *sa);
void fake_push_policy(const XfrmPolicy *p);

/* The n-th request sent since the reset (0-based), or NULL. */
const struct nlmsghdr *fake_request(unsigned n);
unsigned fake_request_count(void);
/* Sockets opened since the reset. */
unsigned fake_sockets_opened(void);
