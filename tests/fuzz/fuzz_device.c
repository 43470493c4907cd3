/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the device-side transport with sequences of messages.
 * Input: records of [len:1][bytes:len]; a record of length 0 rings every
 * queue (as a notification would).  The first 4 KiB after the records
 * area is driver memory at VMSG_LOOP_BASE, so SET_VQUEUE and descriptor
 * addresses can point at real, hostile data.  The device model pops and
 * completes whatever it is given.  An input of odd length runs with a
 * notification hold, its clock advanced by 3 at each record: fixed at 5
 * (vmsg_dev_set_hold()) when its length is 1 mod 4, else adaptive up to
 * 40 (vmsg_dev_set_hold_adaptive()).  An input whose length has bit 2
 * set runs polled (vmsg_dev_set_polled()): a record of length 0 is then
 * the owner's look at the queues (vmsg_dev_poll_queues()), and no queue
 * is left quieted once polling ends.  Properties: no crash, responses
 * only for requests (never more than one each), nothing held after a
 * forced tick, an adaptive hold and its probation within their bounds,
 * every mapping released at the end.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "virtio-msg/device.h"
#include "virtio-msg/loop.h"
#include "virtio-msg/virtio.h"

static struct vmsg_dev dev;
static struct vmsg_vq_elem elem;

static void cfg_read(void *m, uint32_t off, void *buf, uint32_t len)
{
    memset(buf, (int)(off & 0xff), len);
    (void)m;
}

static int cfg_write(void *m, uint32_t off, const void *buf, uint32_t len)
{
    (void)m; (void)buf; (void)len;
    return off < 4 ? -EPERM : 0;
}

static void reset(void *m)
{
    (void)m;
}

/* As the backend's models: notifications off while serving, on again
 * (or quieted, when polled) once drained; at most 64 a call. */
static void notify(void *m, uint32_t i)
{
    struct vmsg_vq *vq = vmsg_dev_queue(&dev, i);
    int n = 0;

    (void)m;
    if (!vq)
        return;
    do {
        vmsg_vq_set_notification(vq, false);
        while (n++ < 64 && vmsg_vq_pop(vq, &elem) == 1)
            vmsg_vq_push(vq, &elem, (uint32_t)elem.in_len / 2);
    } while (n < 64 && vmsg_vq_set_notification(vq, true));
    vmsg_dev_notify_used(&dev, i);
}

static const struct vmsg_dev_ops ops = {
    .config_read = cfg_read, .config_write = cfg_write,
    .reset = reset, .queue_notify = notify,
};

static void rx(void *opaque, const void *msg, size_t len)
{
    (void)opaque;
    vmsg_dev_handle(&dev, msg, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmsg_dev_desc desc = {
        .device_id = 4, .features = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
                     VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
                     VIRTIO_BIT(VIRTIO_F_RING_PACKED),   /* the driver's choice */
        .config_size = 32, .num_queues = 2, .queue_max_size = 64,
    };
    struct vmsg_loop l;
    uint64_t base;
    uint8_t *mem;
    size_t off = 0;
    int64_t clock = 0;

    if (vmsg_loop_init(&l, 276))
        return 0;
    mem = l.drv.ops->dma_alloc(&l.drv, 4096, &base);
    if (size > 4096)
        memcpy(mem, data + size - 4096, 4096);
    if (vmsg_dev_init(&dev, &l.dev, 0, &desc, &ops, NULL)) {
        vmsg_loop_destroy(&l);
        return 0;
    }
    vmsg_bus_set_rx(&l.dev, rx, NULL);
    if ((size & 3) == 3)
        vmsg_dev_set_hold_adaptive(&dev, 40);
    else
        vmsg_dev_set_hold(&dev, size & 1 ? 5 : 0);
    if (size & 4)
        vmsg_dev_set_polled(&dev, true);
    while (off < size) {
        size_t n = data[off++];

        vmsg_dev_hold_tick(&dev, clock += 3, false);
        if (n == 0 && (size & 4)) {
            vmsg_dev_poll_queues(&dev);   /* a busy-polling owner's look */
            continue;
        }
        if (n == 0) {
            notify(NULL, 0);
            notify(NULL, 1);
            continue;
        }
        if (n > size - off)
            n = size - off;
        /* Requests arrive as transfers: at most one response each. */
        if (n >= 8 && !(data[off] & VMSG_TYPE_RESPONSE) && !(data[off + 1] & 0x40)) {
            uint8_t resp[276];
            size_t rl;
            l.drv.ops->transfer(&l.drv, data + off, n, resp, sizeof(resp), &rl);
        } else {
            vmsg_bus_deliver(&l.dev, data + off, n);
        }
        off += n;
    }
    if (size & 4) {
        vmsg_dev_set_polled(&dev, false);
        FUZZ_CHECK(!dev.queues[0].vq.quieted && !dev.queues[1].vq.quieted);
    }
    FUZZ_CHECK(l.stray_responses == 0);
    FUZZ_CHECK(!vmsg_dev_hold_tick(&dev, clock, true) && !dev.hold.queues);
    FUZZ_CHECK(!dev.hold.max_us ||
               (dev.hold.us >= VMSG_DEV_HOLD_MIN_US && dev.hold.us <= dev.hold.max_us));
    FUZZ_CHECK(dev.hold.probation <= VMSG_DEV_HOLD_PROBATION << VMSG_DEV_HOLD_BACKOFF);
    vmsg_dev_destroy(&dev);
    FUZZ_CHECK(l.maps == l.unmaps);
    vmsg_loop_destroy(&l);
    return 0;
}
