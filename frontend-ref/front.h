/* SPDX-License-Identifier: MIT */
/*
 * The reference frontend library: connect to a backend over the host bus,
 * enumerate with GET_DEVICES, bring each device up exactly as the spec's
 * driver rules say (vmsg_drv_*), and run virtqueues.  The backend is
 * untrusted: used lengths are checked against what was offered, and any
 * transport failure marks the device broken.
 */
#ifndef VMSG_FRONT_H
#define VMSG_FRONT_H

#include <stdint.h>

#include "virtio-msg/driver.h"
#include "virtio-msg/host.h"
#include "virtio-msg/virtq.h"

#define VF_MAX_DEVS   64
#define VF_MAX_QUEUES 8
#define VF_POLL_MAX_DEFAULT_US 256   /* adaptive spin for answers, at most (--poll-max) */
#define VF_POLL_MAX_DEFAULT_STR POLL_XSTR_(VF_POLL_MAX_DEFAULT_US)

struct vf;
struct vmsg_xen_fe;

struct vf_queue {
    struct vmsg_vring vr;
    void *mem;
    uint64_t addr;
    size_t size;
    bool live;
};

struct vf_dev {
    struct vf *vf;
    struct vmsg_drv drv;
    struct vf_queue q[VF_MAX_QUEUES];
    unsigned nq;
    uint64_t features;
    uint64_t used_events;
    bool removed;                    /* EVENT_DEVICE REMOVED seen */
};

struct vf {
    struct vmsg_ring_ep *ep;         /* the connected bus: host or Xen */
    struct vmsg_host_fe host;
    struct vmsg_xen_fe *xen;
    struct vf_dev *devs[VF_MAX_DEVS];
    int ndev;
    /* EVENT_DEVICE notices, handled outside the rx path by vf_hotplug() */
    struct { uint16_t num, state; } hp[64];
    unsigned nhp;
    uint64_t hp_lost;
    bool packed;                     /* ask for packed rings (--packed) */
};

/* A DMA buffer the backend can reach.  Its bus addresses are one run from
 * @addr, or (@frag) per page: use vf_buf_sg() to describe parts of it. */
struct vf_buf {
    uint8_t *p;
    uint64_t addr;
    size_t size;
    bool frag;
};

/*
 * Connect, retrying for up to @wait_ms while no backend answers: @where is
 * a host-bus socket path (connecting as @domid), or "xen:DEVID" for the
 * Xen bus device device/virtio_msg/DEVID of the domain we run in.
 */
int vf_connect(struct vf *vf, const char *where, uint32_t domid, int wait_ms);
/* Deliver events from the backend, waiting up to @timeout_ms. */
int vf_poll(struct vf *vf, int timeout_ms);
/*
 * For a caller that waits on many connections at once (host bus only:
 * -ENOTSUP on Xen): *kick_fd becomes readable when the backend kicks us
 * (watch it edge-triggered: it is never read), *hup_fd reports the
 * backend's hang-up (EPOLLRDHUP; it carries no data).  Call vf_arm()
 * before sleeping on them: it delivers queued events and makes sure the
 * next one comes with a kick; it returns how many it delivered (do not
 * sleep if > 0) or -errno.  When woken, vf_poll(vf, 0) delivers what came.
 */
int vf_wait_fds(struct vf *vf, int *kick_fd, int *hup_fd);
int vf_arm(struct vf *vf);
/* GET_DEVICES, then GET_DEVICE_INFO on each: fills vf->devs. */
int vf_enumerate(struct vf *vf);
void vf_close(struct vf *vf);

/* Negotiate @wanted, set up @nq queues of @qsize, DRIVER_OK. */
int vf_dev_start(struct vf_dev *d, uint64_t wanted, unsigned nq, uint16_t qsize);
/* Reset the device and free its queues. */
void vf_dev_stop(struct vf_dev *d);
/* Find the first device of virtio type @id, or NULL. */
struct vf_dev *vf_find(struct vf *vf, uint32_t device_id);

int vf_buf_alloc(struct vf *vf, struct vf_buf *b, size_t size);
void vf_buf_free(struct vf *vf, struct vf_buf *b);
/* Scatter-gather entries for [@off, @off + @len) of @b, one per run of
 * consecutive bus addresses: how many (<= @max), or -E2BIG / -EINVAL. */
int vf_buf_sg(struct vf *vf, const struct vf_buf *b, size_t off, size_t len,
              struct vmsg_sg *sg, int max);

/* Expose buffers on queue @q and notify the device if it wants it. */
int vf_submit(struct vf_dev *d, unsigned q, const struct vmsg_sg *sg,
              unsigned out, unsigned in, void *token);
/* Next completed token on @q (waiting up to @timeout_ms); NULL on timeout
 * or error (-errno in *err). */
void *vf_wait(struct vf_dev *d, unsigned q, uint32_t *len, int timeout_ms, int *err);

/* front_xen.c: the Xen bus (-ENOTSUP where built without Xen). */
int vf_connect_xen(struct vf *vf, const char *devid, int wait_ms);
void vf_close_xen(struct vf *vf);

const char *vf_type_name(uint32_t device_id);

/*
 * Handle queued EVENT_DEVICE notices (D53): READY probes the device with
 * GET_DEVICE_INFO and adds it (tolerating duplicates); REMOVED stops and
 * forgets it.  @report, if set, is told about each change.  Returns the
 * number of notices handled.
 */
int vf_hotplug(struct vf *vf, void (*report)(void *opaque, uint16_t num,
               uint16_t state, const struct vf_dev *d), void *opaque);

#endif
