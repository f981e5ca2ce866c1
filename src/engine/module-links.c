/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Someone else's links of a kind a module provides. The audit makes links
 * (veth pairs, VTI and xfrm interfaces) only in its workers' namespaces, gone
 * by the time it unloads what it loaded; a link of such a kind in a namespace
 * that lives then was made by someone else while the audit ran, and unloading
 * the module would delete it.
 */
#include <dirent.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "macro.h"
#include "module-files.h"
#include "module-links.h"
#include "netlink.h"
#include "sandbox.h"

#define ALIAS_PREFIX "rtnl-link-"
#define NAMESPACES_MAX 4096
#define FALLBACK_MAX 16
#define KINDS_MAX 64 /* of all the modules an audit loaded */

typedef struct KindScan {
        const char *module;
        char (*kinds)[16];
        size_t n, max;
} KindScan;

static int link_kind(const char *alias, const char *owner, void *userdata) {
        KindScan *k = userdata;

        if (!module_name_equal(owner, strlen(owner), k->module) || strncmp(alias, ALIAS_PREFIX, strlen(ALIAS_PREFIX)) != 0)
                return 0;
        /* A kind that cannot be kept here is one whose links could not be looked for. */
        if (k->n == k->max || strlen(alias) - strlen(ALIAS_PREFIX) >= sizeof(k->kinds[0]))
                return -E2BIG;
        strcpy(k->kinds[k->n++], alias + strlen(ALIAS_PREFIX));
        return 0;
}

int module_link_kinds(const char *root, const char *release, const char *module, char (*kinds)[16], size_t max) {
        KindScan k = { module, kinds, 0, max };
        int r = module_alias_foreach(root, release, link_kind, &k);

        return r < 0 ? r : (int) k.n;
}

/* What the child finds, in memory it shares with the caller. */
typedef struct LinksSeen {
        size_t n_kinds;
        char kinds[KINDS_MAX][16];
        char fallback[FALLBACK_MAX][IFNAMSIZ]; /* the kinds' links a new namespace has */
        size_t n_fallback;
        bool in_use[KINDS_MAX];
        int err;
} LinksSeen;

typedef struct LinkScan {
        LinksSeen *seen;
        bool collect_fallback; /* in a new namespace: its links of the kinds are fallback devices */
} LinkScan;

static int kind_cb(const struct nlattr *a, void *data) {
        const char **kind = data;

        if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                *kind = mnl_attr_get_str(a);
        return MNL_CB_OK;
}

typedef struct LinkAttrs {
        const char *name, *kind;
} LinkAttrs;

static int link_attr_cb(const struct nlattr *a, void *data) {
        LinkAttrs *l = data;

        if (mnl_attr_get_type(a) == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                l->name = mnl_attr_get_str(a);
        else if (mnl_attr_get_type(a) == IFLA_LINKINFO && mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
                (void) mnl_attr_parse_nested(a, kind_cb, &l->kind);
        return MNL_CB_OK;
}

static bool is_fallback(const LinksSeen *s, const char *name) {
        for (size_t i = 0; i < s->n_fallback; i++)
                if (strcmp(s->fallback[i], name) == 0)
                        return true;
        return false;
}

static int link_cb(const struct nlmsghdr *nlh, void *userdata) {
        LinkScan *scan = userdata;
        LinksSeen *s = scan->seen;
        LinkAttrs l = {};

        if (nlh->nlmsg_type != RTM_NEWLINK ||
            mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, &l) < 0)
                return -EBADMSG;
        for (size_t i = 0; l.kind && l.name && i < s->n_kinds; i++) {
                if (strcmp(l.kind, s->kinds[i]) != 0)
                        continue;
                if (!scan->collect_fallback)
                        s->in_use[i] |= !is_fallback(s, l.name);
                else if (s->n_fallback < FALLBACK_MAX)
                        snprintf(s->fallback[s->n_fallback++], IFNAMSIZ, "%s", l.name);
                else
                        return -E2BIG;
        }
        return 0;
}

/* An interrupted dump is read again from its start: the fallback names are collected anew; in_use only
 * grows, and a link seen in the interrupted pass counts (it stays loaded: the safe side). */
static void scan_restart(void *userdata) {
        LinkScan *scan = userdata;

        if (scan->collect_fallback)
                scan->seen->n_fallback = 0;
}

/* The links of the calling process's namespace, through scan. */
static int scan_links(LinkScan *scan) {
        _cleanup_(netlink_socket_freep) NetlinkSocket *sock = NULL;
        uint8_t buf[64] = {};
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        NetlinkAnswer ans;
        int r;

        nlh->nlmsg_type = RTM_GETLINK;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg)); /* family AF_UNSPEC: all of them */
        if ((r = netlink_socket_open(NETLINK_ROUTE, NL_TIMEOUT_S, &sock)) < 0 ||
            (r = netlink_dump(sock, nlh, link_cb, scan_restart, scan, &ans)) < 0)
                return r;
        return -ans.err;
}

