/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the device-side virtqueue walker over hostile driver memory.
 * Input: byte 0 = log2 ring size (mod 9), byte 1 = flags (bit 0 EVENT_IDX,
 * bit 1 INDIRECT, bit 2 page-split mappings, bit 3 a bus that maps a
 * request's buffers in one call, bit 4 a packed ring, whose size is then
 * 1 + byte 0 + 256 * (bit 5), not a power of two), the rest is copied into
 * driver memory where the rings and buffers live.  Property: no crash, no
 * over-read, every mapping released.  Buffers may overlap the rings: the
 * harness scribbles over every buffer it is given, as a racing driver
 * would.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "virtio-msg/loop.h"
#include "virtio-msg/virtio.h"
#include "virtio-msg/virtq.h"

#define MEM 65536u

static void *fmap(void *ctx, uint64_t a, size_t *l, bool w)
{
    struct vmsg_bus *b = ctx;
    return b->ops->dma_map(b, a, l, w);
}

static void funmap(void *ctx, void *p, size_t l)
{
    struct vmsg_bus *b = ctx;
    b->ops->dma_unmap(b, p, l);
}

/* Batch mapping as Xen without persistent grants does it: all or nothing;
 * a range the bus would shorten is declined (mapped one by one instead). */
struct fbatch {
    unsigned n;
    void *p[VMSG_VQ_MAX_IOV];
    size_t len[VMSG_VQ_MAX_IOV];
};

static void funmap_batch(void *ctx, void *h)
{
    struct fbatch *b = h;
    unsigned i;

    for (i = 0; i < b->n; i++)
        funmap(ctx, b->p[i], b->len[i]);
    free(b);
}

static void *fmap_batch(void *ctx, const struct vmsg_dma_range *r, unsigned n, void **ptr)
{
    struct fbatch *b = calloc(1, sizeof(*b));
    unsigned i;

    if (!b)
        return NULL;
    for (i = 0; i < n; i++) {
        size_t got = (size_t)r[i].len;

        FUZZ_CHECK(r[i].len > 0 && r[i].addr + r[i].len > r[i].addr);
        ptr[i] = fmap(ctx, r[i].addr, &got, r[i].write);
        if (!ptr[i] || got != r[i].len) {
            if (ptr[i])
                funmap(ctx, ptr[i], got);
            funmap_batch(ctx, b);
            errno = ptr[i] ? EOPNOTSUPP : EFAULT;
            return NULL;
        }
        b->p[b->n] = ptr[i];
        b->len[b->n++] = got;
    }
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vmsg_vq_elem elem;
    struct vmsg_loop l;
    struct vmsg_vq vq;
    struct vmsg_vq_mem mem;
    uint64_t base, features = 0;
    uint16_t num;
    uint8_t *m;
    int i, r;

    if (size < 2)
        return 0;
    num = (uint16_t)(1u << (data[0] % 9));
    if (data[1] & 16) {
        features |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
        num = (uint16_t)(1u + data[0] + (data[1] & 32 ? 256u : 0));
    }
    if (data[1] & 1)
        features |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    if (data[1] & 2)
        features |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    if (vmsg_loop_init(&l, 276))
        return 0;
    l.split_pages = data[1] & 4;
    m = l.drv.ops->dma_alloc(&l.drv, MEM, &base);
    memcpy(m, data + 2, size - 2 < MEM ? size - 2 : MEM);
    mem = (struct vmsg_vq_mem){ .map = fmap, .unmap = funmap, .ctx = &l.dev };
    if (data[1] & 8) {
        mem.map_batch = fmap_batch;
        mem.unmap_batch = funmap_batch;
    }
    memset(&vq, 0, sizeof(vq));
    /* rings at the start of the region, buffers anywhere in it */
    if (vmsg_vq_setup(&vq, &mem, num, base, base + 16u * num,
                      (features & VIRTIO_BIT(VIRTIO_F_RING_PACKED))
                          ? base + 16u * num + 4
                          : base + ((16u * num + 6 + 2u * num + 3) & ~3u),
                      features) == 0) {
        for (i = 0; i <= num; i++) {
            /* notifications off and on as a model serving it does */
            vmsg_vq_set_notification(&vq, i % 2 == 0);
            r = vmsg_vq_pop(&vq, &elem);
            if (r <= 0)
                break;
            FUZZ_CHECK(elem.out_num + elem.in_num <= VMSG_VQ_MAX_IOV);
            /* touch every byte the walker handed us */
            for (unsigned k = 0; k < (unsigned)elem.out_num + elem.in_num; k++)
                memset(elem.iov[k].iov_base, 0xA5, elem.iov[k].iov_len);
            vmsg_vq_push(&vq, &elem, (uint32_t)elem.in_len);
            vmsg_vq_should_notify(&vq);
        }
    }
    vmsg_vq_reset(&vq);
    FUZZ_CHECK(l.maps == l.unmaps);
    vmsg_loop_destroy(&l);
    return 0;
}
