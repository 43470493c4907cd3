/* SPDX-License-Identifier: MIT */
/*
 * Encode and decode virtio-msg messages.
 *
 * Decoding runs in three steps, each before the next reads anything:
 * header bounds, payload size against the layout table, then field values
 * (check_fields, shared with the encoder so both agree on what is valid).
 */
#include <errno.h>

#include "msg_layout.h"
#include "virtio-msg/msg.h"

#define VIRTQ_MAX_SIZE 32768u

/* Length of the variable part as the message's own fields describe it. */
static uint64_t var_len(const struct vmsg_shape *s, const uint8_t *p)
{
    switch (s->var) {
    case VMSG_VAR_BLOCKS:
        return 4ull * vmsg_get_le32(p + s->var_off);
    case VMSG_VAR_DATA:
    case VMSG_VAR_DATA_OPT:
        return vmsg_get_le32(p + s->var_off);
    case VMSG_VAR_BITMAP:
        return vmsg_get_le16(p + s->var_off) / 8u;
    default:
        return 0;
    }
}

/* Value rules beyond sizes; the same for decoded and to-be-encoded messages. */
static int check_fields(const struct vmsg *m)
{
    bool resp = vmsg_is_response(m);

    if (vmsg_is_bus(m)) {
        if (m->dev_num != 0)
            return -VMSG_E_DEV_NUM;
        switch (m->msg_id) {
        case VMSG_BUS_GET_DEVICES:
            if (m->u.devices.offset % 8 || m->u.devices.count % 8)
                return -VMSG_E_ALIGN;
            if (resp && m->u.devices.next_offset != 0 &&
                (m->u.devices.next_offset % 8 ||
                 m->u.devices.next_offset <
                     (uint32_t)m->u.devices.offset + m->u.devices.count))
                return -VMSG_E_RANGE;
            break;
        case VMSG_BUS_EVENT_DEVICE: {
            uint16_t st = m->u.event_device.device_bus_state;
            if (st != VMSG_DEVICE_BUS_STATE_READY &&
                st != VMSG_DEVICE_BUS_STATE_REMOVED &&
                st < VMSG_DEVICE_BUS_STATE_IMPL_MIN)
                return -VMSG_E_RANGE;
            break;
        }
        }
        return 0;
    }

    switch (m->msg_id) {
    case VMSG_GET_DEVICE_INFO:
        if (resp && m->u.dev_info.num_feature_bits % 32)
            return -VMSG_E_RANGE;
        break;
    case VMSG_GET_DEVICE_FEATURES:
    case VMSG_SET_DRIVER_FEATURES:
        if ((uint64_t)m->u.features.block_index + m->u.features.num_blocks >
            UINT32_MAX / 32)
            return -VMSG_E_RANGE;
        break;
    case VMSG_GET_CONFIG:
    case VMSG_SET_CONFIG:
        if ((uint64_t)m->u.config.offset + m->u.config.length > UINT32_MAX)
            return -VMSG_E_RANGE;
        /* A zero-length write cannot tell success from rejection. */
        if (m->msg_id == VMSG_SET_CONFIG && !resp && m->u.config.length == 0)
            return -VMSG_E_RANGE;
        break;
    case VMSG_GET_DEVICE_STATUS:
    case VMSG_SET_DEVICE_STATUS:
        if ((resp || m->msg_id == VMSG_SET_DEVICE_STATUS) &&
            m->u.status > 0xFF)
            return -VMSG_E_RANGE;
        break;
    case VMSG_GET_VQUEUE:
        if (resp && (m->u.vqueue.max_size > VIRTQ_MAX_SIZE ||
                     m->u.vqueue.size > m->u.vqueue.max_size))
            return -VMSG_E_RANGE;
        break;
    case VMSG_SET_VQUEUE:
        if (!resp && (m->u.vqueue.size == 0 || m->u.vqueue.size > VIRTQ_MAX_SIZE))
            return -VMSG_E_RANGE;
        break;
    case VMSG_EVENT_CONFIG:
        if (m->u.event_config.device_status > 0xFF)
            return -VMSG_E_RANGE;
        break;
    }
    return 0;
}

