/* SPDX-License-Identifier: MIT */
/*
 * Driver and device transports over the loopback bus.  Test names carry
 * the normative checklist id (shared/spec/virtio-msg-spec.md §5) they check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_priv.h"
#include "harness.h"
#include "virtio-msg/virtio.h"

static struct harness H;
static uint64_t sub_out, sub_in;     /* submit()'s buffers, in H's bus memory */
#define STD_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | \
                      VIRTIO_BIT(ECHO_FEATURE_X))

static void setup(void)
{
    sub_out = sub_in = 0;            /* a new bus: without fork, the last test's is gone */
    harness_init(&H, 0, 1);
}

static void teardown(void)
{
    harness_fini(&H);
}

/* Echo @len bytes through queue 0 and check they come back. */
static void echo_roundtrip(struct vmsg_vring *r, uint32_t len)
{
    struct vmsg_bus *bus = &H.loop.drv;
    uint64_t oa, ia;
    uint8_t *out = bus->ops->dma_alloc(bus, len, &oa);
    uint8_t *in = bus->ops->dma_alloc(bus, len, &ia);
    struct vmsg_sg sg[2] = { { oa, len }, { ia, len } };
    uint32_t i, got = 0;
    int tok = 42;

    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(in);
    for (i = 0; i < len; i++)
        out[i] = (uint8_t)(i * 13 + len);
    ck_assert_int_eq(vmsg_vring_add(r, sg, 1, 1, &tok), 0);
    if (vmsg_vring_kick_prepare(r))
        ck_assert_int_eq(vmsg_drv_notify(&H.drv, 0, 0), 0);
    ck_assert_ptr_eq(vmsg_vring_get_used(r, &got), &tok);
    ck_assert_uint_eq(got, len);
    ck_assert_mem_eq(in, out, len);
    bus->ops->dma_free(bus, out, len, oa);
    bus->ops->dma_free(bus, in, len, ia);
}

/* Raw request through the driver's validated call path. */
static int raw_call(struct vmsg *req, struct vmsg *resp)
{
    return vmsg_drv_call(&H.drv, req, resp);
}

START_TEST(D13_V37_device_info_first_and_consistent)
{
    struct vmsg req, resp;

    ck_assert(H.drv.have_info);
    ck_assert_uint_eq(H.drv.info.device_id, 0x1234);
    ck_assert_uint_eq(H.drv.info.num_feature_bits, 64);
    ck_assert_uint_eq(H.drv.info.config_size, ECHO_CONFIG_SIZE);
    ck_assert_uint_eq(H.drv.info.max_virtqueues, 2);
    harness_start(&H, STD_FEATURES, 64);
    vmsg_init_request(&req, false, VMSG_GET_DEVICE_INFO, ECHO_DEV_NUM);
    ck_assert_int_eq(raw_call(&req, &resp), 0);
    ck_assert_mem_eq(&resp.u.dev_info, &H.drv.info, sizeof(H.drv.info));
}
END_TEST

START_TEST(init_sequence_and_data_path)
{
    struct vmsg_vring *r = harness_start(&H, STD_FEATURES, 64);
    uint8_t st;
    int i;

    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), 0);
    ck_assert_uint_eq(st, 0x0F);
    ck_assert_uint_eq(H.drv.negotiated, STD_FEATURES);
    ck_assert_uint_eq(H.dev.driver_features, STD_FEATURES);
    for (i = 0; i < 300; i++)   /* wraps the 64-entry ring several times */
        echo_roundtrip(r, 1 + (uint32_t)i * 37 % 9000);
    ck_assert_int_gt(H.used_events, 0);
    ck_assert(!r->broken);
    ck_assert(!H.dev.queues[0].vq.broken);
}
END_TEST

START_TEST(V19_D19_feature_refusal_clears_features_ok)
{
    uint64_t acc = 0;

    ck_assert_int_eq(vmsg_drv_negotiate(&H.drv, STD_FEATURES |
                                        VIRTIO_BIT(ECHO_FEATURE_BAD), &acc), -ENOTSUP);
    ck_assert(H.drv.status & VIRTIO_STATUS_FAILED);
    ck_assert(!(H.dev.status & VIRTIO_STATUS_FEATURES_OK));
    /* D39: a reset brings it back. */
    harness_start(&H, STD_FEATURES, 16);
}
END_TEST

START_TEST(V19_modern_only_refuses_without_version_1)
{
    ck_assert_int_eq(vmsg_drv_negotiate(&H.drv, VIRTIO_BIT(ECHO_FEATURE_X), NULL),
                     -ENOTSUP);
}
END_TEST

START_TEST(V9_V18_V38_feature_blocks_beyond_are_zero)
{
    struct vmsg req, resp;
    uint32_t i;

    vmsg_init_request(&req, false, VMSG_GET_DEVICE_FEATURES, ECHO_DEV_NUM);
    req.u.features.block_index = 1;
    req.u.features.num_blocks = 5;
    ck_assert_int_eq(raw_call(&req, &resp), 0);
    ck_assert_uint_eq(resp.u.features.num_blocks, 5);
    ck_assert_uint_eq(vmsg_feature_block(&resp, 0), (uint32_t)(echo_features() >> 32));
    for (i = 1; i < 5; i++)
        ck_assert_uint_eq(vmsg_feature_block(&resp, i), 0);
}
END_TEST

START_TEST(D18_D44_driver_writes_only_offered_features)
{
    uint64_t f, before;

    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 1, NULL), 0);
    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 3, NULL), 0);
    ck_assert_int_eq(vmsg_drv_get_features(&H.drv, &f), 0);
    ck_assert_uint_eq(f, echo_features());
    before = H.loop.transfers;
    ck_assert_int_eq(vmsg_drv_set_features(&H.drv, VIRTIO_BIT(50)), -EINVAL);
    ck_assert_uint_eq(H.loop.transfers, before);   /* nothing was sent */
}
END_TEST

START_TEST(V19_unoffered_block_refused_at_features_ok)
{
    uint8_t blocks[12] = { 0 };
    struct vmsg req, resp;
    uint8_t st;

    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 1, NULL), 0);
    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 3, NULL), 0);
    vmsg_put_le32(blocks + 4, 1);         /* VERSION_1 */
    vmsg_put_le32(blocks + 8, 0x10);      /* bit 68: never offered */
    vmsg_init_request(&req, false, VMSG_SET_DRIVER_FEATURES, ECHO_DEV_NUM);
    req.u.features.num_blocks = 3;
    req.u.features.blocks = blocks;
    ck_assert_int_eq(raw_call(&req, &resp), 0);
    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 0x0B, &st), 0);
    ck_assert(!(st & VIRTIO_STATUS_FEATURES_OK));
}
END_TEST

