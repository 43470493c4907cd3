/* SPDX-License-Identifier: MIT */
/*
 * The message ring's producer side and layout: messages survive
 * wrap-around intact; the producer re-reads the consumer's counter only
 * when the room it last saw is not enough, and still waits for room and
 * still catches a consumer counter that ran past it; a backend refuses a
 * ring area without layout 2's magic.
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

static int nop_notify(void *ctx)
{
    (void)ctx;
    return 0;
}

START_TEST(backend_refuses_another_layout)
{
    static const struct vmsg_ring_prims prims = { .name = "test", .notify = nop_notify };
    struct vmsg_ring_ep ep;

    memset(pages + VMSG_RING_LAYOUT_OFF, 0, 4);
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
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
