/* SPDX-License-Identifier: MIT */
/*
 * Device-side transport: turns virtio-msg requests into calls on a device
 * model, so a model (blk, console, rng, net) knows nothing of the bus.
 *
 * vmsg_dev_handle() takes one received message, validates it completely
 * (codec, then the device's state and limits), runs it, and sends the
 * response through the bus.  Anything malformed or illegal is dropped with
 * no reply (spec V10, DECISIONS.md 3) and counted in dev->stats.
 *
 * Threading: vmsg_dev_handle() and the model's callbacks run on one thread
 * per device.  vmsg_dev_notify_used() may be called from queue threads; it
 * only sends through the bus (whose send() is thread-safe) -- unless a
 * hold is set (vmsg_dev_set_hold()): then only on the device's thread.
 */
#ifndef VIRTIO_MSG_DEVICE_H
#define VIRTIO_MSG_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio-msg/bus.h"
#include "virtio-msg/msg.h"
#include "virtio-msg/virtq.h"

#define VMSG_DEV_MAX_QUEUES 64

/* What a device model is; fixed for the device's lifetime. */
struct vmsg_dev_desc {
    uint32_t device_id;
    uint32_t vendor_id;
    uint64_t features;          /* offered, device-specific and reserved bits */
    uint32_t config_size;
    uint16_t num_queues;        /* <= VMSG_DEV_MAX_QUEUES */
    uint16_t queue_max_size;    /* power of two */
};

struct vmsg_dev;

/* The device-model interface.  Every op is optional unless marked. */
struct vmsg_dev_ops {
    /* Copy config bytes [off, off+len) (already range-checked). */
    void (*config_read)(void *model, uint32_t off, void *buf, uint32_t len);
    /* Apply a driver config write; 0, or -EPERM for read-only fields. */
    int (*config_write)(void *model, uint32_t off, const void *buf,
                        uint32_t len);
    /* May the driver use @features (a subset of the offered set)? */
    bool (*features_ok)(void *model, uint64_t features);
    /* DRIVER_OK: queues are configured; start serving. 0 or -errno. */
    int (*start)(void *model, struct vmsg_dev *dev);
    /* Device reset (status 0): stop, drop in-flight work. Required. */
    void (*reset)(void *model);
    /* EVENT_AVAIL for a started queue. Required. */
    void (*queue_notify)(void *model, uint32_t vq);
    /* RESET_VQUEUE: stop using queue @vq before it is unmapped. */
    void (*queue_reset)(void *model, uint32_t vq);
    /* Shared memory region @id; return false if none. */
    bool (*get_shm)(void *model, uint32_t id, uint32_t *len, uint32_t *addr);
};

/* Why requests were dropped; tests and operators read these. */
struct vmsg_dev_stats {
    uint64_t handled;
    uint64_t dropped_malformed;   /* codec rejected it */
    uint64_t dropped_illegal;     /* valid message, not allowed now/here */
    uint64_t events_ignored;      /* EVENT_AVAIL before DRIVER_OK etc. */
    uint64_t avail_polled;        /* queues served by the owner's spin, no EVENT_AVAIL */
    uint64_t send_errors;
    int last_error;               /* -VMSG_E_* or -errno of the last drop */
};

