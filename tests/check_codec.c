/* SPDX-License-Identifier: MIT */
/*
 * Codec tests: every message round-trips at the spec's size, every message
 * rejects a wrong size, and a table of malformed inputs each fails with its
 * own specific error.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "virtio-msg/msg.h"

static const uint8_t blocks3[12] = { 1, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0 };
static const uint8_t cfgdata[5] = { 9, 8, 7, 6, 5 };
static const uint8_t bitmap2[2] = { 0x25, 0x80 };

struct sample {
    const char *name;
    uint16_t size;          /* the spec's msg_size (§2, §3 tables) */
    struct vmsg m;
};

#define T(resp) ((resp) ? VMSG_TYPE_RESPONSE : 0)
#define B(resp) (VMSG_TYPE_BUS | ((resp) ? VMSG_TYPE_RESPONSE : 0))

static const struct sample samples[] = {
    { "GET_DEVICE_INFO", 8, { .type = T(0), .msg_id = 0x02, .dev_num = 5 } },
    { "GET_DEVICE_INFO", 32, { .type = T(1), .msg_id = 0x02, .dev_num = 5, .token = 9,
      .u.dev_info = { 2, 0x554D4551, 64, 60, 4, 1, 2 } } },
    { "GET_DEVICE_FEATURES", 16, { .type = T(0), .msg_id = 0x03, .dev_num = 1,
      .u.features = { 1, 3, NULL } } },
    { "GET_DEVICE_FEATURES", 28, { .type = T(1), .msg_id = 0x03, .dev_num = 1,
      .u.features = { 1, 3, blocks3 } } },
    { "SET_DRIVER_FEATURES", 28, { .type = T(0), .msg_id = 0x04, .dev_num = 1,
      .u.features = { 0, 3, blocks3 } } },
    { "SET_DRIVER_FEATURES", 8, { .type = T(1), .msg_id = 0x04, .dev_num = 1 } },
    { "GET_CONFIG", 16, { .type = T(0), .msg_id = 0x05, .dev_num = 2,
      .u.config = { .offset = 4, .length = 5 } } },
    { "GET_CONFIG", 25, { .type = T(1), .msg_id = 0x05, .dev_num = 2,
      .u.config = { 77, 4, 5, 5, cfgdata } } },
    { "SET_CONFIG", 25, { .type = T(0), .msg_id = 0x06, .dev_num = 2,
      .u.config = { 77, 4, 5, 5, cfgdata } } },
    { "SET_CONFIG", 20, { .type = T(1), .msg_id = 0x06, .dev_num = 2,
      .u.config = { 78, 4, 5, 0, NULL } } },
    { "SET_CONFIG", 25, { .type = T(1), .msg_id = 0x06, .dev_num = 2,
      .u.config = { 78, 4, 5, 5, cfgdata } } },
    { "GET_DEVICE_STATUS", 8, { .type = T(0), .msg_id = 0x07 } },
    { "GET_DEVICE_STATUS", 12, { .type = T(1), .msg_id = 0x07, .u.status = 0x4F } },
    { "SET_DEVICE_STATUS", 12, { .type = T(0), .msg_id = 0x08, .u.status = 3 } },
    { "SET_DEVICE_STATUS", 12, { .type = T(1), .msg_id = 0x08, .u.status = 3 } },
    { "GET_VQUEUE", 12, { .type = T(0), .msg_id = 0x09, .u.index = 1 } },
    { "GET_VQUEUE", 48, { .type = T(1), .msg_id = 0x09,
      .u.vqueue = { 1, 256, 128, 0x8000000000001000ull, 0x8000000000002000ull,
                    0x8000000000003040ull } } },
    { "SET_VQUEUE", 48, { .type = T(0), .msg_id = 0x0A,
      .u.vqueue = { 1, 0, 128, 0x1000, 0x2000, 0x3000 } } },
    { "SET_VQUEUE", 8, { .type = T(1), .msg_id = 0x0A } },
    { "RESET_VQUEUE", 12, { .type = T(0), .msg_id = 0x0B, .u.index = 1 } },
    { "RESET_VQUEUE", 8, { .type = T(1), .msg_id = 0x0B } },
    { "GET_SHM", 12, { .type = T(0), .msg_id = 0x0C, .u.index = 3 } },
    { "GET_SHM", 20, { .type = T(1), .msg_id = 0x0C, .u.shm = { 3, 0x1000, 0xC0000000 } } },
    { "EVENT_CONFIG", 29, { .type = T(0), .msg_id = 0x40, .dev_num = 4,
      .u.event_config = { 0x0F, 12, 8, 5, cfgdata } } },
    { "EVENT_CONFIG", 24, { .type = T(0), .msg_id = 0x40, .dev_num = 4,
      .u.event_config = { 0x4F, 13, 0, 0, NULL } } },
    { "EVENT_AVAIL", 16, { .type = T(0), .msg_id = 0x41, .dev_num = 4,
      .u.event_avail = { 2, 0x80000011u } } },
    { "EVENT_USED", 12, { .type = T(0), .msg_id = 0x42, .dev_num = 4, .u.vq_index = 2 } },
    { "GET_DEVICES", 12, { .type = B(0), .msg_id = 0x02, .u.devices = { 0, 16, 0, NULL } } },
    { "GET_DEVICES", 16, { .type = B(1), .msg_id = 0x02,
      .u.devices = { 0, 16, 64, bitmap2 } } },
    { "PING", 12, { .type = B(0), .msg_id = 0x03, .u.ping = 0xDEADBEEF } },
    { "PING", 12, { .type = B(1), .msg_id = 0x03, .u.ping = 0xDEADBEEF } },
    { "EVENT_DEVICE", 12, { .type = B(0), .msg_id = 0x40,
      .u.event_device = { 9, VMSG_DEVICE_BUS_STATE_READY } } },
    { "EVENT_DEVICE", 12, { .type = B(0), .msg_id = 0x40,
      .u.event_device = { 9, 0x8001 } } },
};

