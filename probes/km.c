/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Key management on this host: facts about the host's own namespace, not
 * about the kernel, so these probes run read-only outside the sandbox.
 * km.ike_daemon: sockets on the IKE ports (sock_diag); km.acquire_listener:
 * netlink sockets subscribed to XFRM acquires (/proc/net/netlink). Sockets
 * are traced to processes through /proc/PID/fd. Anyone may bind UDP or TCP
 * 4500, so a listener counts as an IKE daemon only when its process can
 * install SAs: CAP_NET_ADMIN in the initial user namespace, or an open
 * NETLINK_XFRM or PF_KEY socket (handed over by a privileged parent).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/xfrm.h>

#include "macro.h"
#include "netlink.h"
#include "probes.h"

#define KM_MAX_SOCKETS 16
#define TCP_ESTABLISHED_STATE 1
#define TCP_LISTEN_STATE 10
#define TCP_CLOSE_STATE 7

#define KM_MAX_KEY_SOCKETS 256
/* The initial user namespace's inode number: fixed by the kernel (PROC_USER_INIT_INO). */
#define PROC_USER_INIT_INO 0xEFFFFFFDUL
#define CAP_NET_ADMIN_BIT 12

typedef struct Owner {
        unsigned long inode;
        int pid;          /* 0: no process found (another namespace's, or already gone) */
        char comm[16];
        bool key_socket;  /* holds a NETLINK_XFRM or PF_KEY socket */
} Owner;

typedef struct Found {
        const char *proto; /* "UDP", "TCP" */
        const char *family;
        uint16_t port;
        uint32_t uid;      /* the socket's owner, from sock_diag */
        Owner owner;
} Found;

/* Socket inodes of this namespace's NETLINK_XFRM and PF_KEY sockets: what can install SAs. */
typedef struct KeySockets {
        unsigned long inode[KM_MAX_KEY_SOCKETS];
        size_t n;
} KeySockets;

static bool key_socket(const KeySockets *k, unsigned long inode) {
        for (size_t i = 0; k && i < k->n; i++)
                if (k->inode[i] == inode)
                        return true;
        return false;
}

/*
 * Fills owners[i].pid, .comm and .key_socket (one of keys among the
 * process's sockets) for every socket inode, in one pass over /proc.
 */
static void find_owners(Owner *owners, size_t n, const KeySockets *keys) {
        _cleanup_(closedirp) DIR *proc = opendir("/proc");
        struct dirent *de;

        if (!proc || n == 0)
                return;
        while ((de = readdir(proc))) {
                char path[64], link[64];
                _cleanup_(closedirp) DIR *fds = NULL;
                struct dirent *fd;
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                bool owns = false, holds_key = false;

                if (*end || pid <= 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
                fds = opendir(path);
                if (!fds)
                        continue;
                while ((fd = readdir(fds))) {
                        unsigned long inode;
                        ssize_t len;

                        if (fd->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof(path), "/proc/%ld/fd/%.20s", pid, fd->d_name);
                        len = readlink(path, link, sizeof(link) - 1);
                        if (len <= 0)
                                continue;
                        link[len] = '\0';
                        if (sscanf(link, "socket:[%lu]", &inode) != 1)
                                continue;
                        holds_key |= key_socket(keys, inode);
                        for (size_t i = 0; i < n; i++) {
                                _cleanup_fclose_ FILE *f = NULL;

                                if (owners[i].inode != inode || owners[i].pid)
                                        continue;
                                owners[i].pid = (int) pid;
                                owns = true;
                                snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
                                f = fopen(path, "re");
                                if (!f || !fgets(owners[i].comm, sizeof(owners[i].comm), f))
                                        STRSCPY(owners[i].comm, "?");
                                owners[i].comm[strcspn(owners[i].comm, "\n")] = '\0';
                        }
                }
                for (size_t i = 0; owns && i < n; i++)
                        if (owners[i].pid == pid)
                                owners[i].key_socket = holds_key;
        }
}

/*
 * Whether pid has CAP_NET_ADMIN in the initial user namespace: 1 yes, 0 no,
 * negative errno when /proc does not tell us (another user's process seen
 * without privilege).
 */
static int net_admin_in_init_ns(int pid) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], link[64], line[256];
        unsigned long long caps = 0;
        unsigned long ns;
        bool found = false;
        ssize_t len;

        snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
        len = readlink(path, link, sizeof(link) - 1);
        if (len < 0)
                return -errno;
        link[len] = '\0';
        if (sscanf(link, "user:[%lu]", &ns) != 1)
                return -EBADMSG;
        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (!found && fgets(line, sizeof(line), f))
                found = sscanf(line, "CapEff: %llx", &caps) == 1;
        if (!found)
                return -EBADMSG;
        return ns == PROC_USER_INIT_INO && (caps >> CAP_NET_ADMIN_BIT & 1);
}

