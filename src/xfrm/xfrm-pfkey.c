/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The second API behind XfrmNl: PF_KEY v2 (RFC 2367) for kernels that have
 * af_key but no xfrm_user. Requests are answered on the same socket: af_key
 * echoes sequence number and pid in its reply (or in an error message with
 * sadb_msg_errno set), and broadcasts some replies (SADB_ADD, SADB_X_SPDADD)
 * to every PF_KEY socket in the namespace, so only ours count.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/ipsec.h>

#include "macro.h"
#include "pfkey-sa.h"
#include "xfrm-internal.h"

/* As for XFRM netlink: a kernel that has not answered in this long is reported, not waited for. */
#define PFKEY_TIMEOUT_S 5
#define PFKEY_MSG_BUF 4096

int xfrm_pfkey_open(XfrmNl **ret) {
        _cleanup_(xfrm_nl_freep) XfrmNl *nl = NULL;
        struct timeval tv = { .tv_sec = PFKEY_TIMEOUT_S };

        nl = calloc(1, sizeof(*nl));
        if (!nl)
                return -ENOMEM;
        *nl = (XfrmNl) { .api = XFRM_API_PFKEY, .seq = (unsigned) time(NULL) };
        nl->pfkey_fd = socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC, PF_KEY_V2);
        if (nl->pfkey_fd < 0)
                return -errno;
        if (setsockopt(nl->pfkey_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        nl->portid = (unsigned) getpid();
        *ret = TAKE_PTR(nl);
        return 0;
}

int xfrm_open(XfrmNl **ret, int *ret_pfkey_err) {
        int r = xfrm_nl_open(ret), k;

        *ret_pfkey_err = 0;
        /* Only a missing API falls back; any other failure is XFRM netlink's to report. */
        if (r != -EPROTONOSUPPORT)
                return r;
        k = xfrm_pfkey_open(ret);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                *ret_pfkey_err = -k;
                return r;
        }
        return 0;
}

XfrmApi xfrm_api(const XfrmNl *nl) {
        return nl->api;
}

const char *xfrm_sa_inexpressible(const XfrmNl *nl, const XfrmSa *sa) {
        return nl->api == XFRM_API_PFKEY ? pfkey_sa_inexpressible(sa) : NULL;
}

/*
 * af_key keeps a template's reqid only up to IPSEC_MANUAL_REQID_MAX (above
 * it, it makes one up), while the trials number theirs freely. So a PF_KEY
 * handle gives each distinct reqid a small number of its own, the same in
 * SAs and templates (which is all a reqid does: bind the two), and maps
 * read-backs back; a reqid the kernel changed still reads back different.
 */
static int reqid_to_wire(XfrmNl *nl, uint32_t reqid, uint32_t *ret) {
        if (reqid == 0) {
                *ret = 0;
                return 0;
        }
        for (unsigned i = 0; i < nl->n_pfkey_reqids; i++)
                if (nl->pfkey_reqids[i] == reqid) {
                        *ret = i + 1;
                        return 0;
                }
        if (nl->n_pfkey_reqids >= PFKEY_REQIDS)
                return -ENOBUFS;
        nl->pfkey_reqids[nl->n_pfkey_reqids++] = reqid;
        *ret = nl->n_pfkey_reqids;
        return 0;
}

static uint32_t reqid_from_wire(const XfrmNl *nl, uint32_t wire) {
        return wire >= 1 && wire <= nl->n_pfkey_reqids ? nl->pfkey_reqids[wire - 1] : wire;
}

