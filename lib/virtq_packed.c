/* SPDX-License-Identifier: MIT */
/*
 * Device-side packed virtqueue (virtio 1.2 §2.8), behind the vmsg_vq_*
 * calls of virtq_dev.c.  The driver's ring is hostile as a split one is:
 * a descriptor is read once into a local after its flags said it is
 * available, a chain is at most a ring long, an indirect table is copied
 * out whole, and the first violation breaks the queue.
 *
 * Positions: last_avail is the next descriptor we take (with avail_wrap,
 * the driver's wrap counter we expect there), used_idx the next we mark
 * used (with used_wrap).  A chain of n descriptors is answered with one
 * used descriptor at used_idx, which then moves on by n: answers may come
 * in any order, and used_idx never passes last_avail.
 */
#include <errno.h>
#include <stdlib.h>

#include "virtq_int.h"

static uint16_t rd_flags(const volatile struct vring_packed_desc *d)
{
    return vq_rd16(&d->flags);
}

static bool is_avail(uint16_t flags, bool wrap)
{
    return !!(flags & VRING_PACKED_DESC_F_AVAIL) == wrap &&
           !!(flags & VRING_PACKED_DESC_F_USED) != wrap;
}

int vq_packed_setup(struct vmsg_vq *vq, const struct vmsg_vq_mem *mem, uint16_t num,
                    uint64_t ring, uint64_t driver, uint64_t device)
{
    void *r = NULL, *drv = NULL, *dev = NULL;

    if (num == 0 || num > VQ_MAX_NUM)
        return -EINVAL;
    if (ring % 16 || driver % 4 || device % 4)
        return -EINVAL;
    if (!vq_map_whole(mem, ring, 16ull * num, true, &r) ||
        !vq_map_whole(mem, driver, sizeof(struct vring_packed_event), false, &drv) ||
        !vq_map_whole(mem, device, sizeof(struct vring_packed_event), true, &dev)) {
        if (mem->unmap) {
            if (r)
                mem->unmap(mem->ctx, r, 16ull * num);
            if (drv)
                mem->unmap(mem->ctx, drv, sizeof(struct vring_packed_event));
        }
        return -EFAULT;
    }
    vq->num = num;
    vq->packed = true;
    vq->pdesc = r;
    vq->drv_event = drv;
    vq->dev_event = dev;
    vq->last_avail = vq->used_idx = 0;
    vq->avail_wrap = vq->used_wrap = true;
    vq_packed_set_event(vq, true);
    return 0;
}

void vq_packed_unmap(struct vmsg_vq *vq)
{
    vq_unmap_ring(vq, vq->pdesc, 16ull * vq->num);
    vq_unmap_ring(vq, vq->drv_event, sizeof(struct vring_packed_event));
    vq_unmap_ring(vq, vq->dev_event, sizeof(struct vring_packed_event));
}

void vq_packed_set_event(struct vmsg_vq *vq, bool enable)
{
    if (vq->event_idx) {
        /* "Notify us when you make the descriptor at last_avail
         * available"; left behind while off, as the split avail_event. */
        if (enable)
            vq_wr16(&vq->dev_event->off_wrap,
                    vring_packed_off_wrap(vq->last_avail, vq->avail_wrap));
        /* The offset before the flags that make the driver read it. */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        vq_wr16(&vq->dev_event->flags, VRING_PACKED_EVENT_F_DESC);
    } else {
        vq_wr16(&vq->dev_event->flags,
                enable ? VRING_PACKED_EVENT_F_ENABLE : VRING_PACKED_EVENT_F_DISABLE);
    }
}

bool vq_packed_avail_pending(const struct vmsg_vq *vq)
{
    return is_avail(rd_flags(&vq->pdesc[vq->last_avail]), vq->avail_wrap);
}

