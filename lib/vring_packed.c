/* SPDX-License-Identifier: MIT */
/*
 * Driver-side packed ring (virtio 1.2 §2.8), behind the vmsg_vring_* calls
 * of vring_drv.c.  As there, the device is untrusted: buffer ids and chain
 * lengths live in private arrays, and a used descriptor is accepted only
 * for an id we handed out.  A request of n pieces takes n ring slots (or
 * one with an indirect table), all carrying its buffer id; the first
 * one's flags are written last, which makes the whole chain available.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "vring_int.h"

#define EVENT_AREA_OFF(num) (16u * (size_t)(num))

static uint16_t dev_word(const void *p)
{
    return le16toh(*(const volatile uint16_t *)p);
}

static uint16_t avail_flags(bool wrap)
{
    return wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
}

size_t vmsg_vring_packed_mem_size(uint16_t num)
{
    return EVENT_AREA_OFF(num) + 2 * sizeof(struct vring_packed_event);
}

int vmsg_vring_init_packed(struct vmsg_vring *vr, void *mem, uint64_t addr,
                           uint16_t num, bool event_idx)
{
    uint8_t *base = mem;
    int rc;

    memset(vr, 0, sizeof(*vr));
    if (num == 0 || num > 32768)
        return -EINVAL;
    if ((rc = vring_alloc_state(vr, num)))   /* the free list: of buffer ids */
        return rc;
    memset(mem, 0, vmsg_vring_packed_mem_size(num));
    vr->packed = true;
    vr->event_idx = event_idx;
    vr->pdesc = (struct vring_packed_desc *)base;
    vr->drv_event = (struct vring_packed_event *)(base + EVENT_AREA_OFF(num));
    vr->dev_event = vr->drv_event + 1;
    vr->desc_addr = addr;
    vr->avail_addr = addr + EVENT_AREA_OFF(num);
    vr->used_addr = vr->avail_addr + sizeof(struct vring_packed_event);
    vr->avail_wrap = vr->kicked_wrap = vr->used_wrap = true;
    if (event_idx) {                 /* "tell me when the first is used" */
        vr->drv_event->off_wrap = htole16(vring_packed_off_wrap(0, true));
        vr->drv_event->flags = htole16(VRING_PACKED_EVENT_F_DESC);
    }
    return 0;
}

/* Write @n descriptors from @sg (readable first) under a fresh buffer id. */
static int put_chain(struct vmsg_vring *vr, const struct vmsg_sg *sg, unsigned n,
                     unsigned out, uint16_t extra_flags, void *token)
{
    uint16_t id, idx = vr->avail_idx, first_flags = 0;
    bool wrap = vr->avail_wrap;
    unsigned i;

    if (vr->broken)
        return -EIO;
    if (n == 0 || !token)
        return -EINVAL;
    if (n > vr->num_free)
        return -ENOSPC;
    id = vr->free_head;
    vr->free_head = vr->next[id];
    for (i = 0; i < n; i++) {
        struct vring_packed_desc *d = &vr->pdesc[idx];
        uint16_t flags = avail_flags(wrap) | extra_flags;

        if (i >= out)
            flags |= VRING_DESC_F_WRITE;
        if (i + 1 < n)
            flags |= VRING_DESC_F_NEXT;
        d->addr = htole64(sg[i].addr);
        d->len = htole32(sg[i].len);
        d->id = htole16(id);
        if (i == 0)
            first_flags = flags;     /* written last: it publishes the chain */
        else
            d->flags = htole16(flags);
        vring_packed_advance(&idx, &wrap, 1, vr->num);
    }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vr->pdesc[vr->avail_idx].flags = htole16(first_flags);
    vr->avail_idx = idx;
    vr->avail_wrap = wrap;
    vr->num_free -= (uint16_t)n;
    vr->token[id] = token;
    vr->chain_len[id] = (uint16_t)n;
    return 0;
}