static void decode_payload(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    bool resp = vmsg_is_response(m);

    if (vmsg_is_bus(m)) {
        switch (m->msg_id) {
        case VMSG_BUS_GET_DEVICES:
            m->u.devices.offset = vmsg_get_le16(p);
            m->u.devices.count = vmsg_get_le16(p + 2);
            if (resp) {
                m->u.devices.next_offset = vmsg_get_le16(p + 4);
                m->u.devices.bitmap = p + 6;
            }
            break;
        case VMSG_BUS_PING:
            m->u.ping = vmsg_get_le32(p);
            break;
        case VMSG_BUS_EVENT_DEVICE:
            m->u.event_device.device_number = vmsg_get_le16(p);
            m->u.event_device.device_bus_state = vmsg_get_le16(p + 2);
            break;
        }
        return;
    }

    switch (m->msg_id) {
    case VMSG_GET_DEVICE_INFO:
        if (resp) {
            struct vmsg_device_info *d = &m->u.dev_info;
            d->device_id = vmsg_get_le32(p);
            d->vendor_id = vmsg_get_le32(p + 4);
            d->num_feature_bits = vmsg_get_le32(p + 8);
            d->config_size = vmsg_get_le32(p + 12);
            d->max_virtqueues = vmsg_get_le32(p + 16);
            d->admin_vq_start = vmsg_get_le16(p + 20);
            d->admin_vq_count = vmsg_get_le16(p + 22);
        }
        break;
    case VMSG_GET_DEVICE_FEATURES:
    case VMSG_SET_DRIVER_FEATURES:
        if (plen) {
            m->u.features.block_index = vmsg_get_le32(p);
            m->u.features.num_blocks = vmsg_get_le32(p + 4);
            m->u.features.blocks = plen > 8 ? p + 8 : NULL;
        }
        break;
    case VMSG_GET_CONFIG:
    case VMSG_SET_CONFIG:
        if (m->msg_id == VMSG_GET_CONFIG && !resp) {
            m->u.config.offset = vmsg_get_le32(p);
            m->u.config.length = vmsg_get_le32(p + 4);
            break;
        }
        m->u.config.generation = vmsg_get_le32(p);
        m->u.config.offset = vmsg_get_le32(p + 4);
        m->u.config.length = vmsg_get_le32(p + 8);
        m->u.config.data_len = plen - 12;
        m->u.config.data = plen > 12 ? p + 12 : NULL;
        break;
    case VMSG_GET_DEVICE_STATUS:
    case VMSG_SET_DEVICE_STATUS:
        if (plen)
            m->u.status = vmsg_get_le32(p);
        break;
    case VMSG_GET_VQUEUE:
    case VMSG_SET_VQUEUE:
        if (!resp && m->msg_id == VMSG_GET_VQUEUE) {
            m->u.index = vmsg_get_le32(p);
        } else if (!resp || m->msg_id == VMSG_GET_VQUEUE) {
            struct vmsg_vqueue *q = &m->u.vqueue;
            q->index = vmsg_get_le32(p);
            if (resp) {
                q->max_size = vmsg_get_le32(p + 4);
                q->size = vmsg_get_le32(p + 8);
            } else {
                q->size = vmsg_get_le32(p + 8);
            }
            q->desc_addr = vmsg_get_le64(p + 16);
            q->driver_addr = vmsg_get_le64(p + 24);
            q->device_addr = vmsg_get_le64(p + 32);
        }
        break;
    case VMSG_RESET_VQUEUE:
        if (!resp)
            m->u.index = vmsg_get_le32(p);
        break;
    case VMSG_GET_SHM:
        if (resp) {
            m->u.shm.index = vmsg_get_le32(p);
            m->u.shm.length = vmsg_get_le32(p + 4);
            m->u.shm.address = vmsg_get_le32(p + 8);
        } else {
            m->u.index = vmsg_get_le32(p);
        }
        break;
    case VMSG_EVENT_CONFIG:
        m->u.event_config.device_status = vmsg_get_le32(p);
        m->u.event_config.generation = vmsg_get_le32(p + 4);
        m->u.event_config.offset = vmsg_get_le32(p + 8);
        m->u.event_config.length = vmsg_get_le32(p + 12);
        m->u.event_config.data = plen > 16 ? p + 16 : NULL;
        break;
    case VMSG_EVENT_AVAIL:
        m->u.event_avail.vq_index = vmsg_get_le32(p);
        m->u.event_avail.next_offset = vmsg_get_le32(p + 4);
        break;
    case VMSG_EVENT_USED:
        m->u.vq_index = vmsg_get_le32(p);
        break;
    }
}

/* The reserved words of the vqueue layouts (spec summary V50). */
static bool reserved_clear(const struct vmsg *m, const uint8_t *p)
{
    if (vmsg_is_bus(m))
        return true;
    if (m->msg_id == VMSG_GET_VQUEUE && vmsg_is_response(m))
        return vmsg_get_le32(p + 12) == 0;
    if (m->msg_id == VMSG_SET_VQUEUE && !vmsg_is_response(m))
        return vmsg_get_le32(p + 4) == 0 && vmsg_get_le32(p + 12) == 0;
    return true;
}

