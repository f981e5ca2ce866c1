/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "xfrm.h"

/*
 * ESP refuses an SA with ENOENT when its algorithms exist but a crypto
 * template the kernel wraps them in does not: authenc (or authencesn with
 * ESN) around encryption plus integrity, then the IV generator (echainiv for
 * CBC, seqiv otherwise). Names the first missing one in ret ("authenc") by
 * asking the crypto API for each layer through AF_ALG; without AF_ALG,
 * names the candidates ("authenc or echainiv"). Returns 0, or -ENOENT if
 * every layer exists (the refusal has another cause).
 */
int crypto_missing_template(const XfrmSa *sa, char *ret, size_t size);
