/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "virtio-msg/virtio.h"

static struct vmsg_vring ring0;
static void *ring0_mem;
static uint64_t ring0_addr;

uint64_t echo_features(void)
{
    return VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
           VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_RING_RESET) |
           VIRTIO_BIT(ECHO_FEATURE_X) | VIRTIO_BIT(ECHO_FEATURE_BAD);
}

static void echo_config_read(void *m, uint32_t off, void *buf, uint32_t len)
{
    memcpy(buf, ((struct echo_model *)m)->config + off, len);
}

static int echo_config_write(void *m, uint32_t off, const void *buf,
                             uint32_t len)
{
    struct echo_model *e = m;

    if (off < ECHO_RO_OFFSET + ECHO_RO_LEN)
        return -EPERM;
    memcpy(e->config + off, buf, len);
    return 0;
}

static bool echo_features_ok(void *m, uint64_t f)
{
    (void)m;
    return !(f & VIRTIO_BIT(ECHO_FEATURE_BAD));
}

static int echo_start(void *m, struct vmsg_dev *dev)
{
    struct echo_model *e = m;

    e->dev = dev;
    e->starts++;
    return e->fail_start ? -EIO : 0;
}

static void echo_reset(void *m)
{
    ((struct echo_model *)m)->resets++;
}

static void echo_queue_reset(void *m, uint32_t vq)
{
    (void)vq;
    ((struct echo_model *)m)->queue_resets++;
}

/* Copy every readable byte into the writable buffers, in order. */
static void echo_notify(void *m, uint32_t vqi)
{
    struct echo_model *e = m;
    struct vmsg_vq *vq = vmsg_dev_queue(e->dev, vqi);
    struct vmsg_vq_elem *el;

    e->notifies++;
    if (!vq)
        return;
    el = malloc(sizeof(*el));
    ck_assert_ptr_nonnull(el);
    while (vmsg_vq_pop(vq, el) == 1) {
        uint32_t written = 0, oi = 0, ii = el->out_num;
        size_t opos = 0, ipos = 0;

        while (oi < el->out_num && ii < (uint32_t)el->out_num + el->in_num) {
            size_t n = el->iov[oi].iov_len - opos;
            if (n > el->iov[ii].iov_len - ipos)
                n = el->iov[ii].iov_len - ipos;
            memcpy((uint8_t *)el->iov[ii].iov_base + ipos,
                   (uint8_t *)el->iov[oi].iov_base + opos, n);
            opos += n;
            ipos += n;
            written += (uint32_t)n;
            if (opos == el->iov[oi].iov_len) {
                oi++;
                opos = 0;
            }
            if (ipos == el->iov[ii].iov_len) {
                ii++;
                ipos = 0;
            }
        }
        e->bytes_echoed += written;
        vmsg_vq_push(vq, el, written);
    }
    free(el);
    vmsg_dev_notify_used(e->dev, vqi);
}

static bool echo_get_shm(void *m, uint32_t id, uint32_t *len, uint32_t *addr)
{
    (void)m;
    if (id != 7)
        return false;
    *len = 0x10000;
    *addr = 0x40000000;
    return true;
}

static const struct vmsg_dev_ops echo_ops = {
    .config_read = echo_config_read,
    .config_write = echo_config_write,
    .features_ok = echo_features_ok,
    .start = echo_start,
    .reset = echo_reset,
    .queue_notify = echo_notify,
    .queue_reset = echo_queue_reset,
    .get_shm = echo_get_shm,
};

static void dev_rx(void *opaque, const void *msg, size_t len)
{
    struct harness *h = opaque;
    unsigned slot = h->nseen++ % HARNESS_SEEN;
    struct vmsg m;

    if (len > h->max_seen)
        h->max_seen = len;
    h->seen_len[slot] = len < sizeof(h->seen[0]) ? len : sizeof(h->seen[0]);
    memcpy(h->seen[slot], msg, h->seen_len[slot]);

    /* Bus messages are the bus's business; the rest goes to the device. */
    if (vmsg_decode(msg, len, h->loop.max_msg_size, &m) == 0 && vmsg_is_bus(&m)) {
        vmsg_bus_serve(&h->loop.dev, &m, h->devs, 1);
        return;
    }
    vmsg_dev_handle(&h->dev, msg, len);
}

static void drv_used(void *opaque, uint32_t vq)
{
    struct harness *h = opaque;

    h->used_events++;
    h->last_used_vq = vq;
}

