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
 * is tried again until timeout_ms has passed. ret_left: the ones still loaded
 * (in use, permanent, or no privilege to unload).
 */
int modules_unload(const ModuleList *loaded, unsigned timeout_ms, ModuleList *ret_left);
