/* SPDX-License-Identifier: MIT */
/*
 * More of the normative checklist (shared/spec/virtio-msg-spec.md §5),
 * checked on the bytes that actually cross the loopback bus.  Each test
 * name starts with the checklist ids it covers.
 */
#include <errno.h>
#include <string.h>

#include "driver_priv.h"
#include "harness.h"
#include "virtio-msg/virtio.h"

static struct harness H;
#define STD (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

static void setup(void)
{
    harness_init(&H, 0, 1);
}

static void teardown(void)
{
    harness_fini(&H);
}

/* Decode the @back-th newest message the device received. */
static void seen(unsigned back, struct vmsg *m)
{
    size_t len;
    const uint8_t *b = harness_seen(&H, back, &len);

    ck_assert_int_eq(vmsg_decode(b, len, 0, m), 0);
    ck_assert_uint_eq(m->msg_size, len);       /* D9: msg_size is the length */
}

START_TEST(D10_D12_requests_carry_target_dev_num_and_driver_token_zero)
{
    struct vmsg m;
    uint8_t st;

    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), 0);
    seen(0, &m);
    ck_assert_uint_eq(m.dev_num, ECHO_DEV_NUM);
    ck_assert_uint_eq(m.msg_id, VMSG_GET_DEVICE_STATUS);
    /* The token on the wire is the bus's own, never the driver's 0. */
    ck_assert_uint_eq(m.token, H.loop.token);
}
END_TEST

START_TEST(D1_D9_V1_nothing_exceeds_the_smallest_bus)
{
    uint8_t buf[ECHO_CONFIG_SIZE];
    struct vmsg req, resp;

    harness_fini(&H);
    harness_init(&H, VMSG_MIN_MAX_SIZE, 1);
    harness_start(&H, STD, 16);
    memset(buf, 0x3C, sizeof(buf));
    ck_assert_int_eq(vmsg_drv_config_write(&H.drv, 8, buf, 500), 0);
    ck_assert_int_eq(vmsg_drv_config_read(&H.drv, 0, buf, sizeof(buf)), 0);
    ck_assert_uint_le(H.max_seen, VMSG_MIN_MAX_SIZE);
    /* V1: a request whose answer cannot fit is dropped, not truncated. */
    vmsg_init_request(&req, false, VMSG_GET_DEVICE_FEATURES, ECHO_DEV_NUM);
    req.u.features.num_blocks = 9;            /* 16 + 36 > 48 */
    ck_assert_int_eq(vmsg_drv_call(&H.drv, &req, &resp), -ETIMEDOUT);
    ck_assert_uint_eq(H.dev.stats.dropped_illegal, 1);
}
END_TEST

START_TEST(D43_V18_features_read_as_blocks_from_index_zero)
{
    uint64_t f;
    struct vmsg m;

    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 1, NULL), 0);
    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 3, NULL), 0);
    ck_assert_int_eq(vmsg_drv_get_features(&H.drv, &f), 0);
    seen(0, &m);
    ck_assert_uint_eq(m.msg_id, VMSG_GET_DEVICE_FEATURES);
    ck_assert_uint_eq(m.u.features.block_index, 0);
    ck_assert_uint_eq(m.u.features.num_blocks, 2);   /* 64 bits / 32 */
}
END_TEST

START_TEST(D26_D47_V24_reset_is_status_zero)
{
    struct vmsg m;

    harness_start(&H, STD, 16);
    ck_assert_int_eq(vmsg_drv_reset(&H.drv), 0);
    seen(0, &m);
    ck_assert_uint_eq(m.msg_id, VMSG_SET_DEVICE_STATUS);
    ck_assert_uint_eq(m.u.status, 0);
    ck_assert_uint_eq(H.dev.status, 0);
}
END_TEST

