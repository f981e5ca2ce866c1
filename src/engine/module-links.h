/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define MODULE_LINK_KINDS_MAX 8

/*
 * The kinds of link a module provides, as modules.alias in root's
 * lib/modules/RELEASE says ("alias rtnl-link-vti ip_vti"): root "" and release
 * NULL for the running kernel's. How many were written into kinds, 0 if none;
 * a negative errno if the file cannot be read, or -E2BIG if a kind is longer
 * than 15 characters or there are more than max.
 */
int module_link_kinds(const char *root, const char *release, const char *module, char (*kinds)[16], size_t max);

/*
 * Unloading a module that provides a kind of link deletes every link of that
 * kind, in every namespace (rtnl_link_unregister). For each of the n kinds,
 * whether a link of it exists in a live namespace (a thread's, or one bound
 * anywhere: ip netns add, a container runtime's directory) that a new
 * namespace does not have too (the module's fallback device, ip_vti0, is in
 * every namespace): someone else's link, which unloading would take. Asked
 * from a child process, which enters those namespaces; 0, or a negative errno
 * if it could not tell (-E2BIG: n over 64, or over 4096 namespaces; -EACCES:
 * a thread this process may not trace, another user's without
 * CAP_SYS_PTRACE). Not seen: a namespace held only by a descriptor or a
 * socket, or bound only in another mount namespace.
 */
int module_links_in_use(char (*kinds)[16], size_t n, bool *ret_in_use);