START_TEST(V24_V34_D39_reset_mid_use)
{
    struct vmsg_vring *r = harness_start(&H, STD_FEATURES, 32);
    struct vmsg_vqueue q;
    uint32_t gen_before = H.dev.generation;
    int resets = H.model.resets;
    uint8_t raw[16];
    size_t n;

    echo_roundtrip(r, 100);
    ck_assert_int_eq(vmsg_drv_reset(&H.drv), 0);
    ck_assert_uint_eq(H.dev.status, 0);
    ck_assert_int_eq(H.model.resets, resets + 1);
    ck_assert_uint_eq(H.dev.generation, gen_before);   /* never restarts */
    ck_assert_ptr_null(vmsg_dev_queue(&H.dev, 0));
    /* EVENT_AVAIL after the reset is ignored (V26). */
    n = hex2bin("00 41 0300 0000 1000 00000000 00000000", raw, sizeof(raw));
    harness_send_raw(&H, raw, n);
    ck_assert_uint_eq(H.dev.stats.events_ignored, 1);
    /* GET_VQUEUE shows the queue unconfigured again (V44). */
    ck_assert_int_eq(vmsg_drv_get_vqueue(&H.drv, 0, &q), 0);
    ck_assert_uint_eq(q.size, 0);
    ck_assert_uint_eq(q.desc_addr, 0);
}
END_TEST

/* Model hook: change config while the driver is reading it. */
static int change_budget;
static void changing_read(void *m, uint32_t off, void *buf, uint32_t len)
{
    struct echo_model *e = m;

    static int nested;

    memcpy(buf, e->config + off, len);
    if (change_budget > 0 && off > 0 && !nested) {
        change_budget--;
        e->config[500]++;
        nested = 1;     /* the EVENT_CONFIG reads config too */
        vmsg_dev_config_changed(&H.dev, 500, 1);
        nested = 0;
    }
}

START_TEST(V5_D5_generation_change_during_config_read)
{
    static struct vmsg_dev_ops ops;
    uint8_t buf[ECHO_CONFIG_SIZE];
    uint32_t gen0 = H.dev.generation;

    ops = *H.dev.ops;
    ops.config_read = changing_read;
    H.dev.ops = &ops;
    change_budget = 1;
    ck_assert_int_eq(vmsg_drv_config_read(&H.drv, 0, buf, sizeof(buf)), 0);
    ck_assert_mem_eq(buf, H.model.config, sizeof(buf));   /* consistent */
    ck_assert_uint_eq(H.dev.generation, gen0 + 1);
    ck_assert_uint_eq(H.drv.generation, gen0 + 1);
    ck_assert_int_eq(H.config_events, 1);
    /* A config that never settles: the driver gives up with -EAGAIN. */
    change_budget = 1000;
    ck_assert_int_eq(vmsg_drv_config_read(&H.drv, 0, buf, sizeof(buf)), -EAGAIN);
}
END_TEST

START_TEST(config_chunked_write_read_roundtrip)
{
    uint8_t w[300], r[300];
    int i;

    for (i = 0; i < 300; i++)
        w[i] = (uint8_t)(255 - i);
    ck_assert_int_eq(vmsg_drv_config_write(&H.drv, 100, w, sizeof(w)), 0);
    ck_assert_mem_eq(H.model.config + 100, w, sizeof(w));
    ck_assert_int_eq(vmsg_drv_config_read(&H.drv, 100, r, sizeof(r)), 0);
    ck_assert_mem_eq(r, w, sizeof(w));
}
END_TEST

START_TEST(V8_V20_V41_D6_set_config_stale_generation)
{
    struct vmsg req, resp;
    uint8_t v = 0x5A;

    /* The device changes config; the event is lost on the way. */
    vmsg_bus_set_rx(&H.loop.drv, NULL, NULL);
    vmsg_dev_config_changed(&H.dev, 0, 0);
    ck_assert_uint_ne(H.drv.generation, H.dev.generation);
    /* A raw stale write is rejected with length 0 and the current count. */
    vmsg_init_request(&req, false, VMSG_SET_CONFIG, ECHO_DEV_NUM);
    req.u.config.generation = H.drv.generation;
    req.u.config.offset = 20;
    req.u.config.length = 1;
    req.u.config.data = &v;
    ck_assert_int_eq(raw_call(&req, &resp), 0);
    ck_assert_uint_eq(resp.u.config.length, 0);
    ck_assert_uint_eq(resp.u.config.generation, H.dev.generation);
    ck_assert_uint_ne(H.model.config[20], v);
    /* The driver API re-reads the generation and succeeds. */
    ck_assert_int_eq(vmsg_drv_config_write(&H.drv, 20, &v, 1), 0);
    ck_assert_uint_eq(H.model.config[20], v);
    ck_assert_uint_eq(H.drv.generation, H.dev.generation);
}
END_TEST

START_TEST(set_config_read_only_field_refused)
{
    uint8_t v = 1;

    ck_assert_int_eq(vmsg_drv_config_write(&H.drv, 2, &v, 1), -EPERM);
    ck_assert(!H.drv.broken);
}
END_TEST

START_TEST(D17_D20_D45_config_range_checked_locally)
{
    uint8_t b[4];
    uint64_t before = H.loop.transfers;

    ck_assert_int_eq(vmsg_drv_config_read(&H.drv, ECHO_CONFIG_SIZE - 1, b, 2), -EINVAL);
    ck_assert_int_eq(vmsg_drv_config_write(&H.drv, 0xFFFFFFFF, b, 2), -EINVAL);
    ck_assert_int_eq(vmsg_drv_config_write(&H.drv, 10, b, 0), -EINVAL);
    ck_assert_uint_eq(H.loop.transfers, before);
}
END_TEST

START_TEST(V10_device_drops_out_of_range_config_read)
{
    struct vmsg req, resp;

    vmsg_init_request(&req, false, VMSG_GET_CONFIG, ECHO_DEV_NUM);
    req.u.config.offset = ECHO_CONFIG_SIZE - 2;
    req.u.config.length = 4;
    ck_assert_int_eq(raw_call(&req, &resp), -ETIMEDOUT);
    ck_assert_uint_eq(H.dev.stats.dropped_illegal, 1);
    ck_assert_uint_eq(H.loop.stray_responses, 0);
}
END_TEST