START_TEST(D30_D31_D51_event_avail_names_queue_and_zero_offset)
{
    struct vmsg m;

    harness_start(&H, STD, 16);
    ck_assert_int_eq(vmsg_drv_notify(&H.drv, 0, 0), 0);
    seen(0, &m);
    ck_assert_uint_eq(m.msg_id, VMSG_EVENT_AVAIL);
    ck_assert_uint_eq(m.u.event_avail.vq_index, 0);
    ck_assert_uint_eq(m.u.event_avail.next_offset, 0);
    ck_assert(!vmsg_is_response(&m));
}
END_TEST

START_TEST(D22_set_vqueue_refuses_an_active_queue)
{
    struct vmsg_vring *r = harness_start(&H, STD, 16);
    struct vmsg_vqueue q = { .index = 0, .size = 16, .desc_addr = r->desc_addr,
                             .driver_addr = r->avail_addr, .device_addr = r->used_addr };

    ck_assert_int_eq(vmsg_drv_set_vqueue(&H.drv, &q), -EBUSY);
}
END_TEST

START_TEST(D56_nothing_before_device_info)
{
    struct vmsg_drv d;
    uint8_t st;
    uint64_t before = H.loop.transfers;

    memset(&d, 0, sizeof(d));
    d.bus = &H.loop.drv;
    d.dev_num = ECHO_DEV_NUM;
    ck_assert_int_eq(vmsg_drv_get_status(&d, &st), -EPERM);
    ck_assert_uint_eq(H.loop.transfers, before);
}
END_TEST

START_TEST(D33_D50_V21_V40_event_config_then_reads_see_new_generation)
{
    struct vmsg m;
    uint8_t b[4];
    uint32_t gen;

    H.model.config[100] = 0xAB;
    ck_assert_int_eq(vmsg_dev_config_changed(&H.dev, 100, 1), 0);
    ck_assert_int_eq(H.config_events, 1);
    ck_assert_int_eq(vmsg_decode(H.events[0], H.events_len[0], 0, &m), 0);
    ck_assert_uint_eq(m.msg_id, VMSG_EVENT_CONFIG);
    ck_assert_uint_eq(m.u.event_config.length, 1);      /* V28/V29: the data */
    ck_assert_uint_eq(m.u.event_config.data[0], 0xAB);
    ck_assert_uint_eq(H.drv.generation, m.u.event_config.generation);
    ck_assert_int_eq(vmsg_drv_generation(&H.drv, &gen), 0);
    ck_assert_uint_eq(gen, m.u.event_config.generation);
    ck_assert_int_eq(vmsg_drv_config_read(&H.drv, 100, b, 1), 0);
    ck_assert_uint_eq(b[0], 0xAB);
}
END_TEST

START_TEST(V6_V31_V48_each_change_a_new_generation)
{
    struct vmsg a, b;

    ck_assert_int_eq(vmsg_dev_config_changed(&H.dev, 10, 2), 0);
    ck_assert_int_eq(vmsg_dev_config_changed(&H.dev, 12, 2), 0);
    ck_assert_int_eq(vmsg_decode(H.events[0], H.events_len[0], 0, &a), 0);
    ck_assert_int_eq(vmsg_decode(H.events[1], H.events_len[1], 0, &b), 0);
    ck_assert_uint_gt(b.u.event_config.generation, a.u.event_config.generation);
    ck_assert_uint_eq(b.dev_num, ECHO_DEV_NUM);          /* V15 */
}
END_TEST

START_TEST(V7_change_too_big_for_one_event_is_announced_empty)
{
    struct vmsg m;

    ck_assert_int_eq(vmsg_dev_config_changed(&H.dev, 0, ECHO_CONFIG_SIZE), 0);
    ck_assert_int_eq(vmsg_decode(H.events[0], H.events_len[0], 0, &m), 0);
    ck_assert_uint_eq(m.u.event_config.length, 0);
    ck_assert_uint_eq(m.u.event_config.generation, H.dev.generation);
}
END_TEST

