// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The virtio transport: every virtio_config_ops operation is a virtio-msg
 * request on the device's ring (features in 32-bit blocks, config in
 * chunks with generation checks, status, SET_VQUEUE/GET_VQUEUE/
 * RESET_VQUEUE), notifications are EVENT_AVAIL, and EVENT_USED /
 * EVENT_CONFIG from the device go to vring_interrupt() and
 * virtio_config_changed().  A request the backend does not answer marks
 * the device broken.
 */
#include <asm/unaligned.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "vmx.h"

#define to_vmx(d) (container_of(d, struct vmx_vdev, vdev)->v)
#define PAYLOAD(m) ((u8 *)(m) + VMSG_HDR_SIZE)

/* Request with @plen payload bytes, response of exactly @rlen payload bytes
 * (or at least @rlen when @atleast). */
static int req(struct vmx_dev *v, u8 id, const void *payload, u32 plen, void *resp,
	       u32 rlen, bool atleast)
{
	u8 *msg = v->req_msg, *out = v->req_out;   /* under io_lock */
	const struct vmsg_wire_hdr *h = (const struct vmsg_wire_hdr *)out;
	u32 got;
	int rc;

	if (VMSG_HDR_SIZE + plen > v->max_msg)
		return -EMSGSIZE;
	mutex_lock(&v->io_lock);
	vmx_msg_init(msg, 0, id, plen);
	if (plen)
		memcpy(PAYLOAD(msg), payload, plen);
	rc = vmx_transfer(v, msg, out, VMX_MAX_MSG);
	if (rc) {
		mutex_unlock(&v->io_lock);
		if ((rc == -ETIMEDOUT || rc == -EPIPE) && v->vdev_registered)
			virtio_break_device(&v->vd->vdev);
		return rc;
	}
	got = le16_to_cpu(h->msg_size) - VMSG_HDR_SIZE;
	/* The backend is untrusted: the response must be the right one. */
	if (h->msg_id != id || (h->type & VMSG_TYPE_BUS) || le16_to_cpu(h->dev_num) != 0 ||
	    (atleast ? got < rlen : got != rlen)) {
		mutex_unlock(&v->io_lock);
		return -EPROTO;
	}
	if (resp && (atleast ? got : rlen))
		memcpy(resp, PAYLOAD(out), atleast ? got : rlen);
	mutex_unlock(&v->io_lock);
	return atleast ? (int)got : 0;
}

static u64 vmx_get_features(struct virtio_device *vdev)
{
	struct vmx_dev *v = to_vmx(vdev);
	struct vmsg_wire_get_device_features_req q = { cpu_to_le32(0), cpu_to_le32(2) };
	u8 r[sizeof(struct vmsg_wire_features) + 8];
	struct vmsg_wire_features *f = (struct vmsg_wire_features *)r;

	if (req(v, VMSG_GET_DEVICE_FEATURES, &q, sizeof(q), r, sizeof(r), false) ||
	    le32_to_cpu(f->block_index) != 0 || le32_to_cpu(f->num_blocks) != 2)
		return 0;
	return le32_to_cpu(f->features[0]) | (u64)le32_to_cpu(f->features[1]) << 32;
}

static int vmx_finalize_features(struct virtio_device *vdev)
{
	struct vmx_dev *v = to_vmx(vdev);
	u8 p[sizeof(struct vmsg_wire_features) + 8];
	struct vmsg_wire_features *f = (struct vmsg_wire_features *)p;

	vring_transport_features(vdev);
	if (!__virtio_test_bit(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "the device does not offer VIRTIO_F_VERSION_1\n");
		return -EINVAL;
	}
	f->block_index = cpu_to_le32(0);
	f->num_blocks = cpu_to_le32(2);
	f->features[0] = cpu_to_le32((u32)vdev->features);
	f->features[1] = cpu_to_le32((u32)(vdev->features >> 32));
	return req(v, VMSG_SET_DRIVER_FEATURES, p, sizeof(p), NULL, 0, false);
}

