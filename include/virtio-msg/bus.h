/* SPDX-License-Identifier: MIT */
/*
 * The bus interface: the one ops table every bus (host, Xen, in-process
 * loopback) implements.  The common level (driver.c, device.c, virtq*.c)
 * reaches messages and memory only through it and never includes a bus
 * header.
 *
 * A bus instance is used from one side: VMSG_ROLE_DRIVER (it carries
 * requests to devices and delivers their events) or VMSG_ROLE_DEVICE (it
 * delivers requests to devices and carries responses and events back).
 * vmsg_bus_init() refuses an ops table that lacks an op its role needs, and
 * caps the spec does not allow (revision, message size, unknown transport
 * feature bits), so the transport never has to re-check them.
 *
 * Addresses (SET_VQUEUE rings, descriptor buffers) are the bus's own
 * address space; on our buses they are grant-based DMA addresses
 * (shared/spec/DECISIONS.md item 6).
 */
#ifndef VIRTIO_MSG_BUS_H
#define VIRTIO_MSG_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vmsg_role {
    VMSG_ROLE_DRIVER = 1,
    VMSG_ROLE_DEVICE = 2,
};

struct vmsg_bus_caps {
    uint32_t revision;            /* transport revision, 1 */
    uint32_t max_msg_size;        /* header included, 48..65535 */
    uint64_t transport_features;  /* none defined in revision 1 */
};

struct vmsg_bus;

/* A message the bus received outside a transfer (events, requests). */
typedef void vmsg_bus_rx_fn(void *opaque, const void *msg, size_t len);

/* One buffer of a request, for dma_map_batch(). */
struct vmsg_dma_range {
    uint64_t addr;
    uint64_t len;
    bool write;                   /* the device writes it */
};

struct vmsg_bus_ops {
    const char *name;

    /* Both roles. Fills the advertised parameters (spec B5). */
    int (*get_caps)(struct vmsg_bus *bus, struct vmsg_bus_caps *caps);

    /*
     * Both roles: send one message that expects no reply on this path
     * (an event, or on the device side a response).  Must be callable from
     * several threads.  0 or -errno.
     */
    int (*send)(struct vmsg_bus *bus, const void *msg, size_t len);

    /*
     * Driver role: send @req and wait, with the bus's own bounded timeout,
     * for the response to it.  Messages that arrive meanwhile and are not
     * that response are passed to the rx callback.  Returns 0 with
     * *resp_len set, -ETIMEDOUT, -EPIPE (peer gone) or another -errno.
     */
    int (*transfer)(struct vmsg_bus *bus, const void *req, size_t req_len,
                    void *resp, size_t resp_cap, size_t *resp_len);

    /* Driver role: memory the device can reach, and its bus address. */
    void *(*dma_alloc)(struct vmsg_bus *bus, size_t size, uint64_t *addr);
    void (*dma_free)(struct vmsg_bus *bus, void *ptr, size_t size,
                     uint64_t addr);
    /*
     * Driver role, optional: memory the device can reach whose pages need
     * not have consecutive bus addresses (dma_alloc's can fail for want of
     * a run of consecutive grant refs long after memory is plentiful);
     * dma_addr() gives the bus address of any byte of it.  Free with
     * dma_free(..., 0).
     */
    void *(*dma_alloc_pages)(struct vmsg_bus *bus, size_t size);
    uint64_t (*dma_addr)(struct vmsg_bus *bus, const void *ptr);

    /*
     * Device role: make driver memory [addr, addr + *len) accessible.
     * May shorten *len (the caller maps the rest separately).  Returns
     * NULL with errno set if any part is not the driver's to give.
     */
    void *(*dma_map)(struct vmsg_bus *bus, uint64_t addr, size_t *len,
                     bool write);
    /* Device role, optional: release a dma_map() result. */
    void (*dma_unmap)(struct vmsg_bus *bus, void *ptr, size_t len);
    /*
     * Device role, optional: map @n ranges at once, none shortened, into
     * ptr[0..n), where one call costs less than n dma_map() calls (Xen
     * without persistent grants: one hypercall and one mmap for a whole
     * request instead of one per page).  Returns a handle for
     * dma_unmap_batch(), or NULL with errno EOPNOTSUPP (use dma_map() for
     * these) or another errno (a range is not the driver's to give).
     */
    void *(*dma_map_batch)(struct vmsg_bus *bus, const struct vmsg_dma_range *r,
                           unsigned n, void **ptr);
    void (*dma_unmap_batch)(struct vmsg_bus *bus, void *handle);

    /* Optional: free the bus's private state. */
    void (*release)(struct vmsg_bus *bus);
};

struct vmsg_bus {
    const struct vmsg_bus_ops *ops;
    void *priv;                   /* the bus implementation's state */
    enum vmsg_role role;
    struct vmsg_bus_caps caps;    /* validated copy of get_caps() */
    vmsg_bus_rx_fn *rx;           /* set by the owner of the bus */
    void *rx_opaque;
};

/* Fill @caps for revision 1 with no transport features: every bus of ours. */
static inline int vmsg_bus_caps_rev1(struct vmsg_bus_caps *caps,
                                     uint32_t max_msg_size)
{
    caps->revision = 1;
    caps->max_msg_size = max_msg_size;
    caps->transport_features = 0;
    return 0;
}

/**
 * vmsg_bus_init - bind @ops to @bus for @role and validate the bus.
 *
 * Returns 0, -EINVAL if a required op is missing or @role is unknown,
 * -EPROTONOSUPPORT for a revision other than 1 or any transport feature bit
 * (none are defined in revision 1), -ERANGE for a max message size outside
 * 48..65535, or the error of get_caps().
 */
int vmsg_bus_init(struct vmsg_bus *bus, const struct vmsg_bus_ops *ops,
                  void *priv, enum vmsg_role role);

/* Set the callback that receives unsolicited messages. */
void vmsg_bus_set_rx(struct vmsg_bus *bus, vmsg_bus_rx_fn *fn, void *opaque);

/* Hand a received message to the rx callback (for bus implementations). */
void vmsg_bus_deliver(struct vmsg_bus *bus, const void *msg, size_t len);

/* Call ops->release if present and clear @bus. Safe on a zeroed bus. */
void vmsg_bus_release(struct vmsg_bus *bus);

struct vmsg;

/**
 * vmsg_bus_serve - answer a bus-level request on the device side.
 * @devs: the device numbers present, sorted ascending, @n of them.
 *
 * Answers GET_DEVICES (window clipped to what fits the bus maximum,
 * bitmap LSB first, next_offset at the next present device or 0) and PING
 * (echo).  Returns 0 if a response was sent, -EPERM for a message that is
 * not a bus request we answer, or the send error.
 */
int vmsg_bus_serve(struct vmsg_bus *bus, const struct vmsg *m,
                   const uint16_t *devs, size_t n);

#endif /* VIRTIO_MSG_BUS_H */
