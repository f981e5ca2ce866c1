/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "catalogue.h"
#include "host-cause.h"
#include "macro.h"
#include "time-util.h"
#include "trial.h"
#include "module-unload.h"

#define PROBE_TIMEOUT_S 20
#define PROC_MODULES "/proc/modules"
/* Long enough for the probes' dying namespaces to drop their module references under
 * emulation (seconds under qemu TCG); only a module really in use makes an audit wait it out. */
#define MODULE_UNLOAD_TIMEOUT_MS 10000

/* Both APIs missing: each socket's refusal is the evidence, and each API blocks the probe. */
static void record_no_api(CapResult *res, int nl_err, int pfkey_err) {
        Check *c = result_add_check(res, "netlink", "XFRM netlink socket");

        c->outcome = CHECK_REFUSED;
        c->err = nl_err;
        c->blocked_by = "api.xfrm_netlink";
        if (nl_err == EPROTONOSUPPORT)
                trial_explain_module(c, "xfrm_user");
        if (!pfkey_err)
                return;
        c = result_add_check(res, "netlink", "PF_KEY_V2 socket");
        c->outcome = CHECK_REFUSED;
        c->err = pfkey_err;
        c->blocked_by = "api.pfkey_v2";
        if (pfkey_err == EAFNOSUPPORT)
                trial_explain_module(c, "af_key");
}

/*
 * Results reached through PF_KEY say so, in details and evidence: the same
 * verdict means less where PF_KEY could not ask (ESN, AEAD, ICV lengths).
 */
#define PFKEY_EVIDENCE "Through PF_KEY v2 (XFRM netlink is absent). "

static void mark_pfkey_evidence(CapResult *res) {
        char evidence[sizeof(res->evidence)];
        size_t len = 0;

        /* Truncates like every evidence sentence does when full. */
        strbuf_appendf(evidence, sizeof(evidence), &len, "%s%s", PFKEY_EVIDENCE, res->evidence);
        STRSCPY(res->evidence, evidence);
}

/* Runs in a sandbox worker: the only place a probe executes. */
static int probe_job(void *userdata, unsigned i) {
        const Audit *a = userdata; /* the worker's copy; results are shared memory */
        const Probe *probe = a->probes[i];
        CapResult *res = &a->results[i];
        _cleanup_(xfrm_nl_freep) XfrmNl *nl = NULL;
        ProbeContext ctx = { .datapath = !a->quick };
        bool pfkey = false;
        int r;

        trial_forget();
        if (probe->flags & PROBE_NEEDS_XFRM) {
                int pfkey_err;

                r = xfrm_open(&nl, &pfkey_err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        record_no_api(res, -r, pfkey_err);
                        result_conclude(res, probe->id);
                        return 0;
                }
                ctx.xfrm = nl;
                pfkey = xfrm_api(nl) == XFRM_API_PFKEY;
                /* First, so that it always finds room. */
                if (pfkey && (r = result_set_detail(res, "api", "pf_key_v2")) < 0)
                        return r;
        }
        r = probe->run(&ctx, res);
        if (r < 0)
                return r;
        (probe->conclude ?: result_conclude)(res, probe->id);
        if (pfkey)
                mark_pfkey_evidence(res);
        return 0;
}

static void explain_exit(CapResult *res, const SandboxExit *e, unsigned timeout_s) {
        if (e->signal == SIGALRM)
                result_set_unknown(res, ETIMEDOUT, "The probe did not finish within %u s.", timeout_s);
        else if (e->signal)
                result_set_unknown(res, 0, "The probe process died with signal %s.", sigabbrev_np(e->signal) ?: "?");
        else if (e->enter_err)
                result_set_unknown(res, e->enter_err, "Could not enter a private network namespace (%s).",
                                   errno_name(e->enter_err) ?: "error");
        else if (e->err)
                result_set_unknown(res, e->err, "The probe failed (%s).", errno_name(e->err) ?: "error");
        else if (!res->done)
                result_set_unknown(res, 0, "The probe exited without a result.");
}

