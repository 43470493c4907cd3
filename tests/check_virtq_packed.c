/* SPDX-License-Identifier: MIT */
/*
 * Packed virtqueue tests: the device-side walker against hostile rings,
 * the driver side against a hostile device, the two together (answers out
 * of order, wrapping, odd ring sizes), event suppression both ways.
 * Memory is loopback-bus DMA memory with mappings cut at every 4 KiB page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "virtio-msg/virtio.h"

#define NUM 12                       /* not a power of two: packed allows it */

static struct vmsg_loop L;
static struct vmsg_vring R;
static struct vmsg_vq Q;
static struct vmsg_vq_elem *E, *E2;
static uint8_t *buf;                 /* 64 KiB of driver memory for buffers */
static uint64_t buf_addr;

#define PACKED VIRTIO_BIT(VIRTIO_F_RING_PACKED)
static uint64_t feats = PACKED | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                        VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);

static void setup_with(uint64_t f, uint16_t num)
{
    struct vmsg_vq_mem mem;
    uint64_t ra;
    void *rm;

    ck_assert_int_eq(vmsg_loop_init(&L, 276), 0);
    L.split_pages = true;
    mem = vmsg_bus_vq_mem(&L.dev);
    rm = L.drv.ops->dma_alloc(&L.drv, vmsg_vring_packed_mem_size(num), &ra);
    buf = L.drv.ops->dma_alloc(&L.drv, 65536, &buf_addr);
    ck_assert_ptr_nonnull(rm);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(vmsg_vring_init_packed(&R, rm, ra, num,
                                            f & VIRTIO_BIT(VIRTIO_F_EVENT_IDX)), 0);
    memset(&Q, 0, sizeof(Q));
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, num, R.desc_addr, R.avail_addr,
                                   R.used_addr, f), 0);
    ck_assert(Q.packed);
    E = malloc(sizeof(*E));
    E2 = malloc(sizeof(*E2));
}

static void setup(void)
{
    setup_with(feats, NUM);
}

static void teardown(void)
{
    vmsg_vq_reset(&Q);
    ck_assert_uint_eq(L.maps, L.unmaps);   /* every mapping released */
    vmsg_vring_destroy(&R);
    vmsg_loop_destroy(&L);
    free(E);
    free(E2);
}

static int toks[64];

static void add(unsigned out, unsigned in, int tok)
{
    struct vmsg_sg sg[8];
    unsigned i;

    for (i = 0; i < out + in; i++)
        sg[i] = (struct vmsg_sg){ buf_addr + 4096u * i, 100u + i };
    ck_assert_int_eq(vmsg_vring_add(&R, sg, out, in, &toks[tok]), 0);
}

/* Write a descriptor at ring slot @i as the driver would (flags last). */
static void put(uint16_t i, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
    R.pdesc[i].addr = htole64(addr);
    R.pdesc[i].len = htole32(len);
    R.pdesc[i].id = htole16(id);
    R.pdesc[i].flags = htole16(flags);
}

#define AV VRING_PACKED_DESC_F_AVAIL /* available in the first lap */

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

    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 0);         /* empty */
    add(1, 2, 1);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_uint_eq(E->out_num, 1);
    ck_assert_uint_eq(E->in_num, 2);
    ck_assert_uint_eq(E->out_len, 100);
    ck_assert_uint_eq(E->in_len, 101 + 102);
    ck_assert_uint_eq(E->ndesc, 3);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E2), 0);
    ck_assert_ptr_null(vmsg_vring_get_used(&R, &len));   /* not yet */
    vmsg_vq_push(&Q, E, 50);
    ck_assert_ptr_eq(vmsg_vring_get_used(&R, &len), &toks[1]);
    ck_assert_uint_eq(len, 50);
    ck_assert_uint_eq(R.num_free, NUM);
    ck_assert_ptr_null(vmsg_vring_get_used(&R, &len));
}
END_TEST

/* Answers out of order, over many laps of a ring whose size is not a
 * power of two, chains of 1-4 descriptors wrapping across the end. */
