/* SPDX-License-Identifier: MIT */
/*
 * Virtqueue helpers for both sides: split rings, and packed rings
 * (VIRTIO_F_RING_PACKED: lib/virtq_packed.c, lib/vring_packed.c) behind
 * the same calls.
 *
 * Device side (struct vmsg_vq): walks rings written by an untrusted driver.
 * Ring memory and buffers are reached only through a map callback (the bus's
 * dma_map); every index and descriptor is read once into private memory and
 * checked before use: head and next below the ring size, chains no longer
 * than the ring (loops), indirect tables a whole number of descriptors, no
 * zero lengths, no readable buffer after a writable one, no address
 * overflow, at most VMSG_VQ_MAX_IOV pieces.  The first violation marks the
 * queue broken; a broken queue does nothing until vmsg_vq_reset().
 *
 * Driver side (struct vmsg_vring): builds rings in memory from the bus's
 * dma_alloc, keeps its own copy of descriptor state, and accepts a used
 * entry only for an outstanding head.
 *
 * Neither side locks: one thread per queue at a time.
 */
#ifndef VIRTIO_MSG_VIRTQ_H
#define VIRTIO_MSG_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio-msg/virtio.h"

#define VMSG_VQ_MAX_IOV 512

struct vmsg_dma_range;

/* How the device side reaches driver memory. */
struct vmsg_vq_mem {
    void *(*map)(void *ctx, uint64_t addr, size_t *len, bool write);
    void (*unmap)(void *ctx, void *ptr, size_t len);   /* optional */
    void *ctx;
    /* Optional, both or neither: a request's buffers in one call (the
     * bus's dma_map_batch; NULL + EOPNOTSUPP: map them one by one). */
    void *(*map_batch)(void *ctx, const struct vmsg_dma_range *r, unsigned n, void **ptr);
    void (*unmap_batch)(void *ctx, void *handle);
};

/* One popped request: readable pieces first, then writable ones. */
struct vmsg_vq_elem {
    uint16_t head;             /* split: chain head; packed: buffer id */
    uint16_t ndesc;            /* packed: ring descriptors the chain took */
    uint16_t out_num;          /* iov[0 .. out_num) driver -> device */
    uint16_t in_num;           /* iov[out_num .. out_num+in_num) device -> driver */
    uint32_t epoch;            /* queue epoch at pop; stale after a reset */
    uint64_t out_len;
    uint64_t in_len;
    void *batch;               /* map_batch() handle of every iov, or NULL */
    struct iovec iov[VMSG_VQ_MAX_IOV];
};

struct vmsg_vq {
    uint16_t num;
    bool ready;
    bool broken;
    bool event_idx;
    bool indirect;
    bool notify_off;           /* set_notification(false): EVENT_AVAIL not wanted */
    bool polled;               /* the owner spins on avail->idx: EVENT_AVAIL stays off */
    bool quieted;              /* asked on while polled: the owner's spin serves it */
    uint16_t last_avail;       /* next avail entry to take */
    uint16_t used_idx;         /* our copy of used->idx */
    uint16_t signalled_used;
    bool signalled_valid;
    uint32_t epoch;
    uint32_t inflight;
    const char *why;           /* first violation, for logs */
    volatile struct vring_desc *desc;
    volatile struct vring_avail *avail;
    volatile struct vring_used *used;
    /* Packed ring (VIRTIO_F_RING_PACKED): last_avail and used_idx are
     * offsets into it, each with its wrap counter. */
    bool packed;
    bool avail_wrap, used_wrap, signalled_wrap;
    volatile struct vring_packed_desc *pdesc;
    volatile struct vring_packed_event *drv_event;  /* driver area: read */
    volatile struct vring_packed_event *dev_event;  /* device area: ours */
    struct vmsg_vq_mem mem;
};

/**
 * vmsg_vq_setup - map the rings of a queue the driver configured.
 * @features: negotiated features (EVENT_IDX, INDIRECT_DESC and RING_PACKED
 * are used).  With RING_PACKED @desc is the ring, @avail the driver area
 * and @used the device area (event suppression).
 *
 * Returns 0, -EINVAL for a size out of 1..32768 (split: not a power of
 * two) or a misaligned ring, -EFAULT if a ring cannot be mapped whole.
 */
int vmsg_vq_setup(struct vmsg_vq *vq, const struct vmsg_vq_mem *mem,
                  uint16_t num, uint64_t desc, uint64_t avail, uint64_t used,
                  uint64_t features);

/* Unmap the rings and forget all state; elements popped before are stale. */
void vmsg_vq_reset(struct vmsg_vq *vq);

/**
 * vmsg_vq_pop - take the next available request.
 * Returns 1 with @elem filled, 0 if none is available, -EIO if the queue is
 * (now) broken; vq->why says why.
 */
int vmsg_vq_pop(struct vmsg_vq *vq, struct vmsg_vq_elem *elem);

/**
 * vmsg_vq_push - complete @elem, @len bytes written to its in-buffers
 * (clamped to in_len), and release its mappings.  A stale element (popped
 * before a reset) is only released.
 */
void vmsg_vq_push(struct vmsg_vq *vq, struct vmsg_vq_elem *elem, uint32_t len);

/* Release @elem's mappings without completing it (queue being reset). */
void vmsg_vq_discard(struct vmsg_vq *vq, struct vmsg_vq_elem *elem);