static void skip_probe(CapResult *res, const Audit *a) {
        if (a->passive)
                result_set_unknown(res, 0, "Not run: passive mode performs no active probe.");
        else
                result_set_unknown(res, a->privilege.sandbox_err,
                                   "Not run: no private network namespace could be created (%s); "
                                   "run as root or allow unprivileged user namespaces.",
                                   errno_name(a->privilege.sandbox_err) ?: "error");
}

/*
 * How many probes run at once, and in which order: the table's, or shuffled
 * with IPSEC_AUDIT_PROBE_SEED=N. Each probe runs in a worker process that no
 * other probe uses at the same time, in a namespace verified as new before it
 * gets it, with the worker's descriptors and signals reset and the trials'
 * learned suites forgotten (sandbox.h, trial_forget()), so neither may change
 * a report: tests/isolation.sh and the kernel matrix hold them to it.
 * IPSEC_AUDIT_PROBE_JOBS=N sets how many run at once. Where more than one
 * does, the host's own probes go first (start_host_probes()).
 */
#define MAX_JOBS 16

static unsigned env_unsigned(const char *name, unsigned fallback) {
        const char *v = getenv(name);
        char *end;
        unsigned long n;

        if (!v || !*v)
                return fallback;
        errno = 0;
        n = strtoul(v, &end, 10);
        return errno || *end || n > UINT_MAX ? fallback : (unsigned) n;
}

/*
 * One per available core where the kernel loads no module on demand, else
 * one at a time: two probes autoloading the same module race, as the second
 * request can return before the first one's module has registered what it
 * provides, and that probe's trial is refused (the kernel matrix saw a veth
 * pair refused with EOPNOTSUPP).
 */
static unsigned probe_jobs(void) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        bool autoload = access(PROC_MODULES, F_OK) == 0 && !host_modules_disabled("");
        unsigned n = env_unsigned("IPSEC_AUDIT_PROBE_JOBS", autoload || cores < 1 ? 1 : (unsigned) cores);

        return n == 0 ? 1 : n > MAX_JOBS ? MAX_JOBS : n;
}

/* Probes that spend their worker's namespace go last, in the same relative order. */
static void probe_order(const Audit *a, size_t *order) {
        unsigned seed = env_unsigned("IPSEC_AUDIT_PROBE_SEED", 0);
        size_t n = a->n_results;

        for (size_t i = 0; i < n; i++)
                order[i] = i;
        for (size_t i = n; seed && i > 1; i--) {
                size_t j = (size_t) rand_r(&seed) % i, t = order[i - 1];
                order[i - 1] = order[j];
                order[j] = t;
        }
        for (size_t i = 0, moved = 0; i + moved < n;) {
                size_t t = order[i];

                if (!(a->probes[t]->flags & PROBE_SPENDS_NAMESPACE)) {
                        i++;
                        continue;
                }
                memmove(&order[i], &order[i + 1], (n - i - 1) * sizeof(*order));
                order[n - 1] = t;
                moved++;
        }
}

/* A worker's job, and the one queued behind it on the same worker (queued). */
typedef struct Running {
        SandboxChild child, next;
        size_t index, next_index;
        SandboxKind where;
        bool queued;
} Running;

typedef struct Schedule {
        Audit *a;
        SandboxPool *pool;
        unsigned jobs, timeout_s;
        size_t *order; /* probe_order() */
        bool *started;
        size_t n_left; /* not started */
        Running running[MAX_JOBS];
        unsigned n_running; /* workers with a job */
        bool host_only;     /* the sandbox is not known yet: only PROBE_HOST probes may start */
} Schedule;

/* A job's end: its result explained, or, unrun (its worker ended before it), it waits to be started again. */
static void settle(Schedule *s, size_t i, const SandboxExit *e) {
        if (e->unrun) {
                s->started[i] = false;
                s->n_left++;
        } else
                explain_exit(&s->a->results[i], e, s->timeout_s);
}

