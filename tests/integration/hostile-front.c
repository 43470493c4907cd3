/* SPDX-License-Identifier: MIT */
/*
 * hostile-front MODE PATH DOMID: a frontend that breaks the protocol, for
 * tests.  Modes:
 *   ring-overrun  publish a producer index far past the ring size
 *   bad-length    publish a record whose length exceeds the bus maximum
 *   garbage       valid ring, 500 malformed messages, then a valid request
 *                 (which must still be answered: prints "answered")
 *   revoke        set up a blk queue, revoke the ring grants, kick
 * Exit 0 if the backend reacted as expected.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio-msg/host.h"
#include "virtio-msg/driver.h"
#include "virtio-msg/virtio.h"
#include "../../bus/host/host_proto.h"

/* Wait for the backend to close our connection (up to 3 s). */
static int wait_hangup(struct vmsg_host_fe *fe)
{
    int i;

    for (i = 0; i < 30; i++) {
        int rc = vmsg_host_fe_poll(fe, 100);
        if (rc == -EPIPE || fe->ep.dead)
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    struct vmsg_host_fe fe;
    volatile struct vmsg_ring_ctl *ctl;
    int rc;

    if (argc != 4) {
        fprintf(stderr, "usage: hostile-front MODE PATH DOMID\n");
        return 2;
    }
    rc = vmsg_host_fe_connect(&fe, argv[2], (uint32_t)atoi(argv[3]), 256);
    if (rc) {
        fprintf(stderr, "hostile-front: connect: %s\n", strerror(-rc));
        return 1;
    }
    ctl = (volatile struct vmsg_ring_ctl *)fe.ring_mem;   /* fe->be control */
    if (!strcmp(argv[1], "ring-overrun")) {
        ctl->prod = htole32(le32toh(ctl->prod) + 3 * VMSG_RING_DATA);
        vh_notify(fe.ev_to_be);
        rc = wait_hangup(&fe);
    } else if (!strcmp(argv[1], "bad-length")) {
        volatile uint8_t *data = (uint8_t *)fe.ring_mem + VMSG_RING_PAGE_SIZE;
        uint32_t p = le32toh(ctl->prod);
        data[p % VMSG_RING_DATA] = 0xFF;                   /* len 0xFFFF */
        data[(p + 1) % VMSG_RING_DATA] = 0xFF;
        ctl->prod = htole32(p + 64);
        vh_notify(fe.ev_to_be);
        rc = wait_hangup(&fe);
    } else if (!strcmp(argv[1], "garbage")) {
        uint8_t junk[64];
        struct vmsg_drv d;
        int i;
        for (i = 0; i < 500; i++) {
            size_t n = 8 + (size_t)(i % 50);
            memset(junk, i * 7, sizeof(junk));
            vmsg_put_le16(junk + 6, (uint16_t)(i % 3 ? n : 4000));
            fe.ep.bus.ops->send(&fe.ep.bus, junk, n);
        }
        rc = vmsg_drv_open(&d, &fe.ep.bus, 0);
        if (rc == 0)
            printf("answered\n");
        vmsg_drv_close(&d);
    } else if (!strcmp(argv[1], "revoke")) {
        /* Ask for a queue on memory we then take back. */
        struct vmsg_drv d;
        struct vmsg_vqueue q = { 0 };
        uint64_t addr;
        void *mem;
        fe.ep.timeout_ms = 1000;        /* the request is meant to go unanswered */
        rc = vmsg_drv_open(&d, &fe.ep.bus, 0);
        if (rc == 0)
            rc = vmsg_drv_negotiate(&d, VIRTIO_BIT(VIRTIO_F_VERSION_1), NULL);
        mem = fe.ep.bus.ops->dma_alloc(&fe.ep.bus, 4096, &addr);
        (void)mem;
        q.size = 16;
        q.desc_addr = addr;
        q.driver_addr = addr + 256;
        q.device_addr = addr + 320;
        fe.ep.bus.ops->dma_free(&fe.ep.bus, mem, 4096, addr);    /* revoked */
        if (rc == 0)
            rc = vmsg_drv_set_vqueue(&d, &q);
        /* The backend must refuse the unmapped ring: no response. */
        printf("set_vqueue on revoked grants: %s\n", strerror(-rc));
        rc = rc == -ETIMEDOUT ? 0 : 1;
        vmsg_drv_close(&d);
    } else {
        fprintf(stderr, "hostile-front: unknown mode %s\n", argv[1]);
        rc = 2;
    }
    vmsg_host_fe_close(&fe);
    return rc;
}
