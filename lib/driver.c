/* SPDX-License-Identifier: MIT */
/*
 * Driver-side transport: requests, status, features, virtqueues, events.
 * Config space access is in driver_config.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver_priv.h"
#include "virtio-msg/virtio.h"

#define DRV_MAX_VQ VMSG_DRV_MAX_VQ

static void vq_mark(struct vmsg_drv *d, uint32_t i, bool live)
{
    if (live)
        d->vq_live[i / 64] |= 1ull << (i % 64);
    else
        d->vq_live[i / 64] &= ~(1ull << (i % 64));
}

static bool vq_is_live(const struct vmsg_drv *d, uint32_t i)
{
    return i < DRV_MAX_VQ && (d->vq_live[i / 64] >> (i % 64)) & 1;
}

int vmsg_drv_fail(struct vmsg_drv *d, int err)
{
    d->broken = true;
    d->last_error = err;
    return err;
}

int vmsg_drv_call(struct vmsg_drv *d, struct vmsg *req, struct vmsg *resp)
{
    struct vmsg_bus *bus = d->bus;
    size_t max = bus->caps.max_msg_size, rlen = 0;
    int n, rc;

    if (d->broken)
        return -EIO;
    /* D56: nothing but GET_DEVICE_INFO before we know the device. */
    if (!d->have_info && req->msg_id != VMSG_GET_DEVICE_INFO)
        return -EPERM;
    req->dev_num = d->dev_num;
    req->token = 0;               /* the bus owns it (D12) */
    n = vmsg_encode(req, d->req, max);
    if (n < 0)
        return -EINVAL;           /* D1/D9: never larger than the bus max */
    rc = bus->ops->transfer(bus, d->req, (size_t)n, d->resp, max, &rlen);
    if (rc)
        return vmsg_drv_fail(d, rc < 0 ? rc : -EIO);
    if (vmsg_decode(d->resp, rlen, max, resp) < 0)
        return vmsg_drv_fail(d, -EPROTO);
    if (!vmsg_is_response(resp) || vmsg_is_bus(resp) ||
        resp->msg_id != req->msg_id || resp->dev_num != d->dev_num)
        return vmsg_drv_fail(d, -EPROTO);
    return 0;
}

int vmsg_drv_open(struct vmsg_drv *d, struct vmsg_bus *bus, uint16_t dev_num)
{
    struct vmsg req, resp;
    int rc;

    memset(d, 0, sizeof(*d));
    if (!bus || bus->role != VMSG_ROLE_DRIVER)
        return -EINVAL;
    d->bus = bus;
    d->dev_num = dev_num;
    d->req = malloc(bus->caps.max_msg_size);
    d->resp = malloc(bus->caps.max_msg_size);
    if (!d->req || !d->resp) {
        vmsg_drv_close(d);
        return -ENOMEM;
    }
    vmsg_init_request(&req, false, VMSG_GET_DEVICE_INFO, dev_num);
    rc = vmsg_drv_call(d, &req, &resp);
    if (rc)
        return rc;
    if (resp.u.dev_info.device_id == 0)
        return vmsg_drv_fail(d, -ENODEV);
    d->info = resp.u.dev_info;
    d->have_info = true;
    return 0;
}

void vmsg_drv_close(struct vmsg_drv *d)
{
    free(d->req);
    free(d->resp);
    d->req = d->resp = NULL;
    d->have_info = false;
    d->broken = true;
}

void vmsg_drv_set_callbacks(struct vmsg_drv *d, const struct vmsg_drv_cbs *cbs,
                            void *opaque)
{
    d->cbs = *cbs;
    d->cb_opaque = opaque;
}

/* ---- status ---- */

int vmsg_drv_get_status(struct vmsg_drv *d, uint8_t *status)
{
    struct vmsg req, resp;
    int rc;

    vmsg_init_request(&req, false, VMSG_GET_DEVICE_STATUS, d->dev_num);
    rc = vmsg_drv_call(d, &req, &resp);
    if (rc)
        return rc;
    d->status = (uint8_t)resp.u.status;
    *status = d->status;
    return 0;
}

int vmsg_drv_set_status(struct vmsg_drv *d, uint8_t status, uint8_t *result)
{
    struct vmsg req, resp;
    int rc;

    /* D27: DRIVER_OK only after FEATURES_OK was accepted. */
    if ((status & VIRTIO_STATUS_DRIVER_OK) &&
        !(d->status & VIRTIO_STATUS_FEATURES_OK))
        return -EPERM;
    vmsg_init_request(&req, false, VMSG_SET_DEVICE_STATUS, d->dev_num);
    req.u.status = status;
    rc = vmsg_drv_call(d, &req, &resp);
    if (rc)
        return rc;
    d->status = (uint8_t)resp.u.status;
    if (status == 0) {
        d->negotiated = 0;
        memset(d->vq_live, 0, sizeof(d->vq_live));
        if (d->status != 0)
            return vmsg_drv_fail(d, -EIO);
    }
    if (result)
        *result = d->status;
    return 0;
}

