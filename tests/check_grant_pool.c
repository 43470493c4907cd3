/* SPDX-License-Identifier: MIT */
/*
 * The frontend's pool of pre-granted pages: multi-page buffers only where
 * the grant references run consecutively, and, when churn has fragmented
 * the references, page allocations whose addresses are given per page.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../bus/common/grant_pool.h"
#include "../bus/common/msg_ring.h"

#define PG 4096u

static uint8_t *mem;
static struct vmsg_gpool P;

static void setup_pool(const uint32_t *refs, uint32_t n)
{
    mem = aligned_alloc(PG, (size_t)n * PG);
    ck_assert_ptr_nonnull(mem);
    memset(mem, 0xEE, (size_t)n * PG);
    ck_assert_int_eq(vmsg_gpool_init(&P, mem, refs, n), 0);
}

static void teardown_pool(void)
{
    vmsg_gpool_fini(&P);
    free(mem);
}

START_TEST(consecutive_refs_give_one_run)
{
    static const uint32_t refs[8] = { 100, 101, 102, 103, 104, 105, 106, 107 };
    uint64_t a, b;
    uint8_t *p, *q;

    setup_pool(refs, 8);
    p = vmsg_gpool_alloc(&P, 3 * PG, &a);
    ck_assert_ptr_eq(p, mem);
    ck_assert_uint_eq(a, vmsg_gdma_addr(100, 0));
    ck_assert_uint_eq(p[0], 0);                  /* never shows old data */
    q = vmsg_gpool_alloc(&P, PG + 1, &b);        /* two pages */
    ck_assert_ptr_eq(q, mem + 3 * PG);
    ck_assert_uint_eq(b, vmsg_gdma_addr(103, 0));
    ck_assert_ptr_null(vmsg_gpool_alloc(&P, 4 * PG, &b));   /* 3 left */
    vmsg_gpool_free(&P, p, 3 * PG);
    ck_assert_ptr_eq(vmsg_gpool_alloc(&P, 3 * PG, &a), mem);
    ck_assert_uint_eq(P.in_use, 5);
    teardown_pool();
}
END_TEST

START_TEST(fragmented_refs_fall_back_to_pages)
{
    /* Ascending, as gnt_share lays them out, with gaps from other users. */
    static const uint32_t refs[8] = { 10, 11, 20, 21, 22, 40, 41, 90 };
    uint64_t a;
    uint8_t *p;
    unsigned i;

    setup_pool(refs, 8);
    ck_assert_ptr_null(vmsg_gpool_alloc(&P, 4 * PG, &a));   /* no run of 4 */
    p = vmsg_gpool_alloc(&P, 3 * PG, &a);                   /* 20..22 is */
    ck_assert_ptr_eq(p, mem + 2 * PG);
    ck_assert_uint_eq(a, vmsg_gdma_addr(20, 0));
    vmsg_gpool_free(&P, p, 3 * PG);
    p = vmsg_gpool_alloc_pages(&P, 6 * PG);
    ck_assert_ptr_eq(p, mem);
    for (i = 0; i < 6; i++)
        ck_assert_uint_eq(vmsg_gpool_addr(&P, p + i * PG + 17), vmsg_gdma_addr(refs[i], 17));
    ck_assert_ptr_null(vmsg_gpool_alloc_pages(&P, 3 * PG));  /* 2 left */
    ck_assert_ptr_nonnull(vmsg_gpool_alloc_pages(&P, 2 * PG));
    ck_assert_uint_eq(P.in_use, 8);
    vmsg_gpool_free(&P, p, 6 * PG);
    ck_assert_uint_eq(P.in_use, 2);
    ck_assert_uint_eq(vmsg_gpool_addr(&P, mem - 1), 0);            /* outside */
    ck_assert_uint_eq(vmsg_gpool_addr(&P, mem + 8 * PG), 0);
    teardown_pool();
}
END_TEST

START_TEST(bad_sizes_and_frees)
{
    static const uint32_t refs[4] = { 1, 2, 3, 4 };
    uint64_t a;

    setup_pool(refs, 4);
    ck_assert_ptr_null(vmsg_gpool_alloc(&P, 0, &a));
    ck_assert_ptr_null(vmsg_gpool_alloc(&P, 5 * PG, &a));
    ck_assert_ptr_null(vmsg_gpool_alloc_pages(&P, 5 * PG));
    vmsg_gpool_free(&P, mem + 1, PG);            /* not a page start: ignored */
    vmsg_gpool_free(&P, mem + 9 * PG, PG);       /* outside: ignored */
    vmsg_gpool_free(&P, NULL, PG);
    ck_assert_uint_eq(P.in_use, 0);
    ck_assert_ptr_nonnull(vmsg_gpool_alloc(&P, 4 * PG, &a));
    teardown_pool();
}
END_TEST

static Suite *gpool_suite(void)
{
    Suite *s = suite_create("grant_pool");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, consecutive_refs_give_one_run);
    tcase_add_test(tc, fragmented_refs_fall_back_to_pages);
    tcase_add_test(tc, bad_sizes_and_frees);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(gpool_suite());
}
