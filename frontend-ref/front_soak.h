/* SPDX-License-Identifier: MIT */
/* blk soak: writes that must survive reconnects (see front_soak.c). */
#ifndef VMSG_FRONT_SOAK_H
#define VMSG_FRONT_SOAK_H

#include <stdint.h>

/* 0 if every acknowledged write read back intact, 1 otherwise. */
int vf_blk_soak(const char *where, uint32_t domid, double seconds, uint32_t seed,
                int reconnect_ms);

#endif
