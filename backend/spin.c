/* SPDX-License-Identifier: MIT */
/* The busy-poll spin's passes over one ring's devices (see spin.h). */
#include "spin.h"

static bool any_quiet_pending(struct vmsg_dev *const *devs, int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (vmsg_dev_quiet_pending(devs[i]))
            return true;
    return false;
}

bool spin_pass(struct vmsg_ring_ep *ep, struct vmsg_dev *const *devs, int n,
               enum spin_pass pass)
{
    bool any = false;
    int i;

    if (pass != SPIN_LOOK)
        vmsg_ring_ep_set_polling(ep, pass == SPIN_START);
    if (pass == SPIN_START) {        /* serves nothing: no batch */
        for (i = 0; i < n; i++)
            vmsg_dev_set_polled(devs[i], true);
        return false;
    }
    /* The common look finds nothing: no batch flag to flip, no kick. */
    if (pass == SPIN_LOOK && !any_quiet_pending(devs, n))
        return false;
    vmsg_ring_ep_batch(ep, true);
    for (i = 0; i < n; i++)
        any |= pass == SPIN_LOOK ? vmsg_dev_poll_queues(devs[i])
                                 : vmsg_dev_set_polled(devs[i], false);
    vmsg_ring_ep_batch(ep, false);
    return any;
}
