/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue tests: the device-side walker against hostile rings, the
 * driver side against a hostile device, and the two together.  Memory is
 * loopback-bus DMA memory with mappings cut at every 4 KiB page, as a
 * grant-mapping bus does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "virtio-msg/virtio.h"

#define NUM 16

static struct vmsg_loop L;
static struct vmsg_vring R;
static struct vmsg_vq Q;
static struct vmsg_vq_elem *E;
static uint8_t *buf;       /* 64 KiB of driver memory for buffers */
static uint64_t buf_addr;

static uint64_t feats = VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                        VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);

static void setup_with(uint64_t f)
{
    struct vmsg_vq_mem mem;
    uint64_t ra;
    void *rm;

    ck_assert_int_eq(vmsg_loop_init(&L, 276), 0);
    L.split_pages = true;
    mem = vmsg_bus_vq_mem(&L.dev);
    rm = L.drv.ops->dma_alloc(&L.drv, vmsg_vring_mem_size(NUM), &ra);
    buf = L.drv.ops->dma_alloc(&L.drv, 65536, &buf_addr);
    ck_assert_ptr_nonnull(rm);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(vmsg_vring_init(&R, rm, ra, NUM,
                                     f & VIRTIO_BIT(VIRTIO_F_EVENT_IDX)), 0);
    memset(&Q, 0, sizeof(Q));
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, NUM, R.desc_addr, R.avail_addr,
                                   R.used_addr, f), 0);
    E = malloc(sizeof(*E));
}

static void setup(void)
{
    setup_with(feats);
}

static void teardown(void)
{
    vmsg_vq_reset(&Q);
    ck_assert_uint_eq(L.maps, L.unmaps);   /* every mapping released */
    vmsg_vring_destroy(&R);
    vmsg_loop_destroy(&L);
    free(E);
}

static int tok1 = 1, tok2 = 2;

static void add2(uint32_t olen, uint32_t ilen)
{
    struct vmsg_sg sg[2] = { { buf_addr, olen }, { buf_addr + 32768, ilen } };

    ck_assert_int_eq(vmsg_vring_add(&R, sg, 1, 1, &tok1), 0);
}

/* Publish a hand-written chain starting at @head. */
static void publish(uint16_t head)
{
    R.avail->ring[R.avail_idx % NUM] = htole16(head);
    R.avail_idx++;
    R.avail->idx = htole16(R.avail_idx);
}

static void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    R.desc[i].addr = htole64(addr);
    R.desc[i].len = htole32(len);
    R.desc[i].flags = htole16(flags);
    R.desc[i].next = htole16(next);
}

static void expect_broken(const char *why_part)
{
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), -EIO);
    ck_assert(Q.broken);
    ck_assert_msg(strstr(Q.why, why_part), "why: %s", Q.why);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), -EIO);      /* stays broken */
    ck_assert_uint_eq(E->out_num + E->in_num, 0);    /* nothing held */
}

START_TEST(pop_push_roundtrip)
{
    uint32_t len = 0;

    add2(100, 200);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_uint_eq(E->out_num, 1);
    ck_assert_uint_eq(E->in_num, 1);
    ck_assert_uint_eq(E->out_len, 100);
    ck_assert_uint_eq(E->in_len, 200);
    vmsg_vq_push(&Q, E, 0);
    ck_assert_ptr_eq(vmsg_vring_get_used(&R, &len), &tok1);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 0);          /* empty now */
    add2(10, 10);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 5);
    ck_assert_ptr_eq(vmsg_vring_get_used(&R, &len), &tok1);
    ck_assert_uint_eq(len, 5);
}
END_TEST

START_TEST(buffers_split_at_page_boundaries)
{
    struct vmsg_sg sg[1] = { { buf_addr + 100, 10000 } };

    ck_assert_int_eq(vmsg_vring_add(&R, sg, 1, 0, &tok1), 0);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_uint_eq(E->out_num, 3);      /* 3996 + 4096 + 1908 */
    ck_assert_uint_eq(E->out_len, 10000);
    ck_assert_uint_eq(E->iov[0].iov_len, 3996);
    vmsg_vq_push(&Q, E, 0);
}
END_TEST

