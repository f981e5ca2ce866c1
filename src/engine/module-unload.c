/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/cryptouser.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "module-links.h"
#include "module-unload.h"
#include "time-util.h"

#define RETRY_PAUSE_US 50000
#define STILL_PASSES 40 /* two seconds */
#define SETTLE_PAUSE_MS 10
#define SETTLE_TIMEOUT_MS 10000
#define DRBG_INITSTATE "/sys/module/drbg/initstate"

void modules_release_default_rng(const ModuleList *before) {
        struct nlmsghdr req = {
                .nlmsg_len = sizeof(req),
                .nlmsg_type = CRYPTO_MSG_DELRNG,
                .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
                .nlmsg_seq = 1,
        };
        _cleanup_close_ int fd = -1;
        char ack[256];

        if (module_list_has(before, "drbg") || access(DRBG_INITSTATE, F_OK) < 0)
                return;
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_CRYPTO);
        if (fd < 0)
                return;
        /* The answer (0, EBUSY while in use, EPERM) changes nothing here: drbg stays or goes. */
        if (send(fd, &req, sizeof(req), 0) == (ssize_t) sizeof(req))
                (void) recv(fd, ack, sizeof(ack), 0);
}

/* Unloads one module, or says why not: 0, or a negative errno (-EWOULDBLOCK: in use). */
static int module_delete(const char *name) {
        if (syscall(SYS_delete_module, name, O_NONBLOCK) == 0 || errno == ENOENT)
                return 0;
        return -errno;
}

/* The module's reference count, 0 if it cannot be read. */
static unsigned long module_refcnt(const char *name) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        unsigned long n = 0;

        if (asprintf(&path, "/sys/module/%s/refcnt", name) < 0 || !(f = fopen(path, "re")) ||
            fscanf(f, "%lu", &n) != 1)
                return 0;
        return n;
}

/*
 * xfrm6_tunnel's per-namespace exit flushes every SA of the namespace, of every
 * protocol (net/ipv6/xfrm6_tunnel.c: xfrm_state_flush(net, 0, ...)), and
 * unloading the module runs it in every namespace: the host's own SAs would
 * go. It stays, and so does what it needs (the modules it holds, as sysfs
 * shows them: /sys/module/NAME/holders/xfrm6_tunnel), marked in keep.
 */
#define NEVER_UNLOADED "xfrm6_tunnel"

static void keep_never_unloaded(const ModuleList *loaded, bool *keep) {
        for (bool grew = true; grew;) {
                grew = false;
                for (size_t i = 0; i < loaded->n; i++) {
                        if (keep[i])
                                continue;
                        keep[i] = strcmp(loaded->names[i], NEVER_UNLOADED) == 0;
                        for (size_t k = 0; k < loaded->n && !keep[i]; k++) {
                                _cleanup_free_ char *path = NULL;

                                if (keep[k] && asprintf(&path, "/sys/module/%s/holders/%s", loaded->names[i],
                                                        loaded->names[k]) >= 0)
                                        keep[i] = access(path, F_OK) == 0;
                        }
                        grew |= keep[i];
                }
        }
}

/*
 * A module whose kind of link someone else made meanwhile stays (module-links.h):
 * unloading it would delete that link. One look at every namespace for all of
 * them. A module whose kinds cannot be read stays, and every one with a kind
 * when the look cannot be had. linked: the modules with a kind of link.
 */
static int keep_link_kinds_in_use(const ModuleList *loaded, const bool *gone, bool *keep, bool *linked) {
        size_t max = loaded->n * MODULE_LINK_KINDS_MAX, n = 0;
        _cleanup_free_ char(*kinds)[16] = calloc(max ?: 1, sizeof(*kinds));
        _cleanup_free_ size_t *owner = calloc(max ?: 1, sizeof(size_t));
        _cleanup_free_ bool *in_use = calloc(max ?: 1, sizeof(bool));

        if (!kinds || !owner || !in_use)
                return -ENOMEM;
        for (size_t i = 0; i < loaded->n; i++) {
                int got;

                if (gone[i] || keep[i])
                        continue;
                got = module_link_kinds("", NULL, loaded->names[i], kinds + n, MODULE_LINK_KINDS_MAX);
                keep[i] = got < 0;
                linked[i] = got > 0;
                for (int k = 0; k < got; k++)
                        owner[n++] = i;
        }
        if (n > 0 && module_links_in_use(kinds, n, in_use) < 0)
                memset(in_use, true, n * sizeof(bool));
        for (size_t k = 0; k < n; k++)
                keep[owner[k]] |= in_use[k];
        return 0;
}