/* A namespace already looked at, by its nsfs inode (one nsfs: the device is the same for all). */
static bool seen_before(const ino_t *seen, size_t n, ino_t ino) {
        for (size_t i = 0; i < n; i++)
                if (seen[i] == ino)
                        return true;
        return false;
}

/*
 * Looks at the namespace path names, unless it was looked at already: 0 (also
 * when it has gone meanwhile), or -errno. Opened once, then entered through
 * that descriptor: what is entered is what was deduplicated. A namespace this
 * process may not open (EACCES: another user's process, without
 * CAP_SYS_PTRACE) is one it cannot tell about.
 */
static int visit(const char *path, ino_t *seen, size_t *n, LinkScan *scan) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return errno == ENOENT || errno == ESRCH ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (seen_before(seen, *n, st.st_ino))
                return 0;
        if (*n == NAMESPACES_MAX)
                return -E2BIG; /* one not looked at could hold a link */
        seen[(*n)++] = st.st_ino;
        if (setns(fd, CLONE_NEWNET) < 0)
                return -errno;
        return scan_links(scan);
}

/* mountinfo escapes a space, a tab, a newline and a backslash as \ooo. */
static void unescape_octal(char *s) {
        char *out = s;

        for (; *s; s++)
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *out++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else
                        *out++ = *s;
        *out = '\0';
}

/* Every thread's namespace (setns() moves one thread): /proc/PID/task/TID/ns/net. */
static int visit_threads(const char *pid, ino_t *seen, size_t *n, LinkScan *scan) {
        char path[PATH_MAX];
        _cleanup_(closedirp) DIR *tasks = NULL;
        struct dirent *de;
        int r;

        snprintf(path, sizeof(path), "/proc/%s/task", pid);
        if (!(tasks = opendir(path)))
                return errno == ENOENT || errno == ESRCH ? 0 : -errno; /* gone meanwhile */
        while ((de = readdir(tasks))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/task/%s/ns/net", pid, de->d_name);
                if ((r = visit(path, seen, n, scan)) < 0)
                        return r;
        }
        return 0;
}

/*
 * Every live namespace: those of threads, then every network namespace bound
 * somewhere (ip netns add, a container runtime's own directory), as this
 * process's mountinfo lists them: nsfs mounts whose root is "net:[INODE]".
 * Not seen: one held only by a descriptor or a socket, or bound only in
 * another mount namespace.
 */
static int scan_all(LinksSeen *s) {
        _cleanup_free_ ino_t *seen = calloc(NAMESPACES_MAX, sizeof(ino_t));
        _cleanup_(closedirp) DIR *proc = opendir("/proc");
        _cleanup_fclose_ FILE *mounts = fopen("/proc/self/mountinfo", "re");
        _cleanup_free_ char *line = NULL;
        LinkScan scan = { .seen = s };
        struct dirent *de;
        size_t n = 0, size = 0;
        int r;

        if (!seen)
                return -ENOMEM;
        if (!proc || !mounts)
                return -errno;
        while ((de = readdir(proc)))
                if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && (r = visit_threads(de->d_name, seen, &n, &scan)) < 0)
                        return r;
        /* Whole lines, however long: a cut one could hide a namespace. */
        while (getline(&line, &size, mounts) > 0) {
                char *save = NULL, *root, *point, *dash = strstr(line, " - nsfs ");

                if (!dash || !strtok_r(line, " ", &save) || !strtok_r(NULL, " ", &save) ||
                    !strtok_r(NULL, " ", &save) || !(root = strtok_r(NULL, " ", &save)) ||
                    !(point = strtok_r(NULL, " ", &save)) || strncmp(root, "net:[", 5) != 0)
                        continue;
                unescape_octal(point);
                if ((r = visit(point, seen, &n, &scan)) < 0)
                        return r;
        }
        return n > 0 ? 0 : -ENOENT;
}

static int links_child(void *userdata) {
        LinksSeen *s = userdata;
        LinkScan fresh = { .seen = s, .collect_fallback = true };

        /* First a new namespace: the kinds' links it has are the modules' own, in every namespace. */
        if (unshare(CLONE_NEWNET) < 0)
                s->err = -errno;
        else if ((s->err = scan_links(&fresh)) >= 0)
                s->err = scan_all(s);
        return 0;
}

int module_links_in_use(char (*kinds)[16], size_t n, bool *ret_in_use) {
        LinksSeen *s;
        SandboxExit e;
        int r;

        if (n > ELEMENTSOF(s->kinds))
                return -E2BIG;
        s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (s == MAP_FAILED)
                return -errno;
        s->n_kinds = n;
        memcpy(s->kinds, kinds, n * sizeof(kinds[0]));
        /* A child, so that entering other namespaces never moves the audit. */
        r = sandbox_run(SANDBOX_HOST, NL_TIMEOUT_S * 4, links_child, s, &e);
        if (r >= 0)
                r = e.signal ? -EINTR : e.err ? -e.err : s->err;
        if (r >= 0)
                memcpy(ret_in_use, s->in_use, n * sizeof(bool));
        munmap(s, sizeof(*s));
        return r < 0 ? r : 0;
}
