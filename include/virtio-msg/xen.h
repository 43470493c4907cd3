/* SPDX-License-Identifier: MIT */
/*
 * The Xen bus: virtio-msg between a frontend domain (driver role) and a
 * backend domain (device role) over a granted message ring, an
 * interdomain event channel and the xenstore handshake of Xen's split
 * drivers.  One xenstore device = one bus = one virtio device (dev_num 0).
 *
 *   frontend /local/domain/<fe>/device/virtio_msg/<id>/
 *     backend backend-id state ring-pages ring-ref0.. event-channel
 *     msg-size feature-persistent [pool-ref pool-pages]
 *   backend  /local/domain/<be>/backend/virtio_msg/<fe>/<id>/
 *     frontend frontend-id online state type params max-msg-size msg-size
 *
 * Only grants, event channels and xenstore are used (no foreign mapping,
 * no privileged calls), so the backend also runs in a driver domain.
 */
#ifndef VIRTIO_MSG_XEN_H
#define VIRTIO_MSG_XEN_H

#include <stdbool.h>
#include <stdint.h>

#include "../../bus/common/ring_ep.h"
#include "../../bus/common/grant_pool.h"
#include "../../bus/xen/gnt_share.h"

#define VMSG_XEN_KIND        "virtio_msg"
#define VMSG_XEN_MAX_MSG     1024u   /* what either side agrees to at most */
#define VMSG_XEN_POOL_PAGES  512u    /* default frontend DMA pool (2 MiB) */

/* XenbusState (xen/include/public/io/xenbus.h) */
enum vmsg_xenbus_state {
    VMSG_XB_UNKNOWN = 0, VMSG_XB_INITIALISING = 1, VMSG_XB_INITWAIT = 2,
    VMSG_XB_INITIALISED = 3, VMSG_XB_CONNECTED = 4, VMSG_XB_CLOSING = 5,
    VMSG_XB_CLOSED = 6,
};

struct xs_handle;
struct xenevtchn_handle;
struct xengntdev_handle;

/* ---- frontend (driver role), in the guest ---- */
struct vmsg_xen_fe {
    struct vmsg_ring_ep ep;          /* ep.bus: give to vmsg_drv */
    struct xs_handle *xs;
    struct xenevtchn_handle *xce;
    struct gnt_share share;          /* ring + DMA pool, ascending refs */
    uint32_t domid, be_domid, devid;
    char fe_path[96], be_path[128];
    struct vmsg_gpool pool;          /* ring + DMA pages, shared once */
    void *ring;                      /* = share.mem */
    int port;
    bool connected;
    bool transient;                  /* published feature-persistent=0 */
};

/* Publish feature-persistent=0: the backend then maps each request's
 * buffers and releases them before it answers (the pool's grants are
 * kept all the same).  For tests of that path; slower. */
#define VMSG_XEN_FE_TRANSIENT 1u

/**
 * vmsg_xen_fe_connect - connect device/virtio_msg/@devid of this domain:
 * wait up to @wait_ms for the backend's InitWait, share the ring and a
 * DMA pool of @pool_pages with it, bind an event channel, publish them
 * (feature-persistent=1 unless @flags has VMSG_XEN_FE_TRANSIENT) and wait
 * for Connected.  0 or -errno (-ENOENT: no such device; -ETIMEDOUT: the
 * backend did not answer; -ENOSYS: no Xen here; -EINVAL: bad arguments).
 */
int vmsg_xen_fe_connect(struct vmsg_xen_fe *fe, uint32_t devid,
                        uint32_t pool_pages, unsigned flags, int wait_ms);
/* Closing -> wait (bounded) for the backend -> unshare -> Closed. */
void vmsg_xen_fe_close(struct vmsg_xen_fe *fe);

/* ---- backend (device role): one per device, handles shared ---- */
struct vmsg_xen_mapcache;

struct vmsg_xen_be {
    struct vmsg_ring_ep ep;          /* ep.bus: give to vmsg_dev */
    struct xenevtchn_handle *xce;    /* shared by every device */
    struct xengntdev_handle *xgt;
    uint32_t fe_domid;
    void *ring;
    int port;                        /* our local port, -1 if unbound */
    struct vmsg_xen_mapcache *cache; /* NULL: map per request */
    uint8_t *pool;                   /* the frontend's pool, mapped once, or NULL */
    uint32_t pool_ref, pool_pages;   /* as announced (pool_pages 0: none) */
    uint64_t maps, unmaps, map_fails;
    uint64_t copies, copy_fails;     /* small requests copied (no persistent grants) */
    uint32_t copy_max;               /* without persistent grants: copy a request with
                                      * up to this many device-writable bytes, map
                                      * larger ones */
    uint64_t copy_held;              /* bytes of copied requests not yet done */
};

/* A pool the frontend announces (pool-ref, pool-pages: consecutive refs it
 * never revokes) is mapped whole at connect if it has at most this many
 * pages (64 MiB); a larger one, or one that cannot be mapped, goes through
 * the cache like any other persistent grant. */
#define VMSG_XEN_POOL_MAP_MAX 16384u

/* Grant copy beats a map and unmap but for large reads (bus/xen/xen_be.c). */
#define VMSG_XEN_COPY_MAX_DEFAULT 65536u
#define VMSG_XEN_COPY_MAX_LIMIT (1u << 22)
/* Copies held by one device's requests in flight, at most (then maps). */
#define VMSG_XEN_COPY_HELD_MAX (32u << 20)

/**
 * vmsg_xen_be_connect - read the frontend's transport nodes under
 * @fe_path (ring-ref*, event-channel, msg-size, feature-persistent,
 * pool-ref, pool-pages) once, validate them, map the ring (and the pool),
 * bind the event channel.  @max_msg is our
 * limit; the agreed size is in be->ep.max_msg.  0 or -errno with @err set.
 */
int vmsg_xen_be_connect(struct vmsg_xen_be *be, struct xs_handle *xs,
                        struct xenevtchn_handle *xce,
                        struct xengntdev_handle *xgt, uint32_t fe_domid,
                        const char *fe_path, uint32_t max_msg,
                        char *err, size_t errlen);
/* Deliver queued messages (bounded batch); -EPROTO on a broken ring. */
int vmsg_xen_be_drain(struct vmsg_xen_be *be);
/* Unbind, unmap everything; safe on a zeroed or failed instance. */
void vmsg_xen_be_close(struct vmsg_xen_be *be);
/* Grant mappings held now (ring included). */
uint64_t vmsg_xen_be_held(const struct vmsg_xen_be *be);

#endif
