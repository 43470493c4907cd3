/* SPDX-License-Identifier: MIT */
/*
 * Adaptive polling window: how long to spin before sleeping.
 *
 * The backend's event loop spins on its rings after its work, and a driver
 * (bus/common/ring_ep.c) spins on the device's ring before it sleeps for
 * an answer: whatever arrives during the spin costs no wake-up, and the
 * peer, seeing the ring's polling flag, does not kick.  A fixed spin
 * wastes a CPU on an idle side; this window grows while the gaps would
 * have been caught by a longer spin and shrinks when they are longer than
 * the maximum, so a side with back-to-back work spins, an idle one sleeps
 * at once.  (The same idea as QEMU's adaptive AioContext polling,
 * poll-max-ns.)
 *
 * A gap measured by sleeping includes the wake-up itself (70 us or more
 * in a VM whose idle vCPU must be woken): work that a full spin would
 * catch can look too slow to spin for, and a closed window would then
 * never reopen.  So a driver's closed window probes: one wait in
 * POLL_PROBE_EVERY spins for the maximum, and one that catches its work
 * reopens it.  (The backend's does not: its gaps are its frontends'
 * think time, and on Xen a spinning dom0 vCPU holds a physical CPU; in
 * Xen-in-QEMU its probes were 4446 of 5356 spins and caught work 179
 * times.)
 */
#ifndef VMSG_POLL_WINDOW_H
#define VMSG_POLL_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#define POLL_WINDOW_START_US 4u      /* first window after a caught gap */
/* An adaptive spin yields the CPU this often (a peer may have been put on
 * our CPU), not at every look: a system call costs a microsecond or more
 * in a VM. */
#define SPIN_YIELD_US 8
/* The backend's spin goes back to epoll (sockets, signals, worker
 * completions) this often: a system call each time.  See
 * spin_round_over(). */
#define SPIN_ROUND_US 16
#define SPIN_AFTER_WORK_US 4
#define SPIN_ROUND_MAX_US 256
/* The backend's default --poll-max: see poll_max_for_wake(); this is its
 * floor and what it is where no wake-up could be measured. */
#define POLL_MAX_DEFAULT_US 32
#define POLL_MAX_WAKE_FACTOR 32
#define POLL_MAX_WAKE_CAP_US 5000
#define POLL_PROBE_EVERY 16          /* a closed window spins once in this many waits */
#define POLL_MISSES_TO_SHRINK 2      /* gaps over the maximum in a row before it shrinks */
#define POLL_YIELDS_TO_CEDE 2        /* yields in a row that ran others before a spin gives way */
#define POLL_TIME_CLOSED_EVERY 8     /* where the clock is slow: see poll_window_timed() */
#define POLL_STR_(x) #x
#define POLL_XSTR_(x) POLL_STR_(x)
#define POLL_MAX_DEFAULT_STR POLL_XSTR_(POLL_MAX_DEFAULT_US)

struct poll_window {
    unsigned max_us;                 /* 0: never spin */
    unsigned cur_us;                 /* spin this long now */
    unsigned probe_every;            /* closed: a probe once in this many waits (0: never) */
    unsigned closed_waits;           /* waits since the last probe, while closed */
    unsigned time_closed_every;      /* closed: time one sleep in this many (0, 1: all) */
    unsigned closed_sleeps;          /* sleeps since the last timed one, while closed */
    unsigned misses;                 /* gaps over the maximum in a row */
    unsigned probes, reopened;       /* probes made, and those that caught work */
    unsigned ceded;                  /* spins that gave way to other tasks */
    unsigned ran_others;             /* yields in a row that ran other tasks */
    bool yield_seen;                 /* yield_min_us is set */
    int64_t yield_min_us;            /* the quickest yield of a spin: one that ran nothing */
    bool probing;                    /* this wait's spin is a probe */
};

/* How long to spin before sleeping, now: the window, or the maximum for a
 * probe (which lasts until poll_window_caught() or poll_window_slept()). */
unsigned poll_window_budget(struct poll_window *w);

/* The spin of this wait caught its work: a probe reopens the window. */
void poll_window_caught(struct poll_window *w);

/* The spin gave way: a yield ran other tasks for a while (more runnable
 * tasks than CPUs here), so spinning takes turns from them, perhaps from
 * the peer it waits for.  Close the window; short gaps or a probe that
 * catches its work open it again.  (What KVM's halt polling does with
 * single_task_running(), seen from user space.) */
