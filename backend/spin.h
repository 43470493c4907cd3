/* SPDX-License-Identifier: MIT */
/*
 * The busy-poll spin's passes over the devices behind one message ring
 * (host-bus connection or Xen device), shared by both backends' loops.
 * While the loop spins the ring carries its "reading now" flag and the
 * queues are polled (vmsg_dev_set_polled()): a driver that submits sends
 * neither a kick nor an EVENT_AVAIL, and each look of the spin serves
 * the queues it added to.
 */
#ifndef VMSG_BACKEND_SPIN_H
#define VMSG_BACKEND_SPIN_H

#include <stdbool.h>

#include "virtio-msg/device.h"
#include "../bus/common/ring_ep.h"

enum spin_pass {
    SPIN_START,      /* ring flag on, queues polled */
    SPIN_LOOK,       /* serve the quiet queues with requests */
    SPIN_END,        /* ring flag off, queues notify again; serve those
                      * that got requests meanwhile */
};

/* @pass over @devs[0..@n): true if a queue was served.  The answers of
 * one pass share one kick, as those to requests queued together in the
 * ring do.  A look that finds nothing costs no more than reading each
 * quiet queue's avail index. */
bool spin_pass(struct vmsg_ring_ep *ep, struct vmsg_dev *const *devs, int n,
               enum spin_pass pass);

#endif
