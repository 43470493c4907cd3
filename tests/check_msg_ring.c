/* SPDX-License-Identifier: MIT */
/*
 * The message ring's producer side and layout: messages survive
 * wrap-around intact; the producer re-reads the consumer's counter only
 * when the room it last saw is not enough, and still waits for room and
 * still catches a consumer counter that ran past it; a backend refuses a
 * ring area without layout 3's magic (or layout 2's).  Layout 3's
 * consumer side: it zeroes what it took, takes a record whose header came
 * before prod, lets prod lag only to the start of the last record taken,
 * and breaks on a prod that shows a record with no header, moves back, or
 * is misaligned, and on a record header with its zero half set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../bus/common/msg_ring.h"
#include "../bus/common/ring_ep.h"

static uint8_t *pages;
static struct vmsg_ring tx, rx;      /* frontend->backend: producer, consumer */

static void setup(void)
{
    pages = aligned_alloc(4096, VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE);
    ck_assert_ptr_nonnull(pages);
    vmsg_ring_format(pages);
    vmsg_ring_attach(&tx, pages, true, true, 256);
    vmsg_ring_attach(&rx, pages, true, false, 256);
}

static void teardown(void)
{
    free(pages);
}

START_TEST(format_writes_the_layout)
{
    const volatile struct vmsg_ring_ctl *b2f =
        (const volatile struct vmsg_ring_ctl *)(pages + VMSG_RING_CTL_B2F);

    ck_assert(vmsg_ring_layout_ok(pages));
    ck_assert_uint_eq(le32toh(b2f->prod) | le32toh(b2f->cons) | le32toh(b2f->cons_flags), 0);
    pages[VMSG_RING_LAYOUT_OFF] ^= 1;          /* layout 1 had no magic */
    ck_assert(!vmsg_ring_layout_ok(pages));
}
END_TEST

START_TEST(messages_wrap_intact)
{
    uint8_t in[256], out[256];
    unsigned i, k;

    for (i = 0; i < 2000; i++) {
        size_t len = 8 + (i * 37) % 240;
        int n;

        for (k = 0; k < len; k++)
            in[k] = (uint8_t)(i + k);
        ck_assert_int_eq(vmsg_ring_put(&tx, in, len), 0);
        n = vmsg_ring_get(&rx, out, sizeof(out));
        ck_assert_int_eq(n, (int)len);
        ck_assert_mem_eq(in, out, len);
    }
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), 0);
}
END_TEST

/* Full: -EAGAIN; one message consumed makes room again. */
START_TEST(producer_waits_for_room)
{
    uint8_t m[252] = { 1 }, out[256];
    int puts = 0;

    while (vmsg_ring_put(&tx, m, sizeof(m)) == 0)
        puts++;
    ck_assert_int_eq(puts, VMSG_RING_DATA / 256);
    ck_assert_int_eq(vmsg_ring_put(&tx, m, sizeof(m)), -EAGAIN);
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), (int)sizeof(m));
    ck_assert_int_eq(vmsg_ring_put(&tx, m, sizeof(m)), 0);
    ck_assert_int_eq(vmsg_ring_put(&tx, m, sizeof(m)), -EAGAIN);
    ck_assert(!tx.broken);
}
END_TEST

/* A consumer counter past what was produced: the producer never puts
 * more than the ring holds since the last counter it trusted, and breaks
 * the ring once it reads the bad one. */
START_TEST(consumer_counter_past_prod_breaks_the_ring)
{
    volatile struct vmsg_ring_ctl *ctl = (volatile struct vmsg_ring_ctl *)pages;
    uint8_t m[60] = { 2 };
    int i, rc = 0, puts = 0;

    ck_assert_int_eq(vmsg_ring_put(&tx, m, sizeof(m)), 0);
    ctl->cons = htole32(le32toh(ctl->prod) + 4096);
    for (i = 0; i < 200 && (rc = vmsg_ring_put(&tx, m, sizeof(m))) == 0; i++)
        puts++;
    ck_assert_int_eq(rc, -EPROTO);
    ck_assert_int_le((puts + 1) * 64, VMSG_RING_DATA);
    ck_assert(tx.broken);
    ck_assert_int_eq(vmsg_ring_put(&tx, m, sizeof(m)), -EPROTO);
}
END_TEST

static uint8_t *f2b_data(void)
{
    return pages + VMSG_RING_PAGE_SIZE;
}

static volatile struct vmsg_ring_ctl *f2b_ctl(void)
{
    return (volatile struct vmsg_ring_ctl *)pages;
}

/* A record written by hand at byte @pos of the frontend->backend data,
 * header last, prod left alone. */
static void hand_record(uint32_t pos, uint16_t len, uint8_t fill)
{
    uint32_t k, word = htole32(len);

    for (k = 0; k < len; k++)
        f2b_data()[(pos + 4 + k) % VMSG_RING_DATA] = fill;
    memcpy(f2b_data() + pos % VMSG_RING_DATA, &word, 4);
}

/* Round the ring twice with messages of every length: nothing of them is
 * left in the data area once taken. */
