/* SPDX-License-Identifier: MIT */
/*
 * The backend's adaptive spin window: it grows while the idle gaps it
 * sees would have been caught by a longer spin, never past its maximum,
 * and shrinks to nothing when the gaps are longer than the maximum.
 */
#include "harness.h"
#include "../lib/poll_window.h"

START_TEST(max_zero_never_spins)
{
    struct poll_window w = { .max_us = 0 };
    int i;

    for (i = 0; i < 100; i++) {
        poll_window_slept(&w, i % 3);
        ck_assert_uint_eq(w.cur_us, 0);
    }
}
END_TEST

START_TEST(grows_to_cover_short_gaps)
{
    struct poll_window w = { .max_us = 32 };

    poll_window_slept(&w, 10);
    ck_assert_uint_eq(w.cur_us, POLL_WINDOW_START_US);
    poll_window_slept(&w, 10);
    ck_assert_uint_eq(w.cur_us, 8);
    poll_window_slept(&w, 10);
    ck_assert_uint_eq(w.cur_us, 16);
    poll_window_slept(&w, 10);       /* a 16 us spin catches a 10 us gap */
    ck_assert_uint_eq(w.cur_us, 16);
    poll_window_slept(&w, -5);       /* a clock that went back: no change */
    ck_assert_uint_eq(w.cur_us, 16);
}
END_TEST

START_TEST(capped_at_max)
{
    struct poll_window w = { .max_us = 20 };
    int i;

    for (i = 0; i < 10; i++)
        poll_window_slept(&w, 20);
    ck_assert_uint_eq(w.cur_us, 20);
    w = (struct poll_window){ .max_us = 3 };          /* below the start */
    poll_window_slept(&w, 2);
    ck_assert_uint_eq(w.cur_us, 3);
}
END_TEST

START_TEST(shrinks_to_zero_on_long_gaps)
{
    struct poll_window w = { .max_us = 32, .cur_us = 32 };

    poll_window_slept(&w, 33);       /* one long gap halves */
    ck_assert_uint_eq(w.cur_us, 16);
    poll_window_slept(&w, 5000);
    ck_assert_uint_eq(w.cur_us, 8);
    poll_window_slept(&w, 5000);
    ck_assert_uint_eq(w.cur_us, 4);
    poll_window_slept(&w, 5000);     /* below the start: off */
    ck_assert_uint_eq(w.cur_us, 0);
    poll_window_slept(&w, 5000);
    ck_assert_uint_eq(w.cur_us, 0);
    poll_window_slept(&w, 1);        /* short gaps again: back on */
    ck_assert_uint_eq(w.cur_us, POLL_WINDOW_START_US);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("poll_window");
    TCase *tc = tcase_create("window");

    tcase_add_test(tc, max_zero_never_spins);
    tcase_add_test(tc, grows_to_cover_short_gaps);
    tcase_add_test(tc, capped_at_max);
    tcase_add_test(tc, shrinks_to_zero_on_long_gaps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
