/* SPDX-License-Identifier: MIT */
/*
 * Device-side virtqueue: the calls, split rings and what both ring formats
 * share (packed rings: virtq_packed.c).  Everything in the rings is
 * hostile: each shared field is read once (volatile) into a local, then
 * checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtq_int.h"

/* used->ring[num] holds avail_event (EVENT_IDX). */
static volatile uint16_t *avail_event(struct vmsg_vq *vq)
{
    return (volatile uint16_t *)((volatile uint8_t *)vq->used + 4 +
                                 8u * vq->num);
}

bool vq_map_whole(const struct vmsg_vq_mem *mem, uint64_t addr, uint64_t len,
                  bool write, void **out)
{
    size_t got = (size_t)len;
    void *p;

    if (len == 0 || addr + len < addr)
        return false;
    p = mem->map(mem->ctx, addr, &got, write);
    if (!p)
        return false;
    if (got != len) {
        if (mem->unmap)
            mem->unmap(mem->ctx, p, got);
        return false;
    }
    *out = p;
    return true;
}

void vq_unmap_ring(struct vmsg_vq *vq, volatile void *p, uint64_t len)
{
    if (p && vq->mem.unmap)
        vq->mem.unmap(vq->mem.ctx, (void *)(uintptr_t)p, (size_t)len);
}

void vmsg_vq_reset(struct vmsg_vq *vq)
{
    uint32_t epoch = vq->epoch;
    struct vmsg_vq_mem mem = vq->mem;

    if (vq->num && vq->packed) {
        vq_packed_unmap(vq);
    } else if (vq->num) {
        vq_unmap_ring(vq, vq->desc, vring_desc_size(vq->num));
        vq_unmap_ring(vq, vq->avail, vring_avail_size(vq->num));
        vq_unmap_ring(vq, vq->used, vring_used_size(vq->num));
    }
    memset(vq, 0, sizeof(*vq));
    vq->mem = mem;
    vq->epoch = epoch + 1;
}

int vmsg_vq_setup(struct vmsg_vq *vq, const struct vmsg_vq_mem *mem,
                  uint16_t num, uint64_t desc, uint64_t avail, uint64_t used,
                  uint64_t features)
{
    void *d = NULL, *a = NULL, *u = NULL;
    int rc;

    vmsg_vq_reset(vq);
    vq->mem = *mem;
    vq->event_idx = features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    vq->indirect = features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    if (features & VIRTIO_BIT(VIRTIO_F_RING_PACKED)) {
        if ((rc = vq_packed_setup(vq, mem, num, desc, avail, used)))
            return rc;
        vq->ready = true;
        return 0;
    }
    if (num == 0 || num > VQ_MAX_NUM || (num & (num - 1)))
        return -EINVAL;
    if (desc % 16 || avail % 2 || used % 4)
        return -EINVAL;
    if (!vq_map_whole(mem, desc, vring_desc_size(num), false, &d))
        goto fault;
    if (!vq_map_whole(mem, avail, vring_avail_size(num), true, &a))
        goto fault;
    if (!vq_map_whole(mem, used, vring_used_size(num), true, &u))
        goto fault;
    vq->num = num;
    vq->desc = d;
    vq->avail = a;
    vq->used = u;
    vq->used_idx = vq_rd16(&vq->used->idx);
    vq->last_avail = vq->used_idx;
    vq->ready = true;
    return 0;

fault:
    if (mem->unmap) {
        if (d)
            mem->unmap(mem->ctx, d, vring_desc_size(num));
        if (a)
            mem->unmap(mem->ctx, a, vring_avail_size(num));
    }
    return -EFAULT;
}

void vq_release_iovs(struct vmsg_vq *vq, struct vmsg_vq_elem *e)
{
    unsigned i, n = (unsigned)e->out_num + e->in_num;

    if (e->batch)
        vq->mem.unmap_batch(vq->mem.ctx, e->batch);
    else if (vq->mem.unmap)
        for (i = 0; i < n; i++)
            vq->mem.unmap(vq->mem.ctx, e->iov[i].iov_base, e->iov[i].iov_len);
    e->batch = NULL;
    e->out_num = e->in_num = 0;
}