static void drv_config(void *opaque, uint8_t status)
{
    (void)status;
    ((struct harness *)opaque)->config_events++;
}

static void drv_rx(void *opaque, const void *msg, size_t len)
{
    struct harness *h = opaque;
    unsigned slot = h->nevents++ % HARNESS_SEEN;
    struct vmsg m;

    h->events_len[slot] = len < sizeof(h->events[0]) ? len : sizeof(h->events[0]);
    memcpy(h->events[slot], msg, h->events_len[slot]);

    if (vmsg_decode(msg, len, h->loop.max_msg_size, &m) == 0)
        vmsg_drv_handle_event(&h->drv, &m);
}

void harness_init(struct harness *h, uint32_t max, int open)
{
    struct vmsg_dev_desc desc = {
        .device_id = 0x1234,
        .vendor_id = 0x4D534758,   /* "XGSM" */
        .features = echo_features(),
        .config_size = ECHO_CONFIG_SIZE,
        .num_queues = 2,
        .queue_max_size = 256,
    };
    struct vmsg_drv_cbs cbs = { drv_used, drv_config };
    unsigned i;

    memset(h, 0, sizeof(*h));
    for (i = 0; i < ECHO_CONFIG_SIZE; i++)
        h->model.config[i] = (uint8_t)(i * 7 + 1);
    ck_assert_int_eq(vmsg_loop_init(&h->loop, max ? max : VMSG_DEFAULT_MAX_SIZE), 0);
    h->devs[0] = ECHO_DEV_NUM;
    ck_assert_int_eq(vmsg_dev_init(&h->dev, &h->loop.dev, ECHO_DEV_NUM, &desc,
                                   &echo_ops, &h->model), 0);
    h->model.dev = &h->dev;
    vmsg_bus_set_rx(&h->loop.dev, dev_rx, h);
    vmsg_bus_set_rx(&h->loop.drv, drv_rx, h);
    if (open) {
        ck_assert_int_eq(vmsg_drv_open(&h->drv, &h->loop.drv, ECHO_DEV_NUM), 0);
        vmsg_drv_set_callbacks(&h->drv, &cbs, h);
    }
}

struct vmsg_vring *harness_start(struct harness *h, uint64_t wanted,
                                 uint16_t num)
{
    struct vmsg_vqueue q = { 0 };
    uint64_t acc;

    ck_assert_int_eq(vmsg_drv_negotiate(&h->drv, wanted, &acc), 0);
    ring0_mem = h->loop.drv.ops->dma_alloc(&h->loop.drv, vmsg_vring_mem_size(num),
                                           &ring0_addr);
    ck_assert_ptr_nonnull(ring0_mem);
    ck_assert_int_eq(vmsg_vring_init(&ring0, ring0_mem, ring0_addr, num,
                                     acc & VIRTIO_BIT(VIRTIO_F_EVENT_IDX)), 0);
    q.index = 0;
    q.size = num;
    q.desc_addr = ring0.desc_addr;
    q.driver_addr = ring0.avail_addr;
    q.device_addr = ring0.used_addr;
    ck_assert_int_eq(vmsg_drv_set_vqueue(&h->drv, &q), 0);
    ck_assert_int_eq(vmsg_drv_driver_ok(&h->drv), 0);
    return &ring0;
}

const uint8_t *harness_seen(struct harness *h, unsigned back, size_t *len)
{
    unsigned slot;

    ck_assert_uint_lt(back, h->nseen);
    slot = (h->nseen - 1 - back) % HARNESS_SEEN;
    *len = h->seen_len[slot];
    return h->seen[slot];
}

void harness_send_raw(struct harness *h, const void *buf, size_t len)
{
    vmsg_bus_deliver(&h->loop.dev, buf, len);
}

void harness_fini(struct harness *h)
{
    vmsg_dev_destroy(&h->dev);
    if (h->drv.req || h->drv.resp)
        vmsg_drv_close(&h->drv);
    if (ring0.token)
        vmsg_vring_destroy(&ring0);
    vmsg_loop_destroy(&h->loop);
}

size_t hex2bin(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *hex; hex++) {
        int v;
        if (isspace((unsigned char)*hex))
            continue;
        v = isdigit((unsigned char)*hex) ? *hex - '0'
                                         : tolower((unsigned char)*hex) - 'a' + 10;
        if (hi < 0) {
            hi = v;
        } else {
            ck_assert_uint_lt(n, cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
