// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The message ring of a virtio_msg xenbus device: page 0 holds the two
 * control blocks, page 1 carries our messages to the backend, page 2 the
 * backend's to us.  Records are le16 length, le16 zero, the message, zero
 * padding to 4 bytes, the header written last (layout 3).  What the
 * backend writes is hostile: prod is read once and bounded, every record
 * length is checked, and the message is copied out before anything looks
 * at it.
 */
#include <asm/unaligned.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/slab.h>
#include <xen/events.h>
#include <xen/page.h>

#include "vmx.h"

#define MASK (VMX_RING_DATA - 1)

static struct vmx_ring_ctl *ctl(struct vmx_dev *v, bool to_backend)
{
	return (struct vmx_ring_ctl *)((u8 *)v->ring + (to_backend ? 0 : VMX_RING_CTL_B2F));
}

static u8 *data(struct vmx_dev *v, bool to_backend)
{
	return (u8 *)v->ring + PAGE_SIZE * (to_backend ? 1 : 2);
}

static void ring_copy_in(struct vmx_dev *v, u32 pos, const void *src, u32 n)
{
	u32 at = pos & MASK, first = min(n, VMX_RING_DATA - at);

	memcpy(data(v, true) + at, src, first);
	memcpy(data(v, true), (const u8 *)src + first, n - first);
}

static void ring_copy_out(struct vmx_dev *v, u32 pos, void *dst, u32 n)
{
	u32 at = pos & MASK, first = min(n, VMX_RING_DATA - at);

	memcpy(dst, data(v, false) + at, first);
	memcpy((u8 *)dst + first, data(v, false), n - first);
}

/* Put one record; -EAGAIN if there is no room now.  tx_lock held. */
static int ring_put(struct vmx_dev *v, const void *msg, u32 len)
{
	static const u8 zeros[4];
	u32 need = (4 + len + 3) & ~3u, cons, used;

	if (v->broken || !v->ring_live)
		return -EPIPE;
	cons = le32_to_cpu(READ_ONCE(ctl(v, true)->cons));
	virt_mb();
	used = v->tx_prod - cons;
	if (used > VMX_RING_DATA) {
		v->broken = true;        /* the backend ran past us */
		return -EPROTO;
	}
	if (VMX_RING_DATA - used < need)
		return -EAGAIN;
	ring_copy_in(v, v->tx_prod + 4, msg, len);
	ring_copy_in(v, v->tx_prod + 4 + len, zeros, need - 4 - len);
	/* Layout 3: the backend may find the record by its header alone (it
	 * zeroes what it has read), so the message goes before the header,
	 * in one aligned store (tx_prod stays a multiple of 4). */
	virt_wmb();
	WRITE_ONCE(*(__le32 *)(data(v, true) + (v->tx_prod & MASK)), cpu_to_le32(len));
	v->tx_prod += need;
	virt_wmb();                      /* the record before its index */
	WRITE_ONCE(ctl(v, true)->prod, cpu_to_le32(v->tx_prod));
	return 0;
}

/* Send with a bounded wait for room (the backend drains on every kick).
 * No event while the backend says it is reading our ring: it looks at
 * prod again after it clears that flag (the barrier pairs with its fence
 * between setting the flag and reading prod). */
static int send_msg(struct vmx_dev *v, const void *msg, u32 len)
{
	unsigned long flags;
	bool kick = true;
	int rc, spins = 0;

	for (;;) {
		spin_lock_irqsave(&v->tx_lock, flags);
		rc = ring_put(v, msg, len);
		if (rc == 0) {
			virt_mb();       /* prod before the flag */
			kick = !(le32_to_cpu(READ_ONCE(ctl(v, true)->cons_flags)) &
				 VMX_RING_F_POLLING);
			if (kick)
				v->kicks++;
			else
				v->kicks_saved++;
		}
		spin_unlock_irqrestore(&v->tx_lock, flags);
		if (kick)        /* on -EAGAIN: the backend is behind, nudge it */
			notify_remote_via_irq(v->irq);
		if (rc == 0)
			return 0;
		if (rc != -EAGAIN || ++spins > 100000)
			return rc == -EAGAIN ? -ETIMEDOUT : rc;
		udelay(1);
	}
}

void vmx_msg_init(void *msg, u8 type, u8 msg_id, u32 payload)
{
	struct vmsg_wire_hdr *h = msg;

	memset(msg, 0, VMSG_HDR_SIZE + payload);
	h->type = type;
	h->msg_id = msg_id;
	h->dev_num = 0;
	h->msg_size = cpu_to_le16(VMSG_HDR_SIZE + payload);
}

int vmx_send_event(struct vmx_dev *v, const void *msg)
{
	const struct vmsg_wire_hdr *h = msg;

	return send_msg(v, msg, le16_to_cpu(h->msg_size));
}