/* How long a look at the namespaces holds: a module with a kind of link tried later is looked for again. */
#define LINK_LOOK_MS 1000

int modules_unload(const ModuleList *loaded, unsigned timeout_ms, ModuleList *ret_left) {
        _cleanup_free_ bool *gone = calloc(loaded->n ?: 1, sizeof(bool)), *keep = calloc(loaded->n ?: 1, sizeof(bool)),
                            *linked = calloc(loaded->n ?: 1, sizeof(bool));
        _cleanup_(module_list_free) ModuleList left = {};
        unsigned waits = timeout_ms * 1000 / RETRY_PAUSE_US, still = 0;
        unsigned long refs = 0, last_refs = 0;
        uint64_t looked;
        int r;

        if (!gone || !keep || !linked)
                return -ENOMEM;
        keep_never_unloaded(loaded, keep);
        if ((r = keep_link_kinds_in_use(loaded, gone, keep, linked)) < 0)
                return r;
        looked = now_usec(CLOCK_MONOTONIC) / USEC_PER_MSEC;
        for (;;) {
                bool progress = false, busy = false, link_left = false, any_left = false;

                for (size_t i = 0; i < loaded->n; i++) {
                        any_left |= !gone[i] && !keep[i];
                        link_left |= !gone[i] && !keep[i] && linked[i];
                }
                if (!any_left)
                        break;
                /* Retried after a pause: someone may have made a link of the kind since the last look. */
                if (link_left && now_usec(CLOCK_MONOTONIC) / USEC_PER_MSEC - looked > LINK_LOOK_MS) {
                        if ((r = keep_link_kinds_in_use(loaded, gone, keep, linked)) < 0)
                                return r;
                        looked = now_usec(CLOCK_MONOTONIC) / USEC_PER_MSEC;
                        continue;
                }
                /* One pass frees the modules nothing depends on; the next, what they used. */
                for (size_t i = 0; i < loaded->n; i++) {
                        if (gone[i] || keep[i])
                                continue;
                        r = module_delete(loaded->names[i]);
                        if (r == 0) {
                                gone[i] = true;
                                progress = true;
                        } else if (r == -EWOULDBLOCK) {
                                busy = true;
                                refs += module_refcnt(loaded->names[i]);
                        }
                        /* EPERM (no CAP_SYS_MODULE) or EBUSY (no exit function): it stays. */
                }
                /* Dying namespaces drop references as they go; references that have not
                 * moved for STILL_PASSES are held by something that stays (sctp's own). */
                still = progress || refs != last_refs ? 0 : still + 1;
                last_refs = refs;
                refs = 0;
                if (progress)
                        continue;
                if (!busy || still >= STILL_PASSES || waits-- == 0)
                        break;
                usleep(RETRY_PAUSE_US);
        }
        for (size_t i = 0; i < loaded->n; i++)
                if (!gone[i] && (r = module_list_push(&left, loaded->names[i])) < 0)
                        return r;
        *ret_left = left;
        left = (ModuleList) {};
        return 0;
}

/*
 * Whether the kernel is still loading modules for something the audit did: a
 * module in /proc/modules' Loading state, or one of the crypto manager's
 * threads (cryptomgr_probe, cryptomgr_test) alive, which may yet load one.
 */
static bool modules_busy(const char *path) {
        _cleanup_(closedirp) DIR *proc = opendir("/proc");
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[512];
        struct dirent *de;

        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, " Loading "))
                        return true;
        while (proc && (de = readdir(proc))) {
                _cleanup_free_ char *comm_path = NULL;
                _cleanup_fclose_ FILE *comm = NULL;
                char comm_line[32];

                if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
                    asprintf(&comm_path, "/proc/%s/comm", de->d_name) < 0 || !(comm = fopen(comm_path, "re")))
                        continue;
                if (fgets(comm_line, sizeof(comm_line), comm) && strncmp(comm_line, "cryptomgr_", 10) == 0)
                        return true;
        }
        return false;
}

int modules_read_settled(const char *path, ModuleList *ret) {
        /* A kernel without modules loads none: nothing to wait for. */
        for (unsigned waited = 0; waited < SETTLE_TIMEOUT_MS && access(path, F_OK) == 0 && modules_busy(path);
             waited += SETTLE_PAUSE_MS)
                usleep(SETTLE_PAUSE_MS * 1000);
        return modules_read(path, ret);
}
