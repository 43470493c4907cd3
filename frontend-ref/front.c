/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "front.h"
#include "virtio-msg/virtio.h"

const char *vf_type_name(uint32_t id)
{
    switch (id) {
    case VIRTIO_ID_NET: return "net";
    case VIRTIO_ID_BLOCK: return "blk";
    case VIRTIO_ID_CONSOLE: return "console";
    case VIRTIO_ID_RNG: return "rng";
    default: return "unknown";
    }
}

/* Events from the backend: EVENT_USED / EVENT_CONFIG for our devices. */
static void vf_rx(void *opaque, const void *msg, size_t len)
{
    struct vf *vf = opaque;
    struct vmsg m;
    int i;

    if (vmsg_decode(msg, len, vf->ep->max_msg, &m) < 0)
        return;
    if (vmsg_is_bus(&m)) {
        if (m.msg_id != VMSG_BUS_EVENT_DEVICE || vmsg_is_response(&m))
            return;
        if (vf->nhp == sizeof(vf->hp) / sizeof(vf->hp[0])) {
            vf->hp_lost++;           /* re-enumerate to recover */
            return;
        }
        vf->hp[vf->nhp].num = m.u.event_device.device_number;
        vf->hp[vf->nhp++].state = m.u.event_device.device_bus_state;
        return;
    }
    for (i = 0; i < vf->ndev; i++) {
        if (vf->devs[i]->drv.dev_num == m.dev_num) {
            if (m.msg_id == VMSG_EVENT_USED)
                vf->devs[i]->used_events++;
            vmsg_drv_handle_event(&vf->devs[i]->drv, &m);
            return;
        }
    }
}

int vf_connect(struct vf *vf, const char *path, uint32_t domid, int wait_ms)
{
    struct timespec t0, t;
    int rc;

    memset(vf, 0, sizeof(*vf));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (!strncmp(path, "xen:", 4))
            rc = vf_connect_xen(vf, path + 4, wait_ms);
        else if ((rc = vmsg_host_fe_connect(&vf->host, path, domid, 16384)) == 0)
            vf->ep = &vf->host.ep;    /* 64 MiB pool above */
        if (rc != -ECONNREFUSED && rc != -ENOENT && rc != -ECONNRESET && rc != -EPIPE)
            break;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= wait_ms)
            break;
        poll(NULL, 0, 20);
    }
    if (rc == 0) {
        vf->ep->win.max_us = VF_POLL_MAX_DEFAULT_US;
        vmsg_bus_set_rx(&vf->ep->bus, vf_rx, vf);
    }
    return rc;
}

int vf_enumerate(struct vf *vf)
{
    uint16_t nums[VF_MAX_DEVS];
    int n, i, rc;

    n = vmsg_bus_get_devices(&vf->ep->bus, nums, VF_MAX_DEVS);
    if (n < 0)
        return n;
    for (i = 0; i < n; i++) {
        struct vf_dev *d = calloc(1, sizeof(*d));
        if (!d)
            return -ENOMEM;
        d->vf = vf;
        /* D54: confirm each candidate with GET_DEVICE_INFO. */
        rc = vmsg_drv_open(&d->drv, &vf->ep->bus, nums[i]);
        if (rc) {
            vmsg_drv_close(&d->drv);
            free(d);
            return rc;
        }
        vf->devs[vf->ndev++] = d;
    }
    return vf->ndev;
}

struct vf_dev *vf_find(struct vf *vf, uint32_t device_id)
{
    int i;

    for (i = 0; i < vf->ndev; i++)
        if (vf->devs[i]->drv.info.device_id == device_id)
            return vf->devs[i];
    return NULL;
}

int vf_buf_alloc(struct vf *vf, struct vf_buf *b, size_t size)
{
    const struct vmsg_bus_ops *ops = vf->ep->bus.ops;

    b->size = size;
    b->frag = false;
    b->p = ops->dma_alloc(&vf->ep->bus, size, &b->addr);
    if (!b->p && size > 4096 && ops->dma_alloc_pages) {
        /* No run of consecutive grant refs is free (they fragment as other
         * processes come and go): take pages and describe them per run. */
        b->p = ops->dma_alloc_pages(&vf->ep->bus, size);
        b->frag = b->p != NULL;
        b->addr = b->p ? ops->dma_addr(&vf->ep->bus, b->p) : 0;
    }
    return b->p ? 0 : -ENOMEM;
}