START_TEST(push_clamps_length_to_writable_bytes)
{
    uint32_t len = 0;

    add2(10, 20);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 5000);
    ck_assert_ptr_eq(vmsg_vring_get_used(&R, &len), &tok1);
    ck_assert_uint_eq(len, 20);
}
END_TEST

START_TEST(hostile_descriptor_loop)
{
    set_desc(0, buf_addr, 8, VRING_DESC_F_NEXT, 1);
    set_desc(1, buf_addr, 8, VRING_DESC_F_NEXT, 0);
    publish(0);
    expect_broken("loops");
}
END_TEST

START_TEST(hostile_self_loop)
{
    set_desc(4, buf_addr, 8, VRING_DESC_F_NEXT, 4);
    publish(4);
    expect_broken("loops");
}
END_TEST

START_TEST(hostile_head_out_of_range)
{
    publish(NUM);
    expect_broken("head out of range");
}
END_TEST

START_TEST(hostile_next_out_of_range)
{
    set_desc(0, buf_addr, 8, VRING_DESC_F_NEXT, 999);
    publish(0);
    expect_broken("next index out of range");
}
END_TEST

START_TEST(hostile_avail_index_races_ahead)
{
    R.avail->idx = htole16(NUM + 1);
    expect_broken("more than the ring size");
}
END_TEST

START_TEST(hostile_zero_length)
{
    set_desc(0, buf_addr, 0, 0, 0);
    publish(0);
    expect_broken("zero-length");
}
END_TEST

START_TEST(hostile_readable_after_writable)
{
    set_desc(0, buf_addr, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
    set_desc(1, buf_addr, 8, 0, 0);
    publish(0);
    expect_broken("readable descriptor after a writable");
}
END_TEST

START_TEST(hostile_address_overflow)
{
    set_desc(0, UINT64_MAX - 4, 100, 0, 0);
    publish(0);
    expect_broken("overflows");
}
END_TEST

START_TEST(hostile_unmapped_address)
{
    set_desc(0, 0x1000, 8, 0, 0);
    publish(0);
    expect_broken("not mapped");
}
END_TEST

START_TEST(hostile_length_past_region)
{
    set_desc(0, buf_addr + 65000, 4096, 0, 0);   /* runs off the region */
    publish(0);
    expect_broken("not mapped");
}
END_TEST

/* Write an indirect table of @n entries at buf+off (LE). */
static void put_table(size_t off, const struct vring_desc *t, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        struct vring_desc d = { htole64(t[i].addr), htole32(t[i].len),
                                htole16(t[i].flags), htole16(t[i].next) };
        memcpy(buf + off + 16 * i, &d, 16);
    }
}

START_TEST(indirect_table_across_pages)
{
    struct vring_desc t[3] = {
        { buf_addr + 8192, 50, VRING_DESC_F_NEXT, 1 },
        { buf_addr + 9000, 60, VRING_DESC_F_NEXT, 2 },
        { buf_addr + 10000, 70, VRING_DESC_F_WRITE, 0 },
    };
    uint32_t len;

    put_table(4096 - 20, t, 3);              /* straddles a page boundary */
    set_desc(0, buf_addr + 4096 - 20, 48, VRING_DESC_F_INDIRECT, 0);
    publish(0);
    R.token[0] = &tok2;                       /* make head 0 outstanding */
    R.chain_len[0] = 1;
    R.num_free--;
    R.free_head = 1;
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_uint_eq(E->out_len, 110);
    ck_assert_uint_eq(E->in_len, 70);
    vmsg_vq_push(&Q, E, 70);
    ck_assert_ptr_eq(vmsg_vring_get_used(&R, &len), &tok2);
}
END_TEST

START_TEST(driver_indirect_roundtrip)
{
    struct vmsg_sg sg[4] = { { buf_addr + 100, 10 }, { buf_addr + 5000, 20 },
                             { buf_addr + 9000, 30 }, { buf_addr + 13000, 5000 } };
    uint32_t len;

    ck_assert_int_eq(vmsg_vring_add_indirect(&R, sg, 2, 2, &tok2, buf + 60000,
                                             buf_addr + 60000), 0);
    ck_assert_uint_eq(R.num_free, NUM - 1);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_uint_eq(E->out_len, 30);
    ck_assert_uint_eq(E->in_len, 5030);
    ck_assert_uint_eq(E->out_num, 2);
    vmsg_vq_push(&Q, E, 5030);
    ck_assert_ptr_eq(vmsg_vring_get_used(&R, &len), &tok2);
    ck_assert_uint_eq(len, 5030);
    ck_assert_uint_eq(R.num_free, NUM);
}
END_TEST