int vmx_transfer(struct vmx_dev *v, void *req, void *resp, u32 resp_cap)
{
	struct vmsg_wire_hdr *h = req;
	long left;
	int rc;

	if (v->broken || !v->ring_live)
		return -EPIPE;
	mutex_lock(&v->req_lock);
	if (++v->token == 0)
		v->token = 1;
	h->token = cpu_to_le16(v->token);   /* the bus owns the token */
	spin_lock_irq(&v->rx_lock);
	v->want_token = v->token;
	v->resp_ready = false;
	spin_unlock_irq(&v->rx_lock);
	rc = send_msg(v, req, le16_to_cpu(h->msg_size));
	if (rc == 0) {
		left = wait_event_timeout(v->resp_wq, v->resp_ready || v->broken ||
					  !v->ring_live, VMX_TIMEOUT);
		spin_lock_irq(&v->rx_lock);
		if (v->resp_ready && v->resp_len <= resp_cap) {
			memcpy(resp, v->resp, v->resp_len);
			rc = 0;
		} else {
			rc = v->resp_ready ? -EMSGSIZE : left ? -EPIPE : -ETIMEDOUT;
		}
		v->want_token = 0;
		spin_unlock_irq(&v->rx_lock);
	}
	mutex_unlock(&v->req_lock);
	if (rc == -ETIMEDOUT)
		dev_warn(&v->xdev->dev, "request 0x%02x: no answer from the backend\n", h->msg_id);
	return rc;
}

/* Drain the backend's ring: responses to the waiter, events onwards. */
static irqreturn_t vmx_interrupt(int irq, void *opaque)
{
	struct vmx_dev *v = opaque;
	unsigned long flags;
	bool flagged = true;             /* ours to know: the page is shared */

	spin_lock_irqsave(&v->rx_lock, flags);
	/* While we drain, the backend puts without an event; we look at prod
	 * once more after clearing the flag (its fence pairs with ours). */
	WRITE_ONCE(ctl(v, false)->cons_flags, cpu_to_le32(VMX_RING_F_POLLING));
	virt_mb();
	while (v->ring_live && !v->broken) {
		u32 prod = le32_to_cpu(READ_ONCE(ctl(v, false)->prod)), avail, len, need;
		u8 hdr[4];
		const struct vmsg_wire_hdr *h;

		virt_rmb();
		avail = prod - v->rx_cons;
		if (!avail) {
			if (!flagged)
				break;   /* cleared and looked again: empty */
			WRITE_ONCE(ctl(v, false)->cons_flags, 0);
			flagged = false;
			virt_mb();       /* the flag before prod */
			continue;
		}
		if (!flagged) {
			WRITE_ONCE(ctl(v, false)->cons_flags, cpu_to_le32(VMX_RING_F_POLLING));
			flagged = true;
			virt_mb();
		}
		if (avail > VMX_RING_DATA || avail < 4 || avail % 4)
			goto bad;
		ring_copy_out(v, v->rx_cons, hdr, 4);
		len = hdr[0] | (u32)hdr[1] << 8;
		need = (4 + len + 3) & ~3u;
		if (len < VMSG_HDR_SIZE || len > v->max_msg || need > avail)
			goto bad;
		ring_copy_out(v, v->rx_cons + 4, v->rxbuf, len);   /* copy once */
		v->rx_cons += need;
		virt_mb();
		WRITE_ONCE(ctl(v, false)->cons, cpu_to_le32(v->rx_cons));
		h = (const struct vmsg_wire_hdr *)v->rxbuf;
		if (le16_to_cpu(h->msg_size) != len)
			continue;                /* malformed: dropped */
		if (h->type & VMSG_TYPE_RESPONSE) {
			if (v->want_token && le16_to_cpu(h->token) == v->want_token &&
			    !v->resp_ready) {
				memcpy(v->resp, v->rxbuf, len);
				v->resp_len = len;
				v->resp_ready = true;
				wake_up(&v->resp_wq);
			} else {
				v->strays++;
			}
			continue;
		}
		v->events++;
		if (!(h->type & VMSG_TYPE_BUS) && le16_to_cpu(h->dev_num) == 0) {
			u8 id = h->msg_id;
			u32 vq = len >= VMSG_HDR_SIZE + 4 ? get_unaligned_le32(v->rxbuf + VMSG_HDR_SIZE) : ~0u;

			/* Drivers' callbacks run without the ring lock. */
			spin_unlock_irqrestore(&v->rx_lock, flags);
			vmx_virtio_event(v, id, vq);
			spin_lock_irqsave(&v->rx_lock, flags);
		}
	}
	spin_unlock_irqrestore(&v->rx_lock, flags);
	return IRQ_HANDLED;
bad:
	v->broken = true;
	spin_unlock_irqrestore(&v->rx_lock, flags);
	wake_up(&v->resp_wq);
	dev_err(&v->xdev->dev, "the backend broke the message ring\n");
	return IRQ_HANDLED;
}

