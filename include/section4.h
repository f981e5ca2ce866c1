/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "audit.h"

/* RFC 5406 Section 4, "Availability of IPsec in Target Devices", from the measured capabilities. */
typedef struct Section4 {
        Verdict ipsec_available;  /* an API is usable and ESP or AH SAs install */
        Verdict point_to_point;   /* transport mode plus port selectors or per-socket policy */
        Verdict vpn;              /* tunnel mode */
        Verdict multiple_layers;  /* nested SAs */
        Verdict verdict;
        char summary[1024];
} Section4;

void section4_derive(const Audit *a, Section4 *ret);