START_TEST(V14_V15_V17_responses_sized_numbered_and_token_echoed)
{
    struct vmsg req, m;
    size_t len;
    const uint8_t *in;

    vmsg_init_request(&req, false, VMSG_GET_VQUEUE, ECHO_DEV_NUM);
    req.u.index = 1;
    ck_assert_int_eq(vmsg_drv_call(&H.drv, &req, &m), 0);
    in = harness_seen(&H, 0, &len);
    /* The raw response the device sent, before the bus restored tokens. */
    ck_assert_int_eq(vmsg_decode(H.loop.resp, H.loop.resp_len, 0, &m), 0);
    ck_assert_uint_eq(m.msg_size, H.loop.resp_len);
    ck_assert_uint_eq(m.dev_num, ECHO_DEV_NUM);
    ck_assert_uint_eq(m.token, vmsg_get_le16(in + 4));
    ck_assert_uint_eq(H.loop.resp[0], VMSG_TYPE_RESPONSE);   /* V13 */
}
END_TEST

START_TEST(V25_V42_status_reported_accurately)
{
    uint8_t st;

    ck_assert_int_eq(vmsg_drv_negotiate(&H.drv, STD, NULL), 0);
    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), 0);
    ck_assert_uint_eq(st, 0x0B);
    ck_assert_int_eq(vmsg_dev_needs_reset(&H.dev), 0);
    ck_assert_int_eq(vmsg_drv_get_status(&H.drv, &st), 0);
    ck_assert_uint_eq(st, 0x4B);
}
END_TEST

START_TEST(V36_D41_every_mandatory_message_is_answered)
{
    static const uint8_t ids[] = { 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                   0x09, 0x0A, 0x0B };
    struct vmsg_vring *r;
    struct vmsg req, resp;
    uint8_t data = 1, blocks[8] = { 0 };
    unsigned i;

    r = harness_start(&H, STD | VIRTIO_BIT(VIRTIO_F_RING_RESET), 16);
    ck_assert_int_eq(vmsg_drv_reset(&H.drv), 0);
    ck_assert_int_eq(vmsg_drv_set_status(&H.drv, 3, NULL), 0);
    for (i = 0; i < sizeof(ids); i++) {
        vmsg_init_request(&req, false, ids[i], ECHO_DEV_NUM);
        switch (ids[i]) {
        case 0x03: req.u.features.num_blocks = 2; break;
        case 0x04:
            vmsg_put_le32(blocks + 4, 1);
            req.u.features.num_blocks = 2;
            req.u.features.blocks = blocks;
            break;
        case 0x05: req.u.config.length = 4; break;
        case 0x06:
            req.u.config.generation = H.dev.generation;
            req.u.config.offset = 40;
            req.u.config.length = 1;
            req.u.config.data = &data;
            break;
        case 0x08: req.u.status = 0x0B; break;
        case 0x0A:
            req.u.vqueue = (struct vmsg_vqueue){ 0, 0, 16, r->desc_addr,
                                                 r->avail_addr, r->used_addr };
            break;
        }
        ck_assert_msg(vmsg_drv_call(&H.drv, &req, &resp) == 0, "id 0x%02x", ids[i]);
    }
}
END_TEST

START_TEST(V39_offered_features_unchanged_after_set)
{
    uint64_t f;

    ck_assert_int_eq(vmsg_drv_negotiate(&H.drv, STD, NULL), 0);
    ck_assert_int_eq(vmsg_drv_get_features(&H.drv, &f), 0);
    ck_assert_uint_eq(f, echo_features());
    ck_assert_uint_eq(H.dev.driver_features, STD);
}
END_TEST

START_TEST(B2_B13_routing_only_to_the_named_device)
{
    uint8_t raw[16];
    size_t n = hex2bin("00 07 0400 0000 0800", raw, sizeof(raw));   /* dev 4 */
    uint64_t handled = H.dev.stats.handled;

    harness_send_raw(&H, raw, n);
    ck_assert_uint_eq(H.dev.stats.handled, handled);
    ck_assert_int_eq(H.dev.stats.last_error, -ENODEV);
    ck_assert_uint_eq(H.loop.stray_responses, 0);
}
END_TEST

