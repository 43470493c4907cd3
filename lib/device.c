/* SPDX-License-Identifier: MIT */
/*
 * Device-side transport state machine.
 *
 * One handler per request; each returns 1 (send the response it filled),
 * 0 (handled, nothing to send: events) or a negative reason to drop.
 * vmsg_dev_handle_msg() checks what applies to every message (direction,
 * device number) before any handler runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio-msg/device.h"
#include "virtio-msg/virtio.h"

/* We keep 64 feature bits: every defined virtio feature fits. */
#define DEV_FEATURE_BLOCKS 2u

static const uint8_t status_order[] = {
    VIRTIO_STATUS_ACKNOWLEDGE, VIRTIO_STATUS_DRIVER,
    VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_DRIVER_OK,
};

static void *dev_map(void *ctx, uint64_t addr, size_t *len, bool write)
{
    struct vmsg_bus *bus = ctx;

    return bus->ops->dma_map(bus, addr, len, write);
}

static void dev_unmap(void *ctx, void *ptr, size_t len)
{
    struct vmsg_bus *bus = ctx;

    bus->ops->dma_unmap(bus, ptr, len);
}

static void *dev_map_batch(void *ctx, const struct vmsg_dma_range *r, unsigned n, void **ptr)
{
    struct vmsg_bus *bus = ctx;

    return bus->ops->dma_map_batch(bus, r, n, ptr);
}

static void dev_unmap_batch(void *ctx, void *handle)
{
    struct vmsg_bus *bus = ctx;

    bus->ops->dma_unmap_batch(bus, handle);
}

struct vmsg_vq_mem vmsg_bus_vq_mem(struct vmsg_bus *bus)
{
    struct vmsg_vq_mem mem = { .map = dev_map, .ctx = bus };

    if (bus->ops->dma_unmap)
        mem.unmap = dev_unmap;
    if (bus->ops->dma_map_batch && bus->ops->dma_unmap_batch) {
        mem.map_batch = dev_map_batch;
        mem.unmap_batch = dev_unmap_batch;
    }
    return mem;
}

int vmsg_dev_init(struct vmsg_dev *dev, struct vmsg_bus *bus, uint16_t dev_num,
                  const struct vmsg_dev_desc *desc,
                  const struct vmsg_dev_ops *ops, void *model)
{
    uint16_t q = desc->queue_max_size;
    unsigned i;

    memset(dev, 0, sizeof(*dev));
    if (!bus || bus->role != VMSG_ROLE_DEVICE || !ops || !ops->reset ||
        !ops->queue_notify)
        return -EINVAL;
    if (desc->num_queues > VMSG_DEV_MAX_QUEUES || q == 0 || (q & (q - 1)) ||
        q > 32768)
        return -EINVAL;
    if (desc->config_size && !ops->config_read)
        return -EINVAL;
    dev->txbuf = malloc(bus->caps.max_msg_size);
    if (!dev->txbuf)
        return -ENOMEM;
    dev->bus = bus;
    dev->dev_num = dev_num;
    dev->desc = *desc;
    dev->ops = ops;
    dev->model = model;
    for (i = 0; i < VMSG_DEV_MAX_QUEUES; i++)
        dev->queues[i].vq.mem = vmsg_bus_vq_mem(bus);
    return 0;
}

static void reset_queue(struct vmsg_dev *dev, uint32_t i)
{
    struct vmsg_dev_queue *q = &dev->queues[i];

    vmsg_vq_reset(&q->vq);
    q->size = 0;
    q->desc_addr = q->driver_addr = q->device_addr = 0;
    dev->later &= ~(UINT64_C(1) << i);      /* i < num_queues <= 64 */
    dev->hold.queues &= ~(UINT64_C(1) << i);
}

static void device_reset(struct vmsg_dev *dev)
{
    uint32_t i;

    dev->ops->reset(dev->model);
    for (i = 0; i < dev->desc.num_queues; i++)
        reset_queue(dev, i);
    dev->status = 0;
    dev->driver_features = 0;
    dev->unoffered_features = false;
    dev->started = false;
    /* The generation is kept: it never restarts on reset (spec §4.4). */
}

