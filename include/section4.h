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

/* The members of a report's section4 object, by their JSON names ("ipsec_available"). */
typedef enum Section4Key {
        SECTION4_VERDICT,
        SECTION4_IPSEC_AVAILABLE,
        SECTION4_POINT_TO_POINT,
        SECTION4_VPN,
        SECTION4_MULTIPLE_LAYERS,
        _SECTION4_KEY_MAX,
} Section4Key;
const char *section4_key_to_string(Section4Key k);
int section4_key_from_string(const char *s, Section4Key *ret);