static u8 vmx_get_status(struct virtio_device *vdev)
{
	struct vmx_dev *v = to_vmx(vdev);
	__le32 st;

	if (!v->ring_live)
		return 0;                /* the backend is gone: nothing is set */
	if (req(v, VMSG_GET_DEVICE_STATUS, NULL, 0, &st, 4, false))
		return VIRTIO_CONFIG_S_FAILED;
	return (u8)le32_to_cpu(st);
}

static void vmx_set_status(struct virtio_device *vdev, u8 status)
{
	__le32 st = cpu_to_le32(status), r;

	req(to_vmx(vdev), VMSG_SET_DEVICE_STATUS, &st, 4, &r, 4, false);
}

static void vmx_reset(struct virtio_device *vdev)
{
	struct vmx_dev *v = to_vmx(vdev);
	__le32 st = 0, r = cpu_to_le32(1);
	int tries;

	/* Writing 0 resets; the device may take a while to get there. */
	for (tries = 0; tries < 100; tries++) {
		if (req(v, VMSG_SET_DEVICE_STATUS, &st, 4, &r, 4, false) || !le32_to_cpu(r))
			break;
		msleep(10);
	}
}

/* One config chunk: read (@set false) or write at @off. */
static int config_io_buf(struct vmx_dev *v, unsigned off, void *buf, unsigned len, bool set,
			 struct vmsg_wire_config *c, struct vmsg_wire_config *a)
{
	int got, tries;

	for (tries = 0; tries < 8; tries++) {
		if (set) {
			c->generation = cpu_to_le32(v->config_gen);
			c->offset = cpu_to_le32(off);
			c->length = cpu_to_le32(len);
			memcpy(c->data, buf, len);
		} else {
			struct vmsg_wire_get_config_req *g = (void *)c;

			g->offset = cpu_to_le32(off);
			g->length = cpu_to_le32(len);
		}
		got = req(v, set ? VMSG_SET_CONFIG : VMSG_GET_CONFIG, c,
			  set ? sizeof(*c) + len : 8, a, sizeof(*a), true);
		if (got < 0)
			return got;
		if (le32_to_cpu(a->offset) != off)
			return -EPROTO;
		if (!set) {
			if (le32_to_cpu(a->length) != len || (u32)got != sizeof(*a) + len)
				return -EPROTO;
			memcpy(buf, a->data, len);
			v->config_gen = le32_to_cpu(a->generation);
			return 0;
		}
		if (le32_to_cpu(a->length) == len)
			return 0;
		/* Rejected (stale generation): learn the current one, retry. */
		v->config_gen = le32_to_cpu(a->generation);
	}
	return -EAGAIN;
}

static int config_io(struct vmx_dev *v, unsigned off, void *buf, unsigned len, bool set)
{
	u8 *p = kmalloc(VMX_MAX_MSG, GFP_KERNEL), *r = kmalloc(VMX_MAX_MSG, GFP_KERNEL);
	struct vmsg_wire_config *c = (struct vmsg_wire_config *)p;
	struct vmsg_wire_config *a = (struct vmsg_wire_config *)r;
	int rc = -ENOMEM;

	if (p && r)
		rc = config_io_buf(v, off, buf, len, set, c, a);
	kfree(p);
	kfree(r);
	return rc;
}

static void config_rw(struct virtio_device *vdev, unsigned off, void *buf, unsigned len,
		      bool set)
{
	struct vmx_dev *v = to_vmx(vdev);
	unsigned chunk = v->max_msg - VMSG_HDR_SIZE - sizeof(struct vmsg_wire_config);

	if (off > v->config_size || len > v->config_size - off) {
		dev_warn(&vdev->dev, "config access %u+%u beyond %u bytes\n", off, len,
			 v->config_size);
		if (!set)
			memset(buf, 0, len);
		return;
	}
	while (len) {
		unsigned n = min(len, chunk);

		if (config_io(v, off, buf, n, set)) {
			if (!set)
				memset(buf, 0, len);
			return;
		}
		off += n;
		buf = (u8 *)buf + n;
		len -= n;
	}
}