void vmsg_dev_destroy(struct vmsg_dev *dev)
{
    if (!dev->txbuf)
        return;
    device_reset(dev);
    free(dev->txbuf);
    dev->txbuf = NULL;
}

static int send_msg(struct vmsg_dev *dev, struct vmsg *m, uint8_t *buf,
                    size_t cap)
{
    int n = vmsg_encode(m, buf, cap);

    if (n < 0)
        return n;
    n = dev->bus->ops->send(dev->bus, buf, (size_t)n);
    if (n < 0)
        dev->stats.send_errors++;
    return n;
}

/* ---- request handlers ---- */

static int h_get_device_info(struct vmsg_dev *dev, const struct vmsg *req,
                             struct vmsg *r)
{
    (void)req;
    r->u.dev_info.device_id = dev->desc.device_id;
    r->u.dev_info.vendor_id = dev->desc.vendor_id;
    r->u.dev_info.num_feature_bits = 32 * DEV_FEATURE_BLOCKS;
    r->u.dev_info.config_size = dev->desc.config_size;
    r->u.dev_info.max_virtqueues = dev->desc.num_queues;
    return 1;
}

static int h_get_device_features(struct vmsg_dev *dev, const struct vmsg *req,
                                  struct vmsg *r)
{
    uint32_t first = req->u.features.block_index;
    uint32_t n = req->u.features.num_blocks, i;
    uint8_t *blocks;

    if (16ull + 4ull * n > dev->bus->caps.max_msg_size)
        return -EINVAL;
    /* Blocks live after the response header in txbuf's tail: use a copy. */
    blocks = calloc(n ? n : 1, 4);
    if (!blocks)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        uint64_t b = (uint64_t)first + i;
        uint32_t v = b < DEV_FEATURE_BLOCKS
                         ? (uint32_t)(dev->desc.features >> (32 * b)) : 0;
        vmsg_put_le32(blocks + 4 * i, v);
    }
    r->u.features.block_index = first;
    r->u.features.num_blocks = n;
    r->u.features.blocks = blocks;
    return 1;
}

static int h_set_driver_features(struct vmsg_dev *dev, const struct vmsg *req,
                                 struct vmsg *r)
{
    uint32_t first = req->u.features.block_index, i;
    uint64_t f = dev->driver_features;

    (void)r;
    if (!(dev->status & VIRTIO_STATUS_DRIVER) ||
        (dev->status & VIRTIO_STATUS_FEATURES_OK))
        return -EPERM;
    for (i = 0; i < req->u.features.num_blocks; i++) {
        uint64_t b = (uint64_t)first + i;
        uint32_t v = vmsg_feature_block(req, i);

        if (b < DEV_FEATURE_BLOCKS) {
            f &= ~(0xFFFFFFFFull << (32 * b));
            f |= (uint64_t)v << (32 * b);
        } else if (v) {
            dev->unoffered_features = true;   /* refused at FEATURES_OK (V19) */
        }
    }
    dev->driver_features = f;
    return 1;
}

static bool config_range_ok(const struct vmsg_dev *dev, uint32_t off,
                            uint32_t len)
{
    return (uint64_t)off + len <= dev->desc.config_size;
}

static int h_get_config(struct vmsg_dev *dev, const struct vmsg *req,
                        struct vmsg *r)
{
    uint32_t off = req->u.config.offset, len = req->u.config.length;
    uint8_t *data;

    if (!config_range_ok(dev, off, len) ||
        20ull + len > dev->bus->caps.max_msg_size)
        return -EINVAL;
    data = calloc(len ? len : 1, 1);
    if (!data)
        return -ENOMEM;
    if (len)
        dev->ops->config_read(dev->model, off, data, len);
    r->u.config.generation = dev->generation;
    r->u.config.offset = off;
    r->u.config.length = len;
    r->u.config.data_len = len;
    r->u.config.data = data;
    return 1;
}

static int h_set_config(struct vmsg_dev *dev, const struct vmsg *req,
                        struct vmsg *r)
{
    uint32_t off = req->u.config.offset, len = req->u.config.length;
    int rc = -EPERM;