START_TEST(out_of_order_answers_across_laps)
{
    unsigned round, k, done = 0;
    uint32_t len;

    for (round = 0; round < 200; round++) {
        unsigned a = 1 + round % 3, b = 1 + (round + 1) % 2;

        add(1, a - 1 + 1, (int)(round % 32));        /* a+1 descriptors */
        add(b, 0, (int)((round + 7) % 32));          /* b descriptors */
        ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
        ck_assert_int_eq(vmsg_vq_pop(&Q, E2), 1);
        ck_assert_uint_eq(E->ndesc, a + 1);
        ck_assert_uint_eq(E2->ndesc, b);
        vmsg_vq_push(&Q, E2, 0);                     /* the second first */
        vmsg_vq_push(&Q, E, 7);
        for (k = 0; k < 2; k++) {
            void *t = vmsg_vring_get_used(&R, &len);

            ck_assert_ptr_nonnull(t);
            ck_assert_ptr_eq(t, k == 0 ? &toks[(round + 7) % 32] : &toks[round % 32]);
            done++;
        }
        ck_assert_uint_eq(R.num_free, NUM);
    }
    ck_assert_uint_eq(done, 400);
    ck_assert(!Q.broken && !R.broken);
}
END_TEST

START_TEST(indirect_roundtrip)
{
    uint64_t ta;
    void *table = L.drv.ops->dma_alloc(&L.drv, 4096, &ta);
    struct vmsg_sg sg[3] = { { buf_addr, 16 }, { buf_addr + 4096, 4096 }, { buf_addr + 8192, 1 } };
    uint32_t len;

    ck_assert_int_eq(vmsg_vring_add_indirect(&R, sg, 1, 2, &toks[3], table, ta), 0);
    ck_assert_uint_eq(R.num_free, NUM - 1);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_uint_eq(E->out_num, 1);
    ck_assert_uint_eq(E->in_num, 2);
    ck_assert_uint_eq(E->ndesc, 1);
    vmsg_vq_push(&Q, E, 4097);
    ck_assert_ptr_eq(vmsg_vring_get_used(&R, &len), &toks[3]);
    ck_assert_uint_eq(len, 4097);
}
END_TEST

START_TEST(hostile_chain_longer_than_ring)
{
    uint16_t i;

    for (i = 0; i < NUM; i++)        /* every slot says NEXT: no end */
        put(i, buf_addr, 8, 0, AV | VRING_DESC_F_NEXT);
    expect_broken("longer than the ring");
}
END_TEST

START_TEST(hostile_zero_length)
{
    put(0, buf_addr, 0, 0, AV);
    expect_broken("zero-length");
}
END_TEST

START_TEST(hostile_readable_after_writable)
{
    put(1, buf_addr, 8, 0, AV);
    put(0, buf_addr, 8, 0, AV | VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
    expect_broken("readable descriptor after a writable");
}
END_TEST

START_TEST(hostile_unmapped_address)
{
    put(0, 0x7000000000ull, 8, 0, AV);
    expect_broken("not mapped");
}
END_TEST

START_TEST(hostile_indirect_inside_chain)
{
    put(1, buf_addr, 32, 0, AV | VRING_DESC_F_INDIRECT);
    put(0, buf_addr, 8, 0, AV | VRING_DESC_F_NEXT);
    expect_broken("indirect descriptor inside a chain");
}
END_TEST

START_TEST(hostile_indirect_bad_length)
{
    put(0, buf_addr, 24, 0, AV | VRING_DESC_F_INDIRECT);
    expect_broken("bad indirect table length");
}
END_TEST

START_TEST(hostile_indirect_not_negotiated)
{
    teardown();
    setup_with(PACKED, NUM);             /* without EVENT_IDX and INDIRECT */
    put(0, buf_addr, 32, 0, AV | VRING_DESC_F_INDIRECT);
    expect_broken("not negotiated");
}
END_TEST

/* A descriptor the driver marked used itself, or with both bits of the
 * wrong lap, is not available: nothing is taken. */
START_TEST(not_available_descriptors_ignored)
{
    put(0, buf_addr, 8, 0, VRING_PACKED_DESC_F_USED);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 0);
    put(0, buf_addr, 8, 0, AV | VRING_PACKED_DESC_F_USED);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 0);
    ck_assert(!Q.broken);
}
END_TEST