/* One line of a /proc/net socket table: 0 to go on (also for a line it does not take), negative errno to stop. */
typedef int (*TableLine)(const char *line, void *userdata);

/* Reads a /proc/net table, header line skipped; -errno when it cannot be opened. */
static int proc_table_each(const char *path, TableLine fn, void *userdata) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[256];

        if (!f)
                return -errno;
        if (!fgets(line, sizeof(line), f))
                return 0;
        while (fgets(line, sizeof(line), f)) {
                int r = fn(line, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct NetlinkLine {
        unsigned eth, groups;
        uint32_t portid;
} NetlinkLine;

/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode; Groups: the first 32 groups, in hex. */
static bool parse_netlink_line(const char *line, NetlinkLine *ret, unsigned long *ret_inode) {
        return sscanf(line, "%*s %u %" SCNu32 " %x %*s %*s %*s %*s %*s %lu", &ret->eth, &ret->portid, &ret->groups,
                      ret_inode) == 4;
}

static int add_key_socket(KeySockets *k, unsigned long inode) {
        if (k->n >= ELEMENTSOF(k->inode))
                return -ENOBUFS;
        k->inode[k->n++] = inode;
        return 0;
}

static int netlink_key_line(const char *line, void *userdata) {
        NetlinkLine nl;
        unsigned long inode;

        if (!parse_netlink_line(line, &nl, &inode) || nl.eth != NETLINK_XFRM)
                return 0;
        return add_key_socket(userdata, inode);
}

/* sk RefCnt Rmem Wmem User Inode (net/key/af_key.c). */
static int pfkey_line(const char *line, void *userdata) {
        unsigned long inode;

        if (sscanf(line, "%*s %*d %*u %*u %*u %lu", &inode) != 1)
                return 0;
        return add_key_socket(userdata, inode);
}

/*
 * The namespace's key-manager sockets. Reading /proc/net/pfkey loads no
 * module: without af_key there is no file and no PF_KEY socket.
 */
static void find_key_sockets(KeySockets *k) {
        /* A full table only means some holders are not recognised: they are then judged by capability. */
        (void) proc_table_each("/proc/net/netlink", netlink_key_line, k);
        (void) proc_table_each("/proc/net/pfkey", pfkey_line, k);
}

static void describe_owner(const Owner *o, char *buf, size_t size) {
        if (o->pid)
                snprintf(buf, size, "%s[%d]", o->comm, o->pid);
        else
                snprintf(buf, size, "no process in view (inode %lu)", o->inode);
}

typedef struct DiagQuery {
        uint8_t family, protocol;
        uint32_t states;
        const char *proto_name, *family_name;
        Found *found;
        size_t n_found, max;
        bool overflow;
} DiagQuery;

static bool ike_port(uint16_t port, uint8_t protocol) {
        return protocol == IPPROTO_UDP ? port == 500 || port == 4500 : port == 4500;
}

static int diag_cb(const struct nlmsghdr *nlh, void *data) {
        DiagQuery *q = data;
        const struct inet_diag_msg *m;
        uint16_t port;

        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*m)))
                return -EBADMSG;
        m = mnl_nlmsg_get_payload(nlh);
        port = ntohs(m->id.idiag_sport);
        if (!ike_port(port, q->protocol))
                return 0;
        if (q->n_found >= q->max) {
                q->overflow = true;
                return 0;
        }
        q->found[q->n_found++] = (Found) {
                .proto = q->proto_name, .family = q->family_name, .port = port, .uid = m->idiag_uid,
                .owner.inode = m->idiag_inode,
        };
        return 0;
}