#define NSAMPLES ((int)(sizeof(samples) / sizeof(samples[0])))

static int encode_sample(int i, uint8_t *buf, size_t cap)
{
    struct vmsg m = samples[i].m;

    return vmsg_encode(&m, buf, cap);
}

/* Every message: spec size, decode gives the same fields, re-encode same bytes. */
START_TEST(round_trip_every_message)
{
    uint8_t a[512], b[512];
    struct vmsg d;
    int n, n2;

    n = encode_sample(_i, a, sizeof(a));
    ck_assert_msg(n == samples[_i].size, "%s: size %d, spec says %u",
                  samples[_i].name, n, samples[_i].size);
    ck_assert_int_eq(vmsg_decode(a, (size_t)n, 0, &d), 0);
    ck_assert_str_eq(vmsg_name(vmsg_is_bus(&d), d.msg_id), samples[_i].name);
    ck_assert_uint_eq(d.msg_size, (unsigned)n);
    ck_assert_uint_eq(d.dev_num, samples[_i].m.dev_num);
    ck_assert_uint_eq(d.token, samples[_i].m.token);
    ck_assert_uint_eq(d.type, samples[_i].m.type);
    n2 = vmsg_encode(&d, b, sizeof(b));
    ck_assert_int_eq(n2, n);
    ck_assert_mem_eq(a, b, (size_t)n);
}
END_TEST