    if (!config_range_ok(dev, off, len))
        return -EINVAL;
    r->u.config.offset = off;
    if (req->u.config.generation == dev->generation && dev->ops->config_write)
        rc = dev->ops->config_write(dev->model, off, req->u.config.data, len);
    /* All or nothing (DECISIONS.md 4): length 0 means rejected. */
    r->u.config.length = rc == 0 ? len : 0;
    r->u.config.generation = dev->generation;
    return 1;
}

static int h_get_device_status(struct vmsg_dev *dev, const struct vmsg *req,
                               struct vmsg *r)
{
    (void)req;
    r->u.status = dev->status;
    return 1;
}

/* Is every bit of @st preceded by the bits the init order needs? */
static bool status_order_ok(uint8_t st)
{
    unsigned i;

    for (i = 1; i < sizeof(status_order); i++)
        if ((st & status_order[i]) && !(st & status_order[i - 1]))
            return false;
    return true;
}

static bool accept_features(struct vmsg_dev *dev)
{
    uint64_t f = dev->driver_features;

    if ((f & ~dev->desc.features) || dev->unoffered_features)
        return false;
    /* This transport is modern-only. */
    if (!(f & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
        return false;
    return !dev->ops->features_ok || dev->ops->features_ok(dev->model, f);
}

static void start_device(struct vmsg_dev *dev)
{
    int rc = 0;

    if (dev->ops->start)
        rc = dev->ops->start(dev->model, dev);
    if (rc) {
        dev->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
        return;
    }
    dev->status |= VIRTIO_STATUS_DRIVER_OK;
    dev->started = true;
}

static int h_set_device_status(struct vmsg_dev *dev, const struct vmsg *req,
                               struct vmsg *r)
{
    uint8_t old = dev->status, want = (uint8_t)req->u.status, added;
    const uint8_t sticky = VIRTIO_STATUS_DEVICE_NEEDS_RESET;

    if (want == 0) {
        device_reset(dev);
        r->u.status = 0;
        return 1;
    }
    want |= old & sticky;            /* the driver cannot clear it */
    added = want & ~old;
    if (want & VIRTIO_STATUS_FAILED) {
        dev->status |= VIRTIO_STATUS_FAILED;
    } else if ((old & ~want) || !status_order_ok(want) || (old & sticky)) {
        /* Cleared bits or out-of-order steps: the driver is confused. */
        dev->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    } else {
        dev->status = want & ~VIRTIO_STATUS_DRIVER_OK;
        if ((added & VIRTIO_STATUS_FEATURES_OK) && !accept_features(dev))
            dev->status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
        if (added & VIRTIO_STATUS_DRIVER_OK)
            start_device(dev);
        else if (old & VIRTIO_STATUS_DRIVER_OK)
            dev->status |= VIRTIO_STATUS_DRIVER_OK;
    }
    r->u.status = dev->status;
    return 1;
}

static int h_get_vqueue(struct vmsg_dev *dev, const struct vmsg *req,
                        struct vmsg *r)
{
    uint32_t i = req->u.index;

    r->u.vqueue.index = i;
    if (i < dev->desc.num_queues) {
        const struct vmsg_dev_queue *q = &dev->queues[i];
        r->u.vqueue.max_size = dev->desc.queue_max_size;
        r->u.vqueue.size = q->size;
        r->u.vqueue.desc_addr = q->desc_addr;
        r->u.vqueue.driver_addr = q->driver_addr;
        r->u.vqueue.device_addr = q->device_addr;
    }
    /* else: max_size 0, the queue does not exist. */
    return 1;
}

static int h_set_vqueue(struct vmsg_dev *dev, const struct vmsg *req,
                        struct vmsg *r)
{
    const struct vmsg_vqueue *v = &req->u.vqueue;
    struct vmsg_dev_queue *q;
    int rc;

    (void)r;
    if (!(dev->status & VIRTIO_STATUS_FEATURES_OK) ||
        (dev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
        return -EPERM;
    /* A split ring's size is a power of two, a packed one's any. */
    if (v->index >= dev->desc.num_queues || v->size > dev->desc.queue_max_size ||
        (!(dev->driver_features & VIRTIO_BIT(VIRTIO_F_RING_PACKED)) &&
         (v->size & (v->size - 1))))
        return -EINVAL;
    q = &dev->queues[v->index];
    if (q->size && dev->started)
        return -EPERM;               /* live queue: RESET_VQUEUE first */
    reset_queue(dev, v->index);
    rc = vmsg_vq_setup(&q->vq, &q->vq.mem, (uint16_t)v->size, v->desc_addr,
                       v->driver_addr, v->device_addr, dev->driver_features);
    if (rc)
        return rc;
    vmsg_vq_set_polled(&q->vq, dev->polled);
    q->size = v->size;
    q->desc_addr = v->desc_addr;
    q->driver_addr = v->driver_addr;
    q->device_addr = v->device_addr;
    return 1;
}

static int h_reset_vqueue(struct vmsg_dev *dev, const struct vmsg *req,
                          struct vmsg *r)
{
    uint32_t i = req->u.index;

    (void)r;
    if (i >= dev->desc.num_queues)
        return -EINVAL;
    if (dev->ops->queue_reset && dev->queues[i].size)
        dev->ops->queue_reset(dev->model, i);
    reset_queue(dev, i);
    return 1;
}

static int h_get_shm(struct vmsg_dev *dev, const struct vmsg *req,
                     struct vmsg *r)
{
    uint32_t len = 0, addr = 0;

    if (!dev->ops->get_shm ||
        !dev->ops->get_shm(dev->model, req->u.index, &len, &addr))
        len = addr = 0;
    r->u.shm.index = req->u.index;
    r->u.shm.length = len;
    r->u.shm.address = len ? addr : 0;
    return 1;
}

/* Whether queue @i may be served: DRIVER_OK, no reset pending, set up. */
static bool queue_serves(const struct vmsg_dev *dev, uint32_t i)
{
    return (dev->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(dev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) &&
           i < dev->desc.num_queues && dev->queues[i].size;
}

static int h_event_avail(struct vmsg_dev *dev, const struct vmsg *req,
                         struct vmsg *r)
{
    uint32_t i = req->u.event_avail.vq_index;

    (void)r;
    if (!queue_serves(dev, i)) {
        dev->stats.events_ignored++;   /* V26: no I/O before DRIVER_OK */
        return 0;
    }
    dev->ops->queue_notify(dev->model, i);
    return 0;
}

void vmsg_dev_want_later(struct vmsg_dev *dev, uint32_t vq)
{
    if (vq < dev->desc.num_queues)      /* so a queue reset forgets it */
        dev->later |= UINT64_C(1) << vq;
}

void vmsg_dev_serve_later(struct vmsg_dev *dev)
{
    uint64_t m = dev->later;
    uint32_t i;

    dev->later = 0;
    for (i = 0; m; i++, m >>= 1)
        if ((m & 1) && queue_serves(dev, i))
            dev->ops->queue_notify(dev->model, i);
}

/* Serve each set-up queue that has requests since it went quiet: found
 * by giving it notifications back (@unpoll: the spin ends) or by the
 * spin's look. */
static bool serve_quiet_queues(struct vmsg_dev *dev, bool unpoll)
{
    bool any = false;
    uint32_t i;

    for (i = 0; i < dev->desc.num_queues; i++) {
        struct vmsg_vq *vq = &dev->queues[i].vq;

        if (!dev->queues[i].size ||
            !(unpoll ? vmsg_vq_set_polled(vq, false) : vmsg_vq_quiet_pending(vq)) ||
            !queue_serves(dev, i))
            continue;
        if (!unpoll)
            dev->stats.avail_polled++;
        dev->ops->queue_notify(dev->model, i);
        any = true;
    }
    return any;
}

bool vmsg_dev_set_polled(struct vmsg_dev *dev, bool on)
{
    uint32_t i;

    dev->polled = on;
    if (!on)
        return serve_quiet_queues(dev, true);
    for (i = 0; i < dev->desc.num_queues; i++)
        if (dev->queues[i].size)
            vmsg_vq_set_polled(&dev->queues[i].vq, true);
    return false;
}

bool vmsg_dev_quiet_pending(const struct vmsg_dev *dev)
{
    uint32_t i;

    for (i = 0; i < dev->desc.num_queues; i++)
        if (dev->queues[i].size && vmsg_vq_quiet_pending(&dev->queues[i].vq))
            return true;
    return false;
}

bool vmsg_dev_poll_queues(struct vmsg_dev *dev)
{
    return serve_quiet_queues(dev, false);
}

typedef int handler_fn(struct vmsg_dev *, const struct vmsg *, struct vmsg *);

static handler_fn *const handlers[] = {
    [VMSG_GET_DEVICE_INFO] = h_get_device_info,
    [VMSG_GET_DEVICE_FEATURES] = h_get_device_features,
    [VMSG_SET_DRIVER_FEATURES] = h_set_driver_features,
    [VMSG_GET_CONFIG] = h_get_config,
    [VMSG_SET_CONFIG] = h_set_config,
    [VMSG_GET_DEVICE_STATUS] = h_get_device_status,
    [VMSG_SET_DEVICE_STATUS] = h_set_device_status,
    [VMSG_GET_VQUEUE] = h_get_vqueue,
    [VMSG_SET_VQUEUE] = h_set_vqueue,
    [VMSG_RESET_VQUEUE] = h_reset_vqueue,
    [VMSG_GET_SHM] = h_get_shm,
};

static void count_drop(struct vmsg_dev *dev, int rc, bool malformed)
{
    dev->stats.last_error = rc;
    if (malformed)
        dev->stats.dropped_malformed++;
    else
        dev->stats.dropped_illegal++;
}

/* Heap data a handler attached to the response (feature blocks, config). */
static void free_response_data(struct vmsg *r)
{
    if (r->msg_id == VMSG_GET_DEVICE_FEATURES)
        free((void *)r->u.features.blocks);
    else if (r->msg_id == VMSG_GET_CONFIG)
        free((void *)r->u.config.data);
}

int vmsg_dev_handle_msg(struct vmsg_dev *dev, const struct vmsg *m)
{
    struct vmsg r;
    int rc;

    if (vmsg_is_bus(m) || m->dev_num != dev->dev_num) {
        rc = -ENODEV;
    } else if (vmsg_is_response(m)) {
        rc = -EPERM;                 /* a device never takes responses */
    } else if (m->msg_id == VMSG_EVENT_AVAIL) {
        rc = h_event_avail(dev, m, NULL);
    } else if (m->msg_id >= sizeof(handlers) / sizeof(handlers[0]) ||
               !handlers[m->msg_id]) {
        rc = -EPERM;                 /* EVENT_CONFIG/USED go the other way */
    } else {
        vmsg_init_response(&r, m);
        rc = handlers[m->msg_id](dev, m, &r);
        if (rc == 1) {
            rc = send_msg(dev, &r, dev->txbuf, dev->bus->caps.max_msg_size);
            rc = rc < 0 ? rc : 0;
        }
        free_response_data(&r);
    }
    if (rc < 0) {
        count_drop(dev, rc, false);
        return rc;
    }
    dev->stats.handled++;
    return 0;
}

int vmsg_dev_handle(struct vmsg_dev *dev, const void *buf, size_t len)
{
    struct vmsg m;
    int rc = vmsg_decode(buf, len, dev->bus->caps.max_msg_size, &m);

    if (rc < 0) {
        count_drop(dev, rc, true);
        return rc;
    }
    return vmsg_dev_handle_msg(dev, &m);
}

struct vmsg_vq *vmsg_dev_queue(struct vmsg_dev *dev, uint32_t vq)
{
    if (vq >= dev->desc.num_queues || !dev->queues[vq].size)
        return NULL;
    return &dev->queues[vq].vq;
}

static int send_used(struct vmsg_dev *dev, uint32_t vq)
{
    struct vmsg_vq *q = vmsg_dev_queue(dev, vq);
    uint8_t buf[VMSG_HDR_SIZE + sizeof(struct vmsg_wire_event_used)];
    struct vmsg m;

    /* Asked when it goes out: a held answer is judged with the driver's
     * used_event as it is then, over everything pushed since the last. */
    if (!q || !vmsg_vq_should_notify(q))
        return 0;
    vmsg_init_request(&m, false, VMSG_EVENT_USED, dev->dev_num);
    m.u.vq_index = vq;
    return send_msg(dev, &m, buf, sizeof(buf)) < 0 ? -EIO : 0;
}

/* Requests taken from all queues, or answers pushed on them (mod 2^32):
 * did any come, or go, during a hold? */
static uint32_t queue_total(const struct vmsg_dev *dev, bool answers)
{
    uint32_t i, n = 0;

    for (i = 0; i < dev->desc.num_queues; i++)
        if (dev->queues[i].size)
            n += answers ? dev->queues[i].vq.used_idx : dev->queues[i].vq.last_avail;
    return n;
}

static uint32_t taken(const struct vmsg_dev *dev)
{
    return queue_total(dev, false);
}

/* The most requests the driver has out on one of the queues in @m and
 * has not yet looked at the answers of (0: not known). */
static uint16_t driver_depth(const struct vmsg_dev *dev, uint64_t m)
{
    uint16_t d, most = 0;
    uint32_t i;

    for (i = 0; m; i++, m >>= 1)
        if ((m & 1) && dev->queues[i].size) {
            d = vmsg_vq_driver_pending(&dev->queues[i].vq);
            most = d > most ? d : most;
        }
    return most;
}

/* The adaptive hold's time: VMSG_DEV_HOLD_GAPS of the driver's gap
 * between requests (an average over about the last eight, kept in 1/64
 * us: many requests in one microsecond are a gap under one), with @n
 * requests seen come in @dt_us if @n > 0.  A gap over the ceiling is a
 * pause (the driver idle, or we slept), not its pace: not counted. */
static void hold_learn(struct vmsg_dev_hold *h, int64_t dt_us, uint32_t n)
{
    uint64_t us;

    if (n && dt_us > 0 && dt_us / n <= h->max_us)
        h->gap_x64 += (uint64_t)dt_us * 8 / n - h->gap_x64 / 8;
    us = VMSG_DEV_HOLD_GAPS * h->gap_x64 / 64;
    h->us = us < VMSG_DEV_HOLD_MIN_US ? VMSG_DEV_HOLD_MIN_US :
            us > h->max_us ? h->max_us : (unsigned)us;
}

void vmsg_dev_set_hold(struct vmsg_dev *dev, unsigned us)
{
    dev->hold.us = us;
    dev->hold.max_us = 0;
    if (!us)
        vmsg_dev_hold_tick(dev, 0, true);
}

void vmsg_dev_set_hold_adaptive(struct vmsg_dev *dev, unsigned max_us)
{
    struct vmsg_dev_hold *h = &dev->hold;

    if (max_us < VMSG_DEV_HOLD_MIN_US) {
        vmsg_dev_set_hold(dev, max_us);
        return;
    }
    h->max_us = max_us;
    h->gap_x64 = 64 * VMSG_DEV_HOLD_START_GAP_US;
    h->last_us = -1;
    h->seen = taken(dev);
    h->idle_run = 0;
    hold_learn(h, 0, 0);
}

int vmsg_dev_notify_used(struct vmsg_dev *dev, uint32_t vq)
{
    if (!dev->hold.us || vq >= dev->desc.num_queues)
        return send_used(dev, vq);
    if (dev->hold.probation) {
        dev->hold.probation--;
        dev->hold.at_once++;
        return send_used(dev, vq);
    }
    if (!dev->hold.queues) {
        dev->hold.since_us = -1;
        dev->hold.mark = taken(dev);
        if (dev->hold.max_us)
            dev->hold.answered = queue_total(dev, true);
    }
    dev->hold.queues |= UINT64_C(1) << vq;
    dev->hold.held++;
    return 0;
}

void vmsg_dev_hold_note(const struct vmsg_dev *dev, char *buf, size_t len)
{
    const struct vmsg_dev_hold *h = &dev->hold;
    int n = snprintf(buf, len, "%llu EVENT_USEDs held in %llu holds (%llu ended idle: the driver waited)",
                     (unsigned long long)h->held, (unsigned long long)h->flushes,
                     (unsigned long long)h->idle);

    if (h->max_us && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - n, "; adaptive hold %u us (of %u): the driver's gap %llu us",
                      h->us, h->max_us, (unsigned long long)(h->gap_x64 / 64));
    if (n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - n, "; %llu sent at once after idle holds",
                 (unsigned long long)h->at_once);
}

bool vmsg_dev_hold_tick(struct vmsg_dev *dev, int64_t now_us, bool force)
{
    struct vmsg_dev_hold *h = &dev->hold;
    uint64_t m = h->queues;
    int64_t quiet_from;
    uint32_t i;
    bool idle, lone;

    if (h->max_us && !force) {       /* the driver's pace, while we spin */
        uint32_t n = taken(dev);

        if (n != h->seen) {
            /* A queue's 16-bit count wrapped or was reset: not a count
             * (more than a ring's most, 32768, between two ticks). */
            if (n - h->seen <= 32768 && h->last_us >= 0 && now_us > h->last_us)
                hold_learn(h, now_us - h->last_us, n - h->seen);
            h->seen = n;
            h->last_us = now_us;
        }
    }
    if (!m)
        return false;
    if (!force) {
        if (h->since_us < 0)
            h->since_us = now_us;
        /* Adaptive: the hold's time counts from the driver's last request
         * (it is still submitting), up to the ceiling from the start. */
        quiet_from = h->max_us && h->last_us > h->since_us ? h->last_us : h->since_us;
        if (now_us - quiet_from < (int64_t)h->us &&
            (!h->max_us || now_us - h->since_us < (int64_t)h->max_us))
            return true;
    }
    h->queues = 0;
    h->flushes++;
    idle = taken(dev) == h->mark;
    if (idle) {
        h->idle++;                   /* nothing came: the driver waits on us */
        h->probation = VMSG_DEV_HOLD_PROBATION;
    }
    /* Adaptive: an idle hold of a lone answer (none pushed after the one
     * that began it) for a driver with nothing else out (at depth 1)
     * makes the next probation longer each time in a row; a hold that
     * gathered several saved interrupts even though the driver waited,
     * and one whose driver has more out may yet. */
    lone = idle && h->max_us && queue_total(dev, true) == h->answered &&
           driver_depth(dev, m) <= 1;
    if (lone) {
        h->probation <<= h->idle_run;
        if (h->idle_run < VMSG_DEV_HOLD_BACKOFF)
            h->idle_run++;
    } else {
        h->idle_run = 0;
    }
    for (i = 0; m; i++, m >>= 1)
        if (m & 1)
            send_used(dev, i);       /* a bus that cannot send is seen by its owner */
    return false;
}

static int send_event_config(struct vmsg_dev *dev, uint32_t off, uint32_t len)
{
    uint32_t max = dev->bus->caps.max_msg_size;
    uint8_t *data = NULL;
    struct vmsg m;
    int rc;

    if (!config_range_ok(dev, off, len) || 24ull + len > max)
        off = len = 0;               /* too big: the driver re-reads (V7) */
    if (len) {
        data = malloc(len);
        if (!data)
            return -ENOMEM;
        dev->ops->config_read(dev->model, off, data, len);
    }
    vmsg_init_request(&m, false, VMSG_EVENT_CONFIG, dev->dev_num);
    m.u.event_config.device_status = dev->status;
    m.u.event_config.generation = dev->generation;
    m.u.event_config.offset = off;
    m.u.event_config.length = len;
    m.u.event_config.data = data;
    rc = send_msg(dev, &m, dev->txbuf, max);
    free(data);
    return rc < 0 ? rc : 0;
}

int vmsg_dev_config_changed(struct vmsg_dev *dev, uint32_t off, uint32_t len)
{
    dev->generation++;               /* before the change is visible (V5) */
    return send_event_config(dev, off, len);
}

int vmsg_dev_needs_reset(struct vmsg_dev *dev)
{
    dev->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    return send_event_config(dev, 0, 0);
}
