/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: PF_KEY replies (SADB_REGISTER and the rest) through pfkey_parse(). */
#include "fuzz.h"
#include "pfkey-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PfkeyMsg m;

        if (pfkey_parse(data, size, &m) == 0) {
                /* Touch everything the parser claims to have filled in. */
                volatile unsigned sum = m.type;
                for (unsigned i = 0; i < m.n_auth; i++)
                        sum += m.auth[i].id + m.auth[i].maxbits;
                for (unsigned i = 0; i < m.n_encrypt; i++)
                        sum += m.encrypt[i].id + m.encrypt[i].maxbits;
                (void) sum;
        }
        return 0;
}