int vf_buf_sg(struct vf *vf, const struct vf_buf *b, size_t off, size_t len,
              struct vmsg_sg *sg, int max)
{
    int n = 0;

    if (off > b->size || len > b->size - off || len == 0 || len > UINT32_MAX)
        return -EINVAL;
    if (!b->frag) {
        if (max < 1)
            return -E2BIG;
        sg[0] = (struct vmsg_sg){ b->addr + off, (uint32_t)len };
        return 1;
    }
    while (len) {
        size_t piece = 4096 - ((uintptr_t)(b->p + off) & 4095);
        uint64_t a = vf->ep->bus.ops->dma_addr(&vf->ep->bus, b->p + off);

        if (piece > len)
            piece = len;
        if (n && sg[n - 1].addr + sg[n - 1].len == a) {
            sg[n - 1].len += (uint32_t)piece;   /* the run goes on */
        } else {
            if (n == max)
                return -E2BIG;
            sg[n++] = (struct vmsg_sg){ a, (uint32_t)piece };
        }
        off += piece;
        len -= piece;
    }
    return n;
}

void vf_buf_free(struct vf *vf, struct vf_buf *b)
{
    if (b->p)
        vf->ep->bus.ops->dma_free(&vf->ep->bus, b->p, b->size, b->addr);
    b->p = NULL;
}

static void free_queues(struct vf_dev *d)
{
    unsigned i;

    for (i = 0; i < d->nq; i++) {
        struct vf_queue *q = &d->q[i];
        if (q->mem)
            d->vf->ep->bus.ops->dma_free(&d->vf->ep->bus, q->mem, q->size, q->addr);
        if (q->live)
            vmsg_vring_destroy(&q->vr);
        memset(q, 0, sizeof(*q));
    }
    d->nq = 0;
}