int vmsg_decode(const void *buf, size_t len, size_t max_size, struct vmsg *out)
{
    const uint8_t *b = buf;
    const struct vmsg_layout *l;
    const struct vmsg_shape *s;
    uint32_t plen;
    uint64_t need;

    if (len < VMSG_HDR_SIZE)
        return -VMSG_E_SHORT;
    memset(out, 0, sizeof(*out));
    out->type = b[0] & VMSG_TYPE_KNOWN_MASK;
    out->msg_id = b[1];
    out->dev_num = vmsg_get_le16(b + 2);
    out->token = vmsg_get_le16(b + 4);
    out->msg_size = vmsg_get_le16(b + 6);
    if (out->msg_size < VMSG_HDR_SIZE || out->msg_size > len)
        return -VMSG_E_MSG_SIZE;
    if (max_size && out->msg_size > max_size)
        return -VMSG_E_TOO_BIG;

    l = vmsg_layout_find(vmsg_is_bus(out), out->msg_id);
    if (!l)
        return -VMSG_E_UNKNOWN_ID;
    s = vmsg_is_response(out) ? &l->resp : &l->req;
    if (!s->present)
        return -VMSG_E_EVENT_RESPONSE;

    plen = out->msg_size - VMSG_HDR_SIZE;
    if (s->var == VMSG_VAR_NONE) {   /* the common case: one size */
        if (plen != s->fixed)
            return -VMSG_E_LENGTH;
    } else {
        if (plen < s->fixed)
            return -VMSG_E_LENGTH;
        need = s->fixed + var_len(s, b + VMSG_HDR_SIZE);
        if (plen != need && !(s->var == VMSG_VAR_DATA_OPT && plen == s->fixed))
            return -VMSG_E_LENGTH;
    }
    /* The table says which kinds have reserved words or value rules. */
    if ((s->checks & VMSG_CHK_RESERVED) && !reserved_clear(out, b + VMSG_HDR_SIZE))
        return -VMSG_E_RESERVED;

    decode_payload(out, b + VMSG_HDR_SIZE, plen);
    return (s->checks & VMSG_CHK_FIELDS) ? check_fields(out) : 0;
}

/* Bytes of variable data @m carries, per its layout. */
static uint64_t encode_var_len(const struct vmsg *m, const struct vmsg_shape *s)
{
    switch (s->var) {
    case VMSG_VAR_BLOCKS:
        return 4ull * m->u.features.num_blocks;
    case VMSG_VAR_DATA:
        return m->msg_id == VMSG_EVENT_CONFIG ? m->u.event_config.length
                                               : m->u.config.length;
    case VMSG_VAR_DATA_OPT:
        return m->u.config.data_len ? m->u.config.length : 0;
    case VMSG_VAR_BITMAP:
        return m->u.devices.count / 8u;
    default:
        return 0;
    }
}

/* A NULL source encodes as zeros. */
static void copy_var(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    if (n && src)
        memcpy(dst, src, n);
    else if (n)
        memset(dst, 0, n);
}

