/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * virtio-msg over Xen for Linux guests: one xenbus device of kind
 * "virtio_msg" = one message ring (3 granted pages) + one event channel =
 * one virtio device, registered with the kernel's virtio core so its
 * unmodified drivers (virtio_blk, virtio_console, virtio_rng, virtio_net)
 * bind to it.  Same xenstore layout, ring format and grant-DMA addresses
 * as the user-space frontend and the backend (README "Xen bus").
 */
#ifndef VMX_H
#define VMX_H

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <xen/xenbus.h>
#include <xen/grant_table.h>

#include "virtio-msg/wire.h"

#define VMX_RING_PAGES   3
#define VMX_RING_DATA    4096u       /* bytes per direction */
#define VMX_MAX_MSG      1024u       /* what we agree to at most */
#define VMX_TIMEOUT      (5 * HZ)    /* one request */
#define VMX_MAX_VQS      16

struct vmx_ring_ctl {                /* bus/common/msg_ring.h, layout 3 */
	__le32 prod;
	__le32 pad0[15];
	__le32 cons;
	__le32 pad1[15];
	__le32 cons_flags;               /* written by the consumer, a line of its own */
	__le32 pad2[15];
};

#define VMX_RING_CTL_B2F    256u     /* backend->frontend control block */
#define VMX_RING_LAYOUT_OFF 4092u    /* le32 magic in page 0 */
#define VMX_RING_LAYOUT     0x33524d56u /* "VMR3": headers written last */

/* cons_flags: the consumer is reading the ring now and looks again before
 * it sleeps, so the producer need not send an event (VMSG_RING_F_POLLING). */
#define VMX_RING_F_POLLING 1u

struct vmx_dev;

/* Persistently granted bounce pool (vmx_dma.c): with it every DMA address
 * the device sees is one of these pages, granted once, so the backend may
 * keep its mappings (feature-persistent=1), as blkback does. */
struct vmx_pool {
	u8 *mem;
	grant_ref_t first;               /* page i has ref first + i */
	unsigned int npages;
	unsigned long *used;             /* bitmap */
	struct vmx_slot { void *orig; u32 size; u8 dir; } *slot;
	spinlock_t lock;
	unsigned long fails;             /* pool full: the request is retried */
};

/* What the virtio core holds: freed by its release, after unregister. */
struct vmx_vdev {
	struct virtio_device vdev;
	struct vmx_dev *v;
};

struct vmx_dev {                     /* lives as long as the xenbus device */
	struct xenbus_device *xdev;
	struct vmx_vdev *vd;             /* NULL while not registered */
	bool vdev_registered;

	/* the message ring */
	void *ring;
	grant_ref_t ring_ref[VMX_RING_PAGES];
	evtchn_port_t evtchn;
	int irq;
	u32 max_msg;
	u32 tx_prod, rx_cons;            /* our private copies */
	spinlock_t tx_lock, rx_lock;
	bool ring_live;
	bool broken;                     /* the backend broke the ring */

	/* one request in flight at a time */
	struct mutex req_lock;
	wait_queue_head_t resp_wq;
	u16 token, want_token;
	bool resp_ready;
	u8 resp[VMX_MAX_MSG];
	u32 resp_len;
	u8 rxbuf[VMX_MAX_MSG];           /* under rx_lock */
	struct mutex io_lock;            /* the two buffers below */
	u8 req_msg[VMX_MAX_MSG], req_out[VMX_MAX_MSG];

	struct vmx_pool *pool;           /* NULL: a grant per mapping */

	/* the device */
	u32 device_id, vendor_id, num_feature_bits, config_size, max_vqs;
	u32 config_gen;
	struct virtqueue *vqs[VMX_MAX_VQS];
	struct work_struct connect_work;
	u64 events, strays;
	u64 kicks, kicks_saved;          /* events we sent / did not need to */
};

extern unsigned int vmx_pool_pages;  /* module parameter pool_pages */

/* vmx_ring.c */
int vmx_ring_setup(struct vmx_dev *v);
void vmx_ring_teardown(struct vmx_dev *v);
/* Send @req (msg_size filled) and wait for its response. */
int vmx_transfer(struct vmx_dev *v, void *req, void *resp, u32 resp_cap);
/* Send an event (no response); usable in atomic context. */
int vmx_send_event(struct vmx_dev *v, const void *msg);
void vmx_msg_init(void *msg, u8 type, u8 msg_id, u32 payload);

/* vmx_virtio.c */
int vmx_virtio_register(struct vmx_dev *v);
void vmx_virtio_unregister(struct vmx_dev *v);
void vmx_virtio_event(struct vmx_dev *v, u8 msg_id, u32 vq_index);

/* vmx_dma.c */
extern const struct dma_map_ops vmx_grant_dma_ops;
struct vmx_pool *vmx_pool_create(domid_t domid, unsigned int npages);
void vmx_pool_destroy(struct vmx_pool *p);

#endif
