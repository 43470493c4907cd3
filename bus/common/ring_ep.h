/* SPDX-License-Identifier: MIT */
/*
 * A virtio-msg bus endpoint on the shared message ring, for either role.
 *
 * Everything about moving messages is here, once, for every bus built on
 * the ring (host and Xen): the bus-owned token, waiting for a response with
 * a bounded timeout, events that arrive meanwhile, a bounded wait for room,
 * a peer that breaks the ring.  What differs per bus is the primitives
 * provider: how to kick the peer's event channel, how to wait for ours,
 * and how driver memory is granted and mapped.
 */
#ifndef VMSG_RING_EP_H
#define VMSG_RING_EP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio-msg/bus.h"
#include "msg_ring.h"
#include "poll_window.h"

struct vmsg_ring_prims {
    const char *name;                /* bus name, for vmsg_bus_ops.name */
    /* Kick the peer's event channel.  0 or -errno. */
    int (*notify)(void *ctx);
    /* Wait up to @timeout_ms for our event channel: >0 signalled, 0 timed
     * out, -EPIPE if the peer is gone, another -errno on error. */
    int (*wait)(void *ctx, int timeout_ms);
    /* Driver role: granted memory and its grant-DMA address. */
    void *(*dma_alloc)(void *ctx, size_t size, uint64_t *addr);
    void (*dma_free)(void *ctx, void *ptr, size_t size, uint64_t addr);
    /* Driver role, optional: see vmsg_bus_ops.dma_alloc_pages. */
    void *(*dma_alloc_pages)(void *ctx, size_t size);
    uint64_t (*dma_addr)(void *ctx, const void *ptr);
    /* Device role: map driver memory (may shorten *len); release it. */
    void *(*dma_map)(void *ctx, uint64_t addr, size_t *len, bool write);
    void (*dma_unmap)(void *ctx, void *ptr, size_t len);
    /* Device role, optional: see vmsg_bus_ops.dma_map_batch. */
    void *(*dma_map_batch)(void *ctx, const struct vmsg_dma_range *r, unsigned n, void **ptr);
    void (*dma_unmap_batch)(void *ctx, void *handle);
};

struct vmsg_ring_ep {
    struct vmsg_bus bus;             /* give this to vmsg_drv / vmsg_dev */
    struct vmsg_bus_ops ops;         /* the role's ops, named by the provider */
    const struct vmsg_ring_prims *prims;
    void *ctx;
    struct vmsg_ring tx, rx;
    uint32_t max_msg;
    uint16_t seq;                    /* driver: the bus-owned token */
    int timeout_ms;                  /* driver: per transfer */
    unsigned poll_us;                /* driver: spin this long before sleeping */
    struct poll_window win;          /* driver, poll_us 0: adaptive spin (max 0: never) */
    bool dead;                       /* peer gone or broke the ring */
    bool rx_marked;                  /* driver: our rx flag says "no kick needed" */
    bool polling;                    /* device: polling mode holds that flag */
    bool serving;                    /* device: in vmsg_ring_ep_serve: kicks wait */
    bool batching;                   /* device: vmsg_ring_ep_batch(): kicks wait */
    bool kick_owed;                  /* device: a message went out without its kick */
    int64_t owed_since_us;           /* device: since when */
    bool inited;
    pthread_mutex_t lock;
    uint8_t *rxbuf;
    uint64_t msgs_in, msgs_out, events, strays, timeouts;
    uint64_t spins, spin_found;      /* driver: spins, and those that got what they waited for */
};

#define VMSG_RING_EP_TIMEOUT_MS 5000
#define VMSG_RING_EP_TX_WAIT_MS 1000 /* device: a driver that stops reading */

/**
 * vmsg_ring_ep_init - attach to the ring at @ring (VMSG_RING_PAGES pages,
 * formatted by the frontend) as @role, with the agreed @max_msg, and bind
 * the bus.  0 or -errno.
 */
int vmsg_ring_ep_init(struct vmsg_ring_ep *ep, enum vmsg_role role,
                      void *ring, uint32_t max_msg,
                      const struct vmsg_ring_prims *prims, void *ctx);
void vmsg_ring_ep_fini(struct vmsg_ring_ep *ep);

/* Driver role: deliver queued events, waiting up to @timeout_ms for one.
 * Returns how many, or -EPIPE / -EPROTO once the backend is gone. */
int vmsg_ring_ep_poll(struct vmsg_ring_ep *ep, int timeout_ms);

/* Driver role, for a caller that sleeps elsewhere (one epoll over the event
 * channels of many buses) and looks with vmsg_ring_ep_poll(ep, 0) when
 * woken: before sleeping, deliver queued events and, if there were none,
 * tell the device to kick us for the next one (then look once more).
 * Returns how many were delivered (the caller must not sleep if > 0), or
 * -EPIPE / -EPROTO once the backend is gone. */
int vmsg_ring_ep_arm(struct vmsg_ring_ep *ep);

/* Device role: deliver queued requests (a bounded batch).  Returns how
 * many, or -EPROTO if the driver broke the ring protocol.  While it serves,
 * the ring tells the driver it need not kick; after, unless polling mode
 * holds that flag, it is cleared, so the caller must serve again while
 * vmsg_ring_ep_pending() (a request put meanwhile came without a kick).
 * Answers to requests the driver queued together share one kick (given
 * when no request is left, after KICK_AGE_US, or before the next request
 * when the last one took that long to serve): not one kick each. */
int vmsg_ring_ep_drain(struct vmsg_ring_ep *ep);
/* The same without consuming an event first (an edge-triggered or
 * busy-polling loop, where nobody kicked us or the kick needs no read). */
int vmsg_ring_ep_serve(struct vmsg_ring_ep *ep);

/* Device role, busy-polling: tell the driver whether we spin on its ring
 * (then it does not kick us), and whether a request is waiting. */
void vmsg_ring_ep_set_polling(struct vmsg_ring_ep *ep, bool on);
bool vmsg_ring_ep_pending(struct vmsg_ring_ep *ep);
/* Device role, the loop thread: answers sent between @on and !@on share
 * one kick, given at !@on (requests a busy-polling loop found in the
 * queues themselves, with no message to serve them by). */
void vmsg_ring_ep_batch(struct vmsg_ring_ep *ep, bool on);

#endif