static void diag_restart(void *data) {
        DiagQuery *q = data;

        q->n_found = 0;
        q->overflow = false;
}

/* One sock_diag dump; returns 0 or a positive errno (the kernel's or the conversation's); -ENOMEM is ours. */
static int diag_dump(DiagQuery *q) {
        _cleanup_(netlink_socket_freep) NetlinkSocket *s = NULL;
        uint8_t buf[MNL_NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct inet_diag_req_v2))] = {};
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct inet_diag_req_v2 *req;
        NetlinkAnswer ans;
        int r;

        r = netlink_socket_open(NETLINK_SOCK_DIAG, NL_TIMEOUT_S, &s);
        if (r < 0)
                return r == -ENOMEM ? r : -r;
        nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
        req->sdiag_family = q->family;
        req->sdiag_protocol = q->protocol;
        req->idiag_states = q->states;
        r = netlink_dump(s, nlh, diag_cb, diag_restart, q, &ans);
        if (r == -ENOMEM)
                return r;
        return r < 0 ? -r : ans.err;
}

/* What a host listing ends with: none found (a measured answer, ENOENT reads as unavailable), or more than listed. */
typedef struct ListingEnd {
        const char *none_group, *none_what, *none_note;
        const char *more_group, *more_what, *more_note;
} ListingEnd;

static int end_listing(CapResult *res, size_t n, bool overflow, const ListingEnd *e) {
        Check *c;

        if (n == 0) {
                c = ADD_CHECK(res, e->none_group, e->none_what);
                c->outcome = CHECK_REFUSED;
                c->err = ENOENT;
                STRSCPY(c->note, e->none_note);
        } else if (overflow) {
                c = ADD_CHECK(res, e->more_group, e->more_what);
                c->outcome = CHECK_ACCEPTED;
                STRSCPY(c->note, e->more_note);
        }
        return 0;
}

/* One socket on an IKE port: whether its process could install SAs decides whether it is a key manager. */
static int judge_listener(CapResult *res, const Found *f, const Owner *o) {
        char group[32], what[64];
        Check *c;
        int admin;

        snprintf(group, sizeof(group), "%s %u %s", f->proto, f->port, f->family);
        describe_owner(o, what, sizeof(what));
        snprintf(what + strlen(what), sizeof(what) - strlen(what), " uid %" PRIu32, f->uid);
        c = ADD_CHECK(res, group, what);
        if (!o->pid) {
                check_set_untried(c, 0, "no process in view: whether it can install SAs is unknown");
                return 0;
        }
        if (o->key_socket) {
                c->outcome = CHECK_ACCEPTED;
                STRSCPY(c->note, "can install SAs: holds a NETLINK_XFRM or PF_KEY socket");
                return 0;
        }
        admin = net_admin_in_init_ns(o->pid);
        if (admin < 0)
                check_set_untried(c, -admin, "cannot read its capabilities: whether it can install SAs is unknown");
        else if (admin) {
                c->outcome = CHECK_ACCEPTED;
                STRSCPY(c->note, "can install SAs: CAP_NET_ADMIN in the initial user namespace");
        } else {
                c->outcome = CHECK_REFUSED;
                c->err = EPERM;
                STRSCPY(c->note, "cannot install SAs (no CAP_NET_ADMIN, no XFRM or PF_KEY socket): "
                                 "not a key manager");
        }
        return 0;
}