int vf_dev_start(struct vf_dev *d, uint64_t wanted, unsigned nq, uint16_t qsize)
{
    unsigned i;
    int rc;
    bool packed;

    if (nq > VF_MAX_QUEUES || nq > d->drv.info.max_virtqueues)
        return -EINVAL;
    if (d->vf->packed)
        wanted |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    rc = vmsg_drv_negotiate(&d->drv, wanted | VIRTIO_BIT(VIRTIO_F_VERSION_1),
                            &d->features);
    if (rc)
        return rc;
    packed = d->features & VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    d->nq = nq;
    for (i = 0; i < nq; i++) {
        struct vf_queue *q = &d->q[i];
        struct vmsg_vqueue cur, set = { 0 };
        uint16_t size = qsize;

        rc = vmsg_drv_get_vqueue(&d->drv, i, &cur);
        if (rc)
            goto fail;
        if (cur.max_size == 0) {
            rc = -ENOENT;
            goto fail;
        }
        if (size > cur.max_size)
            size = (uint16_t)cur.max_size;
        q->size = packed ? vmsg_vring_packed_mem_size(size) : vmsg_vring_mem_size(size);
        q->mem = d->vf->ep->bus.ops->dma_alloc(&d->vf->ep->bus, q->size, &q->addr);
        rc = -ENOMEM;
        if (!q->mem)
            goto fail;
        rc = (packed ? vmsg_vring_init_packed : vmsg_vring_init)(
            &q->vr, q->mem, q->addr, size, d->features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
        if (rc)
            goto fail;
        q->live = true;
        set.index = i;
        set.size = size;
        set.desc_addr = q->vr.desc_addr;
        set.driver_addr = q->vr.avail_addr;
        set.device_addr = q->vr.used_addr;
        rc = vmsg_drv_set_vqueue(&d->drv, &set);
        if (rc)
            goto fail;
    }
    rc = vmsg_drv_driver_ok(&d->drv);
    if (rc == 0)
        return 0;
fail:
    vf_dev_stop(d);
    return rc;
}

void vf_dev_stop(struct vf_dev *d)
{
    if (!d->drv.broken)
        vmsg_drv_reset(&d->drv);     /* the device lets go of our rings */
    free_queues(d);
}

int vf_submit(struct vf_dev *d, unsigned qi, const struct vmsg_sg *sg,
              unsigned out, unsigned in, void *token)
{
    struct vf_queue *q = &d->q[qi];
    int rc;

    if (qi >= d->nq)
        return -EINVAL;
    rc = vmsg_vring_add(&q->vr, sg, out, in, token);
    if (rc)
        return rc;
    if (vmsg_vring_kick_prepare(&q->vr))
        rc = vmsg_drv_notify(&d->drv, qi, 0);
    return rc;
}

void *vf_wait(struct vf_dev *d, unsigned qi, uint32_t *len, int timeout_ms, int *err)
{
    struct vf_queue *q = &d->q[qi];
    struct timespec t0, t;

    *err = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        void *tok = vmsg_vring_get_used(&q->vr, len);
        int left, rc;

        if (tok)
            return tok;
        if (q->vr.broken) {
            *err = -EIO;             /* the backend wrote nonsense */
            return NULL;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        left = timeout_ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
                                  (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) {
            *err = -ETIMEDOUT;
            return NULL;
        }
        rc = vf_poll(d->vf, left);
        if (rc < 0) {
            *err = rc;
            return NULL;
        }
    }
}

static int find_dev(struct vf *vf, uint16_t num)
{
    int i;

    for (i = 0; i < vf->ndev; i++)
        if (vf->devs[i]->drv.dev_num == num)
            return i;
    return -1;
}

int vf_hotplug(struct vf *vf, void (*report)(void *, uint16_t, uint16_t,
               const struct vf_dev *), void *opaque)
{
    unsigned k, n = vf->nhp;

    vf->nhp = 0;
    for (k = 0; k < n; k++) {
        uint16_t num = vf->hp[k].num, state = vf->hp[k].state;
        int i = find_dev(vf, num);

        if (state == VMSG_DEVICE_BUS_STATE_READY) {
            struct vf_dev *d;
            if (i >= 0 || vf->ndev == VF_MAX_DEVS)
                continue;            /* duplicate READY, or no room */
            d = calloc(1, sizeof(*d));
            if (!d)
                continue;
            d->vf = vf;
            if (vmsg_drv_open(&d->drv, &vf->ep->bus, num)) {
                vmsg_drv_close(&d->drv);
                free(d);
                continue;
            }
            vf->devs[vf->ndev++] = d;
            if (report)
                report(opaque, num, state, d);
        } else if (state == VMSG_DEVICE_BUS_STATE_REMOVED) {
            struct vf_dev *d;
            if (i < 0)
                continue;            /* already gone */
            d = vf->devs[i];
            d->removed = true;
            if (report)
                report(opaque, num, state, d);
            free_queues(d);          /* no reset: the device is gone */
            vmsg_drv_close(&d->drv);
            free(d);
            memmove(&vf->devs[i], &vf->devs[i + 1],
                    sizeof(vf->devs[0]) * (size_t)(vf->ndev - i - 1));
            vf->ndev--;
        }
    }
    return (int)n;
}

void vf_close(struct vf *vf)
{
    int i;

    for (i = 0; i < vf->ndev; i++) {
        free_queues(vf->devs[i]);
        vmsg_drv_close(&vf->devs[i]->drv);
        free(vf->devs[i]);
    }
    vf->ndev = 0;
    if (vf->xen)
        vf_close_xen(vf);
    else
        vmsg_host_fe_close(&vf->host);
    vf->ep = NULL;
}

int vf_poll(struct vf *vf, int timeout_ms)
{
    return vmsg_ring_ep_poll(vf->ep, timeout_ms);
}

int vf_wait_fds(struct vf *vf, int *kick_fd, int *hup_fd)
{
    if (vf->xen)
        return -ENOTSUP;
    *kick_fd = vf->host.ev_to_fe;
    *hup_fd = vf->host.sock;
    return 0;
}

int vf_arm(struct vf *vf)
{
    return vmsg_ring_ep_arm(vf->ep);
}