START_TEST(hostile_indirect_not_negotiated)
{
    teardown();
    setup_with(VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    set_desc(0, buf_addr, 16, VRING_DESC_F_INDIRECT, 0);
    publish(0);
    expect_broken("not negotiated");
}
END_TEST

START_TEST(hostile_indirect_with_next)
{
    set_desc(0, buf_addr, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
    publish(0);
    expect_broken("indirect");
}
END_TEST

START_TEST(hostile_indirect_bad_length)
{
    set_desc(0, buf_addr, 24, VRING_DESC_F_INDIRECT, 0);
    publish(0);
    expect_broken("bad indirect table length");
}
END_TEST

START_TEST(hostile_indirect_nested)
{
    struct vring_desc t[1] = { { buf_addr + 512, 16, VRING_DESC_F_INDIRECT, 0 } };

    put_table(0, t, 1);
    set_desc(0, buf_addr, 16, VRING_DESC_F_INDIRECT, 0);
    publish(0);
    expect_broken("nested indirect");
}
END_TEST

START_TEST(hostile_indirect_loop)
{
    struct vring_desc t[2] = {
        { buf_addr + 512, 8, VRING_DESC_F_NEXT, 1 },
        { buf_addr + 512, 8, VRING_DESC_F_NEXT, 0 },
    };

    put_table(0, t, 2);
    set_desc(0, buf_addr, 32, VRING_DESC_F_INDIRECT, 0);
    publish(0);
    expect_broken("indirect chain loops");
}
END_TEST

START_TEST(hostile_indirect_next_out_of_range)
{
    struct vring_desc t[2] = {
        { buf_addr + 512, 8, VRING_DESC_F_NEXT, 7 },
        { buf_addr + 512, 8, 0, 0 },
    };

    put_table(0, t, 2);
    set_desc(0, buf_addr, 32, VRING_DESC_F_INDIRECT, 0);
    publish(0);
    expect_broken("indirect next out of range");
}
END_TEST

START_TEST(hostile_too_many_pieces)
{
    /* 600 one-byte pieces through an indirect table of 600 entries. */
    struct vring_desc *t = calloc(600, sizeof(*t));
    unsigned i;

    for (i = 0; i < 600; i++)
        t[i] = (struct vring_desc){ buf_addr + 20000 + i, 1,
                                    i < 599 ? VRING_DESC_F_NEXT : 0,
                                    (uint16_t)(i + 1) };
    put_table(0, t, 600);
    free(t);
    set_desc(0, buf_addr, 600 * 16, VRING_DESC_F_INDIRECT, 0);
    publish(0);
    expect_broken("too many buffer pieces");
}
END_TEST

START_TEST(hostile_indirect_table_unmapped)
{
    set_desc(0, 0x5000, 32, VRING_DESC_F_INDIRECT, 0);
    publish(0);
    expect_broken("indirect table not mapped");
}
END_TEST

START_TEST(reset_recovers_and_stale_push_ignored)
{
    struct vmsg_vq_mem mem = Q.mem;
    uint32_t len;

    add2(8, 8);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_reset(&Q);                      /* e.g. RESET_VQUEUE */
    vmsg_vq_push(&Q, E, 8);                 /* stale: only released */
    ck_assert_ptr_null(vmsg_vring_get_used(&R, &len));
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, NUM, R.desc_addr, R.avail_addr,
                                   R.used_addr, feats), 0);
    ck_assert(!Q.broken);
}
END_TEST

/* A bus that maps a request's buffers in one call (Xen without persistent
 * grants); batch_refuse: 0 maps, else the errno it fails with. */
static int batch_calls, batch_unmaps, batch_refuse;

struct tbatch {
    unsigned n;
    void *p[8];
    size_t len[8];
};

