/* SPDX-License-Identifier: MIT */
#include "poll_window.h"

unsigned poll_window_budget(struct poll_window *w)
{
    if (w->cur_us || !w->max_us || !w->probe_every)
        return w->cur_us;
    if (!w->probing && ++w->closed_waits >= w->probe_every) {
        w->closed_waits = 0;
        w->probing = true;
        w->probes++;
    }
    return w->probing ? w->max_us : 0;
}

void poll_window_caught(struct poll_window *w)
{
    w->misses = 0;
    if (!w->probing)
        return;
    /* Work comes within the maximum: spin all of it (a shorter window
     * would miss, sleep, and see the wake-up as a long gap again). */
    w->probing = false;
    w->cur_us = w->max_us;
    w->reopened++;
}

void poll_window_ceded(struct poll_window *w)
{
    w->ceded++;
    w->probing = false;
    w->misses = 0;
    w->cur_us = 0;
}

bool poll_window_yielded(struct poll_window *w, int64_t took_us)
{
    if (!w->yield_seen || took_us < w->yield_min_us) {
        w->yield_seen = true;
        w->yield_min_us = took_us;
    }
    if (took_us - w->yield_min_us < SPIN_YIELD_US) {
        w->ran_others = 0;
        return false;
    }
    if (++w->ran_others < POLL_YIELDS_TO_CEDE && w->cur_us)
        return false;
    w->ran_others = 0;
    poll_window_ceded(w);
    return true;
}

bool poll_window_timed(struct poll_window *w)
{
    if (w->cur_us || w->probing || !w->max_us)
        return w->max_us != 0;
    if (++w->closed_sleeps < w->time_closed_every)
        return false;
    w->closed_sleeps = 0;
    return true;
}

void poll_window_slept(struct poll_window *w, int64_t gap_us)
{
    w->probing = false;
    if (gap_us <= (int64_t)w->max_us) {
        w->misses = 0;
        if (gap_us > (int64_t)w->cur_us) {
            /* A longer spin would have caught it: grow, up to the maximum. */
            w->cur_us = w->cur_us ? w->cur_us * 2 : POLL_WINDOW_START_US;
            if (w->cur_us > w->max_us)
                w->cur_us = w->max_us;
        }
        return;
    }
    /* Too long to catch by spinning: halve, and stop spinning once the
     * window is below its starting size -- from the second such gap in a
     * row: one slow answer among quick ones is no reason to miss the next
     * ones too (a halved window misses every answer it was just short
     * of), and then at each one. */
    if (w->cur_us && ++w->misses < POLL_MISSES_TO_SHRINK)
        return;
    w->cur_us /= 2;
    if (w->cur_us < POLL_WINDOW_START_US)
        w->cur_us = 0;
}

bool spin_round_over(int64_t start_us, int64_t work_us, int64_t now_us)
{
    if (now_us - start_us < SPIN_ROUND_US)
        return false;
    return now_us - work_us >= SPIN_AFTER_WORK_US || now_us - start_us >= SPIN_ROUND_MAX_US;
}

unsigned poll_max_for_wake(int64_t wake_ns)
{
    int64_t us;

    if (wake_ns <= 0)
        return POLL_MAX_DEFAULT_US;
    us = wake_ns / 1000 * POLL_MAX_WAKE_FACTOR;
    if (us < POLL_MAX_DEFAULT_US)
        return POLL_MAX_DEFAULT_US;
    return us > POLL_MAX_WAKE_CAP_US ? POLL_MAX_WAKE_CAP_US : (unsigned)us;
}
