/* SPDX-License-Identifier: MIT */
/*
 * Decoded virtio-msg messages and the codec.
 *
 * struct vmsg is the host-order view of one message.  vmsg_decode() fills it
 * from a byte buffer after validating *everything* (header, size for the
 * type, reserved fields, ranges); handlers never see an unvalidated message.
 * Variable-length parts (feature blocks, config data, device bitmap) are
 * pointers into the decoded buffer, which must therefore be private memory
 * that outlives the struct: copy a message out of shared memory first.
 *
 * vmsg_encode() is the inverse; it computes msg_size and refuses to produce
 * a message that vmsg_decode() would reject.
 *
 * All functions are reentrant and allocate nothing.
 */
#ifndef VIRTIO_MSG_MSG_H
#define VIRTIO_MSG_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <endian.h>

#include "virtio-msg/wire.h"

/* Why a buffer is not a valid message (vmsg_decode returns -VMSG_E_*). */
enum vmsg_error {
    VMSG_OK = 0,
    VMSG_E_SHORT,          /* fewer bytes than a header */
    VMSG_E_MSG_SIZE,       /* msg_size < 8 or larger than the bytes given */
    VMSG_E_TOO_BIG,        /* msg_size larger than the bus maximum */
    VMSG_E_UNKNOWN_ID,     /* msg_id not defined for this class */
    VMSG_E_EVENT_RESPONSE, /* response bit set on an event id */
    VMSG_E_LENGTH,         /* msg_size does not match what the type needs */
    VMSG_E_RESERVED,       /* a reserved field is not zero */
    VMSG_E_RANGE,          /* a field value is out of range */
    VMSG_E_DEV_NUM,        /* bus message with dev_num != 0 */
    VMSG_E_ALIGN,          /* GET_DEVICES offset/count not a multiple of 8 */
    VMSG_E_NOSPACE,        /* encode: output buffer too small */
    VMSG_E__COUNT
};

/* Short, stable reason string for a VMSG_E_* value (positive or negative). */
const char *vmsg_strerror(int err);

struct vmsg_device_info {
    uint32_t device_id;
    uint32_t vendor_id;
    uint32_t num_feature_bits;
    uint32_t config_size;
    uint32_t max_virtqueues;
    uint16_t admin_vq_start;
    uint16_t admin_vq_count;
};

struct vmsg_vqueue {
    uint32_t index;
    uint32_t max_size;   /* GET_VQUEUE response only */
    uint32_t size;       /* cur_size (GET_VQUEUE) or size (SET_VQUEUE) */
    uint64_t desc_addr;
    uint64_t driver_addr;
    uint64_t device_addr;
};

struct vmsg {
    uint8_t  type;       /* VMSG_TYPE_* bits; reserved bits dropped */
    uint8_t  msg_id;
    uint16_t dev_num;
    uint16_t token;
    uint16_t msg_size;   /* set by decode and by encode */
    union {
        struct vmsg_device_info dev_info;           /* GET_DEVICE_INFO resp */
        struct {                                    /* GET_DEVICE_FEATURES */
            uint32_t block_index;                   /* req/resp, SET_DRIVER_ */
            uint32_t num_blocks;                    /* FEATURES req */
            const uint8_t *blocks;                  /* le32[num_blocks]; NULL in GET req */
        } features;
        struct {                                    /* GET_CONFIG resp, */
            uint32_t generation;                    /* SET_CONFIG req/resp, */
            uint32_t offset;                        /* GET_CONFIG req (no */
            uint32_t length;                        /* generation, no data) */
            uint32_t data_len;                      /* bytes at data: length, or 0 */
            const uint8_t *data;
        } config;
        uint32_t status;                            /* GET/SET_DEVICE_STATUS */
        uint32_t index;                             /* GET/RESET_VQUEUE, GET_SHM req */
        struct vmsg_vqueue vqueue;                  /* GET_VQUEUE resp, SET_VQUEUE req */
        struct {                                    /* GET_SHM resp */
            uint32_t index;
            uint32_t length;
            uint32_t address;
        } shm;
        struct {                                    /* EVENT_CONFIG */
            uint32_t device_status;
            uint32_t generation;
            uint32_t offset;
            uint32_t length;
            const uint8_t *data;
        } event_config;
        struct {                                    /* EVENT_AVAIL */
            uint32_t vq_index;
            uint32_t next_offset;
        } event_avail;
        uint32_t vq_index;                          /* EVENT_USED */
        struct {                                    /* GET_DEVICES req/resp */
            uint16_t offset;
            uint16_t count;
            uint16_t next_offset;                   /* resp */
            const uint8_t *bitmap;                  /* resp: count/8 bytes */
        } devices;
        uint32_t ping;                              /* PING req/resp */
        struct {                                    /* EVENT_DEVICE */
            uint16_t device_number;
            uint16_t device_bus_state;
        } event_device;
    } u;
};