int vq_fail(struct vmsg_vq *vq, struct vmsg_vq_elem *e, const char *why)
{
    if (e)
        vq_release_iovs(vq, e);
    if (!vq->broken)
        vq->why = why;
    vq->broken = true;
    return -EIO;
}

static void read_desc(const volatile struct vring_desc *src,
                      struct vring_desc *dst)
{
    dst->addr = le64toh(src->addr);
    dst->len = le32toh(src->len);
    dst->flags = le16toh(src->flags);
    dst->next = le16toh(src->next);
}

const char *vq_add_range(struct vq_chain *c, uint64_t addr, uint32_t len, bool write)
{
    if (len == 0)
        return "zero-length descriptor";
    if (addr + len < addr)
        return "descriptor address overflows";
    if (!write && c->n > c->out)
        return "readable descriptor after a writable one";
    if (c->n >= VMSG_VQ_MAX_IOV)
        return "too many buffer pieces";
    c->r[c->n++] = (struct vmsg_dma_range){ addr, len, write };
    if (!write)
        c->out++;
    return NULL;
}

static void add_iov(struct vmsg_vq_elem *e, void *p, size_t len, bool write)
{
    e->iov[e->out_num + e->in_num] = (struct iovec){ p, len };
    if (write) {
        e->in_num++;
        e->in_len += len;
    } else {
        e->out_num++;
        e->out_len += len;
    }
}

/* Map one buffer, split where the bus shortens a mapping. */
static const char *map_range(struct vmsg_vq *vq, struct vmsg_vq_elem *e,
                             const struct vmsg_dma_range *r)
{
    uint64_t addr = r->addr, left = r->len;

    while (left) {
        size_t got = (size_t)left;
        void *p;

        if ((unsigned)e->out_num + e->in_num >= VMSG_VQ_MAX_IOV)
            return "too many buffer pieces";
        p = vq->mem.map(vq->mem.ctx, addr, &got, r->write);
        if (!p || got == 0 || got > left) {
            if (p && vq->mem.unmap)
                vq->mem.unmap(vq->mem.ctx, p, got);
            return "buffer address not mapped";
        }
        add_iov(e, p, got, r->write);
        addr += got;
        left -= got;
    }
    return NULL;
}

const char *vq_map_chain(struct vmsg_vq *vq, struct vmsg_vq_elem *e,
                         const struct vq_chain *c)
{
    const char *why = NULL;
    unsigned i;

    if (vq->mem.map_batch && vq->mem.unmap_batch) {
        void *ptr[VMSG_VQ_MAX_IOV];
        void *h = vq->mem.map_batch(vq->mem.ctx, c->r, c->n, ptr);

        if (h) {
            for (i = 0; i < c->n; i++)
                add_iov(e, ptr[i], (size_t)c->r[i].len, c->r[i].write);
            e->batch = h;
            return NULL;
        }
        if (errno != EOPNOTSUPP)
            return "buffer address not mapped";
    }
    for (i = 0; i < c->n && !why; i++)
        why = map_range(vq, e, &c->r[i]);
    return why;
}

const char *vq_copy_table(struct vmsg_vq *vq, uint64_t addr, uint32_t len, uint8_t **out)
{
    uint64_t left = len;
    uint8_t *buf, *pos;

    if (len == 0 || len % 16 || len / 16 > VQ_MAX_NUM)
        return "bad indirect table length";
    if (addr + left < addr)
        return "indirect table address overflows";
    buf = malloc(len);
    if (!buf)
        return "out of memory for indirect table";
    pos = buf;
    while (left) {                   /* it may span mappings */
        size_t got = (size_t)left;
        void *p = vq->mem.map(vq->mem.ctx, addr, &got, false);

        if (!p || got == 0 || got > left) {
            if (p && vq->mem.unmap)
                vq->mem.unmap(vq->mem.ctx, p, got);
            free(buf);
            return "indirect table not mapped";
        }
        memcpy(pos, p, got);
        if (vq->mem.unmap)
            vq->mem.unmap(vq->mem.ctx, p, got);
        pos += got;
        addr += got;
        left -= got;
    }
    *out = buf;
    return NULL;
}

