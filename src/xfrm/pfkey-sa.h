/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "pfkey-parse.h"
#include "xfrm.h"

/*
 * The trials' SAs and policies as PF_KEY requests, for kernels without XFRM
 * netlink (src/xfrm/pfkey-sa.c; private to src/xfrm). PF_KEY says less than XFRM netlink:
 * pfkey_sa_inexpressible() / pfkey_policy_inexpressible() name the first
 * thing asked for that it has no field for (NULL: everything fits), and the
 * builders refuse such requests with -EOPNOTSUPP. It has no ICV length
 * either (the kernel applies its default truncation): pfkey_sa_as_carried()
 * gives the SA as PF_KEY can state it, which is what a read-back is
 * compared with. Sequence number and pid are left zero for the sender.
 */
const char *pfkey_sa_inexpressible(const XfrmSa *sa);
const char *pfkey_policy_inexpressible(const XfrmPolicy *p);
void pfkey_sa_as_carried(const XfrmSa *sa, XfrmSa *ret);

/* SADB_ADD (everything) or SADB_GET (SPI, protocol and addresses). */
int pfkey_build_sa(void *buf, size_t size, uint8_t type, const XfrmSa *sa, size_t *ret_len);
/* SADB_X_SPDADD: selector as source and destination addresses, then the policy with its requests. */
int pfkey_build_spdadd(void *buf, size_t size, const XfrmPolicy *p, size_t *ret_len);
/* A bare sadb_x_policy with its requests: the value of IP_IPSEC_POLICY / IPV6_IPSEC_POLICY. */
int pfkey_build_socket_policy(void *buf, size_t size, const XfrmPolicy *p, size_t *ret_len);

/* Replies (SADB_GET's, SADB_X_SPDDUMP's) parsed back; -EBADMSG when malformed or incomplete. */
int pfkey_sa_from_msg(const void *buf, size_t len, XfrmSa *ret);
int pfkey_policy_from_msg(const void *buf, size_t len, XfrmPolicy *ret);
