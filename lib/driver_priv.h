/* SPDX-License-Identifier: MIT */
/* Private to the driver-side transport files. */
#ifndef VMSG_DRIVER_PRIV_H
#define VMSG_DRIVER_PRIV_H

#include "virtio-msg/driver.h"

/*
 * Send @req, wait for and validate its response into @resp (pointers into
 * d->resp, valid until the next call).  Any mismatch or bus failure marks
 * @d broken.
 */
int vmsg_drv_call(struct vmsg_drv *d, struct vmsg *req, struct vmsg *resp);

/* Mark the device broken with @err; returns @err. */
int vmsg_drv_fail(struct vmsg_drv *d, int err);

#endif