struct vmsg_dev {
    struct vmsg_bus *bus;
    uint16_t dev_num;
    struct vmsg_dev_desc desc;
    const struct vmsg_dev_ops *ops;
    void *model;
    uint8_t status;
    uint64_t driver_features;     /* last SET_DRIVER_FEATURES */
    bool unoffered_features;      /* driver set bits beyond our 64 */
    uint32_t generation;
    bool started;
    struct vmsg_dev_queue {
        uint32_t size;            /* 0: not configured */
        uint64_t desc_addr, driver_addr, device_addr;
        struct vmsg_vq vq;
    } queues[VMSG_DEV_MAX_QUEUES];
    struct vmsg_dev_stats stats;
    uint8_t *txbuf;               /* bus max size; responses and events */
    uint64_t later;               /* queues to serve on the next turn */
    bool polled;                  /* vmsg_dev_set_polled(): queues set up now are too */
    struct vmsg_dev_hold {        /* vmsg_dev_set_hold() */
        unsigned us;              /* 0: every EVENT_USED goes out at once */
        uint64_t queues;          /* queues whose EVENT_USED waits */
        int64_t since_us;         /* the first tick that saw it wait; -1: none yet */
        uint32_t mark;            /* requests taken when the hold began */
        unsigned probation;       /* EVENT_USEDs to send at once before holding again */
        uint64_t held, flushes, idle;   /* EVENT_USEDs held, holds ended, ended idle */
        unsigned max_us;          /* adaptive: @us moves in [MIN, max_us]; 0: fixed */
        uint32_t seen;            /* adaptive: requests taken at the last tick */
        int64_t last_us;          /* adaptive: the tick that saw requests come; -1 */
        uint64_t gap_x64;         /* adaptive: 64 x the driver's gap between requests */
        unsigned idle_run;        /* adaptive: lone holds in a row that ended idle */
        uint32_t answered;        /* adaptive: answers pushed when the hold began */
        uint64_t at_once;         /* EVENT_USEDs sent at once, on probation */
    } hold;
};

/* How a device's queues reach driver memory: @bus's dma_map and unmap
 * (and its batch calls where it has them).  vmsg_dev_init() gives each
 * queue this; a virtqueue used without a vmsg_dev can take it too. */
struct vmsg_vq_mem vmsg_bus_vq_mem(struct vmsg_bus *bus);

/**
 * vmsg_dev_init - bind a device model to a device-role bus.
 * Returns 0, -EINVAL (bad description or missing required op), -ENOMEM.
 */
int vmsg_dev_init(struct vmsg_dev *dev, struct vmsg_bus *bus, uint16_t dev_num,
                  const struct vmsg_dev_desc *desc,
                  const struct vmsg_dev_ops *ops, void *model);

/* Reset the model, unmap every queue and free the device's buffers. */
void vmsg_dev_destroy(struct vmsg_dev *dev);

/**
 * vmsg_dev_handle - process one received message (private copy).
 * Returns 0 if it was handled (a response sent if one was due), or a
 * negative code saying why it was dropped: -VMSG_E_* from the codec,
 * -EPERM (not allowed in this state), -EINVAL (bad value for this
 * device), -ENODEV (not for this device), or the bus's send error.
 */
int vmsg_dev_handle(struct vmsg_dev *dev, const void *buf, size_t len);

/* Same, for an already decoded message. */
int vmsg_dev_handle_msg(struct vmsg_dev *dev, const struct vmsg *m);

/* Queue @vq once started, or NULL. */
struct vmsg_vq *vmsg_dev_queue(struct vmsg_dev *dev, uint32_t vq);

/* Negotiated features (valid once FEATURES_OK was accepted). */
static inline uint64_t vmsg_dev_features(const struct vmsg_dev *dev)
{
    return dev->driver_features;
}

/*
 * A model that stops serving queue @vq with requests left (its share of a
 * turn used up, so that other queues and frontends get theirs) asks to
 * be served again: its queue_notify runs from vmsg_dev_serve_later() on
 * the backend's next turn for this device, with no EVENT_AVAIL needed
 * (the model keeps notifications off meanwhile).  A reset forgets it.
 */
void vmsg_dev_want_later(struct vmsg_dev *dev, uint32_t vq);
/* Whether a queue waits for that turn. */
static inline bool vmsg_dev_has_later(const struct vmsg_dev *dev)
{
    return dev->later != 0;
}
/* Run the queues that asked, in order (each may ask again). */
void vmsg_dev_serve_later(struct vmsg_dev *dev);

/*
 * Busy-polling owners (a backend loop that spins after work): while
 * polled, a queue a model drains keeps EVENT_AVAIL off (vmsg_vq_set_polled())
 * and the owner's spin calls vmsg_dev_poll_queues(), which serves each
 * such queue the driver added to: a driver that submits while we spin
 * sends no message at all.  Before the owner sleeps it calls
 * vmsg_dev_set_polled(dev, false), which gives the queues their
 * notifications back and serves those that got requests meanwhile.  A
 * queue the driver sets up meanwhile is polled from the start.  Both
 * return true if a queue was served.  vmsg_dev_quiet_pending() only
 * looks: whether vmsg_dev_poll_queues() would find a queue to serve.
 */
