/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xfrm.h"

/* Zeroes buf and lays down a request header plus a zeroed fixed header. */
int xfrm_msg_start(void *buf, size_t size, uint16_t type, uint16_t flags, size_t fixed, struct nlmsghdr **ret);

void xfrm_lifetime_infinite(struct xfrm_lifetime_cfg *lft);

bool xfrm_addr_equal(uint16_t family, const xfrm_address_t *a, const xfrm_address_t *b);
