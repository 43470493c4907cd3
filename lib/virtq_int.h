/* SPDX-License-Identifier: MIT */
/*
 * Internal to the device-side virtqueue (virtq_dev.c: split rings and the
 * calls, virtq_packed.c: packed rings): what both ring formats share,
 * from reading descriptors once to mapping a request's buffers.
 */
#ifndef VMSG_LIB_VIRTQ_INT_H
#define VMSG_LIB_VIRTQ_INT_H

#include <endian.h>

#include "virtio-msg/bus.h"
#include "virtio-msg/virtq.h"

#define VQ_MAX_NUM 32768u

static inline uint16_t vq_rd16(const volatile uint16_t *p)
{
    return le16toh(*p);
}

static inline void vq_wr16(volatile uint16_t *p, uint16_t v)
{
    *p = htole16(v);
}

/*
 * A request's buffers, every descriptor read and checked before any is
 * mapped, so a bus can map them all with one call.  On the stack: 12 KiB.
 */
struct vq_chain {
    unsigned n, out;                 /* ranges; the readable ones come first */
    struct vmsg_dma_range r[VMSG_VQ_MAX_IOV];
};

/* Map [addr, addr+len) in one piece or fail. */
bool vq_map_whole(const struct vmsg_vq_mem *mem, uint64_t addr, uint64_t len,
                  bool write, void **out);
void vq_unmap_ring(struct vmsg_vq *vq, volatile void *p, uint64_t len);
/* Mark the queue broken for @why (the first reason stays); releases @e. */
int vq_fail(struct vmsg_vq *vq, struct vmsg_vq_elem *e, const char *why);
void vq_release_iovs(struct vmsg_vq *vq, struct vmsg_vq_elem *e);
/* Append a buffer to @c; NULL or why it is refused. */
const char *vq_add_range(struct vq_chain *c, uint64_t addr, uint32_t len, bool write);
/* Map every range of @c into @e. */
const char *vq_map_chain(struct vmsg_vq *vq, struct vmsg_vq_elem *e, const struct vq_chain *c);
/* Copy an indirect table of @len bytes (a whole number of 16-byte
 * descriptors, at most a ring's worth) out of driver memory into a new
 * buffer (free() it): read once, however the driver changes it after. */
const char *vq_copy_table(struct vmsg_vq *vq, uint64_t addr, uint32_t len, uint8_t **buf);

/* Packed rings (virtq_packed.c), called by the vmsg_vq_* calls. */
int vq_packed_setup(struct vmsg_vq *vq, const struct vmsg_vq_mem *mem, uint16_t num,
                    uint64_t ring, uint64_t driver, uint64_t device);
void vq_packed_unmap(struct vmsg_vq *vq);
int vq_packed_pop(struct vmsg_vq *vq, struct vmsg_vq_elem *e, struct vq_chain *c);
void vq_packed_push(struct vmsg_vq *vq, const struct vmsg_vq_elem *e, uint32_t len);
bool vq_packed_should_notify(struct vmsg_vq *vq);
bool vq_packed_avail_pending(const struct vmsg_vq *vq);
/* Ask for (or not) driver notifications from the next descriptor on. */
void vq_packed_set_event(struct vmsg_vq *vq, bool enable);

#endif