/* Every message: msg_size one short or one long is rejected. */
START_TEST(wrong_size_every_message)
{
    uint8_t a[512];
    struct vmsg d;
    int n = encode_sample(_i, a, sizeof(a)), rc;

    ck_assert_int_gt(n, 0);
    a[n] = 0;
    vmsg_put_le16(a + 6, (uint16_t)(n + 1));
    ck_assert_int_eq(vmsg_decode(a, (size_t)n + 1, 0, &d), -VMSG_E_LENGTH);
    vmsg_put_le16(a + 6, (uint16_t)(n - 1));
    rc = vmsg_decode(a, (size_t)n - 1, 0, &d);
    ck_assert_msg(rc == (n == 8 ? -VMSG_E_SHORT : -VMSG_E_LENGTH),
                  "%s: rc %d", samples[_i].name, rc);
}
END_TEST

/* Every prefix of every message, in an exactly sized heap buffer: rejected,
 * and (under ASan/valgrind) never read past. */
START_TEST(truncated_every_message)
{
    uint8_t a[512];
    int n = encode_sample(_i, a, sizeof(a)), len;

    for (len = 0; len < n; len++) {
        uint8_t *p = malloc(len ? (size_t)len : 1);
        struct vmsg d;
        memcpy(p, a, (size_t)len);
        ck_assert_int_lt(vmsg_decode(p, (size_t)len, 0, &d), 0);
        free(p);
    }
}
END_TEST

/* Bytes after msg_size are bus padding: ignored (V16). */
START_TEST(padding_after_msg_size_ignored)
{
    uint8_t a[600];
    struct vmsg d;
    int n = encode_sample(_i, a, sizeof(a));

    memset(a + n, 0, 64);
    ck_assert_int_eq(vmsg_decode(a, (size_t)n + 64, 0, &d), 0);
    ck_assert_uint_eq(d.msg_size, (unsigned)n);
}
END_TEST

struct bad {
    const char *what;
    const char *hex;
    int err;
    size_t max;
};