static void *tmap_batch(void *ctx, const struct vmsg_dma_range *r, unsigned n, void **ptr)
{
    struct vmsg_bus *bus = ctx;
    struct tbatch *b;
    unsigned i;

    batch_calls++;
    if (batch_refuse) {
        errno = batch_refuse;
        return NULL;
    }
    ck_assert_uint_le(n, 8);
    b = calloc(1, sizeof(*b));
    for (i = 0; i < n; i++) {
        size_t got = (size_t)r[i].len;

        ptr[i] = b->p[i] = bus->ops->dma_map(bus, r[i].addr, &got, r[i].write);
        ck_assert_ptr_nonnull(ptr[i]);
        ck_assert_uint_eq(got, r[i].len);
        b->len[i] = got;
    }
    b->n = n;
    return b;
}

static void tunmap_batch(void *ctx, void *h)
{
    struct vmsg_bus *bus = ctx;
    struct tbatch *b = h;
    unsigned i;

    batch_unmaps++;
    for (i = 0; i < b->n; i++)
        bus->ops->dma_unmap(bus, b->p[i], b->len[i]);
    free(b);
}

static void use_batch(int refuse, bool split)
{
    batch_calls = batch_unmaps = 0;
    batch_refuse = refuse;
    L.split_pages = split;
    Q.mem.map_batch = tmap_batch;
    Q.mem.unmap_batch = tunmap_batch;
}

START_TEST(batch_maps_a_request_in_one_call)
{
    uint32_t len = 0;

    use_batch(0, false);
    add2(100, 10000);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_int_eq(batch_calls, 1);
    ck_assert_ptr_nonnull(E->batch);
    ck_assert_uint_eq(E->out_num, 1);
    ck_assert_uint_eq(E->in_num, 1);
    ck_assert_ptr_eq(E->iov[0].iov_base, buf);
    ck_assert_uint_eq(E->iov[1].iov_len, 10000);
    ck_assert_uint_eq(E->in_len, 10000);
    vmsg_vq_push(&Q, E, 7);
    ck_assert_int_eq(batch_unmaps, 1);
    ck_assert_ptr_eq(vmsg_vring_get_used(&R, &len), &tok1);
    ck_assert_uint_eq(len, 7);
    add2(8, 8);                               /* released by discard too */
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_discard(&Q, E);
    ck_assert_int_eq(batch_unmaps, 2);
    ck_assert_ptr_null(E->batch);
}
END_TEST

START_TEST(batch_declined_maps_one_by_one)
{
    use_batch(EOPNOTSUPP, true);
    add2(100, 10000);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_int_eq(batch_calls, 1);
    ck_assert_ptr_null(E->batch);
    ck_assert_uint_eq(E->out_num, 1);
    ck_assert_uint_eq(E->in_num, 3);          /* split at pages: 4096 x 2 + 1808 */
    ck_assert_uint_eq(E->in_len, 10000);
    vmsg_vq_push(&Q, E, 0);
    ck_assert_int_eq(batch_unmaps, 0);
}
END_TEST

START_TEST(hostile_batch_refused)
{
    use_batch(EFAULT, false);
    add2(100, 200);
    expect_broken("not mapped");
    ck_assert_int_eq(batch_calls, 1);
    ck_assert_int_eq(batch_unmaps, 0);
}
END_TEST

START_TEST(hostile_chain_checked_before_batch)
{
    use_batch(0, false);
    set_desc(0, buf_addr, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
    set_desc(1, buf_addr, 8, 0, 0);           /* readable after writable */
    publish(0);
    expect_broken("readable descriptor after a writable one");
    ck_assert_int_eq(batch_calls, 0);          /* nothing mapped at all */
}
END_TEST

START_TEST(setup_rejects_bad_rings)
{
    struct vmsg_vq_mem mem = Q.mem;

    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, 24, R.desc_addr, R.avail_addr,
                                   R.used_addr, 0), -EINVAL);
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, NUM, R.desc_addr + 8, R.avail_addr,
                                   R.used_addr, 0), -EINVAL);
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, NUM, 0x2000, R.avail_addr,
                                   R.used_addr, 0), -EFAULT);
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, 4096, R.desc_addr, R.avail_addr,
                                   R.used_addr, 0), -EFAULT);   /* past region */
}
END_TEST

