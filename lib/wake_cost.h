/* SPDX-License-Identifier: MIT */
/*
 * What a sleep and its wake-up cost here, measured once at start: what a
 * spin saves each time it catches work, so the figure to weigh the
 * backend's --poll-max against (and, on Xen, what its default follows:
 * poll_max_for_wake()).  It ranges from a few microseconds on bare metal
 * over tens in a VM to hundreds in an emulated PV dom0.
 */
#ifndef VMSG_WAKE_COST_H
#define VMSG_WAKE_COST_H

#include <stdint.h>

/* The median of @rounds eventfd ping-pongs with a helper thread, halved:
 * one thread sleeping in read() and woken by another's write(), in ns.
 * Where the caller may run on two CPUs or more, the two threads are
 * pinned to two of them for the measurement (the caller's own CPU
 * affinity is restored after it, unless someone set it meanwhile): a
 * frontend's kick wakes a backend on another CPU.  -errno if the thread
 * or its eventfds could not be made. */
int64_t wake_cost_ns(unsigned rounds);

#endif
