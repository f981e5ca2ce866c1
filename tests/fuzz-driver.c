/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The standalone driver of the fuzz targets (fuzz-pfkey, fuzz-profile) when
 * they are not built with libFuzzer: feeds each FILE argument to
 * LLVMFuzzerTestOneInput (run it under valgrind or ASan over a corpus).
 */
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Larger than any input a target accepts (a profile is at most 64 KiB), so the limits themselves are fuzzed. */
#define FUZZ_MAX_INPUT (1 << 17)

int main(int argc, char **argv) {
        static uint8_t buf[FUZZ_MAX_INPUT];
        int failed = 0;

        for (int i = 1; i < argc; i++) {
                FILE *f = fopen(argv[i], "rbe");
                size_t n;

                if (!f) {
                        perror(argv[i]);
                        failed = 1;
                        continue;
                }
                n = fread(buf, 1, sizeof(buf), f);
                fclose(f);
                LLVMFuzzerTestOneInput(buf, n);
        }
        return failed;
}
