/* SPDX-License-Identifier: MIT */
#include "poll_window.h"

void poll_window_slept(struct poll_window *w, int64_t gap_us)
{
    if (gap_us > (int64_t)w->max_us) {
        /* Too long to catch by spinning: halve, and stop spinning once the
         * window is below its starting size. */
        w->cur_us /= 2;
        if (w->cur_us < POLL_WINDOW_START_US)
            w->cur_us = 0;
    } else if (gap_us > (int64_t)w->cur_us) {
        /* A longer spin would have caught it: grow, up to the maximum. */
        w->cur_us = w->cur_us ? w->cur_us * 2 : POLL_WINDOW_START_US;
        if (w->cur_us > w->max_us)
            w->cur_us = w->max_us;
    }
}
