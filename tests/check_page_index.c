/* SPDX-License-Identifier: MIT */
/*
 * The page-address index of the Xen backend's mapping cache: what was
 * added is found with its slot, what was deleted is gone, and deletions
 * in the middle of probe runs (colliding keys) leave every other key
 * reachable; a long random sequence is checked against a plain array.
 */
#include <stdlib.h>

#include "harness.h"
#include "../bus/common/page_index.h"

#define PG 4096u

static struct vmsg_page_index X;

static const void *page(uint64_t n)
{
    return (const void *)(uintptr_t)((n + 1) * PG);
}

START_TEST(add_find_delete)
{
    vmsg_pidx_init(&X);
    ck_assert_int_eq(vmsg_pidx_find(&X, page(7)), -1);
    ck_assert(vmsg_pidx_add(&X, page(7), 3));
    ck_assert(vmsg_pidx_add(&X, page(8), 1023));
    ck_assert_int_eq(vmsg_pidx_find(&X, page(7)), 3);
    ck_assert_int_eq(vmsg_pidx_find(&X, page(8)), 1023);
    ck_assert(vmsg_pidx_del(&X, page(7)));
    ck_assert(!vmsg_pidx_del(&X, page(7)));
    ck_assert_int_eq(vmsg_pidx_find(&X, page(7)), -1);
    ck_assert_int_eq(vmsg_pidx_find(&X, page(8)), 1023);
    ck_assert(!vmsg_pidx_add(&X, NULL, 1));          /* bad arguments */
    ck_assert(!vmsg_pidx_add(&X, page(9), VMSG_PIDX_SLOTS));
    ck_assert_int_eq(vmsg_pidx_find(&X, NULL), -1);
    ck_assert(!vmsg_pidx_del(&X, NULL));
    ck_assert_uint_eq(X.count, 1);
}
END_TEST

/* 40 keys with one home bucket and 40 with the next: one long probe
 * run of interleaved homes, holes punched all along it. */
START_TEST(colliding_keys_survive_deletes)
{
    static uint64_t k[80];
    uint32_t h0 = vmsg_pidx_home(page(0)), h;
    uint64_t n;
    int a = 0, b = 40, i;

    for (n = 1; a < 40 || b < 80; n++) {
        h = vmsg_pidx_home(page(n));
        if (h == h0 && a < 40)
            k[a++] = n;
        else if (h == ((h0 + 1) & (VMSG_PIDX_SIZE - 1)) && b < 80)
            k[b++] = n;
    }
    vmsg_pidx_init(&X);
    for (i = 0; i < 80; i++)          /* interleaved: 0, 40, 1, 41, ... */
        ck_assert(vmsg_pidx_add(&X, page(k[i / 2 + (i % 2) * 40]), (uint32_t)(i / 2 + (i % 2) * 40)));
    for (i = 0; i < 80; i += 3)
        ck_assert(vmsg_pidx_del(&X, page(k[i])));
    for (i = 0; i < 80; i++)
        ck_assert_int_eq(vmsg_pidx_find(&X, page(k[i])), i % 3 ? i : -1);
    for (i = 79; i >= 0; i--)
        if (i % 3)
            ck_assert(vmsg_pidx_del(&X, page(k[i])));
    ck_assert_uint_eq(X.count, 0);
}
END_TEST

START_TEST(full_index_refuses)
{
    uint32_t i;

    vmsg_pidx_init(&X);
    for (i = 0; i < VMSG_PIDX_SLOTS; i++)
        ck_assert(vmsg_pidx_add(&X, page(i), i));
    ck_assert(!vmsg_pidx_add(&X, page(VMSG_PIDX_SLOTS), 0));
    for (i = 0; i < VMSG_PIDX_SLOTS; i++)
        ck_assert_int_eq(vmsg_pidx_find(&X, page(i)), (int)i);
}
END_TEST

/* Random adds and deletes over a small key space (dense collisions)
 * against a model: slot of each key, or none. */
START_TEST(random_against_model)
{
    static int model[3000];
    uint64_t seed = 12345;
    uint32_t used = 0;
    int i, k, round;

    vmsg_pidx_init(&X);
    for (i = 0; i < 3000; i++)
        model[i] = -1;
    for (round = 0; round < 200000; round++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        k = (int)((seed >> 33) % 3000);
        if (model[k] < 0 && used < VMSG_PIDX_SLOTS) {
            ck_assert(vmsg_pidx_add(&X, page((uint64_t)k * 4096), (uint32_t)(round % 1024)));
            model[k] = round % 1024;
            used++;
        } else if (model[k] >= 0) {
            ck_assert_int_eq(vmsg_pidx_find(&X, page((uint64_t)k * 4096)), model[k]);
            ck_assert(vmsg_pidx_del(&X, page((uint64_t)k * 4096)));
            model[k] = -1;
            used--;
        }
        if (round % 9973 == 0)
            for (i = 0; i < 3000; i++)
                ck_assert_int_eq(vmsg_pidx_find(&X, page((uint64_t)i * 4096)), model[i]);
    }
    ck_assert_uint_eq(X.count, used);
}
END_TEST

static Suite *pidx_suite(void)
{
    Suite *s = suite_create("page_index");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, add_find_delete);
    tcase_add_test(tc, colliding_keys_survive_deletes);
    tcase_add_test(tc, full_index_refuses);
    tcase_add_test(tc, random_against_model);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(pidx_suite());
}
