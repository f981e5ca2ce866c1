/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Host settings that explain a kernel's refusal. Why a piece of the kernel
 * that is missing at run time is missing: the
 * kernel answers "no such transform" (EPROTONOSUPPORT) alike whether the
 * module was never built, is blacklisted, or could not be loaded because
 * loading is switched off; the remedy differs. Never a capability verdict:
 * only the explanation of a refusal the kernel already gave (one exception:
 * autoload_cause()).
 */
typedef enum HostCause {
        HOST_CAUSE_UNKNOWN,     /* loaded or built in, or nothing on the host explains it */
        HOST_CAUSE_NOT_BUILT,   /* neither built in nor among this kernel's modules */
        HOST_CAUSE_DISABLED,    /* kernel.modules_disabled=1 */
        HOST_CAUSE_NO_MODPROBE, /* kernel.modprobe names no program: no autoload */
        HOST_CAUSE_BLACKLISTED, /* a modprobe.d blacklist line (autoload goes through aliases) */
        HOST_CAUSE_INSTALL,     /* a modprobe.d install line runs something else */
        HOST_CAUSE_DISABLE_XFRM,   /* net.ipv4.conf.{all,default}.disable_xfrm=1: IPv4 leaves unprotected */
        HOST_CAUSE_DISABLE_POLICY, /* net.ipv4.conf.{all,default}.disable_policy=1: IPv4 arrives unchecked */
        HOST_CAUSE_LSM,            /* EACCES: a Linux security module's policy refused the request */
        HOST_CAUSE_IPV6_DISABLED,  /* ipv6.disable=1: the module needs xfrm6_tunnel, which cannot load */
        _HOST_CAUSE_MAX,
} HostCause;

/*
 * Looks for why module (as named in modules.dep, "esp4") is not loaded and
 * writes one sentence naming the setting and its value into ret ("esp4 is
 * not loaded: kernel.modules_disabled=1"). root is "" for the real system
 * (tests pass a directory holding proc/, lib/modules/ and etc/modprobe.d/);
 * release NULL means the running kernel's. Returns the cause (>= 0).
 */
HostCause module_cause(const char *root, const char *release, const char *module, char *ret, size_t size);

/*
 * Whether asking the kernel for alias (what it passes to modprobe:
 * "rtnl-link-xfrm") is safe, as modules.alias and modules.dep say. It is not
 * where IPv6 is disabled and modprobe would load xfrm6_tunnel: its init fails
 * there, and on the way out it runs its per-namespace exit in every
 * namespace, which flushes all their SAs, the host's own too
 * (net/ipv6/xfrm6_tunnel.c; seen in Debian's 6.1). The one refusal written
 * without asking the kernel: the note says which module would not load and
 * why ("xfrm_interface is not loaded: it needs xfrm6_tunnel, ..."), and
 * HOST_CAUSE_IPV6_DISABLED is returned; else HOST_CAUSE_UNKNOWN and "".
 */
HostCause autoload_cause(const char *root, const char *release, const char *alias, char *ret, size_t size);

/* kernel.modules_disabled=1 in root's proc/sys: no module loads until reboot. */
bool host_modules_disabled(const char *root);

/*
 * The IPv4 device settings that make XFRM skip packets (new namespaces
 * inherit them from the host's). Writes the first one that is set into ret
 * ("net.ipv4.conf.all.disable_xfrm=1"), read from root's proc/sys/net
 * (the caller's namespace), and returns its cause; HOST_CAUSE_UNKNOWN if none.
 */
HostCause host_cause_ipv4_bypass(const char *root, char *ret, size_t size);

/*
 * IPv6 switched off on ifname in the caller's namespace (net.ipv6.conf.IFNAME.disable_ipv6=1, which
 * the kernel answers with EACCES to an address): true with the setting, and where a new namespace
 * got it from, written into ret ("IPv6 off in new namespaces: net.ipv6.conf.default.disable_ipv6=1
 * (ipv6.disable_ipv6=1 at boot)"). root as for module_cause().
 */
bool host_ipv6_off(const char *root, const char *ifname, char *ret, size_t size);

/*
 * EACCES to a privileged XFRM request comes from a Linux security module
 * (capabilities would give EPERM): names the active ones from root's
 * sys/kernel/security/lsm ("refused by a security module: lockdown,
 * capability, selinux"). Returns HOST_CAUSE_LSM.
 */
HostCause host_cause_lsm(const char *root, char *ret, size_t size);

/*
 * A check's note read back as its cause, and the cause in a few words for
 * the one-line report ("no esp6", "disable_xfrm=1 on all", "esp4:
 * modules_disabled=1"): the notes module_cause(), host_cause_ipv4_bypass()
 * and host_cause_lsm() write. HOST_CAUSE_UNKNOWN and "" for any other note.
 */
HostCause host_cause_brief(const char *note, char *ret, size_t size);

/* What an operator does about a run-time cause (a static string), NULL for the others. */
const char *host_cause_remedy(HostCause c);
/* The cause whose remedy is text, for reports read back; HOST_CAUSE_UNKNOWN if none. */
HostCause host_cause_from_remedy(const char *text);