/* A split ring's indirect table, copied out and byte-swapped. */
static const char *copy_indirect(struct vmsg_vq *vq, const struct vring_desc *d,
                                 struct vring_desc **table, uint32_t *count)
{
    uint8_t *buf = NULL;
    const char *why;
    uint32_t i;

    if (!vq->indirect)
        return "indirect descriptor not negotiated";
    if (d->flags & VRING_DESC_F_NEXT)
        return "indirect descriptor with NEXT";
    if ((why = vq_copy_table(vq, d->addr, d->len, &buf)))
        return why;
    *count = d->len / 16;
    *table = (struct vring_desc *)buf;
    for (i = 0; i < *count; i++) {
        struct vring_desc *t = &(*table)[i];
        t->addr = le64toh(t->addr);
        t->len = le32toh(t->len);
        t->flags = le16toh(t->flags);
        t->next = le16toh(t->next);
    }
    return NULL;
}

static const char *walk_indirect(struct vmsg_vq *vq, struct vq_chain *c,
                                 const struct vring_desc *d)
{
    struct vring_desc *table = NULL;
    uint32_t count = 0, idx = 0, steps = 0;
    const char *why = copy_indirect(vq, d, &table, &count);

    while (!why) {
        const struct vring_desc *t = &table[idx];

        if (++steps > count) {
            why = "indirect chain loops";
            break;
        }
        if (t->flags & VRING_DESC_F_INDIRECT) {
            why = "nested indirect descriptor";
            break;
        }
        why = vq_add_range(c, t->addr, t->len, t->flags & VRING_DESC_F_WRITE);
        if (why || !(t->flags & VRING_DESC_F_NEXT))
            break;
        if (t->next >= count) {
            why = "indirect next out of range";
            break;
        }
        idx = t->next;
    }
    if (table)
        free(table);
    return why;
}

int vmsg_vq_pop(struct vmsg_vq *vq, struct vmsg_vq_elem *e)
{
    uint16_t avail_idx, head, idx;
    uint32_t steps = 0;
    const char *why = NULL;
    struct vq_chain c;

    e->out_num = e->in_num = 0;
    e->out_len = e->in_len = 0;
    e->batch = NULL;
    c.n = c.out = 0;
    if (vq->broken || !vq->ready)
        return vq->broken ? -EIO : 0;
    if (vq->packed)
        return vq_packed_pop(vq, e, &c);

    avail_idx = vq_rd16(&vq->avail->idx);
    if ((uint16_t)(avail_idx - vq->last_avail) > vq->num)
        return vq_fail(vq, NULL, "avail index moved by more than the ring size");
    if (avail_idx == vq->last_avail)
        return 0;
    /* Read the ring entry and descriptors only after the index. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);

    head = vq_rd16(&vq->avail->ring[vq->last_avail % vq->num]);
    if (head >= vq->num)
        return vq_fail(vq, NULL, "avail ring head out of range");

    idx = head;
    for (;;) {
        struct vring_desc d;

        if (++steps > vq->num) {
            why = "descriptor chain loops or is too long";
            break;
        }
        read_desc(&vq->desc[idx], &d);
        if (d.flags & VRING_DESC_F_INDIRECT) {
            if (steps != 1 || (d.flags & VRING_DESC_F_NEXT)) {
                why = "indirect descriptor inside a chain";
                break;
            }
            why = walk_indirect(vq, &c, &d);
            break;
        }
        why = vq_add_range(&c, d.addr, d.len, d.flags & VRING_DESC_F_WRITE);
        if (why || !(d.flags & VRING_DESC_F_NEXT))
            break;
        if (d.next >= vq->num) {
            why = "next index out of range";
            break;
        }
        idx = d.next;
    }
    if (!why)
        why = vq_map_chain(vq, e, &c);
    if (why)
        return vq_fail(vq, e, why);

    e->head = head;
    e->ndesc = 1;
    e->epoch = vq->epoch;
    vq->last_avail++;
    vq->inflight++;
    if (vq->event_idx && !vq->notify_off) {
        /* avail_event: kick us when the driver passes this index. */
        vq_wr16(avail_event(vq), vq->last_avail);
    }
    return 1;
}