START_TEST(B3_B4_B19_bus_leaves_the_payload_alone)
{
    struct vmsg req;
    uint8_t mine[64];
    size_t len;
    const uint8_t *got;
    int n;

    harness_start(&H, STD, 16);
    vmsg_init_request(&req, false, VMSG_SET_CONFIG, ECHO_DEV_NUM);
    req.u.config.generation = H.drv.generation;
    req.u.config.offset = 50;
    req.u.config.length = 4;
    req.u.config.data = (const uint8_t *)"abcd";
    n = vmsg_encode(&req, mine, sizeof(mine));
    ck_assert_int_eq(vmsg_drv_config_write(&H.drv, 50, "abcd", 4), 0);
    got = harness_seen(&H, 0, &len);
    ck_assert_uint_eq(len, (size_t)n);
    ck_assert_mem_eq(got, mine, 4);             /* type, id, dev_num */
    ck_assert_mem_eq(got + 6, mine + 6, (size_t)n - 6);   /* all but token */
}
END_TEST

START_TEST(B18_B20_bus_messages_dev_num_zero_clean_type)
{
    struct vmsg m;
    uint16_t devs[4];

    ck_assert_int_eq(vmsg_bus_get_devices(&H.loop.drv, devs, 4), 1);
    seen(0, &m);
    ck_assert(vmsg_is_bus(&m));
    ck_assert_uint_eq(m.dev_num, 0);
    ck_assert_uint_eq(harness_seen(&H, 0, &(size_t){ 0 })[0], VMSG_TYPE_BUS);
    ck_assert_uint_eq(H.loop.resp[0], VMSG_TYPE_BUS | VMSG_TYPE_RESPONSE);
    ck_assert_uint_eq(vmsg_get_le16(H.loop.resp + 2), 0);
}
END_TEST

START_TEST(V50_vqueue_reserved_words_zero_on_the_wire)
{
    struct vmsg req, resp;

    vmsg_init_request(&req, false, VMSG_GET_VQUEUE, ECHO_DEV_NUM);
    req.u.index = 0;
    ck_assert_int_eq(vmsg_drv_call(&H.drv, &req, &resp), 0);
    ck_assert_uint_eq(vmsg_get_le32(H.loop.resp + 8 + 12), 0);
}
END_TEST

static Suite *checklist_suite(void)
{
    Suite *s = suite_create("checklist");
    TCase *tc = tcase_create("wire");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, D10_D12_requests_carry_target_dev_num_and_driver_token_zero);
    tcase_add_test(tc, D1_D9_V1_nothing_exceeds_the_smallest_bus);
    tcase_add_test(tc, D43_V18_features_read_as_blocks_from_index_zero);
    tcase_add_test(tc, D26_D47_V24_reset_is_status_zero);
    tcase_add_test(tc, D30_D31_D51_event_avail_names_queue_and_zero_offset);
    tcase_add_test(tc, D22_set_vqueue_refuses_an_active_queue);
    tcase_add_test(tc, D56_nothing_before_device_info);
    tcase_add_test(tc, D33_D50_V21_V40_event_config_then_reads_see_new_generation);
    tcase_add_test(tc, V6_V31_V48_each_change_a_new_generation);
    tcase_add_test(tc, V7_change_too_big_for_one_event_is_announced_empty);
    tcase_add_test(tc, V14_V15_V17_responses_sized_numbered_and_token_echoed);
    tcase_add_test(tc, V25_V42_status_reported_accurately);
    tcase_add_test(tc, V36_D41_every_mandatory_message_is_answered);
    tcase_add_test(tc, V39_offered_features_unchanged_after_set);
    tcase_add_test(tc, B2_B13_routing_only_to_the_named_device);
    tcase_add_test(tc, B3_B4_B19_bus_leaves_the_payload_alone);
    tcase_add_test(tc, B18_B20_bus_messages_dev_num_zero_clean_type);
    tcase_add_test(tc, V50_vqueue_reserved_words_zero_on_the_wire);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(checklist_suite());
}
