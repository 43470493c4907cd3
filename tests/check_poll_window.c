/* SPDX-License-Identifier: MIT */
/*
 * The backend's adaptive spin window: it grows while the idle gaps it
 * sees would have been caught by a longer spin, never past its maximum,
 * and shrinks to nothing when the gaps are longer than the maximum (from
 * the second such gap in a row, or the second without a spin catching
 * work between); a
 * closed window probes with a full spin once in POLL_PROBE_EVERY waits and
 * reopens when the probe catches its work.  And what a wake-up costs, the
 * figure the backend reports next to its window.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "harness.h"
#include "../lib/poll_window.h"
#include "../lib/wake_cost.h"

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

    poll_window_slept(&w, 33);       /* one long gap alone: kept */
    ck_assert_uint_eq(w.cur_us, 32);
    poll_window_slept(&w, 1);        /* a short one between resets the count */
    poll_window_slept(&w, 33);
    ck_assert_uint_eq(w.cur_us, 32);
    poll_window_slept(&w, 33);       /* the second in a row halves */
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

START_TEST(closed_window_probes)
{
    struct poll_window w = { .max_us = 128, .probe_every = POLL_PROBE_EVERY };
    int i;

    for (i = 1; i < POLL_PROBE_EVERY; i++)
        ck_assert_uint_eq(poll_window_budget(&w), 0);
    ck_assert_uint_eq(poll_window_budget(&w), 128);   /* the probe */
    ck_assert(w.probing);
    ck_assert_uint_eq(poll_window_budget(&w), 128);   /* lasts until its end */
    poll_window_slept(&w, 5000);                      /* it missed */
    ck_assert(!w.probing);
    ck_assert_uint_eq(w.cur_us, 0);
    for (i = 1; i < POLL_PROBE_EVERY; i++)            /* the next one waits its turn */
        ck_assert_uint_eq(poll_window_budget(&w), 0);
    ck_assert_uint_eq(poll_window_budget(&w), 128);
    poll_window_caught(&w);                           /* it caught the work: open */
    ck_assert(!w.probing);
    ck_assert_uint_eq(w.cur_us, 128);
    ck_assert_uint_eq(poll_window_budget(&w), 128);
    ck_assert_uint_eq(w.probes, 2);
    ck_assert_uint_eq(w.reopened, 1);
    poll_window_caught(&w);                           /* an open window's catch: no change */
    ck_assert_uint_eq(w.cur_us, 128);
    ck_assert_uint_eq(w.reopened, 1);
}
END_TEST

/* A spin that gave way to other tasks closes the window, a probe's too;
 * short gaps and a probe that catches its work open it again. */
START_TEST(giving_way_closes_the_window)
{
    struct poll_window w = { .max_us = 128, .cur_us = 128, .probe_every = POLL_PROBE_EVERY };
    int i;

    poll_window_ceded(&w);
    ck_assert_uint_eq(w.cur_us, 0);
    ck_assert_uint_eq(w.ceded, 1);
    for (i = 1; i < POLL_PROBE_EVERY; i++)
        ck_assert_uint_eq(poll_window_budget(&w), 0);
    ck_assert_uint_eq(poll_window_budget(&w), 128);   /* a probe ... */
    poll_window_ceded(&w);                            /* ... that gave way */
    ck_assert(!w.probing);
    ck_assert_uint_eq(w.cur_us, 0);
    ck_assert_uint_eq(w.reopened, 0);
    poll_window_slept(&w, 20);                        /* short gaps: it grows */
    ck_assert_uint_eq(w.cur_us, POLL_WINDOW_START_US);
    ck_assert_uint_eq(w.ceded, 2);
}
END_TEST

/* A yield is measured against the quickest one seen, not against zero:
 * where a yield and the clock read after it cost 20 us (a system-call
 * clock), 20-27 us is a yield that ran nothing; 8 us more ran others. */
START_TEST(a_yield_gives_way_past_the_quickest)
{
    struct poll_window w = { .max_us = 256, .cur_us = 128, .probe_every = POLL_PROBE_EVERY };

    ck_assert(!poll_window_yielded(&w, 21));          /* the first sets the floor */
    ck_assert(!poll_window_yielded(&w, 20));
    ck_assert(!poll_window_yielded(&w, 27));
    ck_assert_uint_eq(w.cur_us, 128);
    ck_assert_uint_eq(w.ceded, 0);
    ck_assert(!poll_window_yielded(&w, 28));          /* others ran: once goes on */
    ck_assert(poll_window_yielded(&w, 28));           /* twice in a row gives way */
    ck_assert_uint_eq(w.cur_us, 0);
    ck_assert_uint_eq(w.ceded, 1);
    w = (struct poll_window){ .max_us = 256, .cur_us = 64 };
    ck_assert(!poll_window_yielded(&w, 1));           /* a fast clock */
    ck_assert(!poll_window_yielded(&w, 0));
    ck_assert(!poll_window_yielded(&w, SPIN_YIELD_US));
    ck_assert(poll_window_yielded(&w, SPIN_YIELD_US));
    ck_assert_uint_eq(w.cur_us, 0);
}
END_TEST