int vmsg_drv_reset(struct vmsg_drv *d)
{
    return vmsg_drv_set_status(d, 0, NULL);
}

/* ---- features ---- */

int vmsg_drv_get_features(struct vmsg_drv *d, uint64_t *features)
{
    uint32_t blocks = d->info.num_feature_bits / 32, i;
    struct vmsg req, resp;
    uint64_t f = 0;
    int rc;

    if (blocks > 2)
        blocks = 2;                  /* every defined feature is below 64 */
    if (blocks) {
        vmsg_init_request(&req, false, VMSG_GET_DEVICE_FEATURES, d->dev_num);
        req.u.features.block_index = 0;
        req.u.features.num_blocks = blocks;
        rc = vmsg_drv_call(d, &req, &resp);
        if (rc)
            return rc;
        if (resp.u.features.block_index != 0 ||
            resp.u.features.num_blocks != blocks)
            return vmsg_drv_fail(d, -EPROTO);
        for (i = 0; i < blocks; i++)
            f |= (uint64_t)vmsg_feature_block(&resp, i) << (32 * i);
    }
    d->offered = f;
    *features = f;
    return 0;
}

int vmsg_drv_set_features(struct vmsg_drv *d, uint64_t features)
{
    uint8_t blocks[8];
    struct vmsg req, resp;

    /* D18/D44: only offered bits; only between DRIVER and FEATURES_OK. */
    if (features & ~d->offered)
        return -EINVAL;
    if (!(d->status & VIRTIO_STATUS_DRIVER) ||
        (d->status & VIRTIO_STATUS_FEATURES_OK))
        return -EPERM;
    vmsg_put_le32(blocks, (uint32_t)features);
    vmsg_put_le32(blocks + 4, (uint32_t)(features >> 32));
    vmsg_init_request(&req, false, VMSG_SET_DRIVER_FEATURES, d->dev_num);
    req.u.features.block_index = 0;
    req.u.features.num_blocks = 2;
    req.u.features.blocks = blocks;
    return vmsg_drv_call(d, &req, &resp);
}

int vmsg_drv_negotiate(struct vmsg_drv *d, uint64_t wanted, uint64_t *accepted)
{
    const uint8_t ack = VIRTIO_STATUS_ACKNOWLEDGE;
    const uint8_t drv = ack | VIRTIO_STATUS_DRIVER;
    uint64_t offered;
    uint8_t st;
    int rc;

    if ((rc = vmsg_drv_reset(d)) ||
        (rc = vmsg_drv_set_status(d, ack, &st)) ||
        (rc = vmsg_drv_set_status(d, drv, &st)) ||
        (rc = vmsg_drv_get_features(d, &offered)) ||
        (rc = vmsg_drv_set_features(d, wanted & offered)) ||
        (rc = vmsg_drv_set_status(d, drv | VIRTIO_STATUS_FEATURES_OK, &st)))
        return rc;
    /* D19: the answer says whether the device kept FEATURES_OK. */
    if (!(st & VIRTIO_STATUS_FEATURES_OK)) {
        vmsg_drv_set_status(d, st | VIRTIO_STATUS_FAILED, NULL);
        return -ENOTSUP;
    }
    d->negotiated = wanted & offered;
    if (accepted)
        *accepted = d->negotiated;
    return 0;
}

int vmsg_drv_driver_ok(struct vmsg_drv *d)
{
    uint8_t st;
    int rc = vmsg_drv_set_status(d, d->status | VIRTIO_STATUS_DRIVER_OK, &st);

    if (rc)
        return rc;
    return (st & VIRTIO_STATUS_DRIVER_OK) ? 0 : -EIO;
}

/* ---- virtqueues ---- */

int vmsg_drv_get_vqueue(struct vmsg_drv *d, uint32_t index,
                        struct vmsg_vqueue *q)
{
    struct vmsg req, resp;
    int rc;

    vmsg_init_request(&req, false, VMSG_GET_VQUEUE, d->dev_num);
    req.u.index = index;
    rc = vmsg_drv_call(d, &req, &resp);
    if (rc)
        return rc;
    if (resp.u.vqueue.index != index)
        return vmsg_drv_fail(d, -EPROTO);
    *q = resp.u.vqueue;
    return 0;
}

