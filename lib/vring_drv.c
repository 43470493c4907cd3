/* SPDX-License-Identifier: MIT */
/*
 * Driver-side split ring (packed: vring_packed.c, behind the same calls).
 * The device is untrusted too: free-list links and chain lengths live in
 * private arrays, and used entries are accepted only for heads we handed
 * out.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vring_int.h"

#define USED_ALIGN 64u

/* A device-written 16-bit ring word, read once. */
static inline uint16_t dev_word(const void *p)
{
    return le16toh(*(const volatile uint16_t *)p);
}

static size_t used_offset(uint16_t num)
{
    size_t off = (size_t)vring_desc_size(num) + (size_t)vring_avail_size(num);

    return (off + USED_ALIGN - 1) & ~(size_t)(USED_ALIGN - 1);
}

size_t vmsg_vring_mem_size(uint16_t num)
{
    return used_offset(num) + (size_t)vring_used_size(num);
}

int vring_alloc_state(struct vmsg_vring *vr, uint16_t num)
{
    uint16_t i;

    vr->token = calloc(num, sizeof(*vr->token));
    vr->chain_len = calloc(num, sizeof(*vr->chain_len));
    vr->next = calloc(num, sizeof(*vr->next));
    if (!vr->token || !vr->chain_len || !vr->next) {
        vmsg_vring_destroy(vr);
        return -ENOMEM;
    }
    for (i = 0; i < num; i++)
        vr->next[i] = (uint16_t)(i + 1);
    vr->free_head = 0;
    vr->num_free = num;
    vr->num = num;
    return 0;
}

int vmsg_vring_init(struct vmsg_vring *vr, void *mem, uint64_t addr,
                    uint16_t num, bool event_idx)
{
    uint8_t *base = mem;
    int rc;

    memset(vr, 0, sizeof(*vr));
    if (num == 0 || (num & (num - 1)))
        return -EINVAL;
    if ((rc = vring_alloc_state(vr, num)))
        return rc;
    memset(mem, 0, vmsg_vring_mem_size(num));
    vr->event_idx = event_idx;
    vr->desc = (struct vring_desc *)base;
    vr->avail = (struct vring_avail *)(base + vring_desc_size(num));
    vr->used = (struct vring_used *)(base + used_offset(num));
    vr->desc_addr = addr;
    vr->avail_addr = addr + vring_desc_size(num);
    vr->used_addr = addr + used_offset(num);
    return 0;
}

void vmsg_vring_destroy(struct vmsg_vring *vr)
{
    free(vr->token);
    free(vr->chain_len);
    free(vr->next);
    memset(vr, 0, sizeof(*vr));
}

int vmsg_vring_add(struct vmsg_vring *vr, const struct vmsg_sg *sg,
                   unsigned out, unsigned in, void *token)
{
    unsigned total = out + in, i;
    uint16_t head, idx;

    if (vr->packed)
        return vring_packed_add(vr, sg, out, in, token);
    if (vr->broken)
        return -EIO;
    if (total == 0 || !token)
        return -EINVAL;
    if (total > vr->num_free)
        return -ENOSPC;

    head = idx = vr->free_head;
    for (i = 0; i < total; i++) {
        struct vring_desc *d = &vr->desc[idx];
        uint16_t flags = i >= out ? VRING_DESC_F_WRITE : 0;

        if (i + 1 < total)
            flags |= VRING_DESC_F_NEXT;
        d->addr = htole64(sg[i].addr);
        d->len = htole32(sg[i].len);
        d->flags = htole16(flags);
        d->next = htole16(vr->next[idx]);
        idx = vr->next[idx];
    }
    vr->free_head = idx;
    vr->num_free -= (uint16_t)total;
    vr->token[head] = token;
    vr->chain_len[head] = (uint16_t)total;

    vr->avail->ring[vr->avail_idx % vr->num] = htole16(head);
    vr->avail_idx++;
    /* Descriptors and ring entry before the index that publishes them. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vr->avail->idx = htole16(vr->avail_idx);
    return 0;
}

int vmsg_vring_add_indirect(struct vmsg_vring *vr, const struct vmsg_sg *sg,
                            unsigned out, unsigned in, void *token,
                            void *table, uint64_t table_addr)
{
    struct vring_desc *t = table;
    unsigned total = out + in, i;
    struct vmsg_sg one;

    if (vr->packed)
        return vring_packed_add_indirect(vr, sg, out, in, token, table, table_addr);
    if (total == 0 || total > 32768 || !table)
        return -EINVAL;
    for (i = 0; i < total; i++) {
        uint16_t flags = i >= out ? VRING_DESC_F_WRITE : 0;

        if (i + 1 < total)
            flags |= VRING_DESC_F_NEXT;
        t[i].addr = htole64(sg[i].addr);
        t[i].len = htole32(sg[i].len);
        t[i].flags = htole16(flags);
        t[i].next = htole16((uint16_t)(i + 1));
    }
    one.addr = table_addr;
    one.len = 16u * total;
    /* One readable descriptor pointing at the table, flagged INDIRECT. */
    if (vr->broken)
        return -EIO;
    if (vr->num_free < 1)
        return -ENOSPC;
    {
        uint16_t head = vr->free_head;
        struct vring_desc *d = &vr->desc[head];

        d->addr = htole64(one.addr);
        d->len = htole32(one.len);
        d->flags = htole16(VRING_DESC_F_INDIRECT);
        d->next = htole16(vr->next[head]);
        vr->free_head = vr->next[head];
        vr->num_free--;
        vr->token[head] = token;
        vr->chain_len[head] = 1;
        vr->avail->ring[vr->avail_idx % vr->num] = htole16(head);
        vr->avail_idx++;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        vr->avail->idx = htole16(vr->avail_idx);
    }
    return 0;
}