START_TEST(V28_V35_D40_needs_reset_event_then_reinit)
{
    struct vmsg_vring *r = harness_start(&H, STD_FEATURES, 16);

    echo_roundtrip(r, 64);
    ck_assert_int_eq(vmsg_dev_needs_reset(&H.dev), 0);
    ck_assert_int_eq(H.config_events, 1);
    ck_assert(H.drv.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    harness_fini(&H);
    harness_init(&H, 0, 1);
    r = harness_start(&H, STD_FEATURES, 16);
    echo_roundtrip(r, 64);
}
END_TEST

START_TEST(V22_V44_get_vqueue_true_sizes)
{
    struct vmsg_vqueue q;

    ck_assert_int_eq(vmsg_drv_get_vqueue(&H.drv, 0, &q), 0);
    ck_assert_uint_eq(q.max_size, 256);
    ck_assert_uint_eq(q.size, 0);
    ck_assert_int_eq(vmsg_drv_get_vqueue(&H.drv, 5, &q), 0);
    ck_assert_uint_eq(q.max_size, 0);    /* no such queue */
}
END_TEST

static void raw_set_vqueue(uint32_t idx, uint32_t size, uint64_t base)
{
    struct vmsg req, resp;
    int rc;

    vmsg_init_request(&req, false, VMSG_SET_VQUEUE, ECHO_DEV_NUM);
    req.u.vqueue.index = idx;
    req.u.vqueue.size = size;
    req.u.vqueue.desc_addr = base;
    req.u.vqueue.driver_addr = base + 16 * size;
    req.u.vqueue.device_addr = base + 32 * size;
    rc = raw_call(&req, &resp);
    ck_assert_int_eq(rc, -ETIMEDOUT);     /* dropped: no response */
    H.drv.broken = false;                 /* we provoked it on purpose */
}

START_TEST(D23_D48_vqueue_size_over_max)
{
    struct vmsg_vqueue q = { .index = 0, .size = 512, .desc_addr = 0x1000,
                             .driver_addr = 0x3000, .device_addr = 0x4000 };

    ck_assert_int_eq(vmsg_drv_negotiate(&H.drv, STD_FEATURES, NULL), 0);
    ck_assert_int_eq(vmsg_drv_set_vqueue(&H.drv, &q), -EINVAL);
    raw_set_vqueue(0, 512, VMSG_LOOP_BASE);
    raw_set_vqueue(0, 24, VMSG_LOOP_BASE);   /* not a power of two */
    raw_set_vqueue(9, 16, VMSG_LOOP_BASE);   /* no such queue */
    ck_assert_uint_eq(H.dev.stats.dropped_illegal, 3);
}
END_TEST

START_TEST(D14_vqueue_before_features_ok)
{
    struct vmsg_vqueue q = { .index = 0, .size = 16, .desc_addr = 0x1000,
                             .driver_addr = 0x3000, .device_addr = 0x4000 };

    ck_assert_int_eq(vmsg_drv_set_vqueue(&H.drv, &q), -EPERM);
    raw_set_vqueue(0, 16, VMSG_LOOP_BASE);
    ck_assert_uint_eq(H.dev.stats.dropped_illegal, 1);
}
END_TEST

START_TEST(V45_unmappable_ring_dropped)
{
    ck_assert_int_eq(vmsg_drv_negotiate(&H.drv, STD_FEATURES, NULL), 0);
    raw_set_vqueue(0, 16, 0x7000);            /* nobody's memory */
    ck_assert_ptr_null(vmsg_dev_queue(&H.dev, 0));
}
END_TEST

START_TEST(vq_set_while_enabled_dropped)
{
    struct vmsg_vring *r = harness_start(&H, STD_FEATURES, 16);

    raw_set_vqueue(0, 16, VMSG_LOOP_BASE + 0x100000);
    echo_roundtrip(r, 32);                     /* the live queue is intact */
}
END_TEST

START_TEST(V23_V33_V46_D38_reset_vqueue_and_reprogram)
{
    struct vmsg_vring *r = harness_start(&H, STD_FEATURES |
                                         VIRTIO_BIT(VIRTIO_F_RING_RESET), 16);
    struct vmsg_vring r2;
    struct vmsg_vqueue q = { 0 }, cur;
    struct vmsg_bus *bus = &H.loop.drv;
    uint64_t addr;
    void *mem;

    echo_roundtrip(r, 10);
    ck_assert_int_eq(vmsg_drv_reset_vqueue(&H.drv, 0), 0);
    ck_assert_int_eq(H.model.queue_resets, 1);
    ck_assert_int_eq(vmsg_drv_get_vqueue(&H.drv, 0, &cur), 0);
    ck_assert_uint_eq(cur.size, 0);
    ck_assert_int_eq(vmsg_drv_notify(&H.drv, 0, 0), -EINVAL);   /* D29 */
    mem = bus->ops->dma_alloc(bus, vmsg_vring_mem_size(32), &addr);
    ck_assert_int_eq(vmsg_vring_init(&r2, mem, addr, 32, true), 0);
    q.size = 32;
    q.desc_addr = r2.desc_addr;
    q.driver_addr = r2.avail_addr;
    q.device_addr = r2.used_addr;
    ck_assert_int_eq(vmsg_drv_set_vqueue(&H.drv, &q), 0);      /* V32 */
    echo_roundtrip(&r2, 4000);
    vmsg_vring_destroy(&r2);
}
END_TEST

START_TEST(D49_reset_vqueue_needs_ring_reset)
{
    harness_start(&H, STD_FEATURES, 16);
    ck_assert_int_eq(vmsg_drv_reset_vqueue(&H.drv, 0), -EPERM);
}
END_TEST

START_TEST(V26_event_avail_before_driver_ok_ignored)
{
    uint8_t raw[16];
    size_t n = hex2bin("00 41 0300 0000 1000 00000000 00000000", raw, sizeof(raw));

    harness_send_raw(&H, raw, n);
    ck_assert_uint_eq(H.dev.stats.events_ignored, 1);
    ck_assert_int_eq(H.model.notifies, 0);
    ck_assert_uint_eq(H.loop.stray_responses, 0);   /* B17: no reply */
}
END_TEST

START_TEST(D28_D32_driver_notify_rules)
{
    ck_assert_int_eq(vmsg_drv_notify(&H.drv, 0, 0), -EPERM);
    harness_start(&H, STD_FEATURES, 16);
    ck_assert_int_eq(vmsg_drv_notify(&H.drv, 0, 5), -EINVAL);
    ck_assert_int_eq(vmsg_drv_notify(&H.drv, 1, 0), -EINVAL);   /* not set up */
    ck_assert_int_eq(vmsg_drv_notify(&H.drv, 0, 0), 0);
}
END_TEST

/* A model that stops a queue with requests left gets a later turn: the
 * queue's notify runs again from vmsg_dev_serve_later(), once; not for a
 * queue a reset took away, nor before DRIVER_OK. */
START_TEST(queue_served_again_on_a_later_turn)
{
    vmsg_dev_want_later(&H.dev, 0);            /* not live yet */
    ck_assert(vmsg_dev_has_later(&H.dev));
    vmsg_dev_serve_later(&H.dev);
    ck_assert(!vmsg_dev_has_later(&H.dev));
    ck_assert_int_eq(H.model.notifies, 0);
    harness_start(&H, STD_FEATURES | VIRTIO_BIT(VIRTIO_F_RING_RESET), 16);
    vmsg_dev_want_later(&H.dev, 0);
    vmsg_dev_want_later(&H.dev, VMSG_DEV_MAX_QUEUES);   /* ignored */
    vmsg_dev_serve_later(&H.dev);
    ck_assert_int_eq(H.model.notifies, 1);
    vmsg_dev_serve_later(&H.dev);              /* asked once, served once */
    ck_assert_int_eq(H.model.notifies, 1);
    vmsg_dev_want_later(&H.dev, 0);
    ck_assert_int_eq(vmsg_drv_reset_vqueue(&H.drv, 0), 0);
    ck_assert(!vmsg_dev_has_later(&H.dev));    /* the queue reset forgot it */
    vmsg_dev_want_later(&H.dev, 1);
    ck_assert_int_eq(vmsg_drv_reset(&H.drv), 0);
    ck_assert(!vmsg_dev_has_later(&H.dev));    /* so did the device reset */
}
END_TEST

/* Submit an 8-byte echo request on queue 0 and kick; not reaped (the
 * loopback device answers it at once).  Buffers are shared: the echo
 * device's data is not looked at here. */
static void submit(struct vmsg_vring *r, int *tok)
{
    struct vmsg_bus *bus = &H.loop.drv;
    struct vmsg_sg sg[2];

    if (!sub_out) {
        ck_assert_ptr_nonnull(bus->ops->dma_alloc(bus, 8, &sub_out));
        ck_assert_ptr_nonnull(bus->ops->dma_alloc(bus, 8, &sub_in));
    }
    sg[0] = (struct vmsg_sg){ sub_out, 8 };
    sg[1] = (struct vmsg_sg){ sub_in, 8 };
    ck_assert_int_eq(vmsg_vring_add(r, sg, 1, 1, tok), 0);
    if (vmsg_vring_kick_prepare(r))
        ck_assert_int_eq(vmsg_drv_notify(&H.drv, 0, 0), 0);
}

static void reap(struct vmsg_vring *r, int *tok)
{
    uint32_t len;

    ck_assert_ptr_eq(vmsg_vring_get_used(r, &len), tok);
}

/* A busy-polling owner: a queue set up while polled is polled too; one
 * the model drained while polled stays
 * quiet (no EVENT_AVAIL from the driver), vmsg_dev_poll_queues() serves
 * what the driver adds, and vmsg_dev_set_polled(false) gives the queue
 * its notifications back, serving what came meanwhile; a reset queue is
 * not served. */
START_TEST(polled_queues_served_without_event_avail)
{
    struct vmsg_vring *r;
    struct vmsg_vq *vq;
    int tok = 1, n;

    ck_assert(!vmsg_dev_set_polled(&H.dev, true));   /* before the driver's setup */
    r = harness_start(&H, STD_FEATURES, 16);
    vq = vmsg_dev_queue(&H.dev, 0);
    ck_assert(vq->polled);                     /* set up while polled */
    ck_assert(!vmsg_dev_poll_queues(&H.dev));
    vmsg_vq_set_notification(vq, false);       /* a model's serve, drained */
    ck_assert(!vmsg_vq_set_notification(vq, true));
    n = H.model.notifies;
    submit(r, &tok);                           /* crosses avail_event 0 */
    ck_assert_int_eq(H.model.notifies, n + 1);
    reap(r, &tok);
    submit(r, &tok);                           /* no EVENT_AVAIL now */
    ck_assert_int_eq(H.model.notifies, n + 1);
    ck_assert(vmsg_dev_poll_queues(&H.dev));   /* the spin finds it */
    ck_assert_int_eq(H.model.notifies, n + 2);
    ck_assert_uint_eq(H.dev.stats.avail_polled, 1);
    reap(r, &tok);
    ck_assert(!vmsg_dev_poll_queues(&H.dev));
    submit(r, &tok);
    ck_assert(vmsg_dev_set_polled(&H.dev, false));   /* before a sleep */
    ck_assert_int_eq(H.model.notifies, n + 3);
    reap(r, &tok);
    submit(r, &tok);                           /* notifications are back */
    ck_assert_int_eq(H.model.notifies, n + 4);
    reap(r, &tok);
    vmsg_dev_set_polled(&H.dev, true);
    vmsg_vq_set_notification(vq, false);
    vmsg_vq_set_notification(vq, true);
    submit(r, &tok);                           /* crosses avail_event */
    reap(r, &tok);
    submit(r, &tok);                           /* quiet */
    ck_assert_int_eq(H.model.notifies, n + 5);
    ck_assert_int_eq(vmsg_drv_reset(&H.drv), 0);
    ck_assert(!vmsg_dev_poll_queues(&H.dev));  /* the reset took the queue */
    ck_assert(!vmsg_dev_set_polled(&H.dev, false));
    ck_assert_int_eq(H.model.notifies, n + 5);
}
END_TEST

/* --hold-us: a due EVENT_USED waits until the hold's time (from the first
 * tick that saw it); a hold in which no request came (the driver waits
 * on us) sends the next VMSG_DEV_HOLD_PROBATION answers at once; setting
 * the hold to 0 sends what waits. */
START_TEST(hold_sends_used_at_its_time_then_none_held_while_the_driver_waits)
{
    struct vmsg_vring *r = harness_start(&H, STD_FEATURES, 16);
    int tok = 1, base, i;

    vmsg_dev_set_hold(&H.dev, 100);
    base = H.used_events;
    submit(r, &tok);
    ck_assert_int_eq(H.used_events, base);     /* answered, its event held */
    ck_assert(vmsg_dev_hold_tick(&H.dev, 1000, false));
    ck_assert(vmsg_dev_hold_tick(&H.dev, 1099, false));
    ck_assert_int_eq(H.used_events, base);
    ck_assert(!vmsg_dev_hold_tick(&H.dev, 1100, false));
    ck_assert_int_eq(H.used_events, base + 1);
    ck_assert_uint_eq(H.dev.hold.idle, 1);
    ck_assert(!vmsg_dev_hold_tick(&H.dev, 5000, false));   /* nothing left */
    ck_assert_int_eq(H.used_events, base + 1);
    reap(r, &tok);
    for (i = 0; i < VMSG_DEV_HOLD_PROBATION; i++) {
        submit(r, &tok);
        ck_assert_int_eq(H.used_events, base + 2 + i);
        reap(r, &tok);
    }
    submit(r, &tok);                           /* then one is held to see */
    ck_assert_int_eq(H.used_events, base + 1 + VMSG_DEV_HOLD_PROBATION);
    ck_assert(!vmsg_dev_hold_tick(&H.dev, 0, true));       /* before a sleep */
    ck_assert_int_eq(H.used_events, base + 2 + VMSG_DEV_HOLD_PROBATION);
    reap(r, &tok);
    for (i = 0; i < VMSG_DEV_HOLD_PROBATION; i++) {      /* idle again: rest */
        submit(r, &tok);
        reap(r, &tok);
    }
    submit(r, &tok);
    ck_assert_uint_ne(H.dev.hold.queues, 0);
    vmsg_dev_set_hold(&H.dev, 0);              /* off: what waits goes */
    ck_assert_uint_eq(H.dev.hold.queues, 0);
    ck_assert_int_eq(H.used_events, base + 3 + 2 * VMSG_DEV_HOLD_PROBATION);
    reap(r, &tok);
}
END_TEST

/* A driver at a steady pace: @n requests, one every @gap us from *@t,
 * each followed by a tick (the owner's loop, spinning). */
static void pace(struct vmsg_vring *r, int64_t *t, int64_t gap, int n)
{
    int tok = 4;

    while (n--) {
        submit(r, &tok);
        *t += gap;
        vmsg_dev_hold_tick(&H.dev, *t, false);
        reap(r, &tok);
    }
    ck_assert(!vmsg_dev_hold_tick(&H.dev, *t, true));
}

/* One request that nobody follows: its hold ends idle at *@t + the
 * hold's time. */
static void lone(struct vmsg_vring *r, int64_t *t)
{
    int tok = 5;

    submit(r, &tok);
    ck_assert(vmsg_dev_hold_tick(&H.dev, *t, false));
    *t += H.dev.hold.us;
    ck_assert(!vmsg_dev_hold_tick(&H.dev, *t, false));
    reap(r, &tok);
}

/* --hold-us auto: the hold lasts VMSG_DEV_HOLD_GAPS of the driver's gap
 * between requests as the ticks see them come, within its bounds, not
 * counting a pause over the ceiling, and goes on while requests come, up
 * to the ceiling; lone idle holds in a row double the probation after
 * each, a productive one or one that gathered answers starts it over; a
 * ceiling under the minimum is a fixed hold. */
START_TEST(adaptive_hold_learns_the_drivers_pace)
{
    struct vmsg_vring *r = harness_start(&H, STD_FEATURES, 16);
    int64_t t = 0;
    char note[256], want[96];
    int tok = 3, i, k, base;
    uint64_t idle;

    vmsg_dev_set_hold_adaptive(&H.dev, 400);
    ck_assert_uint_eq(H.dev.hold.us, VMSG_DEV_HOLD_GAPS * VMSG_DEV_HOLD_START_GAP_US);
    pace(r, &t, 20, 64);
    ck_assert_uint_eq(H.dev.hold.us, VMSG_DEV_HOLD_GAPS * 20);
    ck_assert_uint_le(H.dev.hold.idle, 1);     /* the last: the driver stopped */
    vmsg_dev_hold_note(&H.dev, note, sizeof(note));
    snprintf(want, sizeof(want), "; adaptive hold %d us (of 400): the driver's gap 20 us",
             VMSG_DEV_HOLD_GAPS * 20);
    ck_assert_ptr_nonnull(strstr(note, want));
    t += 5000;                                 /* a pause: not its pace */
    pace(r, &t, 1, 1);
    ck_assert_uint_eq(H.dev.hold.us, VMSG_DEV_HOLD_GAPS * 20);
    H.dev.hold.seen += 1000;                   /* as if a queue's count wrapped */
    pace(r, &t, 1, 1);
    ck_assert_uint_eq(H.dev.hold.us, VMSG_DEV_HOLD_GAPS * 20);   /* nothing learned */
    for (k = 0; k < 64; k++) {                 /* eight requests a microsecond */
        for (i = 0; i < 8; i++) {
            submit(r, &tok);
            reap(r, &tok);
        }
        vmsg_dev_hold_tick(&H.dev, ++t, false);
    }
    ck_assert(!vmsg_dev_hold_tick(&H.dev, t, true));
    ck_assert_uint_eq(H.dev.hold.us, VMSG_DEV_HOLD_MIN_US);     /* not under */
    pace(r, &t, 100, 64);
    ck_assert_uint_eq(H.dev.hold.us, 400);     /* the ceiling */

    /* A driver that waits for each answer: 32, then 64, ... sent at once.
     * (pace()'s last hold, a lone answer, ended idle: start from none.) */
    H.dev.hold.probation = H.dev.hold.idle_run = 0;
    base = H.used_events;
    idle = H.dev.hold.idle;
    lone(r, &t);
    ck_assert_uint_eq(H.dev.hold.idle, idle + 1);
    ck_assert_int_eq(H.used_events, base + 1);
    for (i = 0; i < VMSG_DEV_HOLD_PROBATION; i++) {
        submit(r, &tok);
        reap(r, &tok);
    }
    ck_assert_int_eq(H.used_events, base + 1 + VMSG_DEV_HOLD_PROBATION);
    lone(r, &t);
    ck_assert_uint_eq(H.dev.hold.probation, 2 * VMSG_DEV_HOLD_PROBATION);
    for (i = 0; i < 2 * VMSG_DEV_HOLD_PROBATION; i++) {
        submit(r, &tok);
        reap(r, &tok);
    }
    lone(r, &t);
    ck_assert_uint_eq(H.dev.hold.probation, 4 * VMSG_DEV_HOLD_PROBATION);
    H.dev.hold.probation = 0;
    pace(r, &t, 20, 3);                        /* a productive hold ... */
    lone(r, &t);                               /* ... starts it over */
    ck_assert_uint_eq(H.dev.hold.probation, VMSG_DEV_HOLD_PROBATION);
    ck_assert_uint_eq(H.dev.hold.idle, idle + 4);

    /* A driver still submitting keeps the hold going past its time (the
     * time counts from the driver's last request), up to the ceiling. */
    pace(r, &t, 20, 64);
    ck_assert_uint_eq(H.dev.hold.us, VMSG_DEV_HOLD_GAPS * 20);
    H.dev.hold.probation = 0;
    base = H.used_events;
    for (i = 0; i < 3; i++) {                  /* at 0, 100 and 200 us */
        submit(r, &tok);
        ck_assert(vmsg_dev_hold_tick(&H.dev, t + 100 * i, false));
    }
    ck_assert_uint_lt(H.dev.hold.us, 319);     /* from the start: over */
    ck_assert(vmsg_dev_hold_tick(&H.dev, t + 319, false));
    ck_assert(vmsg_dev_hold_tick(&H.dev, t + 399, false));
    ck_assert(!vmsg_dev_hold_tick(&H.dev, t + 400, false));
    ck_assert_int_eq(H.used_events, base + 1);   /* one event, three answers */
    for (i = 0; i < 3; i++)
        reap(r, &tok);
    t += 400;

    /* An idle hold that gathered several answers (all taken before the
     * first was pushed, as an asynchronous model's are) saved interrupts:
     * the probation is not doubled, and the lone run starts over. */
    lone(r, &t);
    ck_assert_uint_eq(H.dev.hold.probation, VMSG_DEV_HOLD_PROBATION);
    H.dev.hold.probation = 0;
    for (i = 0; i < 3; i++)
        submit(r, &tok);
    H.dev.hold.mark += 2;                      /* as if taken before the first answer */
    ck_assert(vmsg_dev_hold_tick(&H.dev, t, false));
    t += H.dev.hold.us;
    ck_assert(!vmsg_dev_hold_tick(&H.dev, t, false));
    ck_assert_uint_eq(H.dev.hold.idle, idle + 6);
    ck_assert_uint_eq(H.dev.hold.probation, VMSG_DEV_HOLD_PROBATION);
    ck_assert_uint_eq(H.dev.hold.idle_run, 0);
    for (i = 0; i < 3; i++)
        reap(r, &tok);

    /* A lone answer held while the driver still has another out (its
     * used_event behind both) is not a driver at depth 1 either. */
    H.dev.hold.probation = 0;
    lone(r, &t);
    ck_assert_uint_eq(H.dev.hold.idle_run, 1);
    for (i = 0; i < 2; i++) {                  /* the first not looked at */
        H.dev.hold.probation = 0;
        submit(r, &tok);
        ck_assert(vmsg_dev_hold_tick(&H.dev, t, false));
        t += H.dev.hold.us;
        ck_assert(!vmsg_dev_hold_tick(&H.dev, t, false));
    }
    ck_assert_uint_eq(H.dev.hold.probation, VMSG_DEV_HOLD_PROBATION);
    ck_assert_uint_eq(H.dev.hold.idle_run, 0);
    reap(r, &tok);
    reap(r, &tok);
    vmsg_dev_hold_note(&H.dev, note, sizeof(note));
    ck_assert_ptr_nonnull(strstr(note, " sent at once after idle holds"));

    vmsg_dev_set_hold_adaptive(&H.dev, 2);     /* under the minimum: fixed */
    ck_assert_uint_eq(H.dev.hold.us, 2);
    ck_assert_uint_eq(H.dev.hold.max_us, 0);
    vmsg_dev_set_hold(&H.dev, 0);
}
END_TEST

/* Requests that come during a hold are answered under it: one EVENT_USED
 * for all of them, and holding goes on.  A reset forgets a hold. */
START_TEST(hold_gathers_answers_while_requests_come)
{
    struct vmsg_vring *r = harness_start(&H, STD_FEATURES, 16);
    int a = 1, b = 2, c = 3, base;

    vmsg_dev_set_hold(&H.dev, 100);
    base = H.used_events;
    submit(r, &a);
    ck_assert(vmsg_dev_hold_tick(&H.dev, 10, false));
    submit(r, &b);
    ck_assert(vmsg_dev_hold_tick(&H.dev, 60, false));
    ck_assert_int_eq(H.used_events, base);
    ck_assert(!vmsg_dev_hold_tick(&H.dev, 110, false));
    ck_assert_int_eq(H.used_events, base + 1);   /* one event, two answers */
    ck_assert_uint_eq(H.dev.hold.held, 2);
    ck_assert_uint_eq(H.dev.hold.idle, 0);
    reap(r, &a);
    reap(r, &b);
    submit(r, &c);                               /* no probation: held */
    ck_assert_int_eq(H.used_events, base + 1);
    ck_assert_uint_ne(H.dev.hold.queues, 0);
    ck_assert_int_eq(vmsg_drv_reset(&H.drv), 0);
    ck_assert_uint_eq(H.dev.hold.queues, 0);     /* the reset forgot it */
    ck_assert(!vmsg_dev_hold_tick(&H.dev, 0, true));
    ck_assert_int_eq(H.used_events, base + 1);
}
END_TEST

START_TEST(V47_get_shm)
{
    uint32_t len = 1, addr = 1;

    ck_assert_int_eq(vmsg_drv_get_shm(&H.drv, 7, &len, &addr), 0);
    ck_assert_uint_eq(len, 0x10000);
    ck_assert_uint_eq(addr, 0x40000000);
    ck_assert_int_eq(vmsg_drv_get_shm(&H.drv, 3, &len, &addr), 0);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(V10_B16_malformed_and_unknown_dropped_silently)
{
    static const char *const raw[] = {
        "00 0d 0300 0000 0800",                       /* unknown id */
        "00 05 0300 0000 0c00 00000000",              /* wrong size */
        "01 07 0300 0000 0c00 0f000000",              /* a response */
        "00 42 0300 0000 0c00 00000000",              /* EVENT_USED to device */
        "00 07 0900 0000 0800",                       /* other device */
        "0000",                                       /* short */
    };
    uint8_t b[64];
    unsigned i;

    for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
        harness_send_raw(&H, b, hex2bin(raw[i], b, sizeof(b)));
    ck_assert_uint_eq(H.dev.stats.dropped_malformed + H.dev.stats.dropped_illegal, 6);
    ck_assert_uint_eq(H.loop.stray_responses, 0);
    ck_assert_uint_eq(H.loop.events_to_driver, 0);
}
END_TEST

START_TEST(V43_status_out_of_order_needs_reset)
{
    uint8_t st;

    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 1, &st), 0);
    ck_assert_uint_eq(st, 1);
    /* FEATURES_OK without DRIVER: out of order. */
    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 0x09, &st), 0);
    ck_assert(st & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    /* Sticky until status 0. */
    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 0x03, &st), 0);
    ck_assert(st & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    ck_assert_int_eq(vmsg_drv_reset(&H.drv), 0);
    harness_start(&H, STD_FEATURES, 16);
}
END_TEST