START_TEST(consumer_zeroes_what_it_took)
{
    uint8_t m[256], out[256];
    unsigned i, k;

    memset(m, 0xA5, sizeof(m));
    for (i = 0; i < 64; i++) {
        ck_assert_int_eq(vmsg_ring_put(&tx, m, 8 + (i * 29) % 240), 0);
        ck_assert_int_gt(vmsg_ring_get(&rx, out, sizeof(out)), 0);
    }
    ck_assert_uint_gt(rx.local, 2 * VMSG_RING_DATA);
    for (k = 0; k < VMSG_RING_DATA; k++)
        ck_assert_uint_eq(f2b_data()[k], 0);
    ck_assert(!vmsg_ring_pending(&rx));
}
END_TEST

/* Header written, prod not yet: the record is there (the spinning
 * consumer's fast path); prod then lags at its start, which is honest,
 * and catching up is too. */
START_TEST(header_before_prod_is_a_record)
{
    uint8_t out[256];

    hand_record(0, 20, 0x5C);
    ck_assert(vmsg_ring_pending(&rx));
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), 20);
    ck_assert_uint_eq(out[0], 0x5C);
    ck_assert_uint_eq(out[19], 0x5C);
    ck_assert_uint_eq(rx.local, 24);
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), 0);   /* prod 0: the last start */
    hand_record(24, 8, 1);
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), 8);   /* prod still 0: behind */
    f2b_ctl()->prod = htole32(24);                                /* the last start again */
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), 0);
    f2b_ctl()->prod = htole32(36);                                /* caught up */
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), 0);
    ck_assert(!rx.broken);
}
END_TEST

/* Prod behind cons anywhere but the last record's start: broken. */
START_TEST(prod_behind_the_last_start_breaks)
{
    uint8_t m[20] = { 3 }, out[256];

    ck_assert_int_eq(vmsg_ring_put(&tx, m, sizeof(m)), 0);
    ck_assert_int_eq(vmsg_ring_put(&tx, m, sizeof(m)), 0);
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), 20);
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), 20);
    f2b_ctl()->prod = htole32(rx.local - 4);                      /* inside the last record */
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), -EPROTO);
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), -EPROTO);
}
END_TEST

START_TEST(prod_showing_a_record_without_header_breaks)
{
    uint8_t out[256];

    f2b_ctl()->prod = htole32(24);
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), -EPROTO);
}
END_TEST

/* A record, then (_i) a misaligned prod or a header whose zero half is set. */
START_TEST(misaligned_prod_or_dirty_header_breaks)
{
    uint8_t out[256];

    hand_record(0, 12, 7);
    if (_i == 0)
        f2b_ctl()->prod = htole32(18);
    else
        f2b_data()[3] = 1;
    ck_assert_int_eq(vmsg_ring_get(&rx, out, sizeof(out)), -EPROTO);
}
END_TEST

/* A counter a peer left misaligned before we attached would put every
 * header word off its 4-byte boundary: the ring is broken from the start. */
START_TEST(misaligned_counter_at_attach_breaks)
{
    struct vmsg_ring r;
    uint8_t out[256];

    f2b_ctl()->cons = htole32(2);
    vmsg_ring_attach(&r, pages, true, false, 256);
    ck_assert_int_eq(vmsg_ring_get(&r, out, sizeof(out)), -EPROTO);
}
END_TEST

static int nop_notify(void *ctx)
{
    (void)ctx;
    return 0;
}

START_TEST(backend_refuses_another_layout)
{
    static const struct vmsg_ring_prims prims = { .name = "test", .notify = nop_notify };
    struct vmsg_ring_ep ep;

    uint32_t layout2 = htole32(0x32524d56u);     /* "VMR2": headers written first */

    memset(pages + VMSG_RING_LAYOUT_OFF, 0, 4);
    ck_assert_int_eq(vmsg_ring_ep_init(&ep, VMSG_ROLE_DEVICE, pages, 256, &prims, NULL),
                     -EPROTONOSUPPORT);
    memcpy(pages + VMSG_RING_LAYOUT_OFF, &layout2, 4);
    ck_assert_int_eq(vmsg_ring_ep_init(&ep, VMSG_ROLE_DEVICE, pages, 256, &prims, NULL),
                     -EPROTONOSUPPORT);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("msg_ring");
    TCase *tc = tcase_create("ring");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, format_writes_the_layout);
    tcase_add_test(tc, messages_wrap_intact);
    tcase_add_test(tc, producer_waits_for_room);
    tcase_add_test(tc, consumer_counter_past_prod_breaks_the_ring);
    tcase_add_test(tc, backend_refuses_another_layout);
    tcase_add_test(tc, consumer_zeroes_what_it_took);
    tcase_add_test(tc, header_before_prod_is_a_record);
    tcase_add_test(tc, prod_behind_the_last_start_breaks);
    tcase_add_test(tc, prod_showing_a_record_without_header_breaks);
    tcase_add_loop_test(tc, misaligned_prod_or_dirty_header_breaks, 0, 2);
    tcase_add_test(tc, misaligned_counter_at_attach_breaks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
