/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every fuzz target defines this one function. Built with clang
 * --enable-fuzzing it is libFuzzer's entry point; otherwise fuzz-main.c
 * calls it once per file, so make check replays the committed corpora.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