START_TEST(V43_clearing_status_bits_needs_reset)
{
    uint8_t st;

    harness_start(&H, STD_FEATURES, 16);
    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 0x03, &st), 0);
    ck_assert(st & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}
END_TEST

START_TEST(D27_driver_ok_needs_features_ok)
{
    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 0x07, NULL), -EPERM);
}
END_TEST

START_TEST(device_start_failure_sets_needs_reset)
{
    H.model.fail_start = 1;
    ck_assert_int_eq(vmsg_drv_negotiate(&H.drv, STD_FEATURES, NULL), 0);
    ck_assert_int_eq(vmsg_drv_driver_ok(&H.drv), -EIO);
    ck_assert(H.drv.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}
END_TEST

START_TEST(B23_D12_token_belongs_to_the_bus)
{
    uint8_t st;

    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), 0);
    ck_assert_uint_ne(H.loop.token, 0);     /* the bus stamped its own */
    H.loop.corrupt_token = true;            /* D12: no decision on it */
    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), 0);
    harness_start(&H, STD_FEATURES, 16);
}
END_TEST

START_TEST(B15_timeout_marks_device_broken)
{
    uint8_t st;

    H.loop.drop_responses = true;
    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), -ETIMEDOUT);
    H.loop.drop_responses = false;
    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), -EIO);
    vmsg_drv_close(&H.drv);
    ck_assert_int_eq(vmsg_drv_open(&H.drv, &H.loop.drv, ECHO_DEV_NUM), 0);
    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), 0);
}
END_TEST

