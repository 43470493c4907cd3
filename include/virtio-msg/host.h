/* SPDX-License-Identifier: MIT */
/*
 * The host bus: virtio-msg between two processes on plain Linux, built from
 * the same primitives as the Xen bus (granted pages, event channels, the
 * shared message ring).  See bus/host/ and README "Host bus".
 */
#ifndef VIRTIO_MSG_HOST_H
#define VIRTIO_MSG_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio-msg/bus.h"
#include "../../bus/common/ring_ep.h"
#include "../../bus/host/host_grant.h"

#define VMSG_HOST_DEFAULT_SOCKET "/tmp/virtio-msg-host.sock"
#define VMSG_HOST_TIMEOUT_MS VMSG_RING_EP_TIMEOUT_MS

/* ---- frontend (driver role) ---- */
struct vmsg_host_fe {
    struct vmsg_ring_ep ep;           /* ep.bus: give to vmsg_drv */
    int sock, ev_to_be, ev_to_fe;
    int epfd;                         /* waits on ev_to_fe (edge) and sock */
    struct hg_pool pool;
    void *ring_mem;
    uint32_t ring_gref;
    bool closed;
};

/**
 * vmsg_host_fe_connect - create a pool of @pool_pages, grant the ring and
 * connect to the backend at @path as @domid.  0 or -errno (-ECONNREFUSED
 * with no backend, -EPERM/-EEXIST/... as the backend answered).
 */
int vmsg_host_fe_connect(struct vmsg_host_fe *fe, const char *path,
                         uint32_t domid, uint32_t pool_pages);
void vmsg_host_fe_close(struct vmsg_host_fe *fe);

/* Wait up to @timeout_ms for messages from the backend and deliver them to
 * the bus rx callback.  Returns how many, or -EPIPE if the backend left. */
int vmsg_host_fe_poll(struct vmsg_host_fe *fe, int timeout_ms);

/* ---- backend (device role), one per connected frontend ---- */
struct vmsg_host_be {
    struct vmsg_ring_ep ep;           /* ep.bus: give to vmsg_dev */
    int sock, ev_to_be, ev_to_fe;
    uint32_t domid;
    struct hg_map map;
    void *ring;
};

/* Listen on @path (replacing a stale socket). Returns the fd or -errno. */
int vmsg_host_listen(const char *path);

/**
 * vmsg_host_be_accept - take one connection from @listen_fd, validate the
 * frontend's HELLO (pool, grants, ring, eventfds) and answer it.
 * @accept_domid decides whether that domid may connect (NULL: anyone);
 * returns 0 or -errno to refuse.  0 or -errno.
 */
int vmsg_host_be_accept(struct vmsg_host_be *be, int listen_fd,
                        int (*accept_domid)(void *opaque, uint32_t domid),
                        void *opaque, uint32_t max_msg);

/*
 * Consume the kick on ev_to_be and deliver queued messages (at most a batch,
 * for fairness) to the rx callback: for a loop that watches ev_to_be
 * level-triggered.  Returns how many, or -EPROTO if the frontend broke the
 * ring protocol.  A loop that watches it edge-triggered (EPOLLET: every kick
 * is an edge) calls vmsg_ring_ep_serve() instead, never reads the eventfd,
 * and serves again while vmsg_ring_ep_pending() (virtio-msg-backend does).
 */
int vmsg_host_be_drain(struct vmsg_host_be *be);
void vmsg_host_be_close(struct vmsg_host_be *be);

#endif