/* A yield that ran other tasks once (a kernel thread woke on our CPU)
 * keeps the window; a quick yield ends the row; a probe of a closed
 * window gives way at the first. */
START_TEST(a_lone_yield_that_ran_others_keeps_the_window)
{
    struct poll_window w = { .max_us = 256, .cur_us = 256, .probe_every = POLL_PROBE_EVERY };
    int i;

    ck_assert(!poll_window_yielded(&w, 20));
    for (i = 0; i < 5; i++) {
        ck_assert(!poll_window_yielded(&w, 20 + SPIN_YIELD_US));
        ck_assert(!poll_window_yielded(&w, 20));
    }
    ck_assert_uint_eq(w.cur_us, 256);
    ck_assert_uint_eq(w.ceded, 0);
    for (i = 1; i < POLL_YIELDS_TO_CEDE; i++)
        ck_assert(!poll_window_yielded(&w, 20 + SPIN_YIELD_US));
    ck_assert(poll_window_yielded(&w, 20 + SPIN_YIELD_US));
    ck_assert_uint_eq(w.cur_us, 0);
    ck_assert_uint_eq(w.ceded, 1);
    for (i = 1; i < POLL_PROBE_EVERY; i++)            /* closed ... */
        ck_assert_uint_eq(poll_window_budget(&w), 0);
    ck_assert_uint_eq(poll_window_budget(&w), 256);   /* ... a probe ... */
    ck_assert(poll_window_yielded(&w, 20 + SPIN_YIELD_US)); /* ... gives way at once */
    ck_assert(!w.probing);
    ck_assert_uint_eq(w.ceded, 2);
}
END_TEST

/* A round of the backend's spin ends after SPIN_ROUND_US, but not while
 * work found late in it may be followed by more: it waits until idle
 * SPIN_AFTER_WORK_US, and at most SPIN_ROUND_MAX_US in all. */
START_TEST(a_round_with_late_work_goes_on_a_little)
{
    ck_assert(!spin_round_over(1000, 1000, 1000 + SPIN_ROUND_US - 1));
    ck_assert(spin_round_over(1000, 1000, 1000 + SPIN_ROUND_US));      /* idle all along */
    /* a 40 us request served in the round: it goes on ... */
    ck_assert(!spin_round_over(1000, 1042, 1042));
    ck_assert(!spin_round_over(1000, 1042, 1042 + SPIN_AFTER_WORK_US - 1));
    /* ... until idle long enough */
    ck_assert(spin_round_over(1000, 1042, 1042 + SPIN_AFTER_WORK_US));
    /* back-to-back work: epoll still comes at SPIN_ROUND_MAX_US */
    ck_assert(!spin_round_over(1000, 1000 + SPIN_ROUND_MAX_US - 1, 1000 + SPIN_ROUND_MAX_US - 1));
    ck_assert(spin_round_over(1000, 1000 + SPIN_ROUND_MAX_US, 1000 + SPIN_ROUND_MAX_US));
}
END_TEST

START_TEST(no_probe_without_max)
{
    struct poll_window w = { .max_us = 0, .probe_every = POLL_PROBE_EVERY };
    int i;

    for (i = 0; i < 10 * POLL_PROBE_EVERY; i++)
        ck_assert_uint_eq(poll_window_budget(&w), 0);
    poll_window_caught(&w);
    ck_assert_uint_eq(w.cur_us, 0);
    ck_assert_uint_eq(w.probes, 0);
    w = (struct poll_window){ .max_us = 32 };         /* the backend's: no probes */
    for (i = 0; i < 10 * POLL_PROBE_EVERY; i++)
        ck_assert_uint_eq(poll_window_budget(&w), 0);
    ck_assert_uint_eq(w.probes, 0);
}
END_TEST

/* Answers take 100 us and a wake-up 70 us more: every sleep measures 170
 * us, over a 128 us maximum, so sleeping alone closes the window for good
 * though a 128 us spin catches each answer.  The probe reopens it, and it
 * stays open while the spins catch. */
