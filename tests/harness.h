/* SPDX-License-Identifier: MIT */
/*
 * Test harness: a loopback bus joining a driver (struct vmsg_drv) to an
 * echo device model (struct vmsg_dev).  The echo device copies each
 * request's readable bytes into its writable buffers, so virtqueue data
 * paths can be checked end to end.
 */
#ifndef VMSG_TEST_HARNESS_H
#define VMSG_TEST_HARNESS_H

#include <check.h>
#include <stdint.h>

#include "virtio-msg/device.h"
#include "virtio-msg/driver.h"
#include "virtio-msg/loop.h"

#define ECHO_CONFIG_SIZE 600     /* larger than one message: chunked */
#define ECHO_RO_OFFSET   0       /* bytes [0, 8) are read-only */
#define ECHO_RO_LEN      8
#define ECHO_DEV_NUM     3
#define ECHO_FEATURE_X   0       /* device-specific feature bit */
#define ECHO_FEATURE_BAD 1       /* offered, but refused at FEATURES_OK */

struct echo_model {
    uint8_t config[ECHO_CONFIG_SIZE];
    struct vmsg_dev *dev;
    int resets, starts, notifies, queue_resets;
    uint64_t bytes_echoed;
    int fail_start;              /* start() returns -EIO */
};

struct harness {
    struct vmsg_loop loop;
    struct vmsg_dev dev;
    struct echo_model model;
    struct vmsg_drv drv;
    uint16_t devs[1];
    int used_events;
    int config_events;
    uint32_t last_used_vq;
    /* every message the device side received, newest last */
#define HARNESS_SEEN 64
    uint8_t seen[HARNESS_SEEN][VMSG_ABS_MAX_SIZE < 1024 ? VMSG_ABS_MAX_SIZE : 1024];
    size_t seen_len[HARNESS_SEEN];
    unsigned nseen;
    size_t max_seen;
    /* every event the driver side received */
    uint8_t events[HARNESS_SEEN][1024];
    size_t events_len[HARNESS_SEEN];
    unsigned nevents;
};

/* The @back-th most recent message the device received (0 = newest). */
const uint8_t *harness_seen(struct harness *h, unsigned back, size_t *len);

/* Set up bus, device and (unless !open) the driver. max 0: default 276. */
void harness_init(struct harness *h, uint32_t max_msg_size, int open);
void harness_fini(struct harness *h);

/* Full driver init: negotiate @wanted, set up queue 0 of @num entries in
 * bus memory, DRIVER_OK.  Returns the ring (owned by the harness). */
struct vmsg_vring *harness_start(struct harness *h, uint64_t wanted,
                                 uint16_t num);

/* Send raw bytes to the device as the driver side would. */
void harness_send_raw(struct harness *h, const void *buf, size_t len);

/* Standard features the echo device offers. */
uint64_t echo_features(void);

/* Hex string ("01 02 ..") to bytes; returns length. */
size_t hex2bin(const char *hex, uint8_t *out, size_t cap);

/* Run a suite with TAP output when CK_TAP_LOG_FILE_NAME is set. */
int run_suite(Suite *s);

#endif