/* After pushes: should the driver get an EVENT_USED? (event-idx aware) */
bool vmsg_vq_should_notify(struct vmsg_vq *vq);

/* With EVENT_IDX: the requests we took whose answers the driver has not
 * yet looked at, as its used_event says (the driver's depth, as far as it
 * is ours to see); 0 when unknown (no EVENT_IDX, not ready, or a
 * used_event ahead of what we took). */
uint16_t vmsg_vq_driver_pending(const struct vmsg_vq *vq);

/* Ask the driver to (not) send EVENT_AVAIL; returns true if work is pending
 * after enabling (the caller must then pop again).  With EVENT_IDX,
 * "not" means avail_event stays where it is: pops move it only while
 * notifications are on, so a device serving request after request hears
 * at most once from a driver that keeps adding them. */
bool vmsg_vq_set_notification(struct vmsg_vq *vq, bool enable);

/*
 * While the device's owner spins (busy-polling), it can look at the
 * driver's avail->idx itself instead of hearing EVENT_AVAIL, as vhost's
 * busy-poll does: with @on, set_notification(true) leaves notifications
 * off and marks the queue quieted, and vmsg_vq_quiet_pending() says when
 * the driver added to it.  With !@on a quieted queue gets notifications
 * back; returns true if requests came meanwhile (the caller serves them).
 */
bool vmsg_vq_set_polled(struct vmsg_vq *vq, bool on);
/* A quieted queue with requests to take (the owner's spin serves it). */
bool vmsg_vq_quiet_pending(const struct vmsg_vq *vq);

/* ---- driver side ---- */

struct vmsg_sg {
    uint64_t addr;
    uint32_t len;
};

struct vmsg_vring {
    uint16_t num;
    bool event_idx;
    bool broken;
    uint16_t free_head;
    uint16_t num_free;
    uint16_t avail_idx;        /* our shadow of avail->idx */
    uint16_t kicked_idx;       /* avail_idx at the last kick decision */
    uint16_t last_used;
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    uint64_t desc_addr, avail_addr, used_addr;
    void **token;              /* per head: caller's token, NULL if free */
    uint16_t *chain_len;       /* per head: descriptors in the chain */
    uint16_t *next;            /* private copy of the free/chain links */
    /* Packed ring (vmsg_vring_init_packed()): heads are buffer ids, the
     * free list is one of ids, avail_idx, kicked_idx and last_used are
     * ring offsets with their wrap counters. */
    bool packed;
    bool avail_wrap, kicked_wrap, used_wrap;
    struct vring_packed_desc *pdesc;
    struct vring_packed_event *drv_event;  /* ours */
    struct vring_packed_event *dev_event;  /* the device's */
};

/* Bytes of DMA memory a ring of @num entries needs (one block). */
size_t vmsg_vring_mem_size(uint16_t num);

/**
 * vmsg_vring_init - lay a ring out in @mem (bus address @addr), zeroed.
 * Returns 0, -EINVAL for a bad size, -ENOMEM.
 */
int vmsg_vring_init(struct vmsg_vring *vr, void *mem, uint64_t addr,
                    uint16_t num, bool event_idx);
void vmsg_vring_destroy(struct vmsg_vring *vr);

/* The same for a packed ring (VIRTIO_F_RING_PACKED negotiated): any size
 * in 1..32768; desc_addr, avail_addr and used_addr are then the ring, the
 * driver area and the device area for SET_VQUEUE.  Every call below
 * works on either. */
size_t vmsg_vring_packed_mem_size(uint16_t num);
int vmsg_vring_init_packed(struct vmsg_vring *vr, void *mem, uint64_t addr,
                           uint16_t num, bool event_idx);

/**
 * vmsg_vring_add - expose @out readable then @in writable pieces.
 * Returns 0, -ENOSPC if not enough free descriptors, -EINVAL, -EIO broken.
 */
int vmsg_vring_add(struct vmsg_vring *vr, const struct vmsg_sg *sg,
                   unsigned out, unsigned in, void *token);

/**
 * vmsg_vring_add_indirect - like vmsg_vring_add, but the chain is written
 * into @table (DMA memory at bus address @table_addr, at least 16 bytes per
 * piece, owned by the caller until the token comes back) and takes one ring
 * descriptor.  Needs VIRTIO_F_INDIRECT_DESC negotiated.
 */
int vmsg_vring_add_indirect(struct vmsg_vring *vr, const struct vmsg_sg *sg,
                            unsigned out, unsigned in, void *token,
                            void *table, uint64_t table_addr);

/* Publish added buffers; true if the device asked to be notified. */
bool vmsg_vring_kick_prepare(struct vmsg_vring *vr);

/**
 * vmsg_vring_get_used - next completed buffer.
 * Returns its token and *len, or NULL if none.  A used entry naming a head
 * that is not outstanding, or a used index that ran ahead, marks the ring
 * broken (vr->broken) and returns NULL.
 */
void *vmsg_vring_get_used(struct vmsg_vring *vr, uint32_t *len);

/* Ask for (or suppress) EVENT_USED; true if used entries are pending. */
bool vmsg_vring_enable_cb(struct vmsg_vring *vr);
void vmsg_vring_disable_cb(struct vmsg_vring *vr);

#endif /* VIRTIO_MSG_VIRTQ_H */