/* Waits for the first of the running jobs to finish; the job queued behind it, if any, takes its place. */
static int reap_one(Schedule *s) {
        struct pollfd p[MAX_JOBS];
        SandboxExit e;
        Running *w;
        unsigned j = 0;
        int r;

        for (unsigned k = 0; k < s->n_running; k++)
                p[k] = (struct pollfd) { .fd = s->running[k].child.done_fd, .events = POLLIN };
        while (poll(p, s->n_running, -1) < 0)
                if (errno != EINTR)
                        return -errno;
        while (j + 1 < s->n_running && !p[j].revents)
                j++;
        w = &s->running[j];
        if ((r = sandbox_pool_wait(s->pool, &w->child, &e)) < 0)
                return r;
        settle(s, w->index, &e);
        if (w->queued && e.reuse == SANDBOX_REUSE_YES) {
                w->child = w->next;
                w->index = w->next_index;
                w->queued = false;
                return 0;
        }
        if (w->queued) { /* the worker ended: it never read the next job */
                if ((r = sandbox_pool_wait(s->pool, &w->next, &e)) < 0)
                        return r;
                settle(s, w->next_index, &e);
        }
        *w = s->running[--s->n_running];
        return 0;
}

static SandboxKind probe_where(const Audit *a, size_t i) {
        return a->passive || (a->probes[i]->flags & PROBE_HOST) ? SANDBOX_HOST : a->privilege.sandbox;
}

/* Whether probe i runs in the host's namespace (an active one there is skipped, not run). */
static bool runs_in_host(const Audit *a, size_t i) {
        return probe_where(a, i) == SANDBOX_HOST && !(a->probes[i]->flags & PROBE_ACTIVE);
}

/* Whether probe i may be started or queued now: before the sandbox is known, only one that reads the host. */
static bool may_start(const Schedule *s, size_t i) {
        unsigned flags = s->a->probes[i]->flags;

        return !s->started[i] && (!s->host_only || ((flags & PROBE_HOST) && !(flags & PROBE_ACTIVE)));
}

/*
 * The first probe of order not started yet (SIZE_MAX once all are) that may
 * start now: in the host's namespace one at a time, as one worker serves
 * them all there (they only read, and each more worker costs a fork).
 */
static size_t next_probe(const Schedule *s) {
        bool host_busy = false;

        for (unsigned j = 0; j < s->n_running; j++)
                host_busy = host_busy || s->running[j].where == SANDBOX_HOST;
        for (size_t k = 0; k < s->a->n_results; k++)
                if (may_start(s, s->order[k]) && !(host_busy && runs_in_host(s->a, s->order[k])))
                        return s->order[k];
        return SIZE_MAX;
}

/*
 * Whether i is the last of the host's probes started before the sandbox is
 * known (start_host_probes()): its worker then makes itself a namespace, to
 * serve as the second worker there without a fork while the first one runs.
 */
static bool last_host_probe(const Schedule *s, size_t i) {
        if (!s->host_only)
                return false;
        for (size_t k = 0; k < s->a->n_results; k++)
                if (s->order[k] != i && may_start(s, s->order[k]))
                        return false;
        return true;
}

/*
 * Queues the next probe that runs where a running one does behind it, so that
 * its worker goes on as soon as its probe ends, without waiting for us to hear
 * of it; not behind a probe that spends the worker's namespace. Whether one was.
 */
static bool queue_one(Schedule *s) {
        for (unsigned j = 0; j < s->n_running; j++) {
                Running *w = &s->running[j];

                if (w->queued || (s->a->probes[w->index]->flags & PROBE_SPENDS_NAMESPACE))
                        continue;
                for (size_t k = 0; k < s->a->n_results; k++) {
                        size_t i = s->order[k];

                        if (!may_start(s, i) || probe_where(s->a, i) != w->where ||
                            (w->where == SANDBOX_HOST && !runs_in_host(s->a, i)))
                                continue;
                        if ((last_host_probe(s, i) ? sandbox_pool_queue_then_enter : sandbox_pool_queue)(
                                    s->pool, &w->child, s->timeout_s, (unsigned) i, &w->next) < 0)
                                break; /* that worker runs no other: try the next */
                        w->next_index = i;
                        w->queued = true;
                        s->started[i] = true;
                        s->n_left--;
                        return true;
                }
        }
        return false;
}