START_TEST(event_idx_notification_suppression)
{
    int i;

    /* The driver asks for an event only after 3 more used entries. */
    for (i = 0; i < 4; i++)
        add2(4, 4);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 1);
    ck_assert(vmsg_vq_should_notify(&Q));    /* first one always */
    R.avail->ring[NUM] = htole16(3);         /* used_event = 3 */
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 1);
    ck_assert(!vmsg_vq_should_notify(&Q));   /* used idx 2 */
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 1);
    ck_assert(!vmsg_vq_should_notify(&Q));   /* 3 */
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 1);
    ck_assert(vmsg_vq_should_notify(&Q));    /* 4 passes used_event 3 */
    /* avail_event follows what we consumed. */
    ck_assert_uint_eq(le16toh(*(uint16_t *)((uint8_t *)R.used + 4 + 8 * NUM)), 4);
}
END_TEST

/* With EVENT_IDX, a device serving with notifications off leaves
 * avail_event alone: the driver that keeps adding requests notifies once
 * (crossing the old avail_event), then not again until the device turns
 * them back on and avail_event catches up.  (Moving it at every pop made
 * the driver send an EVENT_AVAIL per request to a device that would not
 * read them before its queue ran dry: the message ring filled, and the
 * driver waited 1 ms for room every ~255 requests.) */
START_TEST(event_idx_no_avail_event_while_off)
{
    uint16_t *avail_event = (uint16_t *)((uint8_t *)R.used + 4 + 8 * NUM);
    int i;

    add2(4, 4);
    ck_assert(vmsg_vring_kick_prepare(&R));  /* avail_event 0: notify */
    vmsg_vq_set_notification(&Q, false);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
        vmsg_vq_push(&Q, E, 1);
        ck_assert_uint_eq(le16toh(*avail_event), 0);
        add2(4, 4);
        ck_assert(!vmsg_vring_kick_prepare(&R));   /* no EVENT_AVAIL */
        ck_assert(vmsg_vring_get_used(&R, &(uint32_t){ 0 }));
    }
    ck_assert(vmsg_vq_set_notification(&Q, true));   /* one left to take */
    ck_assert_uint_eq(le16toh(*avail_event), 3);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_uint_eq(le16toh(*avail_event), 4);     /* on: pops move it */
    vmsg_vq_push(&Q, E, 1);
    add2(4, 4);
    ck_assert(vmsg_vring_kick_prepare(&R));          /* passes 4: notify */
}
END_TEST

/* A polled queue (the owner spins on avail->idx, vhost's busy-poll): the
 * model asking for notifications back after draining leaves them off and
 * marks the queue quieted, so a driver that keeps adding sends no
 * EVENT_AVAIL at all; vmsg_vq_quiet_pending() sees its requests; when the
 * owner stops polling the queue gets notifications back, and requests
 * that came meanwhile are reported. */
START_TEST(polled_queue_stays_quiet)
{
    uint16_t *avail_event = (uint16_t *)((uint8_t *)R.used + 4 + 8 * NUM);
    int i;

    ck_assert(!vmsg_vq_set_polled(&Q, true));
    add2(4, 4);
    ck_assert(vmsg_vring_kick_prepare(&R));  /* avail_event 0: notify */
    for (i = 0; i < 3; i++) {
        vmsg_vq_set_notification(&Q, false);
        ck_assert(!vmsg_vq_quiet_pending(&Q));   /* the model serves it */
        ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
        vmsg_vq_push(&Q, E, 1);
        ck_assert(!vmsg_vq_set_notification(&Q, true));   /* drained */
        ck_assert(Q.quieted && Q.notify_off);
        ck_assert_uint_eq(le16toh(*avail_event), 0);      /* left behind */
        ck_assert(!vmsg_vq_quiet_pending(&Q));
        add2(4, 4);
        ck_assert(!vmsg_vring_kick_prepare(&R));          /* no EVENT_AVAIL */
        ck_assert(vmsg_vq_quiet_pending(&Q));             /* the spin sees it */
        ck_assert(vmsg_vring_get_used(&R, &(uint32_t){ 0 }));
    }
    /* The owner goes to sleep with one request waiting: notifications
     * back on, avail_event caught up, and the request reported. */
    ck_assert(vmsg_vq_set_polled(&Q, false));
    ck_assert(!Q.quieted && !Q.notify_off);
    ck_assert_uint_eq(le16toh(*avail_event), 3);
    ck_assert(!vmsg_vq_quiet_pending(&Q));
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 1);
    ck_assert(!vmsg_vq_set_polled(&Q, false));   /* not quieted: nothing */
    add2(4, 4);
    ck_assert(vmsg_vring_kick_prepare(&R));      /* asleep: notified */
}
END_TEST