START_TEST(probe_ends_the_sleeping_lock_in)
{
    struct poll_window w = { .max_us = 128, .cur_us = 128, .probe_every = POLL_PROBE_EVERY };
    unsigned spun = 0, slept = 0;
    int i;

    for (i = 0; i < 8; i++)
        poll_window_slept(&w, 170);                   /* a slow phase: answers at 150 us */
    ck_assert_uint_eq(w.cur_us, 0);
    for (i = 0; i < 200; i++) {                       /* answers at 100 us again */
        unsigned b = poll_window_budget(&w);
        if (b >= 100) {
            poll_window_caught(&w);
            spun++;
        } else {
            poll_window_slept(&w, 170);
            slept++;
        }
    }
    ck_assert_uint_eq(w.cur_us, 128);
    ck_assert_uint_lt(slept, POLL_PROBE_EVERY);
    ck_assert_uint_gt(spun, 200 - POLL_PROBE_EVERY);
}
END_TEST

/* Answers mostly at 100-200 us, one in five slower (300 us): a single
 * slow one must not close a 256 us window that catches the rest. */
START_TEST(an_outlier_does_not_close_the_window)
{
    struct poll_window w = { .max_us = 256, .cur_us = 256 };
    unsigned caught = 0;
    int i;

    for (i = 0; i < 500; i++) {
        unsigned answer = i % 5 == 4 ? 300 : 100 + (unsigned)(i % 5) * 25;

        if (poll_window_budget(&w) >= answer) {
            poll_window_caught(&w);
            caught++;
        } else {
            poll_window_slept(&w, answer + 70);     /* with the wake-up */
        }
    }
    ck_assert_uint_eq(w.cur_us, 256);
    ck_assert_uint_eq(caught, 400);
    w = (struct poll_window){ .max_us = 256, .cur_us = 256 };
    for (i = 0; i < 2; i++)                         /* slow answers only: it closes */
        poll_window_slept(&w, 5000);
    ck_assert_uint_eq(w.cur_us, 128);
    for (i = 0; i < 6; i++)
        poll_window_slept(&w, 5000);
    ck_assert_uint_eq(w.cur_us, 0);
}
END_TEST

/* Where the clock is a system call the backend reads it around a sleep
 * only when the window can use it: open, probing, or one sleep in
 * POLL_TIME_CLOSED_EVERY while closed (which still reopens it once gaps
 * turn short). */
START_TEST(a_closed_window_times_few_sleeps)
{
    struct poll_window w = { .max_us = 32, .cur_us = 32,
                             .time_closed_every = POLL_TIME_CLOSED_EVERY };
    unsigned timed = 0;
    int i;

    for (i = 0; i < 10; i++)
        ck_assert(poll_window_timed(&w));            /* open: every sleep */
    for (i = 0; i < 8; i++)                           /* long gaps close it */
        poll_window_slept(&w, 3000);
    ck_assert_uint_eq(w.cur_us, 0);
    for (i = 0; i < 10 * POLL_TIME_CLOSED_EVERY; i++)
        timed += poll_window_timed(&w);
    ck_assert_uint_eq(timed, 10);
    for (i = 0; i < POLL_TIME_CLOSED_EVERY; i++) {  /* gaps turn short */
        if (poll_window_timed(&w)) {
            poll_window_slept(&w, 10);
            break;
        }
    }
    ck_assert_uint_eq(w.cur_us, POLL_WINDOW_START_US);
    ck_assert(poll_window_timed(&w));
    w = (struct poll_window){ .max_us = 32 };         /* a cheap clock: every sleep */
    for (i = 0; i < 2 * POLL_TIME_CLOSED_EVERY; i++)
        ck_assert(poll_window_timed(&w));
    w = (struct poll_window){ .max_us = 0 };          /* never spins: never timed */
    for (i = 0; i < 2 * POLL_TIME_CLOSED_EVERY; i++)
        ck_assert(!poll_window_timed(&w));
}
END_TEST

/* A real thread woken by a real eventfd: some time, well under a second
 * (a millisecond under TCG emulation); no rounds is an error. */
START_TEST(wake_cost_is_measured)
{
    int64_t ns = wake_cost_ns(5);

    ck_assert_int_gt(ns, 0);
    ck_assert_int_lt(ns, 1000000000);
    ck_assert_int_eq(wake_cost_ns(0), -EINVAL);
    ck_assert_int_gt(wake_cost_ns(1000), 0);          /* capped, not overrun */
}
END_TEST

/* The measurement pins its two threads to two CPUs; the caller gets its
 * own CPU affinity back, whatever it was. */