static int start_one(Schedule *s, size_t i) {
        SandboxKind where = probe_where(s->a, i);
        Running *w = &s->running[s->n_running];
        int r;

        s->started[i] = true;
        s->n_left--;
        if ((s->a->probes[i]->flags & PROBE_ACTIVE) && where == SANDBOX_HOST) {
                skip_probe(&s->a->results[i], s->a);
                return 0;
        }
        if ((r = sandbox_pool_start(s->pool, where, s->timeout_s, (unsigned) i, &w->child)) < 0)
                return r;
        *w = (Running) { .child = w->child, .index = i, .where = where };
        s->n_running++;
        return 0;
}

/*
 * The host's own probes need no namespace. Where probes run side by side, the
 * first of them starts before the sandbox is known, with the next queued behind
 * it, and they run while the first namespace is being made (sandbox_detect())
 * rather than after every other probe; their worker then makes a namespace of
 * its own and is the second worker there. Where modules load on demand, probes
 * run one at a time, and detection is one of them.
 */
static int start_host_probes(Schedule *s) {
        size_t i;
        int r;

        s->host_only = true;
        if (s->jobs > 1 && (i = next_probe(s)) != SIZE_MAX) {
                if ((r = start_one(s, i)) < 0)
                        return r;
                (void) queue_one(s);
        }
        s->host_only = false;
        return 0;
}

static int run_probes(Audit *a, SandboxPool *pool, bool detect, unsigned timeout_s) {
        _cleanup_free_ size_t *order = calloc(a->n_results ?: 1, sizeof(size_t));
        _cleanup_free_ bool *started = calloc(a->n_results ?: 1, sizeof(bool));
        unsigned jobs = probe_jobs();
        Schedule s = { .a = a, .pool = pool, .jobs = jobs, .timeout_s = timeout_s, .order = order,
                       .started = started, .n_left = a->n_results };
        int r = 0;

        if (!order || !started)
                return -ENOMEM;
        probe_order(a, order);
        if (detect && ((r = start_host_probes(&s)) < 0 ||
                       (r = sandbox_detect(pool, &a->privilege.sandbox, &a->privilege.sandbox_err)) < 0))
                goto out;
        /* A reaped job can put a queued one back: n_left is read again after each. */
        while (s.n_left > 0 || s.n_running > 0) {
                size_t i = s.n_running < jobs ? next_probe(&s) : SIZE_MAX;

                if (i != SIZE_MAX) {
                        if ((r = start_one(&s, i)) < 0)
                                goto out;
                        continue;
                }
                if (s.n_left > 0 && queue_one(&s))
                        continue;
                /* Every probe has started: a worker that is idle now, or once its probe ends, has no
                 * job left and exits while the others run, and the audit goes on without waiting for it. */
                if (s.n_left == 0)
                        sandbox_pool_dismiss_idle(pool);
                if (s.n_running > 0 && (r = reap_one(&s)) < 0)
                        goto out;
        }
        sandbox_pool_dismiss_idle(pool);
out:
        /* After a failure, the jobs still running are waited for, their results dropped. */
        while (s.n_running > 0) {
                Running *w = &s.running[--s.n_running];
                SandboxExit e;

                if (sandbox_pool_wait(pool, &w->child, &e) < 0 ||
                    (w->queued && sandbox_pool_wait(pool, &w->next, &e) < 0))
                        break;
        }
        return r;
}

/* The workers are dismissed as the probes end, and reaped before the modules their namespaces
 * may hold are unloaded, or by audit_free(). */
static int run_sandboxed(Audit *a, bool passive, unsigned timeout_s) {
        int r;

        a->privilege.sandbox = SANDBOX_HOST;
        /* The workers are forked from here on: what they read of a is set by now. */
        if ((r = sandbox_pool_new(probe_job, a, &a->pool)) < 0)
                return r;
        return run_probes(a, a->pool, !passive, timeout_s);
}