/* A device that answers everything with a GET_DEVICE_STATUS response,
 * twice. */
static void liar_rx(void *opaque, const void *msg, size_t len)
{
    uint8_t b[12];
    size_t n = hex2bin("01 07 0300 0000 0c00 00000000", b, sizeof(b));

    (void)opaque;
    (void)len;
    memcpy(b + 4, (const uint8_t *)msg + 4, 2);   /* the bus's token */
    H.loop.dev.ops->send(&H.loop.dev, b, n);
    H.loop.dev.ops->send(&H.loop.dev, b, n);
}

START_TEST(B26_response_mismatch_and_duplicates)
{
    struct vmsg_vqueue q;
    uint8_t st;

    vmsg_bus_set_rx(&H.loop.dev, liar_rx, NULL);
    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), 0);
    ck_assert_uint_eq(H.loop.stray_responses, 1);  /* the second one */
    ck_assert_int_eq(vmsg_drv_get_vqueue(&H.drv, 0, &q), -EPROTO);
    ck_assert(H.drv.broken);
}
END_TEST

START_TEST(B37_B41_get_devices_and_ping)
{
    uint16_t devs[8];

    ck_assert_int_eq(vmsg_bus_get_devices(&H.loop.drv, devs, 8), 1);
    ck_assert_uint_eq(devs[0], ECHO_DEV_NUM);
    ck_assert_int_eq(vmsg_bus_ping(&H.loop.drv, 0xA5A5F00D), 0);
}
END_TEST