void poll_window_ceded(struct poll_window *w);

/* A driver's spin yielded and the yield (with the clock read after it)
 * took @took_us.  The quickest yield seen is what one costs here with
 * nothing else to run: a system call, and where the clock is a system
 * call too (a Xen PV domain) tens of microseconds.  One SPIN_YIELD_US
 * longer than that ran other tasks.  The POLL_YIELDS_TO_CEDE-th such
 * yield in a row (a quick one ends the row), or the first in a probe of
 * a closed window: poll_window_ceded() and true.  Before that the spin
 * goes on: a kernel thread that ran once on our CPU is no reason to
 * sleep and then regrow the window from POLL_WINDOW_START_US, a wake-up
 * at each doubling (a stream of 1 MiB reads met 22-26 such yields in
 * 2048 requests, and each cost 4-5 sleeps of 40-100 us). */
bool poll_window_yielded(struct poll_window *w, int64_t took_us);

/* Whether to time the sleep about to begin (and report it with
 * poll_window_slept()): always while the window is open or probing; while
 * it is closed, one sleep in time_closed_every, enough to see gaps turn
 * short and reopen it.  For a side whose clock is a system call (a Xen PV
 * domain: its clock source has no vDSO), where two reads a request that a
 * closed window has no use for cost more than the window saves; where the
 * clock is cheap every sleep is timed and the window reopens at once. */
bool poll_window_timed(struct poll_window *w);

/* The side slept: @gap_us is the time from its last work (backend) or
 * from the start of its wait (driver), any spin included, to the wake-up. */
void poll_window_slept(struct poll_window *w, int64_t gap_us);

/* Whether a round of the backend's spin that began at @start_us, and last
 * found work at @work_us, is over at @now_us: after SPIN_ROUND_US, once
 * idle SPIN_AFTER_WORK_US, and after SPIN_ROUND_MAX_US whatever comes.
 * The next request of a stream comes a microsecond or two after the
 * answer, and one that comes while the loop is in epoll waits for that
 * system call (a microsecond in a VM): a 1 MiB request outlasts a round,
 * and ending the round when its work is done sent the loop to epoll
 * after every one (1 MiB reads: 1.2 us from a request's put to the
 * backend seeing it, 0.4 us with this). */
bool spin_round_over(int64_t start_us, int64_t work_us, int64_t now_us);

/* The backend's default maximum where a sleep and wake-up costs
 * @wake_ns (lib/wake_cost.h, across two CPUs): POLL_MAX_WAKE_FACTOR of
 * them, at least POLL_MAX_DEFAULT_US and at most POLL_MAX_WAKE_CAP_US
 * (for a @wake_ns of 0 or less, unmeasured: POLL_MAX_DEFAULT_US).  A
 * gap the backend measures by sleeping includes the wake-up that ended
 * it, so its window stays open only if the maximum covers its
 * frontends' think time and that path together; a shorter one closes
 * the window for good under a load that a spin would serve.
 *  - Host bus, this 2-vCPU VM (a wake-up of 10-12 us, so 320-380 us): 64
 *    frontends at 25.6 k requests/s in all, a round of 4 every 156 us on
 *    average: with a maximum of 100-200 us the window closed and the p99
 *    was 0.9-4 ms (1.5-4x one frontend's); with 320 us or more it stayed
 *    open, p50 45 us against 110, p99 0.22-0.5 ms.
 *  - Xen: a request that finds the backend asleep waits for more than a
 *    wake-up inside the domain: Xen wakes a dom0 vCPU, which takes the
 *    upcall, and then the thread.  In a PV dom0 under TCG a wake-up
 *    measured 70-400 us, the path about a millisecond, and so is the
 *    Linux guest's time from an answer to its next request at queue
 *    depth 1: over the guest's bench a 700 us maximum caught 520 requests
 *    by spinning, 1.5 ms 4012, 2.4-2.9 ms 2985-8900, 5 ms 11498-13916.
 * On hardware, where a wake-up is 5-20 us, this is 160-640 us, the order
 * of what KVM on x86 spins for a halted vCPU (halt_poll_ns, 200 us).  The
 * window still closes when the gaps are longer, so an idle frontend
 * costs nothing. */
unsigned poll_max_for_wake(int64_t wake_ns);

#endif
