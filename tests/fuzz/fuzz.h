/* SPDX-License-Identifier: MIT */
/* Shared by every fuzz harness: the libFuzzer entry point and a hard check
 * that works in both libFuzzer and replay builds. */
#ifndef VMSG_FUZZ_H
#define VMSG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                      \
            abort();                                                       \
        }                                                                  \
    } while (0)

#endif
