/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "host.h"

/*
 * An audit leaves the host's set of loaded modules as it found it: trial SAs,
 * sockets and interfaces make the kernel load dozens of modules on demand, and
 * a module an administrator removed must not come back because of an audit.
 *
 * Unloads the modules in loaded (those this audit loaded) that nothing uses:
 * delete_module(2) with O_NONBLOCK, which refuses a module in use instead of
 * waiting for it. A module busy only because another one in the list depends
 * on it, or because a probe's dying network namespace still holds a reference,
 * is tried again while their reference counts keep moving (they have not been
 * still for two seconds), for up to timeout_ms. ret_left: the ones still loaded
 * (in use, permanent, or no privilege to unload), xfrm6_tunnel with what it
 * needs, which is never unloaded: its exit flushes every namespace's SAs, and a
 * module whose kind of link someone else has in a live namespace (or when that
 * cannot be told): unloading it would delete that link.
 */
int modules_unload(const ModuleList *loaded, unsigned timeout_ms, ModuleList *ret_left);

/*
 * The kernel's default RNG (crypto_default_rng), made by the first IV generator
 * (seqiv, echainiv) a trial SA instantiates, holds drbg, and drbg what seeds it,
 * for the rest of the boot. When drbg was not loaded before the audit (before:
 * /proc/modules then), that RNG is the audit's own: drop it through crypto_user
 * (CRYPTO_MSG_DELRNG, no payload), so that drbg can be unloaded; its next user
 * makes a new one. Call it before listing the modules the audit loaded: opening
 * NETLINK_CRYPTO may load crypto_user, which is then one of them.
 */
void modules_release_default_rng(const ModuleList *before);

/*
 * /proc/modules (path) once the kernel has stopped loading modules for the
 * audit (at most 10 s): the crypto manager tests an algorithm an audit
 * instantiated in a kernel thread of its own, which loads modules after the
 * probe that caused it is gone. Those are the audit's too: to unload, and not
 * news to the daemon. The wait ends when no module is in the Loading state and
 * no cryptomgr_probe or cryptomgr_test thread is left.
 */
int modules_read_settled(const char *path, ModuleList *ret);
