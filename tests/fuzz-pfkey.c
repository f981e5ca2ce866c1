/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the PF_KEY parser. With clang:
 *   clang -fsanitize=fuzzer,address -DFUZZ_LIBFUZZER -include config.h -Iinclude \
 *         tests/fuzz-pfkey.c src/pfkey-parse.c src/util.c -o fuzz-pfkey
 * Without it, linked with tests/fuzz-driver.c: fuzz-pfkey FILE... parses each
 * file (run it under valgrind or ASan over a corpus such as tests/fixtures).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pfkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