START_TEST(driver_rejects_hostile_used)
{
    uint32_t len;

    add(1, 0, 1);
    /* A used descriptor naming an id not outstanding. */
    R.pdesc[0].id = htole16(5);
    R.pdesc[0].flags = htole16(AV | VRING_PACKED_DESC_F_USED);
    ck_assert_ptr_null(vmsg_vring_get_used(&R, &len));
    ck_assert(R.broken);
    ck_assert_int_eq(vmsg_vring_add(&R, &(struct vmsg_sg){ buf_addr, 1 }, 1, 0, &toks[2]), -EIO);
}
END_TEST

START_TEST(driver_rejects_id_out_of_range)
{
    uint32_t len;

    add(1, 0, 1);
    R.pdesc[0].id = htole16(NUM + 100);
    R.pdesc[0].flags = htole16(AV | VRING_PACKED_DESC_F_USED);
    ck_assert_ptr_null(vmsg_vring_get_used(&R, &len));
    ck_assert(R.broken);
}
END_TEST

START_TEST(driver_enospc_and_reuse)
{
    unsigned i;
    uint32_t len;

    for (i = 0; i < NUM / 3; i++)
        add(1, 2, (int)i);
    ck_assert_uint_eq(R.num_free, 0);
    ck_assert_int_eq(vmsg_vring_add(&R, &(struct vmsg_sg){ buf_addr, 1 }, 1, 0, &toks[9]), -ENOSPC);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 0);
    ck_assert_ptr_nonnull(vmsg_vring_get_used(&R, &len));
    add(1, 2, 9);                    /* the freed three slots, wrapping */
    for (i = 0; i < NUM / 3; i++) {
        ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
        vmsg_vq_push(&Q, E, 0);
    }
    for (i = 0; i < NUM / 3; i++)
        ck_assert_ptr_nonnull(vmsg_vring_get_used(&R, &len));
    ck_assert_uint_eq(R.num_free, NUM);
}
END_TEST

/* EVENT_IDX both ways: the driver kicks only when it makes the
 * descriptor the device asked about available; the device notifies only
 * when it marks used the one the driver asked about. */
START_TEST(event_idx_suppression)
{
    uint32_t len;

    add(1, 0, 1);
    ck_assert(vmsg_vring_kick_prepare(&R));  /* the device asked for slot 0 */
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1); /* now for slot 1 */
    vmsg_vq_set_notification(&Q, false);     /* serving: leave it at 1 */
    add(1, 0, 2);
    ck_assert(vmsg_vring_kick_prepare(&R));  /* slot 1 made available */
    add(1, 0, 3);
    ck_assert(!vmsg_vring_kick_prepare(&R)); /* slot 2: no kick */
    ck_assert(vmsg_vq_set_notification(&Q, true));   /* pending: pop again */
    vmsg_vq_push(&Q, E, 0);
    ck_assert(vmsg_vq_should_notify(&Q));    /* the driver asked for slot 0 */
    ck_assert_ptr_nonnull(vmsg_vring_get_used(&R, &len));   /* asks for 1 */
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E2), 1);
    vmsg_vq_push(&Q, E, 0);
    ck_assert(vmsg_vq_should_notify(&Q));    /* slot 1 */
    vmsg_vq_push(&Q, E2, 0);
    ck_assert(!vmsg_vq_should_notify(&Q));   /* slot 2: not asked */
    ck_assert_ptr_nonnull(vmsg_vring_get_used(&R, &len));
    ck_assert_ptr_nonnull(vmsg_vring_get_used(&R, &len));
    ck_assert(!vmsg_vring_enable_cb(&R));    /* nothing more used */
}
END_TEST

