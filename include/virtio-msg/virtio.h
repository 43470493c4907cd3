/* SPDX-License-Identifier: MIT */
/*
 * Virtio core facts used by the transport and the device models: status
 * bits, reserved feature bits, device ids and the split and packed ring
 * layouts (virtio 1.2 §2.1, §2.7, §2.8, §5, §6).  All ring fields are
 * little-endian (VERSION_1).
 */
#ifndef VIRTIO_MSG_VIRTIO_H
#define VIRTIO_MSG_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE        1u
#define VIRTIO_STATUS_DRIVER             2u
#define VIRTIO_STATUS_DRIVER_OK          4u
#define VIRTIO_STATUS_FEATURES_OK        8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED             128u

/* Reserved (device-independent) feature bits. */
#define VIRTIO_F_INDIRECT_DESC      28
#define VIRTIO_F_EVENT_IDX          29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_ACCESS_PLATFORM    33
#define VIRTIO_F_RING_PACKED        34
#define VIRTIO_F_IN_ORDER           35
#define VIRTIO_F_NOTIFICATION_DATA  38
#define VIRTIO_F_RING_RESET         40

#define VIRTIO_BIT(b) (1ull << (b))

/* Device ids (virtio 1.2 §5). */
#define VIRTIO_ID_NET      1
#define VIRTIO_ID_BLOCK    2
#define VIRTIO_ID_CONSOLE  3
#define VIRTIO_ID_RNG      4

/* Split ring. */
#define VRING_DESC_F_NEXT      1
#define VRING_DESC_F_WRITE     2
#define VRING_DESC_F_INDIRECT  4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY     1

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vring_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];   /* then le16 used_event with EVENT_IDX */
};

struct vring_used_elem {
    uint32_t id;
    uint32_t len;
};

struct vring_used {
    uint16_t flags;
    uint16_t idx;
    struct vring_used_elem ring[];  /* then le16 avail_event */
};

_Static_assert(sizeof(struct vring_desc) == 16, "vring_desc is 16 bytes");
_Static_assert(sizeof(struct vring_used_elem) == 8, "used elem is 8 bytes");

/* Ring part sizes for a queue of @num entries, event-idx words included. */
static inline uint64_t vring_desc_size(uint32_t num)
{
    return 16ull * num;
}

static inline uint64_t vring_avail_size(uint32_t num)
{
    return 6ull + 2ull * num;
}

static inline uint64_t vring_used_size(uint32_t num)
{
    return 6ull + 8ull * num;
}

/* The event-idx rule: notify if new_idx passed event_idx since old_idx. */
static inline int vring_need_event(uint16_t event_idx, uint16_t new_idx,
                                   uint16_t old_idx)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/*
 * Packed ring (§2.8): one ring of descriptors that the driver makes
 * available and the device marks used in place, each side with a wrap
 * counter that starts at 1.  A descriptor is available when its AVAIL bit
 * equals the driver's wrap counter and its USED bit does not; used when
 * both equal the device's.  NEXT, WRITE and INDIRECT are the split ring's
 * bits; a chain's descriptors follow each other in the ring, an indirect
 * table's in the table (only WRITE counts there).
 */
#define VRING_PACKED_DESC_F_AVAIL  (1u << 7)
#define VRING_PACKED_DESC_F_USED   (1u << 15)

struct vring_packed_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t id;       /* buffer id: the driver's, echoed in the used one */
    uint16_t flags;
};

/* Event suppression: the driver area is the driver's (when the device
 * should send used-buffer notifications), the device area the device's. */
#define VRING_PACKED_EVENT_F_ENABLE   0
#define VRING_PACKED_EVENT_F_DISABLE  1
#define VRING_PACKED_EVENT_F_DESC     2   /* at off_wrap (EVENT_IDX) */
#define VRING_PACKED_EVENT_WRAP_SHIFT 15

struct vring_packed_event {
    uint16_t off_wrap; /* descriptor offset, bit 15 its wrap counter */
    uint16_t flags;
};

_Static_assert(sizeof(struct vring_packed_desc) == 16, "packed desc is 16 bytes");
_Static_assert(sizeof(struct vring_packed_event) == 4, "packed event is 4 bytes");

/* A packed ring position @n descriptors on, its wrap counter flipped
 * when it passes the end of a ring of @num. */
static inline void vring_packed_advance(uint16_t *idx, bool *wrap, uint16_t n,
                                        uint16_t num)
{
    uint32_t next = (uint32_t)*idx + n;

    if (next >= num) {
        next -= num;
        *wrap = !*wrap;
    }
    *idx = (uint16_t)next;
}

static inline uint16_t vring_packed_off_wrap(uint16_t idx, bool wrap)
{
    return (uint16_t)(idx | (unsigned)wrap << VRING_PACKED_EVENT_WRAP_SHIFT);
}

/* The event-idx rule on a packed ring: notify if the position @off_wrap
 * names lies in [old, now), the positions gone through since the last
 * notification (at most a lap of @num, so each wrap counter says which
 * lap a position is in). */
static inline bool vring_packed_need_event(uint16_t off_wrap, uint16_t num,
                                           uint16_t old, bool old_wrap,
                                           uint16_t now, bool now_wrap)
{
    uint32_t ev = off_wrap & 0x7fffu, end = now;

    if (now_wrap != old_wrap)
        end += num;
    if ((bool)(off_wrap >> VRING_PACKED_EVENT_WRAP_SHIFT) != old_wrap)
        ev += num;
    return ev >= old && ev < end;
}

#endif /* VIRTIO_MSG_VIRTIO_H */
