/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A module load or removal can change every answer (esp4 arriving turns
 * proto.esp from unavailable to available), so the daemon listens to the
 * kernel's uevents (NETLINK_KOBJECT_UEVENT, group 1: the kernel's own, not
 * udev's rebroadcast) for subsystem "module", and re-audits after a short
 * quiet period. Nothing here polls: at rest the socket just sleeps.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auditd.h"
#include "macro.h"

static int uevent_timer_fired(sd_event_source *s, uint64_t usec, void *userdata) {
        _cleanup_(module_list_free) ModuleList now = {};
        Context *c = userdata;
        int r;

        if (c->modules_at_rest_known && modules_read(AUDITD_PROC_MODULES, &now) >= 0 &&
            module_lists_equal(&now, &c->modules_at_rest)) {
                log_msg(LOG_DEBUG, "the loaded modules are as the last audit left them: no re-audit");
                return 0;
        }
        r = audit_trigger(c, "kernel modules changed");
        if (r < 0)
                log_msg(LOG_ERR, "cannot start an audit: %s", strerror(-r));
        return 0;
}

static int uevent_debounce(Context *c) {
        uint64_t now;
        int r;

        if ((r = sd_event_now(c->event, CLOCK_MONOTONIC, &now)) < 0)
                return r;
        return timer_arm(c, &c->uevent_timer, now + AUDITD_UEVENT_DEBOUNCE_USEC, 0, uevent_timer_fired);
}

/* An event while an audit runs: perhaps the audit's own doing, judged when it ends. */
static void uevent_remember(Context *c, const char *module, bool removed) {
        char *name;

        if (c->n_uevent_events == c->size_uevent_events) {
                size_t n = c->size_uevent_events ? c->size_uevent_events * 2 : 256;
                ModuleEvent *p = n <= AUDITD_UEVENT_MAX_PENDING ? realloc(c->uevent_events, n * sizeof(*p)) : NULL;

                if (!p) {
                        c->uevent_overflow = true;
                        return;
                }
                c->uevent_events = p;
                c->size_uevent_events = n;
        }
        if (!(name = strdup(module))) {
                c->uevent_overflow = true;
                return;
        }
        c->uevent_events[c->n_uevent_events++] = (ModuleEvent) { .module = name, .removed = removed };
}

static void uevent_forget(Context *c) {
        for (size_t i = 0; i < c->n_uevent_events; i++)
                free(c->uevent_events[i].module);
        c->n_uevent_events = 0;
        c->uevent_overflow = false;
}

bool uevent_audit_ended(Context *c) {
        _cleanup_(module_list_free) ModuleList before = c->modules_at_rest;
        bool before_known = c->modules_at_rest_known, again = true;

        c->modules_at_rest = (ModuleList) {};
        c->modules_at_rest_known = modules_read(AUDITD_PROC_MODULES, &c->modules_at_rest) >= 0;
        module_list_free(&c->modules_removed);
        /* Out of memory: audit again, to be safe. */
        (void) audit_events_judge(c, before_known ? &before : NULL,
                                  c->modules_at_rest_known ? &c->modules_at_rest : NULL, &again, &c->modules_removed);
        uevent_forget(c);
        return again;
}

void uevent_done(Context *c) {
        uevent_forget(c);
        free(c->uevent_events);
        c->uevent_source = sd_event_source_unref(c->uevent_source);
        c->uevent_timer = sd_event_source_unref(c->uevent_timer);
        module_list_free(&c->modules_at_rest);
        module_list_free(&c->modules_removed);
}

static int uevent_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Context *c = userdata;

        for (;;) {
                char buf[8192];
                struct sockaddr_nl sa = {};
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
                struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
                const char *module, *action = NULL;
                ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOBUFS) {
                                /* Events were lost: one of them may have been a module. */
                                log_msg(LOG_WARNING, "uevent socket overflowed; re-auditing to be safe");
                                if (c->worker_pid > 0)
                                        c->uevent_overflow = true;
                                else
                                        (void) uevent_debounce(c);
                                continue;
                        }
                        return 0; /* EAGAIN: drained */
                }
                /* Only the kernel (port 0) speaks for the kernel; anyone else is ignored. */
                if (sa.nl_pid != 0 || (mh.msg_flags & MSG_TRUNC))
                        continue;
                buf[n] = '\0';
                module = uevent_module(buf, (size_t) n, &action);
                if (!module)
                        continue;
                log_msg(LOG_DEBUG, "kernel module %s: %s", module, action);
                if (c->worker_pid > 0)
                        uevent_remember(c, module, action && strcmp(action, "remove") == 0);
                else {
                        int r = uevent_debounce(c);
                        if (r < 0)
                                log_msg(LOG_WARNING, "cannot arm the uevent timer: %s", strerror(-r));
                }
        }
}

/*
 * Only module events reach the socket: "add@/module/esp4" or "remove@/module/esp4",
 * the '@' after the 3 or 6 letters of the action. The kernel sends every device's
 * events to this group; an audit's own veth pairs, namespaces and interfaces made
 * enough of them to overflow the socket, and an overflow means "re-audit to be
 * safe", so each audit started the next. Word loads are big-endian.
 */
static const struct sock_filter module_only[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 3),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, '@', 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x2f6d6f64 /* "/mod" */, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 8),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x756c652f /* "ule/" */, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, '@', 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 7),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x2f6d6f64, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 11),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x756c652f, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
        BPF_STMT(BPF_RET | BPF_K, 0),
};

int uevent_setup(Context *c) {
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
        struct sock_fprog prog = { .len = ELEMENTSOF(module_only), .filter = (struct sock_filter *) module_only };
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
        int r;

        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        /* What the first audit is judged against: the host as the daemon found it. */
        c->modules_at_rest_known = modules_read(AUDITD_PROC_MODULES, &c->modules_at_rest) >= 0;
        r = sd_event_add_io(c->event, &c->uevent_source, fd, EPOLLIN, uevent_io, c);
        if (r < 0)
                return r;
        /* Before the worker's pipe: the uevents of the modules an audit loads and unloads
         * are queued before its report, and must be read while they are still its own. */
        (void) sd_event_source_set_priority(c->uevent_source, SD_EVENT_PRIORITY_IMPORTANT);
        (void) sd_event_source_set_io_fd_own(c->uevent_source, 1);
        TAKE_FD(fd);
        return 0;
}