START_TEST(flags_without_event_idx)
{
    uint32_t len;

    teardown();
    setup_with(PACKED, NUM);             /* without EVENT_IDX and INDIRECT */
    add(1, 0, 1);
    ck_assert(vmsg_vring_kick_prepare(&R));
    vmsg_vq_set_notification(&Q, false);
    add(1, 0, 2);
    ck_assert(!vmsg_vring_kick_prepare(&R)); /* device said DISABLE */
    ck_assert(vmsg_vq_set_notification(&Q, true));
    add(1, 0, 3);
    ck_assert(vmsg_vring_kick_prepare(&R));
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 0);
    ck_assert(vmsg_vq_should_notify(&Q));
    vmsg_vring_disable_cb(&R);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 0);
    ck_assert(!vmsg_vq_should_notify(&Q));
    ck_assert(vmsg_vring_enable_cb(&R));     /* used ones are waiting */
    ck_assert_ptr_nonnull(vmsg_vring_get_used(&R, &len));
    ck_assert_ptr_nonnull(vmsg_vring_get_used(&R, &len));
}
END_TEST

/* The owner's spin (vmsg_vq_set_polled()) sees packed requests too. */
START_TEST(polled_queue_sees_requests)
{
    vmsg_vq_set_polled(&Q, true);
    ck_assert(!vmsg_vq_set_notification(&Q, true));  /* quieted */
    ck_assert(!vmsg_vq_quiet_pending(&Q));
    add(1, 0, 1);
    ck_assert(vmsg_vq_quiet_pending(&Q));
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert(!vmsg_vq_quiet_pending(&Q));
    vmsg_vq_push(&Q, E, 0);
    add(1, 0, 2);
    ck_assert(vmsg_vq_set_polled(&Q, false));        /* came meanwhile */
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    vmsg_vq_push(&Q, E, 0);
}
END_TEST

START_TEST(setup_rejects_bad_rings)
{
    struct vmsg_vq_mem mem = Q.mem;

    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, 0, R.desc_addr, R.avail_addr,
                                   R.used_addr, PACKED), -EINVAL);
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, NUM, R.desc_addr + 8, R.avail_addr,
                                   R.used_addr, PACKED), -EINVAL);
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, NUM, R.desc_addr, R.avail_addr + 2,
                                   R.used_addr, PACKED), -EINVAL);
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, NUM, 0x2000, R.avail_addr,
                                   R.used_addr, PACKED), -EFAULT);
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, 32768, R.desc_addr, R.avail_addr,
                                   R.used_addr, PACKED), -EFAULT);   /* past region */
    ck_assert_int_eq(vmsg_vq_setup(&Q, &mem, NUM, R.desc_addr, R.avail_addr,
                                   R.used_addr, PACKED), 0);         /* 12 is fine */
}
END_TEST

START_TEST(reset_then_stale_push_ignored)
{
    uint32_t len;

    add(1, 1, 1);
    ck_assert_int_eq(vmsg_vq_pop(&Q, E), 1);
    ck_assert_int_eq(vmsg_vq_setup(&Q, &Q.mem, NUM, R.desc_addr, R.avail_addr,
                                   R.used_addr, feats), 0);
    vmsg_vq_push(&Q, E, 1);          /* stale: only released */
    ck_assert_ptr_null(vmsg_vring_get_used(&R, &len));
}
END_TEST

static Suite *packed_suite(void)
{
    Suite *s = suite_create("virtq_packed");
    TCase *tc = tcase_create("packed");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pop_push_roundtrip);
    tcase_add_test(tc, out_of_order_answers_across_laps);
    tcase_add_test(tc, indirect_roundtrip);
    tcase_add_test(tc, hostile_chain_longer_than_ring);
    tcase_add_test(tc, hostile_zero_length);
    tcase_add_test(tc, hostile_readable_after_writable);
    tcase_add_test(tc, hostile_unmapped_address);
    tcase_add_test(tc, hostile_indirect_inside_chain);
    tcase_add_test(tc, hostile_indirect_bad_length);
    tcase_add_test(tc, hostile_indirect_not_negotiated);
    tcase_add_test(tc, not_available_descriptors_ignored);
    tcase_add_test(tc, driver_rejects_hostile_used);
    tcase_add_test(tc, driver_rejects_id_out_of_range);
    tcase_add_test(tc, driver_enospc_and_reuse);
    tcase_add_test(tc, event_idx_suppression);
    tcase_add_test(tc, flags_without_event_idx);
    tcase_add_test(tc, polled_queue_sees_requests);
    tcase_add_test(tc, setup_rejects_bad_rings);
    tcase_add_test(tc, reset_then_stale_push_ignored);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(packed_suite());
}