static const struct bad bad_inputs[] = {
    { "7 bytes", "00 02 0000 0000 08", -VMSG_E_SHORT, 0 },
    { "msg_size 7", "00 02 0000 0000 0700", -VMSG_E_MSG_SIZE, 0 },
    { "msg_size past buffer", "00 02 0000 0000 0900", -VMSG_E_MSG_SIZE, 0 },
    { "over bus max", "00 08 0000 0000 0c00 03000000", -VMSG_E_TOO_BIG, 8 },
    { "transport id 0x00", "00 00 0000 0000 0800", -VMSG_E_UNKNOWN_ID, 0 },
    { "transport id 0x01", "00 01 0000 0000 0800", -VMSG_E_UNKNOWN_ID, 0 },
    { "transport id 0x0D", "00 0d 0000 0000 0800", -VMSG_E_UNKNOWN_ID, 0 },
    { "transport id 0x3F", "00 3f 0000 0000 0800", -VMSG_E_UNKNOWN_ID, 0 },
    { "transport event 0x43", "00 43 0000 0000 0800", -VMSG_E_UNKNOWN_ID, 0 },
    { "impl request 0x80", "00 80 0000 0000 0800", -VMSG_E_UNKNOWN_ID, 0 },
    { "impl event 0xC0", "00 c0 0000 0000 0800", -VMSG_E_UNKNOWN_ID, 0 },
    { "bus id 0x04", "02 04 0000 0000 0800", -VMSG_E_UNKNOWN_ID, 0 },
    { "bus event 0x41", "02 41 0000 0000 0c00 00000000", -VMSG_E_UNKNOWN_ID, 0 },
    { "EVENT_USED as response", "01 42 0000 0000 0c00 00000000",
      -VMSG_E_EVENT_RESPONSE, 0 },
    { "EVENT_CONFIG as response", "01 40 0000 0000 1800 00000000 00000000 00000000 00000000",
      -VMSG_E_EVENT_RESPONSE, 0 },
    { "EVENT_DEVICE as response", "03 40 0000 0000 0c00 0000 0100",
      -VMSG_E_EVENT_RESPONSE, 0 },
    { "GET_DEVICE_INFO resp short", "01 02 0000 0000 0800", -VMSG_E_LENGTH, 0 },
    { "GET_DEVICE_INFO feature bits 33",
      "01 02 0000 0000 2000 02000000 00000000 21000000 00000000 01000000 0000 0000",
      -VMSG_E_RANGE, 0 },
    { "GET_DEVICE_FEATURES resp blocks vs size",
      "01 03 0000 0000 1400 00000000 02000000 01000000", -VMSG_E_LENGTH, 0 },
    { "GET_DEVICE_FEATURES huge block_index",
      "00 03 0000 0000 1000 ffffffff 02000000", -VMSG_E_RANGE, 0 },
    { "SET_DRIVER_FEATURES num_blocks overflow",
      "00 04 0000 0000 1000 00000000 00000040", -VMSG_E_LENGTH, 0 },
    { "GET_CONFIG offset+length wraps",
      "00 05 0000 0000 1000 ffffffff 02000000", -VMSG_E_RANGE, 0 },
    { "GET_CONFIG resp data vs length",
      "01 05 0000 0000 1500 00000000 00000000 02000000 aa", -VMSG_E_LENGTH, 0 },
    { "SET_CONFIG zero length", "00 06 0000 0000 1400 00000000 00000000 00000000",
      -VMSG_E_RANGE, 0 },
    { "SET_CONFIG length past data",
      "00 06 0000 0000 1500 00000000 00000000 02000000 aa", -VMSG_E_LENGTH, 0 },
    { "SET_CONFIG resp partial echo",
      "01 06 0000 0000 1500 00000000 00000000 02000000 aa", -VMSG_E_LENGTH, 0 },
    { "SET_DEVICE_STATUS 0x100", "00 08 0000 0000 0c00 00010000", -VMSG_E_RANGE, 0 },
    { "GET_DEVICE_STATUS resp 0x1ff", "01 07 0000 0000 0c00 ff010000", -VMSG_E_RANGE, 0 },
    { "GET_VQUEUE resp reserved",
      "01 09 0000 0000 3000 00000000 00010000 00000000 01000000"
      " 0000000000000000 0000000000000000 0000000000000000", -VMSG_E_RESERVED, 0 },
    { "GET_VQUEUE resp cur > max",
      "01 09 0000 0000 3000 00000000 08000000 10000000 00000000"
      " 0000000000000000 0000000000000000 0000000000000000", -VMSG_E_RANGE, 0 },
    { "SET_VQUEUE reserved0",
      "00 0a 0000 0000 3000 00000000 01000000 08000000 00000000"
      " 0010000000000000 0020000000000000 0030000000000000", -VMSG_E_RESERVED, 0 },
    { "SET_VQUEUE reserved1",
      "00 0a 0000 0000 3000 00000000 00000000 08000000 00000001"
      " 0010000000000000 0020000000000000 0030000000000000", -VMSG_E_RESERVED, 0 },
    { "SET_VQUEUE size 0",
      "00 0a 0000 0000 3000 00000000 00000000 00000000 00000000"
      " 0010000000000000 0020000000000000 0030000000000000", -VMSG_E_RANGE, 0 },
    { "SET_VQUEUE size 65536",
      "00 0a 0000 0000 3000 00000000 00000000 00000100 00000000"
      " 0010000000000000 0020000000000000 0030000000000000", -VMSG_E_RANGE, 0 },
    { "SET_VQUEUE 44-byte (RFC2) layout",
      "00 0a 0000 0000 2c00 00000000 08000000 00000000 0010000000000000"
      " 0020000000000000 0030000000000000", -VMSG_E_LENGTH, 0 },
    { "EVENT_CONFIG status 0x100",
      "00 40 0000 0000 1800 00010000 00000000 00000000 00000000", -VMSG_E_RANGE, 0 },
    { "EVENT_CONFIG length past data",
      "00 40 0000 0000 1900 0f000000 01000000 00000000 02000000 aa", -VMSG_E_LENGTH, 0 },
    { "EVENT_AVAIL short", "00 41 0000 0000 0c00 00000000", -VMSG_E_LENGTH, 0 },
    { "GET_DEVICES offset 3", "02 02 0000 0000 0c00 0300 1000", -VMSG_E_ALIGN, 0 },
    { "GET_DEVICES count 0xFF", "02 02 0000 0000 0c00 0000 ff00", -VMSG_E_ALIGN, 0 },
    { "GET_DEVICES resp next_offset inside window",
      "03 02 0000 0000 1000 0000 1000 0800 0000", -VMSG_E_RANGE, 0 },
    { "GET_DEVICES resp next_offset unaligned",
      "03 02 0000 0000 1000 0000 1000 1100 0000", -VMSG_E_RANGE, 0 },
    { "GET_DEVICES resp bitmap vs count",
      "03 02 0000 0000 0f00 0000 1000 0000 00", -VMSG_E_LENGTH, 0 },
    { "PING with dev_num", "02 03 0100 0000 0c00 00000000", -VMSG_E_DEV_NUM, 0 },
    { "EVENT_DEVICE state 0", "02 40 0000 0000 0c00 0100 0000", -VMSG_E_RANGE, 0 },
    { "EVENT_DEVICE state 3", "02 40 0000 0000 0c00 0100 0300", -VMSG_E_RANGE, 0 },
    { "EVENT_DEVICE state 0x7fff", "02 40 0000 0000 0c00 0100 ff7f", -VMSG_E_RANGE, 0 },
    { "PING short", "02 03 0000 0000 0a00 0000", -VMSG_E_LENGTH, 0 },
};