static int run_ike_daemon(const ProbeContext *ctx, CapResult *res) {
        Found found[KM_MAX_SOCKETS];
        const struct {
                uint8_t family, protocol;
                uint32_t states;
                const char *proto_name, *family_name;
        } queries[] = {
                /* A bound, unconnected UDP socket is in TCP_CLOSE; a connected one ESTABLISHED. */
                { AF_INET, IPPROTO_UDP, (1u << TCP_CLOSE_STATE) | (1u << TCP_ESTABLISHED_STATE), "UDP", "IPv4" },
                { AF_INET6, IPPROTO_UDP, (1u << TCP_CLOSE_STATE) | (1u << TCP_ESTABLISHED_STATE), "UDP", "IPv6" },
                { AF_INET, IPPROTO_TCP, 1u << TCP_LISTEN_STATE, "TCP", "IPv4" },
                { AF_INET6, IPPROTO_TCP, 1u << TCP_LISTEN_STATE, "TCP", "IPv6" },
        };
        Owner owners[KM_MAX_SOCKETS];
        KeySockets keys = {};
        size_t n = 0;
        bool overflow = false;

        for (size_t i = 0; i < ELEMENTSOF(queries); i++) {
                DiagQuery q = {
                        .family = queries[i].family, .protocol = queries[i].protocol, .states = queries[i].states,
                        .proto_name = queries[i].proto_name, .family_name = queries[i].family_name,
                        .found = found + n, .max = ELEMENTSOF(found) - n,
                };
                char what[64];
                int err = diag_dump(&q);

                if (err < 0)
                        return err;
                if (err) {
                        Check *c;
                        snprintf(what, sizeof(what), "sock_diag %s %s dump", q.proto_name, q.family_name);
                        c = ADD_CHECK(res, "IKE listener", what);
                        check_set_untried(c, err, "sock_diag could not list these sockets");
                }
                n += q.n_found;
                overflow |= q.overflow;
        }

        for (size_t i = 0; i < n; i++)
                owners[i] = found[i].owner;
        find_key_sockets(&keys);
        find_owners(owners, n, &keys);
        for (size_t i = 0; i < n; i++) {
                int r = judge_listener(res, &found[i], &owners[i]);

                if (r < 0)
                        return r;
        }
        return end_listing(res, n, overflow,
                           &(ListingEnd) {
                                   .none_group = "IKE listener",
                                   .none_what = "a socket on UDP 500/4500 or TCP 4500",
                                   .none_note = "sock_diag lists no such socket in this namespace",
                                   .more_group = "more listeners",
                                   .more_what = "listening sockets not listed",
                                   .more_note = "more IKE-port sockets than the report lists",
                           });
}

#define XFRMNLGRP_ACQUIRE_BIT (1u << (XFRMNLGRP_ACQUIRE - 1))

typedef struct Subscribers {
        Owner owners[KM_MAX_SOCKETS];
        uint32_t portids[KM_MAX_SOCKETS];
        size_t n;
        bool overflow;
} Subscribers;

static int acquire_line(const char *line, void *userdata) {
        Subscribers *s = userdata;
        NetlinkLine nl;
        unsigned long inode;

        if (!parse_netlink_line(line, &nl, &inode) || nl.eth != NETLINK_XFRM ||
            !(nl.groups & XFRMNLGRP_ACQUIRE_BIT))
                return 0;
        if (s->n >= ELEMENTSOF(s->owners)) {
                s->overflow = true;
                return 0;
        }
        s->portids[s->n] = nl.portid;
        s->owners[s->n++] = (Owner) { .inode = inode };
        return 0;
}

static int run_acquire_listener(const ProbeContext *ctx, CapResult *res) {
        Subscribers subs = {};
        Owner *owners = subs.owners;
        size_t n;
        bool overflow;
        int r = proc_table_each("/proc/net/netlink", acquire_line, &subs);

        if (r < 0) {
                Check *c = ADD_CHECK(res, "acquire listener", "/proc/net/netlink");
                check_set_untried(c, -r, "cannot read the netlink socket table");
                return 0;
        }
        n = subs.n;
        overflow = subs.overflow;
        find_owners(owners, n, NULL);
        for (size_t i = 0; i < n; i++) {
                char group[32], what[64];
                Check *c;

                snprintf(group, sizeof(group), "netlink port %" PRIu32, subs.portids[i]);
                describe_owner(&owners[i], what, sizeof(what));
                c = ADD_CHECK(res, group, what);
                c->outcome = CHECK_ACCEPTED;
                STRSCPY(c->note, "subscribed to XFRMNLGRP_ACQUIRE in /proc/net/netlink");
        }
        return end_listing(res, n, overflow,
                           &(ListingEnd) {
                                   .none_group = "acquire listener",
                                   .none_what = "NETLINK_XFRM socket in XFRMNLGRP_ACQUIRE",
                                   .none_note = "/proc/net/netlink lists no such socket in this namespace",
                                   .more_group = "more subscribers",
                                   .more_what = "XFRMNLGRP_ACQUIRE subscribers not listed",
                                   .more_note = "more subscribers than the report lists",
                           });
}

