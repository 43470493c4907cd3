/* SPDX-License-Identifier: MIT */
/*
 * What a sleep and its wake-up cost here, measured once at start: the
 * backend's adaptive spin is worth as long as a wake-up it saves (spinning
 * any longer than a block-and-wake costs is the classic way to lose), and
 * that cost ranges from a few microseconds on bare metal over tens in a
 * VM to a millisecond in an emulated PV dom0.
 */
#ifndef VMSG_WAKE_COST_H
#define VMSG_WAKE_COST_H

#include <stdint.h>

/* The median of @rounds eventfd ping-pongs with a helper thread, halved:
 * one thread sleeping in read() and woken by another's write(), in ns.
 * -errno if the thread or its eventfds could not be made. */
int64_t wake_cost_ns(unsigned rounds);

#endif
