/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "section4.h"
#include "string-table.h"

/* Capabilities this audit did not probe take no part; with none at all, the answer is unknown. */
#define ABSENT (-1)

static int cap(const Audit *a, const char *id) {
        const CapResult *r = audit_result(a, id);
        return r ? (int) r->verdict : ABSENT;
}

/* Every part is needed: one missing part decides, then one unmeasured part. */
static int all_of(unsigned n, ...) {
        bool any = false, unknown = false, partial = false, missing = false;
        va_list ap;

        va_start(ap, n);
        for (unsigned i = 0; i < n; i++) {
                int v = va_arg(ap, int);
                if (v == ABSENT)
                        continue;
                any = true;
                missing |= v == VERDICT_UNAVAILABLE;
                unknown |= v == VERDICT_UNKNOWN;
                partial |= v == VERDICT_PARTIAL;
        }
        va_end(ap);
        if (!any || (unknown && !missing))
                return VERDICT_UNKNOWN;
        return missing ? VERDICT_UNAVAILABLE : partial ? VERDICT_PARTIAL : VERDICT_AVAILABLE;
}

/* Any one part suffices. */
static int any_of(unsigned n, ...) {
        int best = ABSENT;
        bool unknown = false;
        va_list ap;

        va_start(ap, n);
        for (unsigned i = 0; i < n; i++) {
                int v = va_arg(ap, int);
                if (v == VERDICT_UNKNOWN)
                        unknown = true;
                else if (v != ABSENT && (best == ABSENT || v > best))
                        best = v;
        }
        va_end(ap);
        if (best == VERDICT_AVAILABLE || best == VERDICT_PARTIAL)
                return best;
        if (unknown || best == ABSENT)
                return VERDICT_UNKNOWN;
        return best;
}

static void summarise(const Audit *a, Section4 *s) {
        static const char *const keys[] = {
                "api.xfrm_netlink", "api.pfkey_v2", "proto.esp", "proto.ah", "mode.transport",
                "selector.ports", "api.socket_policy", "mode.tunnel", "sa.nested",
        };
        size_t len = 0, n_missing = 0;

#define APPEND(...) strbuf_appendf(s->summary, sizeof(s->summary), &len, __VA_ARGS__)

        switch (s->verdict) {
        case VERDICT_AVAILABLE:
                APPEND("IPsec is available on this host (Linux %s) for point-to-point, VPN and layered use.",
                       a->host.kernel_release);
                break;
        case VERDICT_PARTIAL:
                APPEND("IPsec is only partly available on this host (Linux %s).", a->host.kernel_release);
                break;
        case VERDICT_UNAVAILABLE:
                APPEND("IPsec is not available on this host (Linux %s): a protocol that mandates IPsec "
                       "would in practice run without it here (RFC 5406 Section 4).", a->host.kernel_release);
                break;
        default:
                APPEND("IPsec availability on this host (Linux %s) could not be determined.", a->host.kernel_release);
        }
        APPEND(" SAs: %s; point-to-point (transport mode with port selectors): %s; "
               "VPN (tunnel mode): %s; multiple layers (nested SAs): %s.",
               verdict_to_string(s->ipsec_available), verdict_to_string(s->point_to_point),
               verdict_to_string(s->vpn), verdict_to_string(s->multiple_layers));

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const CapResult *r = audit_result(a, keys[i]);
                if (!r || r->verdict == VERDICT_AVAILABLE)
                        continue;
                /* PF_KEY is a legacy alternative (DESIGN.md): worth no mention where XFRM netlink works. */
                if (strcmp(keys[i], "api.pfkey_v2") == 0 && cap(a, "api.xfrm_netlink") == VERDICT_AVAILABLE)
                        continue;
                APPEND("%s %s %s", n_missing++ ? "," : " Not available:", keys[i], verdict_to_string(r->verdict));
                if (r->err)
                        APPEND(" (%s)", errno_name(r->err) ?: "error");
        }
        if (n_missing)
                APPEND(".");
#undef APPEND
}

void section4_derive(const Audit *a, Section4 *ret) {
        Section4 s = {};

        s.ipsec_available = (Verdict) all_of(2,
                                   any_of(2, cap(a, "api.xfrm_netlink"), cap(a, "api.pfkey_v2")),
                                   any_of(2, cap(a, "proto.esp"), cap(a, "proto.ah")));
        s.point_to_point = (Verdict) all_of(2, cap(a, "mode.transport"),
                                  any_of(2, cap(a, "selector.ports"), cap(a, "api.socket_policy")));
        s.vpn = (Verdict) all_of(1, cap(a, "mode.tunnel"));
        s.multiple_layers = (Verdict) all_of(1, cap(a, "sa.nested"));

        if (s.ipsec_available == VERDICT_UNAVAILABLE || s.ipsec_available == VERDICT_UNKNOWN)
                s.verdict = s.ipsec_available;
        else if (s.ipsec_available == VERDICT_AVAILABLE && s.point_to_point == VERDICT_AVAILABLE &&
                 s.vpn == VERDICT_AVAILABLE && s.multiple_layers == VERDICT_AVAILABLE)
                s.verdict = VERDICT_AVAILABLE;
        else
                s.verdict = VERDICT_PARTIAL;
        summarise(a, &s);
        *ret = s;
}

static const char *const section4_key_table[_SECTION4_KEY_MAX] = {
        [SECTION4_VERDICT] = "verdict",
        [SECTION4_IPSEC_AVAILABLE] = "ipsec_available",
        [SECTION4_POINT_TO_POINT] = "point_to_point",
        [SECTION4_VPN] = "vpn",
        [SECTION4_MULTIPLE_LAYERS] = "multiple_layers",
};

DEFINE_STRING_TABLE_LOOKUP(section4_key, Section4Key)