/*
 * The verdict as usual, but evidence that reads as a host fact ("UDP 500 IPv4
 * by charon[812]"): "The kernel refused ..." would mislead here.
 */
static void conclude_host_fact(CapResult *r, const char *self_id, const char *found, const char *none) {
        size_t len = 0;
        bool any = false, others = false;

        result_conclude(r, self_id);
        r->evidence[0] = '\0';
        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];

                if (c->outcome == CHECK_ACCEPTED) {
                        strbuf_appendf(r->evidence, sizeof(r->evidence), &len, "%s%s %s by %s", any ? "; " : "",
                                       any ? "" : found, c->group, c->what);
                        any = true;
                }
        }
        strbuf_appendf(r->evidence, sizeof(r->evidence), &len, "%s", any ? "." : none);
        /* Sockets found but not counted (EPERM: their process cannot install SAs); ENOENT is "none at all". */
        for (unsigned i = 0; i < r->n_checks; i++) {
                const Check *c = &r->checks[i];

                if (c->outcome == CHECK_REFUSED && c->err == EPERM) {
                        strbuf_appendf(r->evidence, sizeof(r->evidence), &len, "%s %s by %s",
                                       others ? ";" : " Not a key manager, its process cannot install SAs:", c->group,
                                       c->what);
                        others = true;
                }
        }
        strbuf_appendf(r->evidence, sizeof(r->evidence), &len, "%s", others ? "." : "");
        for (unsigned i = 0; i < r->n_checks; i++)
                if (r->checks[i].outcome == CHECK_UNTRIED)
                        strbuf_appendf(r->evidence, sizeof(r->evidence), &len, " Could not tell %s %s: %s (%s).",
                                       r->checks[i].group, r->checks[i].what, r->checks[i].note,
                                       errno_name(r->checks[i].err) ?: "no errno");
}

/*
 * One key manager is enough: available when some listener's process can
 * install SAs, whatever else listens; unknown when none can but some could
 * not be judged; unavailable otherwise.
 */
static void conclude_ike_daemon(CapResult *r, const char *self_id) {
        bool any = false, untold = false;

        for (unsigned i = 0; i < r->n_checks; i++) {
                any |= r->checks[i].outcome == CHECK_ACCEPTED;
                untold |= r->checks[i].outcome == CHECK_UNTRIED;
        }
        conclude_host_fact(r, self_id, "sock_diag shows IKE daemons in this host's namespace:",
                "sock_diag shows no socket of a process that can install SAs on UDP 500, UDP 4500 or TCP 4500 in "
                "this host's namespace: no IKE daemon is running here (a fact about the host, not the kernel).");
        r->verdict = any ? VERDICT_AVAILABLE : untold ? VERDICT_UNKNOWN : VERDICT_UNAVAILABLE;
        r->level = r->verdict == VERDICT_UNKNOWN ? LEVEL_NONE : LEVEL_API;
        if (any)
                r->err = 0; /* a stranger's EPERM says nothing against the daemon found */
}

static void conclude_acquire_listener(CapResult *r, const char *self_id) {
        conclude_host_fact(r, self_id, "/proc/net/netlink shows XFRM acquire subscribers in this host's namespace:",
                "/proc/net/netlink shows no NETLINK_XFRM socket subscribed to XFRMNLGRP_ACQUIRE in this host's "
                "namespace: no key manager would hear acquires (a fact about the host, not the kernel).");
}

DEFINE_PROBE(probe_km_ike_daemon, "km.ike_daemon", "3.3", PROBE_HOST,
             "sockets on the IKE ports (UDP 500, UDP 4500, TCP 4500) and their processes",
             run_ike_daemon, .conclude = conclude_ike_daemon);

DEFINE_PROBE(probe_km_acquire_listener, "km.acquire_listener", "3.3", PROBE_HOST,
             "netlink sockets subscribed to XFRM acquire events and their processes",
             run_acquire_listener, .conclude = conclude_acquire_listener);
