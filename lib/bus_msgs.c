/* SPDX-License-Identifier: MIT */
/* Bus messages from the driver side: GET_DEVICES enumeration and PING. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio-msg/driver.h"

/* Send a bus request and decode its response into @resp (data in @rbuf). */
static int bus_call(struct vmsg_bus *bus, struct vmsg *req, uint8_t *rbuf,
                    struct vmsg *resp)
{
    size_t max = bus->caps.max_msg_size, rlen = 0;
    uint8_t qbuf[VMSG_HDR_SIZE + 8];
    int n, rc;

    n = vmsg_encode(req, qbuf, sizeof(qbuf));
    if (n < 0)
        return -EINVAL;
    rc = bus->ops->transfer(bus, qbuf, (size_t)n, rbuf, max, &rlen);
    if (rc)
        return rc < 0 ? rc : -EIO;
    if (vmsg_decode(rbuf, rlen, max, resp) < 0 || !vmsg_is_bus(resp) ||
        !vmsg_is_response(resp) || resp->msg_id != req->msg_id)
        return -EPROTO;
    return 0;
}

int vmsg_bus_get_devices(struct vmsg_bus *bus, uint16_t *present, int max)
{
    uint32_t window = (bus->caps.max_msg_size - VMSG_HDR_SIZE - 6) * 8;
    uint32_t offset = 0, rounds = 0;
    uint8_t *rbuf;
    int found = 0, rc = 0;

    if (window > 2048)
        window = 2048;
    window &= ~7u;
    rbuf = malloc(bus->caps.max_msg_size);
    if (!rbuf)
        return -ENOMEM;
    for (;;) {
        struct vmsg req, resp;
        uint32_t i;

        if (++rounds > 65536 / 8) {
            rc = -EPROTO;
            break;
        }
        vmsg_init_request(&req, true, VMSG_BUS_GET_DEVICES, 0);
        req.u.devices.offset = (uint16_t)offset;
        req.u.devices.count = (uint16_t)(offset + window > 65536
                                             ? 65536 - offset : window);
        rc = bus_call(bus, &req, rbuf, &resp);
        if (rc)
            break;
        if (resp.u.devices.offset != offset ||
            resp.u.devices.count > req.u.devices.count) {
            rc = -EPROTO;
            break;
        }
        for (i = 0; i < resp.u.devices.count; i++) {
            if (!(resp.u.devices.bitmap[i / 8] & (1u << (i % 8))))
                continue;
            if (found < max)
                present[found] = (uint16_t)(offset + i);
            found++;
        }
        if (resp.u.devices.next_offset == 0)
            break;
        /* Must move forward, or a hostile peer keeps us here forever. */
        if (resp.u.devices.next_offset <= offset) {
            rc = -EPROTO;
            break;
        }
        offset = resp.u.devices.next_offset;
    }
    free(rbuf);
    return rc ? rc : (found < max ? found : max);
}

int vmsg_bus_ping(struct vmsg_bus *bus, uint32_t data)
{
    struct vmsg req, resp;
    uint8_t *rbuf = malloc(bus->caps.max_msg_size);
    int rc;

    if (!rbuf)
        return -ENOMEM;
    vmsg_init_request(&req, true, VMSG_BUS_PING, 0);
    req.u.ping = data;
    rc = bus_call(bus, &req, rbuf, &resp);
    if (rc == 0 && resp.u.ping != data)
        rc = -EPROTO;
    free(rbuf);
    return rc;
}