#define NBAD ((int)(sizeof(bad_inputs) / sizeof(bad_inputs[0])))

START_TEST(malformed_input_table)
{
    const struct bad *b = &bad_inputs[_i];
    uint8_t buf[128];
    size_t n = hex2bin(b->hex, buf, sizeof(buf));
    uint8_t *exact = malloc(n);
    struct vmsg d;
    int rc;

    memcpy(exact, buf, n);
    rc = vmsg_decode(exact, n, b->max, &d);
    free(exact);
    ck_assert_msg(rc == b->err, "%s: got %d (%s), want %d (%s)", b->what, rc,
                  vmsg_strerror(rc), b->err, vmsg_strerror(b->err));
}
END_TEST

/* B21/V13/D8: reserved type bits are ignored on receive and never sent. */
START_TEST(B21_reserved_type_bits_ignored)
{
    uint8_t buf[16], out[16];
    struct vmsg d;
    size_t n = hex2bin("fd 07 0100 0000 0c00 0f000000", buf, sizeof(buf));

    ck_assert_int_eq(vmsg_decode(buf, n, 0, &d), 0);
    ck_assert_uint_eq(d.type, VMSG_TYPE_RESPONSE);
    ck_assert_uint_eq(d.u.status, 0x0F);
    d.type = 0xFD;
    ck_assert_int_eq(vmsg_encode(&d, out, sizeof(out)), 12);
    ck_assert_uint_eq(out[0], 0x01);
}
END_TEST

/* The spec's GET_DEVICES example: bitmap 0b00100101 = devices 0, 2, 5. */
START_TEST(B38_get_devices_bitmap_lsb_first)
{
    uint8_t buf[32];
    struct vmsg d;
    size_t n = hex2bin("03 02 0000 0000 1000 0000 1000 1000 25 00", buf, sizeof(buf));

    ck_assert_int_eq(vmsg_decode(buf, n, 0, &d), 0);
    ck_assert_uint_eq(d.u.devices.count, 16);
    ck_assert_uint_eq(d.u.devices.next_offset, 16);
    ck_assert_uint_eq(d.u.devices.bitmap[0], 0x25);
}
END_TEST