static void vmx_get(struct virtio_device *vdev, unsigned off, void *buf, unsigned len)
{
	config_rw(vdev, off, buf, len, false);
}

static void vmx_set(struct virtio_device *vdev, unsigned off, const void *buf, unsigned len)
{
	config_rw(vdev, off, (void *)buf, len, true);
}

static u32 vmx_generation(struct virtio_device *vdev)
{
	struct vmx_dev *v = to_vmx(vdev);
	u8 b;

	if (v->config_size)
		config_io(v, 0, &b, 1, false);   /* the response carries it */
	return v->config_gen;
}

static bool vmx_notify(struct virtqueue *vq)
{
	struct vmx_dev *v = to_vmx(vq->vdev);
	u8 msg[VMSG_HDR_SIZE + sizeof(struct vmsg_wire_event_avail)];
	struct vmsg_wire_event_avail *e = (void *)PAYLOAD(msg);
	const struct vring *vr = virtqueue_get_vring(vq);

	vmx_msg_init(msg, 0, VMSG_EVENT_AVAIL, sizeof(*e));
	e->vq_index = cpu_to_le32(vq->index);
	/* Split ring: the next available index. */
	e->next_offset = cpu_to_le32(virtio16_to_cpu(vq->vdev, READ_ONCE(vr->avail->idx)));
	return vmx_send_event(v, msg) == 0;
}

/* An event from the device (interrupt context, no ring lock held). */
void vmx_virtio_event(struct vmx_dev *v, u8 msg_id, u32 vq_index)
{
	if (!v->vdev_registered)
		return;
	if (msg_id == VMSG_EVENT_USED) {
		if (vq_index < VMX_MAX_VQS && v->vqs[vq_index])
			vring_interrupt(0, v->vqs[vq_index]);
	} else if (msg_id == VMSG_EVENT_CONFIG) {
		virtio_config_changed(&v->vd->vdev);
	}
}

static int set_vqueue(struct vmx_dev *v, struct virtqueue *vq, unsigned i)
{
	struct vmsg_wire_set_vqueue_req q = {
		.index = cpu_to_le32(i),
		.size = cpu_to_le32(virtqueue_get_vring_size(vq)),
		.desc_addr = cpu_to_le64(virtqueue_get_desc_addr(vq)),
		.driver_addr = cpu_to_le64(virtqueue_get_avail_addr(vq)),
		.device_addr = cpu_to_le64(virtqueue_get_used_addr(vq)),
	};
	struct vmsg_wire_get_vqueue_resp g;
	__le32 idx = q.index;
	int rc = req(v, VMSG_SET_VQUEUE, &q, sizeof(q), NULL, 0, false);

	/* SET_VQUEUE answers nothing: read it back to know the device took it. */
	if (rc == 0)
		rc = req(v, VMSG_GET_VQUEUE, &idx, 4, &g, sizeof(g), false);
	if (rc == 0 && (g.index != q.index || g.cur_size != q.size || g.desc_addr != q.desc_addr ||
			g.driver_addr != q.driver_addr || g.device_addr != q.device_addr))
		rc = -EPROTO;
	return rc;
}

static void vmx_del_vqs(struct virtio_device *vdev)
{
	struct vmx_dev *v = to_vmx(vdev);
	struct virtqueue *vq, *n;

	list_for_each_entry_safe(vq, n, &vdev->vqs, list) {
		__le32 i = cpu_to_le32(vq->index);

		if (!v->broken && v->ring_live)
			req(v, VMSG_RESET_VQUEUE, &i, 4, NULL, 0, false);
		if (vq->index < VMX_MAX_VQS)
			v->vqs[vq->index] = NULL;
		vring_del_virtqueue(vq);
	}
}