static void encode_payload(const struct vmsg *m, uint8_t *p, uint64_t vlen)
{
    bool resp = vmsg_is_response(m);

    if (vmsg_is_bus(m)) {
        switch (m->msg_id) {
        case VMSG_BUS_GET_DEVICES:
            vmsg_put_le16(p, m->u.devices.offset);
            vmsg_put_le16(p + 2, m->u.devices.count);
            if (resp) {
                vmsg_put_le16(p + 4, m->u.devices.next_offset);
                copy_var(p + 6, m->u.devices.bitmap, vlen);
            }
            break;
        case VMSG_BUS_PING:
            vmsg_put_le32(p, m->u.ping);
            break;
        case VMSG_BUS_EVENT_DEVICE:
            vmsg_put_le16(p, m->u.event_device.device_number);
            vmsg_put_le16(p + 2, m->u.event_device.device_bus_state);
            break;
        }
        return;
    }

    switch (m->msg_id) {
    case VMSG_GET_DEVICE_INFO:
        if (resp) {
            const struct vmsg_device_info *d = &m->u.dev_info;
            vmsg_put_le32(p, d->device_id);
            vmsg_put_le32(p + 4, d->vendor_id);
            vmsg_put_le32(p + 8, d->num_feature_bits);
            vmsg_put_le32(p + 12, d->config_size);
            vmsg_put_le32(p + 16, d->max_virtqueues);
            vmsg_put_le16(p + 20, d->admin_vq_start);
            vmsg_put_le16(p + 22, d->admin_vq_count);
        }
        break;
    case VMSG_GET_DEVICE_FEATURES:
    case VMSG_SET_DRIVER_FEATURES:
        if (m->msg_id == VMSG_SET_DRIVER_FEATURES && resp)
            break;
        vmsg_put_le32(p, m->u.features.block_index);
        vmsg_put_le32(p + 4, m->u.features.num_blocks);
        copy_var(p + 8, m->u.features.blocks, vlen);
        break;
    case VMSG_GET_CONFIG:
    case VMSG_SET_CONFIG:
        if (m->msg_id == VMSG_GET_CONFIG && !resp) {
            vmsg_put_le32(p, m->u.config.offset);
            vmsg_put_le32(p + 4, m->u.config.length);
            break;
        }
        vmsg_put_le32(p, m->u.config.generation);
        vmsg_put_le32(p + 4, m->u.config.offset);
        vmsg_put_le32(p + 8, m->u.config.length);
        copy_var(p + 12, m->u.config.data, vlen);
        break;
    case VMSG_GET_DEVICE_STATUS:
    case VMSG_SET_DEVICE_STATUS:
        if (resp || m->msg_id == VMSG_SET_DEVICE_STATUS)
            vmsg_put_le32(p, m->u.status);
        break;
    case VMSG_GET_VQUEUE:
    case VMSG_SET_VQUEUE:
        if (!resp && m->msg_id == VMSG_GET_VQUEUE) {
            vmsg_put_le32(p, m->u.index);
        } else if (!resp || m->msg_id == VMSG_GET_VQUEUE) {
            const struct vmsg_vqueue *q = &m->u.vqueue;
            vmsg_put_le32(p, q->index);
            vmsg_put_le32(p + 4, resp ? q->max_size : 0);
            vmsg_put_le32(p + 8, q->size);
            vmsg_put_le32(p + 12, 0);
            vmsg_put_le64(p + 16, q->desc_addr);
            vmsg_put_le64(p + 24, q->driver_addr);
            vmsg_put_le64(p + 32, q->device_addr);
        }
        break;
    case VMSG_RESET_VQUEUE:
        if (!resp)
            vmsg_put_le32(p, m->u.index);
        break;
    case VMSG_GET_SHM:
        if (resp) {
            vmsg_put_le32(p, m->u.shm.index);
            vmsg_put_le32(p + 4, m->u.shm.length);
            vmsg_put_le32(p + 8, m->u.shm.address);
        } else {
            vmsg_put_le32(p, m->u.index);
        }
        break;
    case VMSG_EVENT_CONFIG:
        vmsg_put_le32(p, m->u.event_config.device_status);
        vmsg_put_le32(p + 4, m->u.event_config.generation);
        vmsg_put_le32(p + 8, m->u.event_config.offset);
        vmsg_put_le32(p + 12, m->u.event_config.length);
        copy_var(p + 16, m->u.event_config.data, vlen);
        break;
    case VMSG_EVENT_AVAIL:
        vmsg_put_le32(p, m->u.event_avail.vq_index);
        vmsg_put_le32(p + 4, m->u.event_avail.next_offset);
        break;
    case VMSG_EVENT_USED:
        vmsg_put_le32(p, m->u.vq_index);
        break;
    }
}

int vmsg_encode(struct vmsg *m, void *buf, size_t cap)
{
    const struct vmsg_layout *l;
    const struct vmsg_shape *s;
    uint8_t *b = buf;
    uint64_t vlen, total;
    int rc;

    m->type &= VMSG_TYPE_KNOWN_MASK;
    l = vmsg_layout_find(vmsg_is_bus(m), m->msg_id);
    if (!l)
        return -VMSG_E_UNKNOWN_ID;
    s = vmsg_is_response(m) ? &l->resp : &l->req;
    if (!s->present)
        return -VMSG_E_EVENT_RESPONSE;
    if ((s->checks & VMSG_CHK_FIELDS) && (rc = check_fields(m)))
        return rc;
    if (s->var == VMSG_VAR_DATA_OPT && m->u.config.data_len &&
        m->u.config.data_len != m->u.config.length)
        return -VMSG_E_LENGTH;

    vlen = s->var == VMSG_VAR_NONE ? 0 : encode_var_len(m, s);
    total = VMSG_HDR_SIZE + s->fixed + vlen;
    if (total > VMSG_ABS_MAX_SIZE)
        return -VMSG_E_TOO_BIG;
    if (total > cap)
        return -VMSG_E_NOSPACE;

    m->msg_size = (uint16_t)total;
    /* encode_payload writes every payload byte (reserved words as zero,
     * absent variable data as zeros), so no clearing pass is needed. */
    b[0] = m->type;
    b[1] = m->msg_id;
    vmsg_put_le16(b + 2, m->dev_num);
    vmsg_put_le16(b + 4, m->token);
    vmsg_put_le16(b + 6, m->msg_size);
    encode_payload(m, b + VMSG_HDR_SIZE, vlen);
    return (int)total;
}
