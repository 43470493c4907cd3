// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * xenbus frontend driver for the "virtio_msg" device kind.
 *
 * Handshake (Xen split-driver conventions, as blkfront):
 *   backend InitWait  -> grant the ring, bind an event channel, publish
 *                        ring-pages, ring-refN, event-channel, msg-size;
 *                        Initialised
 *   backend Connected -> read msg-size, register the virtio device
 *                        (GET_DEVICE_INFO; the virtio core probes its
 *                        driver), Connected
 *   backend Closing/Closed -> unregister the virtio device, drop the
 *                        ring; Closed; then Initialising again, so a
 *                        restarted backend gets a fresh session
 *   device node removed -> remove (xl-virtio-msg detach, domain teardown)
 * Registration runs in a work item: a virtio driver's probe does I/O and
 * must not hold up the xenbus watch thread.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/dma-map-ops.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "vmx.h"

/* @backend_gone: fail requests at once instead of waiting for answers. */
unsigned int vmx_pool_pages = 1024;
module_param_named(pool_pages, vmx_pool_pages, uint, 0444);
MODULE_PARM_DESC(pool_pages, "pages of persistently granted bounce pool per device (0: a grant per mapping)");

static void vmx_disconnect(struct vmx_dev *v, bool backend_gone)
{
	flush_work(&v->connect_work);
	if (backend_gone && v->vdev_registered) {
		virtio_break_device(&v->vd->vdev);
		v->ring_live = false;
		wake_up(&v->resp_wq);
	}
	vmx_virtio_unregister(v);        /* resets the device, frees its queues */
	vmx_ring_teardown(v);
}

static void connect_work(struct work_struct *w)
{
	struct vmx_dev *v = container_of(w, struct vmx_dev, connect_work);
	struct xenbus_device *xdev = v->xdev;
	unsigned int msg = xenbus_read_unsigned(xdev->otherend, "msg-size", 0);
	int rc;

	if (msg < 48 || msg > VMX_MAX_MSG) {
		xenbus_dev_fatal(xdev, -EPROTO, "backend msg-size %u", msg);
		return;
	}
	v->max_msg = msg;
	v->ring_live = true;
	rc = vmx_virtio_register(v);
	if (rc) {
		xenbus_dev_error(xdev, rc, "registering the virtio device");
		return;
	}
	xenbus_switch_state(xdev, XenbusStateConnected);
}

static void vmx_backend_changed(struct xenbus_device *xdev, enum xenbus_state be)
{
	struct vmx_dev *v = dev_get_drvdata(&xdev->dev);

	dev_dbg(&xdev->dev, "backend %s, we are %s\n", xenbus_strstate(be),
		xenbus_strstate(xdev->state));
	switch (be) {
	case XenbusStateInitWait:
		if (xdev->state != XenbusStateInitialising)
			break;
		if (vmx_ring_setup(v) == 0)
			xenbus_switch_state(xdev, XenbusStateInitialised);
		break;
	case XenbusStateConnected:
		if (xdev->state == XenbusStateInitialised)
			schedule_work(&v->connect_work);
		break;
	case XenbusStateClosing:
		/* Fail requests fast; the backend still holds our grants until
		 * it says Closed, so nothing is torn down yet. */
		if (v->vdev_registered)
			virtio_break_device(&v->vd->vdev);
		v->ring_live = false;
		wake_up(&v->resp_wq);
		break;
	case XenbusStateClosed:
		if (xdev->state == XenbusStateClosed || xdev->state == XenbusStateInitialising)
			break;
		vmx_disconnect(v, true);
		xenbus_frontend_closed(xdev);
		/* Start over: a backend that comes back finds us Initialising. */
		xenbus_switch_state(xdev, XenbusStateInitialising);
		break;
	default:
		break;
	}
}

static struct vmx_dev *vmx_alloc_dev(struct xenbus_device *xdev)
{
	struct vmx_dev *v = kzalloc(sizeof(*v), GFP_KERNEL);

	if (!v)
		return NULL;
	v->xdev = xdev;
	mutex_init(&v->req_lock);
	mutex_init(&v->io_lock);
	spin_lock_init(&v->tx_lock);
	spin_lock_init(&v->rx_lock);
	init_waitqueue_head(&v->resp_wq);
	INIT_WORK(&v->connect_work, connect_work);
	return v;
}

static int vmx_probe(struct xenbus_device *xdev, const struct xenbus_device_id *id)
{
	struct vmx_dev *v = vmx_alloc_dev(xdev);

	if (!v)
		return -ENOMEM;
	/* After an unbind or a module reload the device is Closed: start over. */
	if (xdev->state != XenbusStateInitialising)
		xenbus_switch_state(xdev, XenbusStateInitialising);
	/* Buffers reach the backend only as grants (vmx_dma.c). */
	xdev->dev.coherent_dma_mask = DMA_BIT_MASK(64);
	xdev->dev.dma_mask = &xdev->dev.coherent_dma_mask;
	set_dma_ops(&xdev->dev, &vmx_grant_dma_ops);
	dev_set_drvdata(&xdev->dev, v);
	return 0;
}

static void vmx_remove(struct xenbus_device *xdev)
{
	struct vmx_dev *v = dev_get_drvdata(&xdev->dev);
	bool connected;
	int i;

	if (!v)
		return;
	connected = xenbus_read_driver_state(xdev->otherend) == XenbusStateConnected;
	flush_work(&v->connect_work);
	vmx_virtio_unregister(v);        /* the driver resets the device */
	/* The backend unmaps our ring when it sees Closing; wait for that
	 * (bounded) so no grant is still in use when we end it. */
	if (connected) {
		xenbus_switch_state(xdev, XenbusStateClosing);
		for (i = 0; i < 500; i++) {
			enum xenbus_state st = xenbus_read_driver_state(xdev->otherend);

			if (st == XenbusStateClosed || st == XenbusStateInitWait ||
			    st == XenbusStateUnknown)
				break;
			msleep(10);
		}
	}
	vmx_ring_teardown(v);
	dev_set_drvdata(&xdev->dev, NULL);
	kfree(v);
	set_dma_ops(&xdev->dev, NULL);
}

/* Ring counters, for tests and operators: events the backend sent us
 * (and answers nobody waited for), events we sent it and the ones its
 * "reading now" flag saved. */
static ssize_t stats_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vmx_dev *v = dev_get_drvdata(dev);

	if (!v)
		return -ENODEV;
	return sysfs_emit(buf, "events %llu strays %llu kicks %llu kicks_saved %llu\n",
			  v->events, v->strays, v->kicks, v->kicks_saved);
}
static DEVICE_ATTR_RO(stats);

static struct attribute *vmx_attrs[] = {
	&dev_attr_stats.attr,
	NULL
};
ATTRIBUTE_GROUPS(vmx);

static const struct xenbus_device_id vmx_ids[] = {
	{ "virtio_msg" },
	{ "" }
};

static struct xenbus_driver vmx_driver = {
	.ids = vmx_ids,
	.probe = vmx_probe,
	.remove = vmx_remove,
	.otherend_changed = vmx_backend_changed,
	.not_essential = true,
	.driver.dev_groups = vmx_groups,
};

static int __init vmx_init(void)
{
	if (!xen_domain())
		return -ENODEV;
	return xenbus_register_frontend(&vmx_driver);
}

static void __exit vmx_exit(void)
{
	xenbus_unregister_driver(&vmx_driver);
}

module_init(vmx_init);
module_exit(vmx_exit);
MODULE_DESCRIPTION("virtio-msg transport over Xen grants, event channels and xenstore");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_ALIAS("xen:virtio_msg");
