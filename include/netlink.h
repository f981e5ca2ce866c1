/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * 0 when buf holds only whole netlink messages, each inside the buffer;
 * -EBADMSG otherwise. libmnl 1.0.4's mnl_nlmsg_ok() compares nlmsg_len as
 * an int, so a length above INT_MAX passes and mnl_cb_run() walks off the
 * buffer (found by tests/fuzz-xfrm): every received buffer is checked first.
 */
int nl_check_lengths(const void *buf, size_t len);