bool vmsg_vring_kick_prepare(struct vmsg_vring *vr)
{
    uint16_t old = vr->kicked_idx, now = vr->avail_idx;
    bool need;

    if (vr->packed)
        return vring_packed_kick_prepare(vr);
    /* avail->idx store before reading the device's suppression state. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (vr->event_idx) {
        uint16_t event = dev_word(&vr->used->ring[vr->num]);
        need = vring_need_event(event, now, old);
    } else {
        need = !(dev_word(&vr->used->flags) &
                 VRING_USED_F_NO_NOTIFY);
    }
    vr->kicked_idx = now;
    return need && old != now;
}

static void free_chain(struct vmsg_vring *vr, uint16_t head)
{
    uint16_t idx = head, n = vr->chain_len[head], i;

    for (i = 1; i < n; i++)
        idx = vr->next[idx];
    /* idx is the chain's last descriptor: splice the chain onto the list. */
    vr->next[idx] = vr->free_head;
    vr->free_head = head;
    vr->num_free += n;
    vr->token[head] = NULL;
    vr->chain_len[head] = 0;
}

void *vmsg_vring_get_used(struct vmsg_vring *vr, uint32_t *len)
{
    volatile struct vring_used_elem *u;
    uint16_t used_idx;
    uint32_t id;
    void *token;

    if (vr->packed)
        return vring_packed_get_used(vr, len);
    if (vr->broken)
        return NULL;
    used_idx = dev_word(&vr->used->idx);
    if (used_idx == vr->last_used)
        return NULL;
    if ((uint16_t)(used_idx - vr->last_used) > vr->num) {
        vr->broken = true;
        return NULL;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    u = &vr->used->ring[vr->last_used % vr->num];
    id = le32toh(u->id);
    *len = le32toh(u->len);
    if (id >= vr->num || !vr->token[id]) {
        vr->broken = true;
        return NULL;
    }
    token = vr->token[id];
    free_chain(vr, (uint16_t)id);
    vr->last_used++;
    if (vr->event_idx)
        vr->avail->ring[vr->num] = htole16(vr->last_used);  /* used_event */
    return token;
}

void vmsg_vring_disable_cb(struct vmsg_vring *vr)
{
    if (vr->packed) {
        vring_packed_disable_cb(vr);
        return;
    }
    if (!vr->event_idx)
        vr->avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
}

bool vmsg_vring_enable_cb(struct vmsg_vring *vr)
{
    if (vr->packed)
        return vring_packed_enable_cb(vr);
    if (vr->event_idx)
        vr->avail->ring[vr->num] = htole16(vr->last_used);
    else
        vr->avail->flags = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return dev_word(&vr->used->idx) != vr->last_used;
}