int vring_packed_add(struct vmsg_vring *vr, const struct vmsg_sg *sg,
                     unsigned out, unsigned in, void *token)
{
    return put_chain(vr, sg, out + in, out, 0, token);
}

int vring_packed_add_indirect(struct vmsg_vring *vr, const struct vmsg_sg *sg,
                              unsigned out, unsigned in, void *token,
                              void *table, uint64_t table_addr)
{
    struct vring_packed_desc *t = table;
    unsigned total = out + in, i;
    struct vmsg_sg one;

    if (total == 0 || total > 32768 || !table)
        return -EINVAL;
    for (i = 0; i < total; i++) {    /* in order; only WRITE counts here */
        t[i].addr = htole64(sg[i].addr);
        t[i].len = htole32(sg[i].len);
        t[i].id = 0;
        t[i].flags = htole16(i >= out ? VRING_DESC_F_WRITE : 0);
    }
    one.addr = table_addr;
    one.len = 16u * total;
    return put_chain(vr, &one, 1, 1, VRING_DESC_F_INDIRECT, token);
}

bool vring_packed_kick_prepare(struct vmsg_vring *vr)
{
    bool need, moved = vr->kicked_idx != vr->avail_idx || vr->kicked_wrap != vr->avail_wrap;
    uint16_t flags, ow;

    /* Our descriptors' flags before the device's suppression state. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    flags = dev_word(&vr->dev_event->flags);
    ow = dev_word(&vr->dev_event->off_wrap);
    if (vr->event_idx && flags == VRING_PACKED_EVENT_F_DESC) {
        need = vring_packed_need_event(ow, vr->num, vr->kicked_idx, vr->kicked_wrap,
                                       vr->avail_idx, vr->avail_wrap);
    } else {
        need = flags != VRING_PACKED_EVENT_F_DISABLE;
    }
    vr->kicked_idx = vr->avail_idx;
    vr->kicked_wrap = vr->avail_wrap;
    return need && moved;
}

static bool used_here(const struct vmsg_vring *vr)
{
    uint16_t f = dev_word(&vr->pdesc[vr->last_used].flags);

    return !!(f & VRING_PACKED_DESC_F_AVAIL) == vr->used_wrap &&
           !!(f & VRING_PACKED_DESC_F_USED) == vr->used_wrap;
}

void *vring_packed_get_used(struct vmsg_vring *vr, uint32_t *len)
{
    volatile struct vring_packed_desc *d;
    uint16_t id, n;
    void *token;

    if (vr->broken || !used_here(vr))
        return NULL;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    d = &vr->pdesc[vr->last_used];
    id = le16toh(d->id);
    *len = le32toh(d->len);
    if (id >= vr->num || !vr->token[id]) {
        vr->broken = true;
        return NULL;
    }
    token = vr->token[id];
    n = vr->chain_len[id];
    vr->token[id] = NULL;
    vr->chain_len[id] = 0;
    vr->next[id] = vr->free_head;
    vr->free_head = id;
    vr->num_free += n;
    vring_packed_advance(&vr->last_used, &vr->used_wrap, n, vr->num);
    if (vr->event_idx)               /* "tell me when the next is used" */
        vr->drv_event->off_wrap = htole16(vring_packed_off_wrap(vr->last_used, vr->used_wrap));
    return token;
}

void vring_packed_disable_cb(struct vmsg_vring *vr)
{
    if (!vr->event_idx)
        vr->drv_event->flags = htole16(VRING_PACKED_EVENT_F_DISABLE);
}

bool vring_packed_enable_cb(struct vmsg_vring *vr)
{
    if (vr->event_idx) {
        vr->drv_event->off_wrap = htole16(vring_packed_off_wrap(vr->last_used, vr->used_wrap));
        __atomic_thread_fence(__ATOMIC_RELEASE);
        vr->drv_event->flags = htole16(VRING_PACKED_EVENT_F_DESC);
    } else {
        vr->drv_event->flags = htole16(VRING_PACKED_EVENT_F_ENABLE);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return used_here(vr);
}
