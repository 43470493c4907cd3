/* SPDX-License-Identifier: MIT */
/* Bus registration: check the ops table and the advertised parameters once. */
#include <errno.h>
#include <string.h>

#include "virtio-msg/bus.h"
#include "virtio-msg/wire.h"

static bool ops_complete(const struct vmsg_bus_ops *ops, enum vmsg_role role)
{
    if (!ops || !ops->get_caps || !ops->send)
        return false;
    if (role == VMSG_ROLE_DRIVER)
        return ops->transfer && ops->dma_alloc && ops->dma_free;
    if (role == VMSG_ROLE_DEVICE)
        return ops->dma_map != NULL;
    return false;
}

int vmsg_bus_init(struct vmsg_bus *bus, const struct vmsg_bus_ops *ops,
                  void *priv, enum vmsg_role role)
{
    struct vmsg_bus_caps caps;
    int rc;

    memset(bus, 0, sizeof(*bus));
    if (!ops_complete(ops, role))
        return -EINVAL;
    bus->ops = ops;
    bus->priv = priv;
    bus->role = role;

    memset(&caps, 0, sizeof(caps));
    rc = ops->get_caps(bus, &caps);
    if (rc)
        goto fail;
    rc = -EPROTONOSUPPORT;
    if (caps.revision != VMSG_TRANSPORT_REVISION || caps.transport_features)
        goto fail;
    rc = -ERANGE;
    if (caps.max_msg_size < VMSG_MIN_MAX_SIZE ||
        caps.max_msg_size > VMSG_ABS_MAX_SIZE)
        goto fail;
    bus->caps = caps;
    return 0;

fail:
    memset(bus, 0, sizeof(*bus));
    return rc;
}

void vmsg_bus_set_rx(struct vmsg_bus *bus, vmsg_bus_rx_fn *fn, void *opaque)
{
    bus->rx = fn;
    bus->rx_opaque = opaque;
}

void vmsg_bus_deliver(struct vmsg_bus *bus, const void *msg, size_t len)
{
    if (bus->rx)
        bus->rx(bus->rx_opaque, msg, len);
}

void vmsg_bus_release(struct vmsg_bus *bus)
{
    if (bus->ops && bus->ops->release)
        bus->ops->release(bus);
    memset(bus, 0, sizeof(*bus));
}
