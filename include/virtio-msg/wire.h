/* SPDX-License-Identifier: MIT */
/*
 * virtio-msg wire format: one struct per message, exactly as on the wire.
 *
 * Every multi-byte field is little-endian (vmsg_le16/32/64 are plain
 * integers holding little-endian bytes).  All fields are naturally aligned
 * within each message, so the structs need no packing; the static asserts
 * below pin every size and offset to the spec (transport-msg.tex, the
 * revision summarised in shared/spec/virtio-msg-spec.md).
 *
 * Never cast a received buffer to one of these structs: buffers need not be
 * aligned and may live in shared memory.  lib/ copies into a private buffer
 * and decodes with memcpy + leXXtoh (see msg.h).
 */
#ifndef VIRTIO_MSG_WIRE_H
#define VIRTIO_MSG_WIRE_H

#ifdef __KERNEL__                    /* shared with frontend-linux/ */
#include <linux/stddef.h>
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif

typedef uint16_t vmsg_le16;
typedef uint32_t vmsg_le32;
typedef uint64_t vmsg_le64;

/* Header `type` byte. Bits 2..7 are reserved: sent as 0, ignored on receive. */
#define VMSG_TYPE_RESPONSE      0x01u
#define VMSG_TYPE_BUS           0x02u
#define VMSG_TYPE_KNOWN_MASK    0x03u

#define VMSG_HDR_SIZE           8u
/* Spec floor is 44, but SET_VQUEUE/GET_VQUEUE need 48 (spec summary §1). */
#define VMSG_MIN_MAX_SIZE       48u
/* msg_size is 16 bits. */
#define VMSG_ABS_MAX_SIZE       65535u
/* Our buses: a 256-byte config chunk + 12-byte payload header + 8 (DECISIONS.md 1). */
#define VMSG_DEFAULT_MAX_SIZE   276u
#define VMSG_TRANSPORT_REVISION 1u

/* msg_id ranges: bit 6 = event, bit 7 = implementation-defined. */
#define VMSG_ID_EVENT_BIT       0x40u
#define VMSG_ID_IMPL_BIT        0x80u

/* Transport message ids. */
#define VMSG_GET_DEVICE_INFO     0x02u
#define VMSG_GET_DEVICE_FEATURES 0x03u
#define VMSG_SET_DRIVER_FEATURES 0x04u
#define VMSG_GET_CONFIG          0x05u
#define VMSG_SET_CONFIG          0x06u
#define VMSG_GET_DEVICE_STATUS   0x07u
#define VMSG_SET_DEVICE_STATUS   0x08u
#define VMSG_GET_VQUEUE          0x09u
#define VMSG_SET_VQUEUE          0x0Au
#define VMSG_RESET_VQUEUE        0x0Bu
#define VMSG_GET_SHM             0x0Cu
#define VMSG_EVENT_CONFIG        0x40u
#define VMSG_EVENT_AVAIL         0x41u
#define VMSG_EVENT_USED          0x42u

/* Bus message ids. */
#define VMSG_BUS_GET_DEVICES     0x02u
#define VMSG_BUS_PING            0x03u
#define VMSG_BUS_EVENT_DEVICE    0x40u

/* EVENT_DEVICE device_bus_state values. */
#define VMSG_DEVICE_BUS_STATE_READY    0x0001u
#define VMSG_DEVICE_BUS_STATE_REMOVED  0x0002u
#define VMSG_DEVICE_BUS_STATE_IMPL_MIN 0x8000u

/* EVENT_AVAIL next_offset: bits 30..0 offset, bit 31 wrap. */
#define VMSG_AVAIL_WRAP_BIT      0x80000000u
#define VMSG_AVAIL_OFFSET_MASK   0x7FFFFFFFu

struct vmsg_wire_hdr {
    uint8_t   type;
    uint8_t   msg_id;
    vmsg_le16 dev_num;
    vmsg_le16 token;
    vmsg_le16 msg_size;
};

/* ---- transport payloads (offsets relative to the payload) ---- */

struct vmsg_wire_get_device_info_resp {
    vmsg_le32 device_id;
    vmsg_le32 vendor_id;
    vmsg_le32 num_feature_bits;
    vmsg_le32 config_size;
    vmsg_le32 max_virtqueues;
    vmsg_le16 admin_vq_start;
    vmsg_le16 admin_vq_count;
};

struct vmsg_wire_get_device_features_req {
    vmsg_le32 block_index;
    vmsg_le32 num_blocks;
};

/* GET_DEVICE_FEATURES response and SET_DRIVER_FEATURES request. */
struct vmsg_wire_features {
    vmsg_le32 block_index;
    vmsg_le32 num_blocks;
    vmsg_le32 features[];
};

struct vmsg_wire_get_config_req {
    vmsg_le32 offset;
    vmsg_le32 length;
};

/* GET_CONFIG response, SET_CONFIG request and response. */
struct vmsg_wire_config {
    vmsg_le32 generation;
    vmsg_le32 offset;
    vmsg_le32 length;
    uint8_t   data[];
};

/* GET_DEVICE_STATUS response, SET_DEVICE_STATUS request and response. */
struct vmsg_wire_status {
    vmsg_le32 status;
};

/* GET_VQUEUE, RESET_VQUEUE and GET_SHM requests. */
struct vmsg_wire_index {
    vmsg_le32 index;
};

struct vmsg_wire_get_vqueue_resp {
    vmsg_le32 index;
    vmsg_le32 max_size;
    vmsg_le32 cur_size;
    vmsg_le32 reserved;
    vmsg_le64 desc_addr;
    vmsg_le64 driver_addr;
    vmsg_le64 device_addr;
};

