/* SPDX-License-Identifier: MIT */
/*
 * Adaptive polling window for the backend's event loop.
 *
 * After its work the loop may spin on the rings for a while before it
 * sleeps: a request that arrives during the spin is served without a
 * wake-up (and its frontend, seeing the ring's polling flag, does not
 * kick).  A fixed spin wastes a core on an idle backend; this window
 * grows while the gaps between requests would have been caught by a
 * longer spin and shrinks when they are longer than the maximum, so a
 * backend with back-to-back work spins, an idle one sleeps at once.
 * (The same idea as QEMU's adaptive AioContext polling, poll-max-ns.)
 */
#ifndef VMSG_POLL_WINDOW_H
#define VMSG_POLL_WINDOW_H

#include <stdint.h>

#define POLL_WINDOW_START_US 4u      /* first window after a caught gap */
#define POLL_MAX_DEFAULT_US 32       /* --poll-max default */
#define POLL_STR_(x) #x
#define POLL_XSTR_(x) POLL_STR_(x)
#define POLL_MAX_DEFAULT_STR POLL_XSTR_(POLL_MAX_DEFAULT_US)

struct poll_window {
    unsigned max_us;                 /* 0: never spin */
    unsigned cur_us;                 /* spin this long now */
};

/* The loop slept: @gap_us is the time from its last work (the end of a
 * spin, if any, included) to the wake-up. */
void poll_window_slept(struct poll_window *w, int64_t gap_us);

#endif
