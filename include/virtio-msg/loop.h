/* SPDX-License-Identifier: MIT */
/*
 * The loopback bus: a driver-role and a device-role bus joined inside one
 * process, for unit tests of the common level and for fuzzing sequences.
 *
 * A transfer hands the request to the device side's rx callback and takes
 * the first response the device side sends back; events go straight to the
 * other side's rx callback.  The bus owns the token: it stamps a sequence
 * number on each request, requires the response to carry it, and restores
 * the driver's token before returning (B23).
 *
 * DMA memory comes from regions the driver side allocates; dma_map checks
 * bounds and, with split_pages set, shortens every mapping at 4 KiB
 * boundaries the way a grant-mapping bus does.
 */
#ifndef VIRTIO_MSG_LOOP_H
#define VIRTIO_MSG_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio-msg/bus.h"

#define VMSG_LOOP_MAX_REGIONS 64
#define VMSG_LOOP_BASE 0x100000000ull   /* first bus address handed out */

struct vmsg_loop {
    struct vmsg_bus drv;            /* give this to the driver */
    struct vmsg_bus dev;            /* give this to the device */
    uint32_t max_msg_size;
    bool split_pages;
    /* fault injection */
    bool drop_responses;            /* device responses vanish: timeouts */
    bool corrupt_token;             /* device responses carry a wrong token */
    /* state */
    bool waiting;
    uint16_t token;
    size_t resp_len;
    uint8_t *resp;
    uint64_t next_addr;
    struct vmsg_loop_region {
        uint8_t *mem;
        uint64_t addr;
        size_t size;
    } regions[VMSG_LOOP_MAX_REGIONS];
    /* counters */
    uint64_t transfers, events_to_driver, events_to_device;
    uint64_t stray_responses, maps, unmaps, map_failures;
};

/**
 * vmsg_loop_init - set up both sides with @max_msg_size.
 * Returns 0 or the vmsg_bus_init() error.
 */
int vmsg_loop_init(struct vmsg_loop *l, uint32_t max_msg_size);
void vmsg_loop_destroy(struct vmsg_loop *l);

/* Is [addr, addr+len) inside driver memory?  (for tests) */
void *vmsg_loop_ptr(struct vmsg_loop *l, uint64_t addr, size_t len);

#endif /* VIRTIO_MSG_LOOP_H */