int vmsg_drv_set_vqueue(struct vmsg_drv *d, const struct vmsg_vqueue *q)
{
    struct vmsg_vqueue cur;
    struct vmsg req, resp;
    int rc;

    /* D14: features settled first. */
    if (!(d->status & VIRTIO_STATUS_FEATURES_OK))
        return -EPERM;
    if (q->index >= d->info.max_virtqueues || q->index >= DRV_MAX_VQ)
        return -EINVAL;
    /* D48: split rings are powers of two, aligned 16/2/4. */
    if (q->size == 0 || (q->size & (q->size - 1)) || q->desc_addr % 16 ||
        q->driver_addr % 2 || q->device_addr % 4)
        return -EINVAL;
    /* D22: the max size, and the queue must be inactive. */
    rc = vmsg_drv_get_vqueue(d, q->index, &cur);
    if (rc)
        return rc;
    if (cur.max_size == 0)
        return -ENOENT;
    if (q->size > cur.max_size)
        return -EINVAL;
    if (cur.size != 0)
        return -EBUSY;

    vmsg_init_request(&req, false, VMSG_SET_VQUEUE, d->dev_num);
    req.u.vqueue = *q;
    req.u.vqueue.max_size = 0;
    rc = vmsg_drv_call(d, &req, &resp);
    if (rc)
        return rc;
    /* D15: confirm the device took exactly what we gave. */
    rc = vmsg_drv_get_vqueue(d, q->index, &cur);
    if (rc)
        return rc;
    if (cur.size != q->size || cur.desc_addr != q->desc_addr ||
        cur.driver_addr != q->driver_addr || cur.device_addr != q->device_addr)
        return vmsg_drv_fail(d, -EIO);
    vq_mark(d, q->index, true);
    return 0;
}

int vmsg_drv_reset_vqueue(struct vmsg_drv *d, uint32_t index)
{
    struct vmsg req, resp;
    int rc;

    /* D49: only with RING_RESET negotiated. */
    if (!(d->negotiated & VIRTIO_BIT(VIRTIO_F_RING_RESET)))
        return -EPERM;
    if (index >= d->info.max_virtqueues || index >= DRV_MAX_VQ)
        return -EINVAL;
    vmsg_init_request(&req, false, VMSG_RESET_VQUEUE, d->dev_num);
    req.u.index = index;
    rc = vmsg_drv_call(d, &req, &resp);
    if (rc == 0)
        vq_mark(d, index, false);
    return rc;
}

int vmsg_drv_get_shm(struct vmsg_drv *d, uint32_t index, uint32_t *len,
                     uint32_t *addr)
{
    struct vmsg req, resp;
    int rc;

    vmsg_init_request(&req, false, VMSG_GET_SHM, d->dev_num);
    req.u.index = index;
    rc = vmsg_drv_call(d, &req, &resp);
    if (rc)
        return rc;
    if (resp.u.shm.index != index)
        return vmsg_drv_fail(d, -EPROTO);
    *len = resp.u.shm.length;
    *addr = resp.u.shm.address;
    return 0;
}

/* ---- notifications ---- */

int vmsg_drv_notify(struct vmsg_drv *d, uint32_t vq, uint32_t next_offset)
{
    uint8_t buf[VMSG_HDR_SIZE + sizeof(struct vmsg_wire_event_avail)];
    struct vmsg m;
    int n;

    if (d->broken)
        return -EIO;
    if (!(d->status & VIRTIO_STATUS_DRIVER_OK))
        return -EPERM;                               /* D28 */
    if (next_offset &&
        !(d->negotiated & VIRTIO_BIT(VIRTIO_F_NOTIFICATION_DATA)))
        return -EINVAL;                              /* D32, D51 */
    if (!vq_is_live(d, vq))
        return -EINVAL;                              /* D29, D31 */
    vmsg_init_request(&m, false, VMSG_EVENT_AVAIL, d->dev_num);
    m.u.event_avail.vq_index = vq;
    m.u.event_avail.next_offset = next_offset;
    n = vmsg_encode(&m, buf, sizeof(buf));
    if (n < 0)
        return -EINVAL;
    return d->bus->ops->send(d->bus, buf, (size_t)n);
}

int vmsg_drv_handle_event(struct vmsg_drv *d, const struct vmsg *m)
{
    if (vmsg_is_bus(m) || vmsg_is_response(m) || m->dev_num != d->dev_num)
        return -EINVAL;
    switch (m->msg_id) {
    case VMSG_EVENT_USED:
        if (d->cbs.used)
            d->cbs.used(d->cb_opaque, m->u.vq_index);
        return 0;
    case VMSG_EVENT_CONFIG:
        /* D5/D33: adopt the new generation and status. */
        d->generation = m->u.event_config.generation;
        d->status = (uint8_t)m->u.event_config.device_status;
        d->config_events++;
        if (d->cbs.config)
            d->cbs.config(d->cb_opaque, d->status);
        return 0;
    default:
        return -EINVAL;
    }
}
