/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/socket.h>

#include "result.h"
#include "trial-numbers.h"
#include "xfrm.h"

/*
 * A trial installs one SA or policy, reads it back and compares: only an
 * exact read-back counts as accepted, because older kernels drop attributes
 * they do not understand and still say yes. The outcome is recorded in c;
 * the return value is negative only for our own failures.
 */
int trial_sa(XfrmNl *nl, const XfrmSa *sa, Check *c);
/*
 * As trial_sa with exactly the algorithms sa names (crypto.algorithms'
 * trials). trial_sa judges the transform instead: when the kernel refuses
 * the algorithms (ENOSYS, ENOENT), it tries the protocol's other suites and
 * records the first accepted one in the check's note; only when none is
 * accepted is the check blocked by crypto.algorithms.
 */
int trial_sa_exact(XfrmNl *nl, const XfrmSa *sa, Check *c);
int trial_policy(XfrmNl *nl, const XfrmPolicy *p, Check *c);

/*
 * Records the kernel's answer to one request: 1 if it accepted (the caller
 * decides what that proves), 0 if a refusal or a failed conversation was
 * recorded, -ENOMEM.
 */
int trial_record_answer(Check *c, int r, const XfrmAnswer *ans, const char *stage);

/*
 * For a refusal that a missing module explains: records in c's note and
 * cause why module is not loaded (not built, blacklisted, loading disabled).
 */
void trial_explain_module(Check *c, const char *module);

/* The capability that provides a transform protocol ("proto.esp"), or NULL. */
const char *proto_capability(uint8_t proto);
const char *proto_name(uint8_t proto);

/* Documentation addresses (RFC 5737, RFC 3849) the probes build their trials from. */
typedef struct TrialFamily {
        uint16_t family;
        const char *name;    /* "IPv4" */
        const char *local, *peer;         /* the two hosts */
        const char *gw_local, *gw_peer;   /* tunnel endpoints */
        const char *group;                /* a multicast destination */
        uint8_t host_prefix;
} TrialFamily;

extern const TrialFamily trial_families[2];

/* An algorithm suite a transform can be tried with. */
typedef struct TrialSuite {
        const char *label; /* "AES-GCM-16" */
        XfrmAlg enc, auth, aead, comp;
} TrialSuite;

/* The suites of IPPROTO_ESP, _AH or _COMP in the order they are tried (RFC 8221's MUST set first). */
const TrialSuite *trial_suites(uint8_t proto, size_t *ret_n);
void trial_suite_apply(XfrmSa *sa, const TrialSuite *s);

/* Back to the first suites: before each probe, so that none starts from what another learned. */
void trial_forget(void);

/*
 * A transport- or tunnel-mode SA between the family's hosts, with the
 * protocol's suite that this probe last saw accepted (at first, the first).
 */
int trial_sa_init(XfrmSa *sa, const TrialFamily *f, uint8_t proto, uint8_t mode, uint32_t spi);

/* An ESP SA whose packets travel in UDP or TCP (RFC 3948, RFC 8229), port 4500 both ways. */
int trial_encap_sa_init(XfrmSa *sa, const TrialFamily *f, uint8_t mode, uint32_t spi, uint16_t encap_type);

/*
 * Sets a socket option and reads it back (the socket halves of NAT
 * traversal): refused, altered or accepted, recorded in c under name.
 */
void trial_sockopt(Check *c, int fd, int level, int opt, const void *value, socklen_t len, const char *name);

/* A host-to-host policy (any protocol) with no templates yet. */
int trial_policy_init(XfrmPolicy *p, const TrialFamily *f, uint8_t dir);

/* Appends a template; tunnel templates use the family's gateway addresses. */
int trial_policy_add_tmpl(XfrmPolicy *p, const TrialFamily *f, uint8_t proto, uint8_t mode, uint32_t reqid);