/* D7/V12: fields are little-endian at the spec's offsets. */
START_TEST(D7_little_endian_layout)
{
    struct vmsg m = { .type = 0, .msg_id = VMSG_SET_VQUEUE, .dev_num = 0x0102,
                      .u.vqueue = { 0x11223344, 0, 0x80, 0x1122334455667788ull,
                                    0x0102030405060708ull, 0xA0B0C0D0E0F00010ull } };
    uint8_t b[64];

    ck_assert_int_eq(vmsg_encode(&m, b, sizeof(b)), 48);
    ck_assert_uint_eq(b[2], 0x02);
    ck_assert_uint_eq(b[3], 0x01);
    ck_assert_uint_eq(b[6], 48);
    ck_assert_uint_eq(b[8], 0x44);
    ck_assert_uint_eq(b[16], 0x80);
    ck_assert_uint_eq(b[24], 0x88);         /* desc_addr at payload 16 */
    ck_assert_uint_eq(b[31], 0x11);
    ck_assert_uint_eq(b[32], 0x08);         /* driver_addr at payload 24 */
    ck_assert_uint_eq(b[40], 0x10);         /* device_addr at payload 32 */
    ck_assert_uint_eq(b[47], 0xA0);
    ck_assert_uint_eq(b[12] | b[13] | b[14] | b[15] | b[20] | b[21] | b[22] | b[23], 0);
}
END_TEST

START_TEST(encode_refuses_invalid_and_small_buffers)
{
    struct vmsg m;
    uint8_t b[64];

    vmsg_init_request(&m, false, VMSG_SET_VQUEUE, 1);
    m.u.vqueue.size = 0;
    ck_assert_int_eq(vmsg_encode(&m, b, sizeof(b)), -VMSG_E_RANGE);
    m.u.vqueue.size = 8;
    ck_assert_int_eq(vmsg_encode(&m, b, 47), -VMSG_E_NOSPACE);
    vmsg_init_request(&m, false, 0x0D, 1);
    ck_assert_int_eq(vmsg_encode(&m, b, sizeof(b)), -VMSG_E_UNKNOWN_ID);
    vmsg_init_request(&m, true, VMSG_BUS_PING, 0);
    m.dev_num = 4;
    ck_assert_int_eq(vmsg_encode(&m, b, sizeof(b)), -VMSG_E_DEV_NUM);
    vmsg_init_request(&m, false, VMSG_GET_CONFIG, 1);
    m.type |= VMSG_TYPE_RESPONSE;
    m.u.config.length = 70000;
    ck_assert_int_eq(vmsg_encode(&m, b, sizeof(b)), -VMSG_E_TOO_BIG);
    vmsg_init_request(&m, false, VMSG_EVENT_USED, 1);
    m.type |= VMSG_TYPE_RESPONSE;
    ck_assert_int_eq(vmsg_encode(&m, b, sizeof(b)), -VMSG_E_EVENT_RESPONSE);
}
END_TEST

START_TEST(every_error_has_a_reason)
{
    int e;

    for (e = 0; e < VMSG_E__COUNT; e++)
        ck_assert_str_ne(vmsg_strerror(-e), "unknown error");
    ck_assert_str_eq(vmsg_strerror(-999), "unknown error");
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("messages");

    tcase_add_loop_test(tc, round_trip_every_message, 0, NSAMPLES);
    tcase_add_loop_test(tc, wrong_size_every_message, 0, NSAMPLES);
    tcase_add_loop_test(tc, truncated_every_message, 0, NSAMPLES);
    tcase_add_loop_test(tc, padding_after_msg_size_ignored, 0, NSAMPLES);
    tcase_add_loop_test(tc, malformed_input_table, 0, NBAD);
    tcase_add_test(tc, B21_reserved_type_bits_ignored);
    tcase_add_test(tc, B38_get_devices_bitmap_lsb_first);
    tcase_add_test(tc, D7_little_endian_layout);
    tcase_add_test(tc, encode_refuses_invalid_and_small_buffers);
    tcase_add_test(tc, every_error_has_a_reason);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(codec_suite());
}