static int policy_to_wire(XfrmNl *nl, const XfrmPolicy *p, XfrmPolicy *ret) {
        *ret = *p;
        for (unsigned i = 0; i < ret->n_tmpl && i < XFRM_MAX_DEPTH; i++) {
                int r = reqid_to_wire(nl, p->tmpl[i].reqid, &ret->tmpl[i].reqid);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void policy_from_wire(const XfrmNl *nl, XfrmPolicy *p) {
        for (unsigned i = 0; i < p->n_tmpl; i++)
                p->tmpl[i].reqid = reqid_from_wire(nl, p->tmpl[i].reqid);
}

const char *xfrm_policy_inexpressible(const XfrmNl *nl, const XfrmPolicy *p) {
        XfrmPolicy wire = *p;

        if (nl->api != XFRM_API_PFKEY)
                return NULL;
        /* Any reqid fits once numbered (reqid_to_wire); what else does not fit is the answer. */
        for (unsigned i = 0; i < wire.n_tmpl && i < XFRM_MAX_DEPTH; i++)
                wire.tmpl[i].reqid = wire.tmpl[i].reqid ? 1 : 0;
        return pfkey_policy_inexpressible(&wire);
}

void xfrm_sa_as_carried(const XfrmNl *nl, const XfrmSa *sa, XfrmSa *ret) {
        if (nl->api == XFRM_API_PFKEY)
                pfkey_sa_as_carried(sa, ret);
        else
                *ret = *sa;
}

const char *xfrm_op_name(const XfrmNl *nl, XfrmOp op) {
        static const char *const names[][_XFRM_OP_MAX] = {
                [XFRM_API_NETLINK] = { "XFRM_MSG_NEWSA", "XFRM_MSG_GETSA", "XFRM_MSG_NEWPOLICY", "XFRM_MSG_GETPOLICY" },
                [XFRM_API_PFKEY] = { "SADB_ADD", "SADB_GET", "SADB_X_SPDADD", "SADB_X_SPDDUMP" },
        };
        return op >= 0 && op < _XFRM_OP_MAX ? names[nl->api][op] : "?";
}

/* Called for each reply message that is ours: 0 to go on reading, 1 when the answer is complete. */
typedef int (*PfkeyReplyFn)(const void *msg, size_t len, const PfkeyMsg *hdr, void *userdata);

/*
 * Sends req and reads until fn says the answer is complete or the kernel
 * sends an error for it (in ans). A send the kernel refuses outright (a
 * malformed base header) is its answer too. Negative returns: the
 * conversation failed (timeout, unparseable reply).
 */
static int pfkey_transact(XfrmNl *nl, void *req, size_t len, PfkeyReplyFn fn, void *userdata, XfrmAnswer *ans) {
        uint8_t buf[PFKEY_MSG_BUF] __attribute__((aligned(8)));
        struct sadb_msg hdr;
        uint32_t seq = ++nl->seq;

        *ans = (XfrmAnswer) {};
        memcpy(&hdr, req, sizeof(hdr));
        hdr.sadb_msg_seq = seq;
        hdr.sadb_msg_pid = nl->portid;
        memcpy(req, &hdr, sizeof(hdr));
        if (send(nl->pfkey_fd, req, len, 0) < 0) {
                ans->err = errno;
                return 0;
        }
        for (;;) {
                ssize_t n = recv(nl->pfkey_fd, buf, sizeof(buf), 0);
                PfkeyMsg m;
                int r;

                if (n < 0)
                        return errno == EAGAIN ? -ETIMEDOUT : -errno;
                if ((r = pfkey_parse(buf, (size_t) n, &m)) < 0)
                        return r == -E2BIG ? -EBADMSG : r;
                /* Other sockets' broadcasts, and dump entries (whose seq counts down to 0), carry other numbers. */
                if (m.pid != nl->portid)
                        continue;
                if (m.err) {
                        if (m.seq != seq)
                                continue;
                        ans->err = m.err;
                        return 0;
                }
                r = fn(buf, (size_t) n, &m, userdata);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
}

typedef struct Expect {
        uint8_t type;
        uint32_t seq;
} Expect;

/* A plain acknowledgement: the request echoed back with its own type and number. */
static int ack_reply(const void *msg, size_t len, const PfkeyMsg *hdr, void *userdata) {
        const Expect *e = userdata;

        return hdr->type == e->type && hdr->seq == e->seq;
}

static int send_ack(XfrmNl *nl, void *req, size_t len, uint8_t type, XfrmAnswer *ans) {
        Expect e = { .type = type, .seq = nl->seq + 1 };

        return pfkey_transact(nl, req, len, ack_reply, &e, ans);
}

int xfrm_pfkey_sa_add(XfrmNl *nl, const XfrmSa *sa, XfrmAnswer *ans) {
        uint8_t buf[PFKEY_MSG_BUF] __attribute__((aligned(8)));
        XfrmSa wire = *sa;
        size_t len;
        int r;

        if ((r = reqid_to_wire(nl, sa->reqid, &wire.reqid)) < 0 ||
            (r = pfkey_build_sa(buf, sizeof(buf), SADB_ADD, &wire, &len)) < 0)
                return r;
        return send_ack(nl, buf, len, SADB_ADD, ans);
}

typedef struct SaReply {
        uint32_t seq;
        XfrmSa sa;
} SaReply;

/* af_key answers SADB_GET with a message typed SADB_DUMP (net/key/af_key.c, pfkey_get). */
static int sa_reply(const void *msg, size_t len, const PfkeyMsg *hdr, void *userdata) {
        SaReply *s = userdata;
        int r;

        if (hdr->seq != s->seq || (hdr->type != SADB_GET && hdr->type != SADB_DUMP))
                return 0;
        r = pfkey_sa_from_msg(msg, len, &s->sa);
        return r < 0 ? r : 1;
}

int xfrm_pfkey_sa_get(XfrmNl *nl, const XfrmSa *key, XfrmSa *ret, XfrmAnswer *ans) {
        uint8_t buf[PFKEY_MSG_BUF] __attribute__((aligned(8)));
        SaReply s = { .seq = nl->seq + 1 };
        size_t len;
        int r = pfkey_build_sa(buf, sizeof(buf), SADB_GET, key, &len);

        if (r < 0 || (r = pfkey_transact(nl, buf, len, sa_reply, &s, ans)) < 0)
                return r;
        if (ans->err == 0) {
                s.sa.reqid = reqid_from_wire(nl, s.sa.reqid);
                *ret = s.sa;
        }
        return 0;
}

int xfrm_pfkey_policy_add(XfrmNl *nl, const XfrmPolicy *p, XfrmAnswer *ans) {
        uint8_t buf[PFKEY_MSG_BUF] __attribute__((aligned(8)));
        XfrmPolicy wire;
        size_t len;
        int r;

        if ((r = policy_to_wire(nl, p, &wire)) < 0 || (r = pfkey_build_spdadd(buf, sizeof(buf), &wire, &len)) < 0)
                return r;
        return send_ack(nl, buf, len, SADB_X_SPDADD, ans);
}

typedef int (*PolicyFn)(const XfrmPolicy *p, void *userdata);

typedef struct Dump {
        PolicyFn fn;
        void *userdata;
} Dump;

/* Dump entries arrive with falling sequence numbers; the last one carries 0. */
static int dump_reply(const void *msg, size_t len, const PfkeyMsg *hdr, void *userdata) {
        const Dump *d = userdata;
        XfrmPolicy p;
        int r;

        if (hdr->type != SADB_X_SPDDUMP)
                return 0;
        if ((r = pfkey_policy_from_msg(msg, len, &p)) < 0 || (r = d->fn(&p, d->userdata)) < 0)
                return r;
        return hdr->seq == 0;
}

/*
 * Every policy of the namespace, socket policies included. An empty SPD
 * is answered with ENOENT, which is no error here.
 */
static int policy_dump(XfrmNl *nl, PolicyFn fn, void *userdata, XfrmAnswer *ans) {
        uint8_t buf[sizeof(struct sadb_msg)] __attribute__((aligned(8)));
        Dump d = { .fn = fn, .userdata = userdata };
        size_t len;
        int r = pfkey_build_header(buf, sizeof(buf), SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC, 0, 0, &len);

        if (r < 0 || (r = pfkey_transact(nl, buf, len, dump_reply, &d, ans)) < 0)
                return r;
        if (ans->err == ENOENT)
                ans->err = 0;
        return 0;
}

typedef struct Lookup {
        const XfrmPolicy *key;
        XfrmPolicy found;
        bool seen;
} Lookup;

/* XFRM_MSG_GETPOLICY's lookup: the first policy of that direction with exactly that selector. */
static int lookup_one(const XfrmPolicy *p, void *userdata) {
        Lookup *l = userdata;

        if (!l->seen && p->dir == l->key->dir && !xfrm_selector_difference(&l->key->sel, &p->sel)) {
                l->found = *p;
                l->seen = true;
        }
        return 0;
}

int xfrm_pfkey_policy_get(XfrmNl *nl, const XfrmPolicy *key, XfrmPolicy *ret, XfrmAnswer *ans) {
        Lookup l = { .key = key };
        int r = policy_dump(nl, lookup_one, &l, ans);

        if (r < 0 || ans->err)
                return r;
        if (!l.seen) {
                /* What XFRM_MSG_GETPOLICY answers for a policy it does not have. */
                ans->err = ENOENT;
                return 0;
        }
        policy_from_wire(nl, &l.found);
        *ret = l.found;
        return 0;
}

/* xfrm_policy.c numbers a socket policy's direction XFRM_POLICY_MAX + dir. */
static int count_socket(const XfrmPolicy *p, void *userdata) {
        uint32_t *n = userdata;

        if (p->dir >= XFRM_POLICY_MAX)
                (*n)++;
        return 0;
}

int xfrm_pfkey_socket_count(XfrmNl *nl, uint32_t *ret_count, XfrmAnswer *ans) {
        uint32_t n = 0;
        int r = policy_dump(nl, count_socket, &n, ans);

        if (r < 0 || ans->err)
                return r;
        *ret_count = n;
        return 0;
}