struct vmsg_wire_set_vqueue_req {
    vmsg_le32 index;
    vmsg_le32 reserved0;
    vmsg_le32 size;
    vmsg_le32 reserved1;
    vmsg_le64 desc_addr;
    vmsg_le64 driver_addr;
    vmsg_le64 device_addr;
};

struct vmsg_wire_get_shm_resp {
    vmsg_le32 index;
    vmsg_le32 length;
    vmsg_le32 address;
};

struct vmsg_wire_event_config {
    vmsg_le32 device_status;
    vmsg_le32 generation;
    vmsg_le32 offset;
    vmsg_le32 length;
    uint8_t   data[];
};

struct vmsg_wire_event_avail {
    vmsg_le32 vq_index;
    vmsg_le32 next_offset;
};

struct vmsg_wire_event_used {
    vmsg_le32 vq_index;
};

/* ---- bus payloads ---- */

struct vmsg_wire_get_devices_req {
    vmsg_le16 offset;
    vmsg_le16 count;
};

struct vmsg_wire_get_devices_resp {
    vmsg_le16 offset;
    vmsg_le16 count;
    vmsg_le16 next_offset;
    uint8_t   bitmap[];
};

struct vmsg_wire_ping {
    vmsg_le32 data;
};

struct vmsg_wire_event_device {
    vmsg_le16 device_number;
    vmsg_le16 device_bus_state;
};

/* ---- the spec's sizes and offsets, checked by the compiler ---- */
#define VMSG_ASSERT_SIZE(s, n) \
    _Static_assert(sizeof(struct s) == (n), #s " must be " #n " bytes")
#define VMSG_ASSERT_OFF(s, f, n) \
    _Static_assert(offsetof(struct s, f) == (n), #s "." #f " must be at " #n)

VMSG_ASSERT_SIZE(vmsg_wire_hdr, 8);
VMSG_ASSERT_OFF(vmsg_wire_hdr, msg_id, 1);
VMSG_ASSERT_OFF(vmsg_wire_hdr, dev_num, 2);
VMSG_ASSERT_OFF(vmsg_wire_hdr, token, 4);
VMSG_ASSERT_OFF(vmsg_wire_hdr, msg_size, 6);

VMSG_ASSERT_SIZE(vmsg_wire_get_device_info_resp, 24);   /* message 32 */
VMSG_ASSERT_OFF(vmsg_wire_get_device_info_resp, max_virtqueues, 16);
VMSG_ASSERT_OFF(vmsg_wire_get_device_info_resp, admin_vq_start, 20);
VMSG_ASSERT_OFF(vmsg_wire_get_device_info_resp, admin_vq_count, 22);
VMSG_ASSERT_SIZE(vmsg_wire_get_device_features_req, 8); /* message 16 */
VMSG_ASSERT_SIZE(vmsg_wire_features, 8);                /* 16 + 4n */
VMSG_ASSERT_OFF(vmsg_wire_features, features, 8);
VMSG_ASSERT_SIZE(vmsg_wire_get_config_req, 8);          /* message 16 */
VMSG_ASSERT_SIZE(vmsg_wire_config, 12);                 /* 20 + L */
VMSG_ASSERT_OFF(vmsg_wire_config, data, 12);
VMSG_ASSERT_SIZE(vmsg_wire_status, 4);                  /* message 12 */
VMSG_ASSERT_SIZE(vmsg_wire_index, 4);                   /* message 12 */
VMSG_ASSERT_SIZE(vmsg_wire_get_vqueue_resp, 40);        /* message 48 */
VMSG_ASSERT_OFF(vmsg_wire_get_vqueue_resp, reserved, 12);
VMSG_ASSERT_OFF(vmsg_wire_get_vqueue_resp, desc_addr, 16);
VMSG_ASSERT_OFF(vmsg_wire_get_vqueue_resp, driver_addr, 24);
VMSG_ASSERT_OFF(vmsg_wire_get_vqueue_resp, device_addr, 32);
VMSG_ASSERT_SIZE(vmsg_wire_set_vqueue_req, 40);         /* message 48 */
VMSG_ASSERT_OFF(vmsg_wire_set_vqueue_req, size, 8);
VMSG_ASSERT_OFF(vmsg_wire_set_vqueue_req, desc_addr, 16);
VMSG_ASSERT_OFF(vmsg_wire_set_vqueue_req, driver_addr, 24);
VMSG_ASSERT_OFF(vmsg_wire_set_vqueue_req, device_addr, 32);
VMSG_ASSERT_SIZE(vmsg_wire_get_shm_resp, 12);           /* message 20 */
VMSG_ASSERT_SIZE(vmsg_wire_event_config, 16);           /* 24 + L */
VMSG_ASSERT_OFF(vmsg_wire_event_config, data, 16);
VMSG_ASSERT_SIZE(vmsg_wire_event_avail, 8);             /* message 16 */
VMSG_ASSERT_SIZE(vmsg_wire_event_used, 4);              /* message 12 */
VMSG_ASSERT_SIZE(vmsg_wire_get_devices_req, 4);         /* message 12 */
VMSG_ASSERT_SIZE(vmsg_wire_get_devices_resp, 6);        /* 14 + count/8 */
VMSG_ASSERT_OFF(vmsg_wire_get_devices_resp, bitmap, 6);
VMSG_ASSERT_SIZE(vmsg_wire_ping, 4);                    /* message 12 */
VMSG_ASSERT_SIZE(vmsg_wire_event_device, 4);            /* message 12 */

#endif /* VIRTIO_MSG_WIRE_H */