static const uint16_t many_devs[] = { 0, 5, 263, 264, 700, 4000, 65535 };
static void many_rx(void *opaque, const void *msg, size_t len)
{
    struct vmsg m;

    (void)opaque;
    if (vmsg_decode(msg, len, 0, &m) == 0)
        vmsg_bus_serve(&H.loop.dev, &m, many_devs, 7);
}

START_TEST(B39_B40_get_devices_windows_small_bus)
{
    uint16_t devs[16];
    int n, i;

    harness_fini(&H);
    harness_init(&H, 48, 0);
    vmsg_bus_set_rx(&H.loop.dev, many_rx, NULL);
    n = vmsg_bus_get_devices(&H.loop.drv, devs, 16);
    ck_assert_int_eq(n, 7);
    for (i = 0; i < n; i++)
        ck_assert_uint_eq(devs[i], many_devs[i]);
}
END_TEST

/* A responder whose next_offset never advances must not hang us. */
static void stuck_rx(void *opaque, const void *msg, size_t len)
{
    uint8_t b[16];
    size_t n = hex2bin("03 02 0000 0000 0e00 0000 0000 0000", b, sizeof(b));

    (void)opaque;
    (void)len;
    b[12] = 0x08;   /* next_offset 8 for an empty window: then stuck at 8 */
    memcpy(b + 4, (const uint8_t *)msg + 4, 2);
    memcpy(b + 8, (const uint8_t *)msg + 8, 2);   /* echo offset */
    H.loop.dev.ops->send(&H.loop.dev, b, n);
}

