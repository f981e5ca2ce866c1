/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

#include "probes.h"
#include "trial.h"

#define LEGACY_WINDOW 32 /* xfrm_usersa_info.replay_window, what `ip xfrm ... replay-window 32` sends */
#define ESN_WINDOW 128   /* XFRMA_REPLAY_ESN_VAL: windows beyond 32 packets and 64-bit sequence numbers */

/*
 * Each variant is one ESP SA read back and compared: the legacy replay
 * window, and extended sequence numbers (XFRM_STATE_ESN with
 * XFRMA_REPLAY_ESN_VAL, which the kernel requires to come together and
 * without a legacy window).
 */
static int run(const ProbeContext *ctx, CapResult *res) {
        uint32_t spi = TRIAL_SPI_REPLAY;

        for (size_t i = 0; i < ELEMENTSOF(trial_families); i++) {
                const TrialFamily *f = &trial_families[i];
                char group[32];
                XfrmSa sa;
                int r;

                if ((r = trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, spi++)) < 0)
                        return r;
                sa.replay_window = LEGACY_WINDOW;
                snprintf(group, sizeof(group), "replay window %s", f->name);
                if ((r = trial_sa(ctx->xfrm, &sa, ADD_CHECK(res, group, "ESP SA with replay window 32"))) < 0)
                        return r;

                if ((r = trial_sa_init(&sa, f, IPPROTO_ESP, XFRM_MODE_TRANSPORT, spi++)) < 0)
                        return r;
                sa.esn = true;
                sa.esn_window = ESN_WINDOW;
                snprintf(group, sizeof(group), "ESN %s", f->name);
                if ((r = trial_sa(ctx->xfrm, &sa, ADD_CHECK(res, group, "ESP SA with ESN and window 128"))) < 0)
                        return r;
        }
        return 0;
}

DEFINE_PROBE(probe_km_replay_esn, "km.replay_esn", "3.3", PROBE_ACTIVE | PROBE_NEEDS_XFRM,
             "replay windows and extended sequence numbers (XFRMA_REPLAY_ESN_VAL) on ESP SAs",
             run);