void vmsg_vq_discard(struct vmsg_vq *vq, struct vmsg_vq_elem *e)
{
    vq_release_iovs(vq, e);
}

void vmsg_vq_push(struct vmsg_vq *vq, struct vmsg_vq_elem *e, uint32_t len)
{
    volatile struct vring_used_elem *u;

    if (e->epoch != vq->epoch || !vq->ready || vq->broken) {
        vq_release_iovs(vq, e);
        return;
    }
    if (len > e->in_len)
        len = (uint32_t)e->in_len;
    vq_release_iovs(vq, e);
    if (vq->inflight)
        vq->inflight--;
    if (vq->packed) {
        vq_packed_push(vq, e, len);
        return;
    }
    u = &vq->used->ring[vq->used_idx % vq->num];
    u->id = htole32(e->head);
    u->len = htole32(len);
    vq->used_idx++;
    /* The entry must be visible before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vq_wr16(&vq->used->idx, vq->used_idx);
}

bool vmsg_vq_should_notify(struct vmsg_vq *vq)
{
    uint16_t old, event;
    bool need;

    if (!vq->ready || vq->broken)
        return false;
    if (vq->packed)
        return vq_packed_should_notify(vq);
    /* Our used->idx store must be ordered before reading the driver's flag. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!vq->event_idx)
        return !(vq_rd16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
    old = vq->signalled_used;
    event = vq_rd16(&vq->avail->ring[vq->num]);
    need = !vq->signalled_valid || vring_need_event(event, vq->used_idx, old);
    vq->signalled_used = vq->used_idx;
    vq->signalled_valid = true;
    return need;
}

uint16_t vmsg_vq_driver_pending(const struct vmsg_vq *vq)
{
    uint16_t n;

    if (!vq->ready || vq->broken || !vq->event_idx || vq->packed)
        return 0;                    /* packed: not worked out, unknown */
    n = vq->last_avail - vq_rd16(&vq->avail->ring[vq->num]);
    return n > vq->num ? 0 : n;      /* the driver's word: at most a ring */
}

static bool avail_pending(const struct vmsg_vq *vq)
{
    if (vq->packed)
        return vq_packed_avail_pending(vq);
    return vq_rd16(&vq->avail->idx) != vq->last_avail;
}

bool vmsg_vq_set_notification(struct vmsg_vq *vq, bool enable)
{
    if (!vq->ready || vq->broken)
        return false;
    vq->quieted = enable && vq->polled;
    if (vq->quieted)                 /* the owner's spin looks instead */
        return avail_pending(vq);
    vq->notify_off = !enable;
    if (vq->packed) {
        vq_packed_set_event(vq, enable);
    } else if (vq->event_idx) {
        if (enable)
            vq_wr16(avail_event(vq), vq->last_avail);
    } else {
        vq_wr16(&vq->used->flags, enable ? 0 : VRING_USED_F_NO_NOTIFY);
    }
    if (!enable)
        return false;
    /* Re-check after publishing, or a kick sent in between is lost. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return avail_pending(vq);
}

bool vmsg_vq_set_polled(struct vmsg_vq *vq, bool on)
{
    bool was = vq->quieted;

    vq->polled = on;
    if (on || !was)
        return false;
    vq->quieted = false;
    return vmsg_vq_set_notification(vq, true);
}

bool vmsg_vq_quiet_pending(const struct vmsg_vq *vq)
{
    return vq->quieted && vq->ready && !vq->broken && avail_pending(vq);
}