START_TEST(get_devices_hostile_responder_bounded)
{
    uint16_t devs[4];

    vmsg_bus_set_rx(&H.loop.dev, stuck_rx, NULL);
    ck_assert_int_eq(vmsg_bus_get_devices(&H.loop.drv, devs, 4), -EPROTO);
}
END_TEST

START_TEST(B8_smallest_bus_full_init_and_config)
{
    uint8_t buf[ECHO_CONFIG_SIZE];
    struct vmsg_vring *r;

    harness_fini(&H);
    harness_init(&H, VMSG_MIN_MAX_SIZE, 1);
    r = harness_start(&H, STD_FEATURES, 16);
    ck_assert_int_eq(vmsg_drv_config_read(&H.drv, 0, buf, sizeof(buf)), 0);
    ck_assert_mem_eq(buf, H.model.config, sizeof(buf));
    echo_roundtrip(r, 3000);
}
END_TEST

static int fake_caps_rc;
static struct vmsg_bus_caps fake_caps;
static int caps_fn(struct vmsg_bus *b, struct vmsg_bus_caps *c)
{
    (void)b;
    *c = fake_caps;
    return fake_caps_rc;
}
static int send_fn(struct vmsg_bus *b, const void *m, size_t l)
{
    (void)b; (void)m; (void)l;
    return 0;
}
static void *map_fn(struct vmsg_bus *b, uint64_t a, size_t *l, bool w)
{
    (void)b; (void)a; (void)l; (void)w;
    return NULL;
}

