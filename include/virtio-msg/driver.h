/* SPDX-License-Identifier: MIT */
/*
 * Driver-side transport: every virtio transport operation as a virtio-msg
 * request/response over a driver-role bus, with the driver's obligations
 * enforced locally (an API misuse returns -EPERM/-EINVAL and sends nothing)
 * and every response checked (type, msg_id, dev_num, size, echoed fields).
 *
 * A response that does not match, or a bus failure (timeout, peer gone),
 * marks the device broken: every later call returns -EIO until
 * vmsg_drv_open() is called again.  One request is in flight per device;
 * calls on one device must be serialised by the caller.
 */
#ifndef VIRTIO_MSG_DRIVER_H
#define VIRTIO_MSG_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio-msg/bus.h"
#include "virtio-msg/msg.h"

#define VMSG_DRV_CONFIG_RETRIES 3
#define VMSG_DRV_MAX_VQ 1024       /* queue indices the driver can use */

struct vmsg_drv;

struct vmsg_drv_cbs {
    void (*used)(void *opaque, uint32_t vq);        /* EVENT_USED */
    void (*config)(void *opaque, uint8_t status);   /* EVENT_CONFIG */
};

struct vmsg_drv {
    struct vmsg_bus *bus;
    uint16_t dev_num;
    bool have_info;
    bool broken;
    uint8_t status;               /* last status the device reported */
    uint32_t generation;          /* latest seen (D5) */
    uint64_t offered;             /* device features (first 64 bits) */
    uint64_t negotiated;          /* accepted with FEATURES_OK */
    struct vmsg_device_info info;
    struct vmsg_drv_cbs cbs;
    void *cb_opaque;
    uint32_t config_events;       /* EVENT_CONFIG received */
    uint64_t vq_live[VMSG_DRV_MAX_VQ / 64];  /* set by SET_VQUEUE (D29) */
    int last_error;
    uint8_t *req;                 /* bus max size each */
    uint8_t *resp;
};

/**
 * vmsg_drv_open - attach to device @dev_num and read GET_DEVICE_INFO.
 * Returns 0, -ENODEV (device_id 0), -EPROTO (bad info, e.g. feature count
 * not a multiple of 32), -ENOMEM, or the transfer error.
 */
int vmsg_drv_open(struct vmsg_drv *d, struct vmsg_bus *bus, uint16_t dev_num);
void vmsg_drv_close(struct vmsg_drv *d);

void vmsg_drv_set_callbacks(struct vmsg_drv *d, const struct vmsg_drv_cbs *cbs,
                            void *opaque);

/* Status. */
int vmsg_drv_get_status(struct vmsg_drv *d, uint8_t *status);
int vmsg_drv_set_status(struct vmsg_drv *d, uint8_t status, uint8_t *result);
int vmsg_drv_reset(struct vmsg_drv *d);

/* Features (first 64 bits; blocks beyond are read and ignored). */
int vmsg_drv_get_features(struct vmsg_drv *d, uint64_t *features);
int vmsg_drv_set_features(struct vmsg_drv *d, uint64_t features);

/**
 * vmsg_drv_negotiate - spec §4.3 steps 2-6: reset, ACKNOWLEDGE, DRIVER,
 * read features, write @wanted & offered, set FEATURES_OK and check it.
 * Returns 0 with *accepted set, -ENOTSUP if the device refused FEATURES_OK
 * (status FAILED is then set), or an error.
 */
int vmsg_drv_negotiate(struct vmsg_drv *d, uint64_t wanted, uint64_t *accepted);

/* DRIVER_OK; -EIO if the device did not keep it. */
int vmsg_drv_driver_ok(struct vmsg_drv *d);

/**
 * Config space, split into chunks that fit the bus.  A read is retried
 * (VMSG_DRV_CONFIG_RETRIES) while the generation changes between chunks;
 * -EAGAIN if it never settles.  A write sends the latest generation; on a
 * rejection it re-reads the generation and retries, -EAGAIN if still
 * rejected, -EPERM if rejected with an unchanged generation (read-only).
 */
int vmsg_drv_config_read(struct vmsg_drv *d, uint32_t off, void *buf,
                         uint32_t len);
int vmsg_drv_config_write(struct vmsg_drv *d, uint32_t off, const void *buf,
                          uint32_t len);
int vmsg_drv_generation(struct vmsg_drv *d, uint32_t *gen);

/* Virtqueues. set_vqueue checks size against max and verifies with a
 * second GET_VQUEUE (D15, D22, D23). */
int vmsg_drv_get_vqueue(struct vmsg_drv *d, uint32_t index,
                        struct vmsg_vqueue *q);
int vmsg_drv_set_vqueue(struct vmsg_drv *d, const struct vmsg_vqueue *q);
int vmsg_drv_reset_vqueue(struct vmsg_drv *d, uint32_t index);
int vmsg_drv_get_shm(struct vmsg_drv *d, uint32_t index, uint32_t *len,
                     uint32_t *addr);

/* EVENT_AVAIL (D30-D32): @next_offset must be 0 unless NOTIFICATION_DATA. */
int vmsg_drv_notify(struct vmsg_drv *d, uint32_t vq, uint32_t next_offset);

/**
 * vmsg_drv_handle_event - feed an EVENT_USED/EVENT_CONFIG for this device.
 * Returns 0, or -EINVAL if @m is not an event for this device.
 */
int vmsg_drv_handle_event(struct vmsg_drv *d, const struct vmsg *m);

/* ---- bus messages from the driver side ---- */

/**
 * vmsg_bus_get_devices - enumerate with GET_DEVICES windows (offset 0,
 * following next_offset).  Fills present[0..max) with device numbers and
 * returns how many, or -errno.  Bad responses are -EPROTO.
 */
int vmsg_bus_get_devices(struct vmsg_bus *bus, uint16_t *present, int max);

/* PING with @data; -EPROTO if the echo differs. */
int vmsg_bus_ping(struct vmsg_bus *bus, uint32_t data);

#endif /* VIRTIO_MSG_DRIVER_H */
