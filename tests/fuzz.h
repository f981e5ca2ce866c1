/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every fuzz target defines this one function. Built with clang
 * --enable-fuzzing it is libFuzzer's entry point; otherwise fuzz-main.c
 * calls it once per file, so make check replays the committed corpora.
 */
#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A netlink datagram as the transport receives it: in a larger receive buffer.
 * libmnl walks a message's attributes up to its length rounded up to 4, so a
 * last message of unaligned length (the kernel sends none) is read up to 3
 * bytes into the rest of the receive buffer, in bounds there; the fuzzer
 * found that with exactly-sized inputs. The rest is zeroed. NULL if too large.
 */
static inline const uint8_t *fuzz_datagram(const uint8_t *data, size_t size) {
        static uint8_t buf[1 << 16];

        if (size > sizeof(buf) - NLMSG_ALIGNTO)
                return NULL;
        memcpy(buf, data, size);
        memset(buf + size, 0, NLMSG_ALIGNTO);
        return buf;
}