START_TEST(B5_B8_bus_registration_validates)
{
    static const struct vmsg_bus_ops ops = { .name = "fake", .get_caps = caps_fn,
                                             .send = send_fn, .dma_map = map_fn };
    struct vmsg_bus bus;

    fake_caps = (struct vmsg_bus_caps){ 1, 276, 0 };
    ck_assert_int_eq(vmsg_bus_init(&bus, &ops, NULL, VMSG_ROLE_DEVICE), 0);
    ck_assert_int_eq(vmsg_bus_init(&bus, &ops, NULL, VMSG_ROLE_DRIVER), -EINVAL);
    fake_caps.max_msg_size = 47;
    ck_assert_int_eq(vmsg_bus_init(&bus, &ops, NULL, VMSG_ROLE_DEVICE), -ERANGE);
    fake_caps.max_msg_size = 65536;
    ck_assert_int_eq(vmsg_bus_init(&bus, &ops, NULL, VMSG_ROLE_DEVICE), -ERANGE);
    fake_caps = (struct vmsg_bus_caps){ 2, 276, 0 };
    ck_assert_int_eq(vmsg_bus_init(&bus, &ops, NULL, VMSG_ROLE_DEVICE), -EPROTONOSUPPORT);
    fake_caps = (struct vmsg_bus_caps){ 1, 276, 1 };
    ck_assert_int_eq(vmsg_bus_init(&bus, &ops, NULL, VMSG_ROLE_DEVICE), -EPROTONOSUPPORT);
    fake_caps = (struct vmsg_bus_caps){ 1, 276, 0 };
    fake_caps_rc = -EIO;
    ck_assert_int_eq(vmsg_bus_init(&bus, &ops, NULL, VMSG_ROLE_DEVICE), -EIO);
    fake_caps_rc = 0;
}
END_TEST

static Suite *transport_suite(void)
{
    Suite *s = suite_create("transport");
    TCase *tc = tcase_create("driver-device");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, D13_V37_device_info_first_and_consistent);
    tcase_add_test(tc, init_sequence_and_data_path);
    tcase_add_test(tc, V19_D19_feature_refusal_clears_features_ok);
    tcase_add_test(tc, V19_modern_only_refuses_without_version_1);
    tcase_add_test(tc, V9_V18_V38_feature_blocks_beyond_are_zero);
    tcase_add_test(tc, D18_D44_driver_writes_only_offered_features);
    tcase_add_test(tc, V19_unoffered_block_refused_at_features_ok);
    tcase_add_test(tc, V24_V34_D39_reset_mid_use);
    tcase_add_test(tc, V5_D5_generation_change_during_config_read);
    tcase_add_test(tc, config_chunked_write_read_roundtrip);
    tcase_add_test(tc, V8_V20_V41_D6_set_config_stale_generation);
    tcase_add_test(tc, set_config_read_only_field_refused);
    tcase_add_test(tc, D17_D20_D45_config_range_checked_locally);
    tcase_add_test(tc, V10_device_drops_out_of_range_config_read);
    tcase_add_test(tc, V28_V35_D40_needs_reset_event_then_reinit);
    tcase_add_test(tc, V22_V44_get_vqueue_true_sizes);
    tcase_add_test(tc, D23_D48_vqueue_size_over_max);
    tcase_add_test(tc, D14_vqueue_before_features_ok);
    tcase_add_test(tc, V45_unmappable_ring_dropped);
    tcase_add_test(tc, vq_set_while_enabled_dropped);
    tcase_add_test(tc, V23_V33_V46_D38_reset_vqueue_and_reprogram);
    tcase_add_test(tc, D49_reset_vqueue_needs_ring_reset);
    tcase_add_test(tc, V26_event_avail_before_driver_ok_ignored);
    tcase_add_test(tc, D28_D32_driver_notify_rules);
    tcase_add_test(tc, queue_served_again_on_a_later_turn);
    tcase_add_test(tc, polled_queues_served_without_event_avail);
    tcase_add_test(tc, hold_sends_used_at_its_time_then_none_held_while_the_driver_waits);
    tcase_add_test(tc, hold_gathers_answers_while_requests_come);
    tcase_add_test(tc, adaptive_hold_learns_the_drivers_pace);
    tcase_add_test(tc, V47_get_shm);
    tcase_add_test(tc, V10_B16_malformed_and_unknown_dropped_silently);
    tcase_add_test(tc, V43_status_out_of_order_needs_reset);
    tcase_add_test(tc, V43_clearing_status_bits_needs_reset);
    tcase_add_test(tc, D27_driver_ok_needs_features_ok);
    tcase_add_test(tc, device_start_failure_sets_needs_reset);
    tcase_add_test(tc, B23_D12_token_belongs_to_the_bus);
    tcase_add_test(tc, B15_timeout_marks_device_broken);
    tcase_add_test(tc, B26_response_mismatch_and_duplicates);
    tcase_add_test(tc, B37_B41_get_devices_and_ping);
    tcase_add_test(tc, B39_B40_get_devices_windows_small_bus);
    tcase_add_test(tc, get_devices_hostile_responder_bounded);
    tcase_add_test(tc, B8_smallest_bus_full_init_and_config);
    tcase_add_test(tc, B5_B8_bus_registration_validates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(transport_suite());
}
