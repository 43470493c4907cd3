/* SPDX-License-Identifier: MIT */
/* The benches' random numbers: xorshift64, cheap and reproducible. */
#ifndef VMSG_BENCH_RAND_H
#define VMSG_BENCH_RAND_H

#include <stdint.h>

static inline uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#endif