static int vmx_find_vqs(struct virtio_device *vdev, unsigned nvqs, struct virtqueue *vqs[],
			vq_callback_t *callbacks[], const char * const names[],
			const bool *ctx, struct irq_affinity *desc)
{
	struct vmx_dev *v = to_vmx(vdev);
	unsigned i, q = 0;
	int rc;

	for (i = 0; i < nvqs; i++) {
		__le32 idx = cpu_to_le32(q);
		struct vmsg_wire_get_vqueue_resp g;
		struct virtqueue *vq;

		if (!names[i]) {
			vqs[i] = NULL;
			continue;
		}
		rc = -ENOENT;
		if (q >= VMX_MAX_VQS || q >= v->max_vqs)
			goto fail;
		rc = req(v, VMSG_GET_VQUEUE, &idx, 4, &g, sizeof(g), false);
		if (rc)
			goto fail;
		rc = -ENOENT;
		if (!le32_to_cpu(g.max_size))
			goto fail;
		vq = vring_create_virtqueue(q, min(le32_to_cpu(g.max_size), 1024u), SMP_CACHE_BYTES,
					    vdev, true, true, ctx ? ctx[i] : false, vmx_notify,
					    callbacks[i], names[i]);
		rc = -ENOMEM;
		if (!vq)
			goto fail;
		v->vqs[q] = vq;
		vqs[i] = vq;
		rc = set_vqueue(v, vq, q);
		if (rc)
			goto fail;
		q++;
	}
	return 0;
fail:
	vmx_del_vqs(vdev);
	return rc;
}

static const char *vmx_bus_name(struct virtio_device *vdev)
{
	return dev_name(&to_vmx(vdev)->xdev->dev);
}

static const struct virtio_config_ops vmx_config_ops = {
	.get = vmx_get,
	.set = vmx_set,
	.generation = vmx_generation,
	.get_status = vmx_get_status,
	.set_status = vmx_set_status,
	.reset = vmx_reset,
	.find_vqs = vmx_find_vqs,
	.del_vqs = vmx_del_vqs,
	.get_features = vmx_get_features,
	.finalize_features = vmx_finalize_features,
	.bus_name = vmx_bus_name,
};

static void vmx_vdev_release(struct device *dev)
{
	kfree(container_of(dev_to_virtio(dev), struct vmx_vdev, vdev));
}

void vmx_virtio_unregister(struct vmx_dev *v)
{
	struct vmx_vdev *vd = v->vd;

	if (!vd)
		return;
	unregister_virtio_device(&vd->vdev);   /* the driver goes, then release */
	v->vdev_registered = false;
	v->vd = NULL;
}

/* GET_DEVICE_INFO, then hand the device to the virtio core. */
int vmx_virtio_register(struct vmx_dev *v)
{
	struct vmsg_wire_get_device_info_resp info;
	int rc;

	rc = req(v, VMSG_GET_DEVICE_INFO, NULL, 0, &info, sizeof(info), false);
	if (rc)
		return rc;
	v->device_id = le32_to_cpu(info.device_id);
	v->vendor_id = le32_to_cpu(info.vendor_id);
	v->num_feature_bits = le32_to_cpu(info.num_feature_bits);
	v->config_size = le32_to_cpu(info.config_size);
	v->max_vqs = le32_to_cpu(info.max_virtqueues);
	if (!v->device_id || v->config_size > 4096 || v->max_vqs == 0)
		return -ENODEV;
	v->vd = kzalloc(sizeof(*v->vd), GFP_KERNEL);
	if (!v->vd)
		return -ENOMEM;
	v->vd->v = v;
	v->vd->vdev.dev.parent = &v->xdev->dev;
	v->vd->vdev.dev.release = vmx_vdev_release;
	v->vd->vdev.config = &vmx_config_ops;
	v->vd->vdev.id.device = v->device_id;
	v->vd->vdev.id.vendor = v->vendor_id;
	memset(v->vqs, 0, sizeof(v->vqs));
	v->vdev_registered = true;
	rc = register_virtio_device(&v->vd->vdev);
	if (rc) {
		v->vdev_registered = false;
		put_device(&v->vd->vdev.dev);   /* frees it */
		v->vd = NULL;
		return rc;
	}
	dev_info(&v->xdev->dev, "virtio device %u (vendor 0x%x): %u config bytes, %u queue(s)\n",
		 v->device_id, v->vendor_id, v->config_size, v->max_vqs);
	return 0;
}