/* An indirect table's descriptors follow each other; only WRITE counts. */
static const char *walk_indirect(struct vmsg_vq *vq, struct vq_chain *c,
                                 uint64_t addr, uint32_t len)
{
    const struct vring_packed_desc *t;
    uint8_t *buf = NULL;
    const char *why;
    uint32_t i;

    if (!vq->indirect)
        return "indirect descriptor not negotiated";
    if ((why = vq_copy_table(vq, addr, len, &buf)))
        return why;
    t = (const struct vring_packed_desc *)buf;
    for (i = 0; i < len / 16 && !why; i++)
        why = vq_add_range(c, le64toh(t[i].addr), le32toh(t[i].len),
                           le16toh(t[i].flags) & VRING_DESC_F_WRITE);
    free(buf);
    return why;
}

int vq_packed_pop(struct vmsg_vq *vq, struct vmsg_vq_elem *e, struct vq_chain *c)
{
    uint16_t idx = vq->last_avail, n = 0, id = 0;
    bool wrap = vq->avail_wrap;
    const char *why = NULL;

    if (!is_avail(rd_flags(&vq->pdesc[idx]), wrap))
        return 0;
    /* The descriptor's other fields only after its flags said so. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    for (;;) {
        volatile struct vring_packed_desc *s = &vq->pdesc[idx];
        uint64_t addr = le64toh(s->addr);
        uint32_t len = le32toh(s->len);
        uint16_t flags = vq_rd16(&s->flags);

        id = vq_rd16(&s->id);        /* a chain's buffer id: its last one's */
        if (++n > vq->num) {
            why = "descriptor chain longer than the ring";
            break;
        }
        if (flags & VRING_DESC_F_INDIRECT) {
            if (n != 1 || (flags & VRING_DESC_F_NEXT)) {
                why = "indirect descriptor inside a chain";
                break;
            }
            why = walk_indirect(vq, c, addr, len);
            break;
        }
        why = vq_add_range(c, addr, len, flags & VRING_DESC_F_WRITE);
        if (why || !(flags & VRING_DESC_F_NEXT))
            break;
        vring_packed_advance(&idx, &wrap, 1, vq->num);
    }
    if (!why)
        why = vq_map_chain(vq, e, c);
    if (why)
        return vq_fail(vq, e, why);
    e->head = id;
    e->ndesc = n;
    e->epoch = vq->epoch;
    vring_packed_advance(&vq->last_avail, &vq->avail_wrap, n, vq->num);
    vq->inflight++;
    if (vq->event_idx && !vq->notify_off)
        vq_packed_set_event(vq, true);
    return 1;
}

void vq_packed_push(struct vmsg_vq *vq, const struct vmsg_vq_elem *e, uint32_t len)
{
    volatile struct vring_packed_desc *d = &vq->pdesc[vq->used_idx];
    uint16_t flags = vq->used_wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0;

    /* The length counts only with WRITE set (§2.8: reserved without). */
    if (e->in_len)
        flags |= VRING_DESC_F_WRITE;

    d->id = htole16(e->head);
    d->len = htole32(len);
    /* id and len before the flags that hand the descriptor back. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vq_wr16(&d->flags, flags);
    vring_packed_advance(&vq->used_idx, &vq->used_wrap, e->ndesc, vq->num);
}

bool vq_packed_should_notify(struct vmsg_vq *vq)
{
    uint16_t flags, off_wrap;
    bool need;

    /* Our used flags must be ordered before reading the driver's event. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    flags = vq_rd16(&vq->drv_event->flags);
    off_wrap = vq_rd16(&vq->drv_event->off_wrap);
    if (flags == VRING_PACKED_EVENT_F_DESC && vq->event_idx)
        need = !vq->signalled_valid ||
               vring_packed_need_event(off_wrap, vq->num, vq->signalled_used,
                                       vq->signalled_wrap, vq->used_idx, vq->used_wrap);
    else
        need = flags != VRING_PACKED_EVENT_F_DISABLE;
    vq->signalled_used = vq->used_idx;
    vq->signalled_wrap = vq->used_wrap;
    vq->signalled_valid = true;
    return need;
}