static void format_rfc3339(time_t t, char *buf, size_t size) {
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Drops the names in removed from l. */
static int modules_without(ModuleList *l, const ModuleList *removed) {
        ModuleList kept = {};
        int r = modules_added(removed, l, &kept);

        if (r < 0)
                return r;
        module_list_free(l);
        *l = kept;
        return 0;
}

int audit_run(const AuditOptions *o, const Probe *const *table, Audit **ret) {
        _cleanup_(audit_freep) Audit *a = NULL;
        _cleanup_(module_list_free) ModuleList before = {}, after = {};
        unsigned timeout_s = o->timeout_s ?: PROBE_TIMEOUT_S;
        uint64_t start = now_usec(CLOCK_MONOTONIC) / USEC_PER_MSEC;
        size_t size;
        int r;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->probes = table;
        while (table[a->n_results])
                a->n_results++;
        /* Shared memory: the probes' workers write their results in place. */
        size = (a->n_results ?: 1) * sizeof(CapResult);
        a->results = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (a->results == MAP_FAILED) {
                a->results = NULL;
                return -errno;
        }
        a->results_mapped = size;
        a->passive = o->passive;
        a->quick = o->quick;
        format_rfc3339(time(NULL), a->generated_at, sizeof(a->generated_at));
        if ((r = host_facts_read(&a->host)) < 0)
                return r;

        a->privilege.euid = geteuid();
        /* Making a namespace loads no module: the list may be read before. */
        a->modules_known = modules_read(PROC_MODULES, &before) >= 0;
        if (a->modules_known && o->removed && (r = modules_without(&before, o->removed)) < 0)
                return r;
        if ((r = run_sandboxed(a, o->passive, timeout_s)) < 0)
                return r;
        /* Read-only, so passive mode does it too; before the module list, as it opens NETLINK_XFRM. */
        if ((r = inventory_read(&a->inventory)) < 0)
                return r;
        /* Opening sockets and installing trial SAs can autoload modules: say which,
         * and unload them again unless asked to keep them. */
        if (a->modules_known && !o->keep_modules)
                modules_release_default_rng(&before);
        if (a->modules_known && modules_read_settled(PROC_MODULES, &after) >= 0) {
                ModuleList none = {};

                if ((r = modules_added(&before, &after, &a->modules_loaded)) < 0)
                        return r;
                if (o->keep_modules) /* all of them stay: the list added to nothing */
                        r = modules_added(&none, &a->modules_loaded, &a->modules_left);
                else {
                        /* A worker not reaped yet may still hold a link of a kind to unload. */
                        if (a->modules_loaded.n > 0)
                                sandbox_pool_free(TAKE_PTR(a->pool));
                        r = modules_unload(&a->modules_loaded, MODULE_UNLOAD_TIMEOUT_MS, &a->modules_left);
                }
                if (r < 0)
                        return r;
        } else
                a->modules_known = false;

        a->duration_ms = now_usec(CLOCK_MONOTONIC) / USEC_PER_MSEC - start;
        *ret = TAKE_PTR(a);
        return 0;
}

void audit_free(Audit *a) {
        if (a->pool)
                sandbox_pool_free(a->pool);
        module_list_free(&a->modules_loaded);
        module_list_free(&a->modules_left);
        if (a->results_mapped)
                munmap(a->results, a->results_mapped);
        else
                free(a->results);
        free(a);
}

const CapResult *audit_result(const Audit *a, const char *id) {
        for (size_t i = 0; i < a->n_results; i++)
                if (strcmp(a->probes[i]->id, id) == 0)
                        return &a->results[i];
        return NULL;
}

size_t audit_on_demand_modules(const Audit *a, const char *id, const char **ret, size_t max) {
        const CatalogueEntry *e = catalogue_find(id);
        size_t n = 0;

        for (size_t i = 0; e && e->modules && e->modules[i] && n + 1 < max; i++)
                for (size_t j = 0; j < a->modules_loaded.n; j++)
                        if (strcmp(e->modules[i], a->modules_loaded.names[j]) == 0) {
                                ret[n++] = e->modules[i];
                                break;
                        }
        if (max > 0)
                ret[n] = NULL;
        return n;
}

size_t audit_unknown_count(const Audit *a) {
        size_t n = 0;

        for (size_t i = 0; i < a->n_results; i++)
                n += a->results[i].verdict == VERDICT_UNKNOWN;
        return n;
}