START_TEST(wake_cost_restores_affinity)
{
    cpu_set_t before, after, one;

    ck_assert_int_eq(sched_getaffinity(0, sizeof(before), &before), 0);
    ck_assert_int_gt(wake_cost_ns(5), 0);
    ck_assert_int_eq(sched_getaffinity(0, sizeof(after), &after), 0);
    ck_assert(CPU_EQUAL(&before, &after));
    /* One CPU allowed: measured there, and still one CPU after. */
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
    ck_assert_int_gt(wake_cost_ns(5), 0);
    ck_assert_int_eq(sched_getaffinity(0, sizeof(after), &after), 0);
    ck_assert(CPU_EQUAL(&one, &after));
    ck_assert_int_eq(sched_setaffinity(0, sizeof(before), &before), 0);
}
END_TEST

/* The backend's default maximum: a multiple of the wake-up, never under
 * the floor nor over the cap; unmeasured, the floor. */
START_TEST(max_follows_the_wake_up)
{
    ck_assert_uint_eq(poll_max_for_wake(-EINVAL), POLL_MAX_DEFAULT_US);
    ck_assert_uint_eq(poll_max_for_wake(0), POLL_MAX_DEFAULT_US);
    ck_assert_uint_eq(poll_max_for_wake(900), POLL_MAX_DEFAULT_US);
    ck_assert_uint_eq(poll_max_for_wake(12000), 12 * POLL_MAX_WAKE_FACTOR);
    ck_assert_uint_eq(poll_max_for_wake(120500), 120 * POLL_MAX_WAKE_FACTOR);
    ck_assert_uint_eq(poll_max_for_wake(10000000), POLL_MAX_WAKE_CAP_US);
    ck_assert_uint_eq(poll_max_for_wake(INT64_MAX), POLL_MAX_WAKE_CAP_US);
}
END_TEST

struct racer {
    pid_t tid;                       /* the measuring thread */
    int cpu;                         /* pins it here once it is pinned to one CPU */
    bool acted, stop;
};

static void *race_affinity(void *opaque)
{
    struct racer *r = opaque;
    cpu_set_t now, want;

    CPU_ZERO(&want);
    CPU_SET(r->cpu, &want);
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        if (sched_getaffinity(r->tid, sizeof(now), &now) == 0 && CPU_COUNT(&now) == 1 &&
            !CPU_ISSET(r->cpu, &now)) {
            sched_setaffinity(r->tid, sizeof(want), &want);
            __atomic_store_n(&r->acted, true, __ATOMIC_RELEASE);
            break;
        }
    }
    return NULL;
}

/* Someone who sets the measuring thread's affinity while it measures (an
 * operator's taskset -p on a backend just started) keeps theirs. */
START_TEST(wake_cost_keeps_an_affinity_set_meanwhile)
{
    cpu_set_t before, after;
    int tries, cpu, c;

    ck_assert_int_eq(sched_getaffinity(0, sizeof(before), &before), 0);
    if (CPU_COUNT(&before) < 2)
        return;                      /* nothing to split */
    for (tries = 0; tries < 20; tries++) {
        struct racer r = { .tid = gettid() };
        pthread_t th;

        /* A CPU of ours that the measurement will not keep us on (we
         * may have moved since the last try). */
        for (cpu = -1, c = 0; c < CPU_SETSIZE && cpu < 0; c++)
            if (CPU_ISSET(c, &before) && c != sched_getcpu())
                cpu = c;
        r.cpu = cpu;
        ck_assert_int_eq(pthread_create(&th, NULL, race_affinity, &r), 0);
        ck_assert_int_gt(wake_cost_ns(64), 0);
        __atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
        pthread_join(th, NULL);
        ck_assert_int_eq(sched_getaffinity(0, sizeof(after), &after), 0);
        ck_assert_int_eq(sched_setaffinity(0, sizeof(before), &before), 0);
        if (!r.acted)
            continue;                /* missed the window: again */
        ck_assert_int_eq(CPU_COUNT(&after), 1);
        ck_assert(CPU_ISSET(cpu, &after));
        return;
    }
    ck_abort_msg("never caught the measurement pinned to one CPU");
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
    tcase_add_test(tc, closed_window_probes);
    tcase_add_test(tc, giving_way_closes_the_window);
    tcase_add_test(tc, a_yield_gives_way_past_the_quickest);
    tcase_add_test(tc, a_lone_yield_that_ran_others_keeps_the_window);
    tcase_add_test(tc, a_round_with_late_work_goes_on_a_little);
    tcase_add_test(tc, no_probe_without_max);
    tcase_add_test(tc, probe_ends_the_sleeping_lock_in);
    tcase_add_test(tc, an_outlier_does_not_close_the_window);
    tcase_add_test(tc, a_closed_window_times_few_sleeps);
    tcase_add_test(tc, wake_cost_is_measured);
    tcase_add_test(tc, wake_cost_restores_affinity);
    tcase_add_test(tc, wake_cost_keeps_an_affinity_set_meanwhile);
    tcase_add_test(tc, max_follows_the_wake_up);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