bool vmsg_dev_set_polled(struct vmsg_dev *dev, bool on);
bool vmsg_dev_poll_queues(struct vmsg_dev *dev);
bool vmsg_dev_quiet_pending(const struct vmsg_dev *dev);

/* Send EVENT_USED for @vq if the ring asks for it (or, with a hold set,
 * perhaps later: vmsg_dev_hold_tick()).  0 or -errno. */
int vmsg_dev_notify_used(struct vmsg_dev *dev, uint32_t vq);

/*
 * Notification hold (interrupt moderation, as NVMe's aggregation time or
 * ethtool's rx-usecs): with @us > 0, an EVENT_USED that is due waits
 * until @us after the first vmsg_dev_hold_tick() that sees it, so answers
 * that complete meanwhile reach the driver with one interrupt.  That pays
 * when the driver keeps submitting while it waits (many requests in
 * flight): a hold in which no new request came means the driver waits
 * on us, and the next VMSG_DEV_HOLD_PROBATION go out at once, then one is
 * held again to see.  The owner calls vmsg_dev_hold_tick() from its loop
 * (with @force before it sleeps), on the device's thread.  0: off.
 */
#define VMSG_DEV_HOLD_PROBATION 32
void vmsg_dev_set_hold(struct vmsg_dev *dev, unsigned us);
/*
 * An adaptive hold, for drivers of any pace: the owner's ticks time the
 * driver's requests as they come, and a hold ends once the driver has
 * sent nothing for VMSG_DEV_HOLD_GAPS of its gap between them (an average
 * over about the last eight, from VMSG_DEV_HOLD_START_GAP_US, in
 * [VMSG_DEV_HOLD_MIN_US, @max_us]), or @max_us after it began: long
 * enough for a driver that keeps submitting to send more, so that one
 * that sends nothing in it waits on us, and as long as the driver keeps
 * submitting, up to the ceiling.  Idle holds in a row that held a lone
 * answer for a driver with nothing else out (its used_event says so: a
 * driver at depth 1) double the probation after each (up to
 * 2^VMSG_DEV_HOLD_BACKOFF times VMSG_DEV_HOLD_PROBATION), so such a
 * driver pays one hold in about a thousand requests.  @max_us under the
 * minimum: a fixed hold.
 */
#define VMSG_DEV_HOLD_GAPS 6
#define VMSG_DEV_HOLD_START_GAP_US 5
#define VMSG_DEV_HOLD_MIN_US 4
#define VMSG_DEV_HOLD_BACKOFF 5
void vmsg_dev_set_hold_adaptive(struct vmsg_dev *dev, unsigned max_us);
/* The owner's option: a fixed hold of @us, or an adaptive one up to it. */
static inline void vmsg_dev_set_hold_as(struct vmsg_dev *dev, unsigned us, bool adaptive)
{
    if (adaptive)
        vmsg_dev_set_hold_adaptive(dev, us);
    else
        vmsg_dev_set_hold(dev, us);
}
/* Send the held EVENT_USEDs whose time has come at @now_us (all of them
 * if @force); true while some still wait. */
bool vmsg_dev_hold_tick(struct vmsg_dev *dev, int64_t now_us, bool force);
/* "N EVENT_USEDs held in N holds (N ended idle ...)" for a log line
 * (and, adaptive, the hold's time now and the gap it came from). */
void vmsg_dev_hold_note(const struct vmsg_dev *dev, char *buf, size_t len);

/* The model changed config: bump the generation and send EVENT_CONFIG
 * with the changed bytes (or length 0 if they do not fit). */
int vmsg_dev_config_changed(struct vmsg_dev *dev, uint32_t off, uint32_t len);

/* Unrecoverable error: set DEVICE_NEEDS_RESET and tell the driver. */
int vmsg_dev_needs_reset(struct vmsg_dev *dev);

#endif /* VIRTIO_MSG_DEVICE_H */
