/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * Why a piece of the kernel that is missing at run time is missing. The
 * kernel answers "no such transform" (EPROTONOSUPPORT) alike whether the
 * module was never built, is blacklisted, or could not be loaded because
 * loading is switched off; the remedy differs. Never a capability verdict:
 * only the explanation of a refusal the kernel already gave.
 */
typedef enum ModuleCause {
        MODULE_CAUSE_UNKNOWN,     /* loaded or built in, or nothing on the host explains it */
        MODULE_CAUSE_NOT_BUILT,   /* neither built in nor among this kernel's modules */
        MODULE_CAUSE_DISABLED,    /* kernel.modules_disabled=1 */
        MODULE_CAUSE_NO_MODPROBE, /* kernel.modprobe names no program: no autoload */
        MODULE_CAUSE_BLACKLISTED, /* a modprobe.d blacklist line (autoload goes through aliases) */
        MODULE_CAUSE_INSTALL,     /* a modprobe.d install line runs something else */
        _MODULE_CAUSE_MAX,
} ModuleCause;

/*
 * Looks for why module (as named in modules.dep, "esp4") is not loaded and
 * writes one sentence naming the setting and its value into ret ("esp4 is
 * not loaded: kernel.modules_disabled=1"). root is "" for the real system
 * (tests pass a directory holding proc/, lib/modules/ and etc/modprobe.d/);
 * release NULL means the running kernel's. Returns the cause (>= 0).
 */
ModuleCause module_cause(const char *root, const char *release, const char *module, char *ret, size_t size);

/* What an operator does about a run-time cause (a static string), NULL for the others. */
const char *module_cause_remedy(ModuleCause c);
/* The cause whose remedy is text, for reports read back; MODULE_CAUSE_UNKNOWN if none. */
ModuleCause module_cause_from_remedy(const char *text);
