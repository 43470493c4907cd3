/* SPDX-License-Identifier: MIT */
/* Device-side answers to bus requests: GET_DEVICES (B37-B40), PING (B41). */
#include <errno.h>
#include <stdlib.h>

#include "virtio-msg/bus.h"
#include "virtio-msg/msg.h"

static int answer_get_devices(struct vmsg_bus *bus, const struct vmsg *m,
                              struct vmsg *r, uint8_t *bitmap,
                              const uint16_t *devs, size_t n)
{
    uint32_t off = m->u.devices.offset, count = m->u.devices.count;
    uint32_t fit = ((bus->caps.max_msg_size - VMSG_HDR_SIZE - 6) * 8) & ~7u;
    uint32_t end;
    size_t i;

    if (count > fit)
        count = fit;                 /* a smaller window, still aligned */
    if (off + count > 65536)
        count = 65536 - off;
    end = off + count;
    for (i = 0; i < n; i++) {
        if (devs[i] >= off && devs[i] < end)
            bitmap[(devs[i] - off) / 8] |= (uint8_t)(1u << ((devs[i] - off) % 8));
    }
    r->u.devices.offset = (uint16_t)off;
    r->u.devices.count = (uint16_t)count;
    r->u.devices.bitmap = bitmap;
    r->u.devices.next_offset = 0;
    for (i = 0; i < n; i++) {
        if (devs[i] >= end) {
            /* next window starts at the 8-aligned slot of the next device */
            r->u.devices.next_offset = (uint16_t)(devs[i] & ~7u);
            break;
        }
    }
    return 0;
}

int vmsg_bus_serve(struct vmsg_bus *bus, const struct vmsg *m,
                   const uint16_t *devs, size_t n)
{
    size_t max = bus->caps.max_msg_size;
    uint8_t *buf, *bitmap;
    struct vmsg r;
    int rc = 0;

    if (!vmsg_is_bus(m) || vmsg_is_response(m) ||
        (m->msg_id != VMSG_BUS_GET_DEVICES && m->msg_id != VMSG_BUS_PING))
        return -EPERM;
    buf = malloc(max);
    bitmap = calloc(max, 1);
    if (!buf || !bitmap) {
        rc = -ENOMEM;
        goto out;
    }
    vmsg_init_response(&r, m);
    if (m->msg_id == VMSG_BUS_PING)
        r.u.ping = m->u.ping;
    else
        answer_get_devices(bus, m, &r, bitmap, devs, n);
    rc = vmsg_encode(&r, buf, max);
    if (rc >= 0)
        rc = bus->ops->send(bus, buf, (size_t)rc);
    rc = rc < 0 ? rc : 0;
out:
    free(buf);
    free(bitmap);
    return rc;
}