/* The same without EVENT_IDX: NO_NOTIFY stays set while quieted. */
START_TEST(polled_queue_no_event_idx)
{
    teardown();
    setup_with(0);
    vmsg_vq_set_polled(&Q, true);
    vmsg_vq_set_notification(&Q, false);
    ck_assert(!vmsg_vq_set_notification(&Q, true));
    add2(4, 4);
    ck_assert(!vmsg_vring_kick_prepare(&R));
    ck_assert(vmsg_vq_quiet_pending(&Q));
    ck_assert(vmsg_vq_set_polled(&Q, false));
    add2(4, 4);
    ck_assert(vmsg_vring_kick_prepare(&R));
    /* A queue that is not ready is never pending, and forgets the mark. */
    vmsg_vq_set_polled(&Q, true);
    vmsg_vq_set_notification(&Q, true);
    ck_assert(Q.quieted);
    Q.broken = true;
    ck_assert(!vmsg_vq_quiet_pending(&Q));
    ck_assert(!vmsg_vq_set_polled(&Q, false));
    ck_assert(!Q.quieted);
}
END_TEST

/* The driver's depth as its used_event says: what we took minus what it
 * has looked at; a used_event ahead of what we took (Linux writes 0 while
 * it runs its callbacks) or no EVENT_IDX is unknown, 0. */
START_TEST(driver_pending_from_used_event)
{
    int i;

    for (i = 0; i < 3; i++)
        add2(4, 4);
    ck_assert_uint_eq(vmsg_vq_driver_pending(&Q), 0);
    for (i = 0; i < 3; i++) {                /* answered, not looked at */
        ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
        vmsg_vq_push(&Q, E, 1);
    }
    ck_assert_uint_eq(vmsg_vq_driver_pending(&Q), 3);   /* used_event 0 */
    R.avail->ring[NUM] = htole16(2);
    ck_assert_uint_eq(vmsg_vq_driver_pending(&Q), 1);
    R.avail->ring[NUM] = htole16(9);                    /* ahead: hostile */
    ck_assert_uint_eq(vmsg_vq_driver_pending(&Q), 0);
    R.avail->ring[NUM] = htole16(0x8000);
    ck_assert_uint_eq(vmsg_vq_driver_pending(&Q), 0);
    teardown();
    setup_with(0);
    add2(4, 4);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_uint_eq(vmsg_vq_driver_pending(&Q), 0);  /* no EVENT_IDX */
    vmsg_vq_push(&Q, E, 1);
}
END_TEST

START_TEST(no_event_idx_flags)
{
    teardown();
    setup_with(0);
    add2(4, 4);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 1);
    vmsg_vring_disable_cb(&R);
    ck_assert(!vmsg_vq_should_notify(&Q));
    ck_assert(vmsg_vring_enable_cb(&R));     /* one used entry pending */
    ck_assert(vmsg_vq_should_notify(&Q));
    vmsg_vq_set_notification(&Q, false);
    add2(4, 4);
    ck_assert(!vmsg_vring_kick_prepare(&R));
    ck_assert(vmsg_vq_set_notification(&Q, true));   /* work is pending */
}
END_TEST

START_TEST(driver_rejects_hostile_used_entries)
{
    uint32_t len;

    add2(4, 4);
    R.used->ring[0].id = htole32(NUM + 3);   /* out of range */
    R.used->idx = htole16(1);
    ck_assert_ptr_null(vmsg_vring_get_used(&R, &len));
    ck_assert(R.broken);
    ck_assert_int_eq(vmsg_vring_add(&R, (struct vmsg_sg[]){ { buf_addr, 1 } }, 1, 0,
                                    &tok2), -EIO);
}
END_TEST