static inline bool vmsg_is_response(const struct vmsg *m)
{
    return m->type & VMSG_TYPE_RESPONSE;
}

static inline bool vmsg_is_bus(const struct vmsg *m)
{
    return m->type & VMSG_TYPE_BUS;
}

static inline bool vmsg_id_is_event(uint8_t msg_id)
{
    return msg_id & VMSG_ID_EVENT_BIT;
}

/* ---- unaligned little-endian access ---- */
static inline uint16_t vmsg_get_le16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return le16toh(v);
}

static inline uint32_t vmsg_get_le32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return le32toh(v);
}

static inline uint64_t vmsg_get_le64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return le64toh(v);
}

static inline void vmsg_put_le16(void *p, uint16_t v)
{
    v = htole16(v);
    memcpy(p, &v, sizeof(v));
}

static inline void vmsg_put_le32(void *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, sizeof(v));
}

static inline void vmsg_put_le64(void *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, sizeof(v));
}

/* Feature block i of a decoded features message (host order). */
static inline uint32_t vmsg_feature_block(const struct vmsg *m, uint32_t i)
{
    return vmsg_get_le32(m->u.features.blocks + 4u * i);
}

/**
 * vmsg_decode - validate and decode one message.
 * @buf: private copy of the bytes; bytes after msg_size are bus padding.
 * @len: bytes available at @buf.
 * @max_size: bus maximum message size (0: VMSG_ABS_MAX_SIZE).
 * @out: filled on success; its pointers point into @buf.
 *
 * Returns 0, or -VMSG_E_* naming the first problem found.  Reads no byte
 * outside [buf, buf + min(len, msg_size)).
 */
int vmsg_decode(const void *buf, size_t len, size_t max_size, struct vmsg *out);

/**
 * vmsg_encode - encode @m into @buf.
 *
 * Computes and stores msg_size (also into m->msg_size).  Returns the number
 * of bytes written, or -VMSG_E_NOSPACE if @cap is too small, or -VMSG_E_*
 * if @m describes a message vmsg_decode() would reject.
 */
int vmsg_encode(struct vmsg *m, void *buf, size_t cap);

/* Spec name of a message ("GET_DEVICE_FEATURES"), or NULL if unknown. */
const char *vmsg_name(bool bus, uint8_t msg_id);

/* Convenience initialisers for the header fields. */
static inline void vmsg_init_request(struct vmsg *m, bool bus, uint8_t id,
                                     uint16_t dev_num)
{
    memset(m, 0, sizeof(*m));
    m->type = bus ? VMSG_TYPE_BUS : 0;
    m->msg_id = id;
    m->dev_num = bus ? 0 : dev_num;
}

static inline void vmsg_init_response(struct vmsg *m, const struct vmsg *req)
{
    memset(m, 0, sizeof(*m));
    m->type = (req->type & VMSG_TYPE_BUS) | VMSG_TYPE_RESPONSE;
    m->msg_id = req->msg_id;
    m->dev_num = req->dev_num;
    m->token = req->token;  /* echoed: see spec summary §1 "token" */
}

#endif /* VIRTIO_MSG_MSG_H */
