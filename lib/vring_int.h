/* SPDX-License-Identifier: MIT */
/* Internal to the driver-side ring: the packed ring's half of the
 * vmsg_vring_* calls (vring_packed.c), which vring_drv.c dispatches to. */
#ifndef VMSG_LIB_VRING_INT_H
#define VMSG_LIB_VRING_INT_H

#include "virtio-msg/virtq.h"

/* The private state both formats keep: tokens, chain lengths and the
 * free list (of heads, or of buffer ids), for a ring of @num, in a
 * zeroed @vr. */
int vring_alloc_state(struct vmsg_vring *vr, uint16_t num);

int vring_packed_add(struct vmsg_vring *vr, const struct vmsg_sg *sg,
                     unsigned out, unsigned in, void *token);
int vring_packed_add_indirect(struct vmsg_vring *vr, const struct vmsg_sg *sg,
                              unsigned out, unsigned in, void *token,
                              void *table, uint64_t table_addr);
bool vring_packed_kick_prepare(struct vmsg_vring *vr);
void *vring_packed_get_used(struct vmsg_vring *vr, uint32_t *len);
void vring_packed_disable_cb(struct vmsg_vring *vr);
bool vring_packed_enable_cb(struct vmsg_vring *vr);

#endif