START_TEST(driver_rejects_used_id_not_outstanding)
{
    uint32_t len;

    add2(4, 4);                               /* head 0 outstanding */
    R.used->ring[0].id = htole32(5);
    R.used->idx = htole16(1);
    ck_assert_ptr_null(vmsg_vring_get_used(&R, &len));
    ck_assert(R.broken);
}
END_TEST

START_TEST(driver_rejects_used_index_jump)
{
    uint32_t len;

    add2(4, 4);
    R.used->idx = htole16(NUM + 5);
    ck_assert_ptr_null(vmsg_vring_get_used(&R, &len));
    ck_assert(R.broken);
}
END_TEST

START_TEST(driver_free_list_reuse_and_enospc)
{
    struct vmsg_sg sg[3] = { { buf_addr, 1 }, { buf_addr + 8, 1 }, { buf_addr + 16, 1 } };
    int toks[8], n = 0, round;
    uint32_t len;

    for (round = 0; round < 20; round++) {
        n = 0;
        while (vmsg_vring_add(&R, sg, 2, 1, &toks[n % 8]) == 0)
            n++;
        ck_assert_int_eq(n, NUM / 3);
        ck_assert_int_eq(vmsg_vring_add(&R, sg, 2, 1, &toks[0]), -ENOSPC);
        while (n--) {
            ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
            ck_assert_uint_eq(E->out_num + E->in_num, 3);
            vmsg_vq_push(&Q, E, 1);
            ck_assert_ptr_nonnull(vmsg_vring_get_used(&R, &len));
        }
        ck_assert_uint_eq(R.num_free, NUM);
    }
}
END_TEST

static Suite *virtq_suite(void)
{
    Suite *s = suite_create("virtq");
    TCase *tc = tcase_create("split");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pop_push_roundtrip);
    tcase_add_test(tc, buffers_split_at_page_boundaries);
    tcase_add_test(tc, push_clamps_length_to_writable_bytes);
    tcase_add_test(tc, hostile_descriptor_loop);
    tcase_add_test(tc, hostile_self_loop);
    tcase_add_test(tc, hostile_head_out_of_range);
    tcase_add_test(tc, hostile_next_out_of_range);
    tcase_add_test(tc, hostile_avail_index_races_ahead);
    tcase_add_test(tc, hostile_zero_length);
    tcase_add_test(tc, hostile_readable_after_writable);
    tcase_add_test(tc, hostile_address_overflow);
    tcase_add_test(tc, hostile_unmapped_address);
    tcase_add_test(tc, hostile_length_past_region);
    tcase_add_test(tc, indirect_table_across_pages);
    tcase_add_test(tc, driver_indirect_roundtrip);
    tcase_add_test(tc, hostile_indirect_not_negotiated);
    tcase_add_test(tc, hostile_indirect_with_next);
    tcase_add_test(tc, hostile_indirect_bad_length);
    tcase_add_test(tc, hostile_indirect_nested);
    tcase_add_test(tc, hostile_indirect_loop);
    tcase_add_test(tc, hostile_indirect_next_out_of_range);
    tcase_add_test(tc, hostile_too_many_pieces);
    tcase_add_test(tc, hostile_indirect_table_unmapped);
    tcase_add_test(tc, reset_recovers_and_stale_push_ignored);
    tcase_add_test(tc, batch_maps_a_request_in_one_call);
    tcase_add_test(tc, batch_declined_maps_one_by_one);
    tcase_add_test(tc, hostile_batch_refused);
    tcase_add_test(tc, hostile_chain_checked_before_batch);
    tcase_add_test(tc, setup_rejects_bad_rings);
    tcase_add_test(tc, event_idx_notification_suppression);
    tcase_add_test(tc, event_idx_no_avail_event_while_off);
    tcase_add_test(tc, no_event_idx_flags);
    tcase_add_test(tc, polled_queue_stays_quiet);
    tcase_add_test(tc, polled_queue_no_event_idx);
    tcase_add_test(tc, driver_pending_from_used_event);
    tcase_add_test(tc, driver_rejects_hostile_used_entries);
    tcase_add_test(tc, driver_rejects_used_id_not_outstanding);
    tcase_add_test(tc, driver_rejects_used_index_jump);
    tcase_add_test(tc, driver_free_list_reuse_and_enospc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(virtq_suite());
}