int vmx_ring_setup(struct vmx_dev *v)
{
	struct xenbus_device *xdev = v->xdev;
	struct xenbus_transaction xbt;
	int i, rc;

	BUILD_BUG_ON(sizeof(struct vmx_ring_ctl) != 192);
	v->ring = alloc_pages_exact(VMX_RING_PAGES * PAGE_SIZE, GFP_KERNEL | __GFP_ZERO);
	if (!v->ring)
		return -ENOMEM;
	*(__le32 *)((u8 *)v->ring + VMX_RING_LAYOUT_OFF) = cpu_to_le32(VMX_RING_LAYOUT);
	for (i = 0; i < VMX_RING_PAGES; i++) {
		rc = gnttab_grant_foreign_access(xdev->otherend_id,
						 virt_to_gfn((u8 *)v->ring + i * PAGE_SIZE), 0);
		if (rc < 0)
			goto fail;
		v->ring_ref[i] = rc;
	}
	rc = xenbus_alloc_evtchn(xdev, &v->evtchn);
	if (rc)
		goto fail;
	rc = bind_evtchn_to_irqhandler(v->evtchn, vmx_interrupt, 0, "virtio-msg", v);
	if (rc < 0) {
		xenbus_free_evtchn(xdev, v->evtchn);
		v->evtchn = 0;
		goto fail;
	}
	v->irq = rc;
	v->tx_prod = v->rx_cons = 0;
	v->broken = false;
	if (vmx_pool_pages) {
		v->pool = vmx_pool_create(xdev->otherend_id, vmx_pool_pages);
		if (!v->pool) {
			rc = -ENOMEM;
			goto fail;
		}
	}
again:
	rc = xenbus_transaction_start(&xbt);
	if (rc)
		goto fail;
	rc = xenbus_printf(xbt, xdev->nodename, "ring-pages", "%u", VMX_RING_PAGES);
	for (i = 0; i < VMX_RING_PAGES && !rc; i++) {
		char key[16];

		snprintf(key, sizeof(key), "ring-ref%d", i);
		rc = xenbus_printf(xbt, xdev->nodename, key, "%u", v->ring_ref[i]);
	}
	if (!rc)
		rc = xenbus_printf(xbt, xdev->nodename, "event-channel", "%u", v->evtchn);
	if (!rc)
		rc = xenbus_printf(xbt, xdev->nodename, "msg-size", "%u", VMX_MAX_MSG);
	/* With the pool, grants are never revoked: the backend may keep its
	 * mappings.  Without it they are per mapping, like Linux grant DMA. */
	if (!rc)
		rc = xenbus_printf(xbt, xdev->nodename, "feature-persistent", "%u", v->pool ? 1 : 0);
	/* The pool's refs are consecutive: the backend maps it whole, once. */
	if (!rc && v->pool)
		rc = xenbus_printf(xbt, xdev->nodename, "pool-ref", "%u", v->pool->first);
	if (!rc && v->pool)
		rc = xenbus_printf(xbt, xdev->nodename, "pool-pages", "%u", v->pool->npages);
	if (rc) {
		xenbus_transaction_end(xbt, 1);
		goto fail;
	}
	rc = xenbus_transaction_end(xbt, 0);
	if (rc == -EAGAIN)
		goto again;
	if (rc)
		goto fail;
	return 0;
fail:
	xenbus_dev_error(xdev, rc, "setting up the virtio-msg ring");
	vmx_ring_teardown(v);
	return rc;
}

void vmx_ring_teardown(struct vmx_dev *v)
{
	int i;

	v->ring_live = false;
	wake_up(&v->resp_wq);
	if (v->irq > 0)
		unbind_from_irqhandler(v->irq, v);   /* also closes the port */
	else if (v->evtchn)
		xenbus_free_evtchn(v->xdev, v->evtchn);
	v->irq = 0;
	v->evtchn = 0;
	if (v->ring) {
		for (i = 0; i < VMX_RING_PAGES; i++)
			if (v->ring_ref[i]) {
				/* Frees the page too, once the backend unmapped it. */
				gnttab_end_foreign_access(v->ring_ref[i],
							  virt_to_page((u8 *)v->ring + i * PAGE_SIZE));
				v->ring_ref[i] = 0;
			}
		v->ring = NULL;          /* pages now owned by the grant code */
	}
	vmx_pool_destroy(v->pool);
	v->pool = NULL;
}
