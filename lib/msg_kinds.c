/* SPDX-License-Identifier: MIT */
/*
 * Every message kind: its payload layout (the spec's sizes minus the 8-byte
 * header, shared/spec/virtio-msg-spec.md §2, §3), its value rules and its
 * conversions.  A rule lives in one check function that both decode and
 * encode call, so the codec never produces what it would reject.
 */
#include "msg_kinds.h"

#define VIRTQ_MAX_SIZE 32768u

/* A NULL source encodes as zeros. */
static void copy_var(uint8_t *dst, const uint8_t *src, uint32_t n)
{
    if (n && src)
        memcpy(dst, src, n);
    else if (n)
        memset(dst, 0, n);
}

/*
 * Every encoder's start: @vlen is the kind's check result (variable bytes or
 * -VMSG_E_*).  Sizes the message, sets msg_size, writes the header; returns
 * msg_size (> 0) or -VMSG_E_*.  The encoder then writes every payload byte.
 */
static inline int begin(struct vmsg *m, uint8_t *b, size_t cap, uint32_t fixed, int64_t vlen)
{
    uint64_t total;

    if (vlen < 0)
        return (int)vlen;
    total = VMSG_HDR_SIZE + fixed + (uint64_t)vlen;
    if (total > VMSG_ABS_MAX_SIZE)
        return -VMSG_E_TOO_BIG;
    if (total > cap)
        return -VMSG_E_NOSPACE;
    m->msg_size = (uint16_t)total;
    vmsg_put_header(b, m);
    return (int)total;
}

/* Decode's tail: a check's variable length means success there. */
static int rule_result(int64_t rc)
{
    return rc < 0 ? (int)rc : 0;
}

/* ---- empty payloads ---- */

static int dec_empty(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)m, (void)p, (void)plen;
    return 0;
}

static int enc_empty(struct vmsg *m, uint8_t *b, size_t cap)
{
    return begin(m, b, cap, 0, 0);
}

/* ---- one le32: a queue or region index (GET_VQUEUE, RESET_VQUEUE, GET_SHM requests) ---- */

static int dec_index(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.index = vmsg_get_le32(p);
    return 0;
}

static int enc_index(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 4, 0);

    if (n > 0)
        vmsg_put_le32(b + 8, m->u.index);
    return n;
}

/* ---- GET_DEVICE_INFO response ---- */

static int64_t chk_dev_info(const struct vmsg *m)
{
    return m->u.dev_info.num_feature_bits % 32 ? -VMSG_E_RANGE : 0;
}

static int dec_dev_info(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    struct vmsg_device_info *d = &m->u.dev_info;

    (void)plen;
    d->device_id = vmsg_get_le32(p);
    d->vendor_id = vmsg_get_le32(p + 4);
    d->num_feature_bits = vmsg_get_le32(p + 8);
    d->config_size = vmsg_get_le32(p + 12);
    d->max_virtqueues = vmsg_get_le32(p + 16);
    d->admin_vq_start = vmsg_get_le16(p + 20);
    d->admin_vq_count = vmsg_get_le16(p + 22);
    return rule_result(chk_dev_info(m));
}

static int enc_dev_info(struct vmsg *m, uint8_t *b, size_t cap)
{
    const struct vmsg_device_info *d = &m->u.dev_info;
    int n = begin(m, b, cap, 24, chk_dev_info(m));
    uint8_t *p = b + VMSG_HDR_SIZE;

    if (n < 0)
        return n;

    vmsg_put_le32(p, d->device_id);
    vmsg_put_le32(p + 4, d->vendor_id);
    vmsg_put_le32(p + 8, d->num_feature_bits);
    vmsg_put_le32(p + 12, d->config_size);
    vmsg_put_le32(p + 16, d->max_virtqueues);
    vmsg_put_le16(p + 20, d->admin_vq_start);
    vmsg_put_le16(p + 22, d->admin_vq_count);
    return n;
}

/* ---- features: block_index, num_blocks [, le32 blocks[num_blocks]] ---- */

static int64_t chk_features(const struct vmsg *m)
{
    if ((uint64_t)m->u.features.block_index + m->u.features.num_blocks > UINT32_MAX / 32)
        return -VMSG_E_RANGE;
    return 0;
}

/* With blocks (GET_DEVICE_FEATURES response, SET_DRIVER_FEATURES request). */
static int64_t chk_feature_blocks(const struct vmsg *m)
{
    int64_t rc = chk_features(m);

    return rc < 0 ? rc : 4 * (int64_t)m->u.features.num_blocks;
}

static int dec_features(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.features.block_index = vmsg_get_le32(p);
    m->u.features.num_blocks = vmsg_get_le32(p + 4);
    return rule_result(chk_features(m));
}

static int dec_feature_blocks(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    if (plen != 8 + 4ull * vmsg_get_le32(p + 4))
        return -VMSG_E_LENGTH;
    m->u.features.block_index = vmsg_get_le32(p);
    m->u.features.num_blocks = vmsg_get_le32(p + 4);
    m->u.features.blocks = plen > 8 ? p + 8 : NULL;
    return rule_result(chk_features(m));
}

static void put_features(const struct vmsg *m, uint8_t *p, uint32_t vlen)
{
    vmsg_put_le32(p, m->u.features.block_index);
    vmsg_put_le32(p + 4, m->u.features.num_blocks);
    copy_var(p + 8, m->u.features.blocks, vlen);
}

static int enc_features(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 8, chk_features(m));

    if (n > 0)
        put_features(m, b + VMSG_HDR_SIZE, 0);
    return n;
}

static int enc_feature_blocks(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 8, chk_feature_blocks(m));

    if (n > 0)
        put_features(m, b + VMSG_HDR_SIZE, (uint32_t)n - VMSG_HDR_SIZE - 8);
    return n;
}

/* ---- config: [generation,] offset, length [, data] ---- */

static int64_t chk_config_range(const struct vmsg *m)
{
    if ((uint64_t)m->u.config.offset + m->u.config.length > UINT32_MAX)
        return -VMSG_E_RANGE;
    return 0;
}

/* GET_CONFIG response: data of exactly length bytes. */
static int64_t chk_config_data(const struct vmsg *m)
{
    int64_t rc = chk_config_range(m);

    return rc < 0 ? rc : m->u.config.length;
}

/* SET_CONFIG request: as above; a zero-length write cannot tell success
 * from rejection. */
static int64_t chk_set_config(const struct vmsg *m)
{
    if (chk_config_range(m) < 0 || m->u.config.length == 0)
        return -VMSG_E_RANGE;
    return m->u.config.length;
}

/* SET_CONFIG response: the data echoed back, or none. */
static int64_t chk_set_config_resp(const struct vmsg *m)
{
    if (chk_config_range(m) < 0)
        return -VMSG_E_RANGE;
    if (m->u.config.data_len && m->u.config.data_len != m->u.config.length)
        return -VMSG_E_LENGTH;
    return m->u.config.data_len ? m->u.config.length : 0;
}

/* GET_CONFIG request: offset, length, no generation. */
static int dec_config_req(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.config.offset = vmsg_get_le32(p);
    m->u.config.length = vmsg_get_le32(p + 4);
    return rule_result(chk_config_range(m));
}

static int enc_config_req(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 8, chk_config_range(m));

    if (n > 0) {
        vmsg_put_le32(b + 8, m->u.config.offset);
        vmsg_put_le32(b + 12, m->u.config.length);
    }
    return n;
}

/* The fields after the length check; @check is the kind's rule. */
static int dec_config_fields(struct vmsg *m, const uint8_t *p, uint32_t plen,
                             int64_t (*check)(const struct vmsg *))
{
    m->u.config.generation = vmsg_get_le32(p);
    m->u.config.offset = vmsg_get_le32(p + 4);
    m->u.config.length = vmsg_get_le32(p + 8);
    m->u.config.data_len = plen - 12;
    m->u.config.data = plen > 12 ? p + 12 : NULL;
    return rule_result(check(m));
}

static int dec_config_data(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    if (plen != 12 + (uint64_t)vmsg_get_le32(p + 8))
        return -VMSG_E_LENGTH;
    return dec_config_fields(m, p, plen, chk_config_data);
}

static int dec_set_config(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    if (plen != 12 + (uint64_t)vmsg_get_le32(p + 8))
        return -VMSG_E_LENGTH;
    return dec_config_fields(m, p, plen, chk_set_config);
}

static int dec_set_config_resp(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    if (plen != 12 && plen != 12 + (uint64_t)vmsg_get_le32(p + 8))
        return -VMSG_E_LENGTH;
    return dec_config_fields(m, p, plen, chk_set_config_resp);
}

/* generation, offset, length, data: @n from begin(), the rule's size. */
static int put_config_data(const struct vmsg *m, uint8_t *b, int n)
{
    uint8_t *p = b + VMSG_HDR_SIZE;

    if (n < 0)
        return n;
    vmsg_put_le32(p, m->u.config.generation);
    vmsg_put_le32(p + 4, m->u.config.offset);
    vmsg_put_le32(p + 8, m->u.config.length);
    copy_var(p + 12, m->u.config.data, (uint32_t)n - VMSG_HDR_SIZE - 12);
    return n;
}

static int enc_config_data(struct vmsg *m, uint8_t *b, size_t cap)
{
    return put_config_data(m, b, begin(m, b, cap, 12, chk_config_data(m)));
}

static int enc_set_config(struct vmsg *m, uint8_t *b, size_t cap)
{
    return put_config_data(m, b, begin(m, b, cap, 12, chk_set_config(m)));
}

static int enc_set_config_resp(struct vmsg *m, uint8_t *b, size_t cap)
{
    return put_config_data(m, b, begin(m, b, cap, 12, chk_set_config_resp(m)));
}

/* ---- device status (GET response, SET request and response) ---- */

static int64_t chk_status(const struct vmsg *m)
{
    return m->u.status > 0xFF ? -VMSG_E_RANGE : 0;
}

static int dec_status(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.status = vmsg_get_le32(p);
    return rule_result(chk_status(m));
}

static int enc_status(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 4, chk_status(m));

    if (n > 0)
        vmsg_put_le32(b + 8, m->u.status);
    return n;
}

/* ---- vqueue: index, max_size, size, reserved, 3 x le64 addresses ---- */

static int64_t chk_get_vqueue_resp(const struct vmsg *m)
{
    if (m->u.vqueue.max_size > VIRTQ_MAX_SIZE || m->u.vqueue.size > m->u.vqueue.max_size)
        return -VMSG_E_RANGE;
    return 0;
}

static int64_t chk_set_vqueue(const struct vmsg *m)
{
    if (m->u.vqueue.size == 0 || m->u.vqueue.size > VIRTQ_MAX_SIZE)
        return -VMSG_E_RANGE;
    return 0;
}

static void dec_vqueue_addrs(struct vmsg_vqueue *q, const uint8_t *p)
{
    q->index = vmsg_get_le32(p);
    q->size = vmsg_get_le32(p + 8);
    q->desc_addr = vmsg_get_le64(p + 16);
    q->driver_addr = vmsg_get_le64(p + 24);
    q->device_addr = vmsg_get_le64(p + 32);
}

/* GET_VQUEUE response: word 3 is reserved (spec summary V50). */
static int dec_get_vqueue_resp(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    if (vmsg_get_le32(p + 12))
        return -VMSG_E_RESERVED;
    dec_vqueue_addrs(&m->u.vqueue, p);
    m->u.vqueue.max_size = vmsg_get_le32(p + 4);
    return rule_result(chk_get_vqueue_resp(m));
}

/* SET_VQUEUE request: words 1 (max_size) and 3 are reserved. */
static int dec_set_vqueue(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    if (vmsg_get_le32(p + 4) || vmsg_get_le32(p + 12))
        return -VMSG_E_RESERVED;
    dec_vqueue_addrs(&m->u.vqueue, p);
    return rule_result(chk_set_vqueue(m));
}

static void put_vqueue(const struct vmsg_vqueue *q, uint8_t *p, uint32_t max_size)
{
    vmsg_put_le32(p, q->index);
    vmsg_put_le32(p + 4, max_size);
    vmsg_put_le32(p + 8, q->size);
    vmsg_put_le32(p + 12, 0);
    vmsg_put_le64(p + 16, q->desc_addr);
    vmsg_put_le64(p + 24, q->driver_addr);
    vmsg_put_le64(p + 32, q->device_addr);
}

static int enc_get_vqueue_resp(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 40, chk_get_vqueue_resp(m));

    if (n > 0)
        put_vqueue(&m->u.vqueue, b + VMSG_HDR_SIZE, m->u.vqueue.max_size);
    return n;
}

static int enc_set_vqueue(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 40, chk_set_vqueue(m));

    if (n > 0)
        put_vqueue(&m->u.vqueue, b + VMSG_HDR_SIZE, 0);
    return n;
}

/* ---- GET_SHM response ---- */

static int dec_shm(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.shm.index = vmsg_get_le32(p);
    m->u.shm.length = vmsg_get_le32(p + 4);
    m->u.shm.address = vmsg_get_le32(p + 8);
    return 0;
}

static int enc_shm(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 12, 0);

    if (n > 0) {
        vmsg_put_le32(b + 8, m->u.shm.index);
        vmsg_put_le32(b + 12, m->u.shm.length);
        vmsg_put_le32(b + 16, m->u.shm.address);
    }
    return n;
}

/* ---- events ---- */

static int64_t chk_event_config(const struct vmsg *m)
{
    if (m->u.event_config.device_status > 0xFF)
        return -VMSG_E_RANGE;
    return m->u.event_config.length;
}

static int dec_event_config(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    if (plen != 16 + (uint64_t)vmsg_get_le32(p + 12))
        return -VMSG_E_LENGTH;
    m->u.event_config.device_status = vmsg_get_le32(p);
    m->u.event_config.generation = vmsg_get_le32(p + 4);
    m->u.event_config.offset = vmsg_get_le32(p + 8);
    m->u.event_config.length = vmsg_get_le32(p + 12);
    m->u.event_config.data = plen > 16 ? p + 16 : NULL;
    return rule_result(chk_event_config(m));
}

static int enc_event_config(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 16, chk_event_config(m));
    uint8_t *p = b + VMSG_HDR_SIZE;

    if (n < 0)
        return n;
    vmsg_put_le32(p, m->u.event_config.device_status);
    vmsg_put_le32(p + 4, m->u.event_config.generation);
    vmsg_put_le32(p + 8, m->u.event_config.offset);
    vmsg_put_le32(p + 12, m->u.event_config.length);
    copy_var(p + 16, m->u.event_config.data, (uint32_t)n - VMSG_HDR_SIZE - 16);
    return n;
}

/* The per-kick and per-interrupt messages: no rules, nothing to check. */
static int dec_event_avail(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.event_avail.vq_index = vmsg_get_le32(p);
    m->u.event_avail.next_offset = vmsg_get_le32(p + 4);
    return 0;
}

static int enc_event_avail(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 8, 0);

    if (n > 0) {
        vmsg_put_le32(b + 8, m->u.event_avail.vq_index);
        vmsg_put_le32(b + 12, m->u.event_avail.next_offset);
    }
    return n;
}

static int dec_event_used(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.vq_index = vmsg_get_le32(p);
    return 0;
}

static int enc_event_used(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 4, 0);

    if (n > 0)
        vmsg_put_le32(b + 8, m->u.vq_index);
    return n;
}

/* ---- bus messages: dev_num is always 0 ---- */

static int64_t chk_bus(const struct vmsg *m)
{
    return m->dev_num ? -VMSG_E_DEV_NUM : 0;
}

static int64_t chk_get_devices(const struct vmsg *m)
{
    if (m->dev_num)
        return -VMSG_E_DEV_NUM;
    if (m->u.devices.offset % 8 || m->u.devices.count % 8)
        return -VMSG_E_ALIGN;
    return 0;
}

/* Response: next_offset is 0 (done) or a later multiple of 8. */
static int64_t chk_get_devices_resp(const struct vmsg *m)
{
    int64_t rc = chk_get_devices(m);
    uint32_t next = m->u.devices.next_offset;

    if (rc < 0)
        return rc;
    if (next != 0 && (next % 8 || next < (uint32_t)m->u.devices.offset + m->u.devices.count))
        return -VMSG_E_RANGE;
    return m->u.devices.count / 8u;
}

static int dec_get_devices(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.devices.offset = vmsg_get_le16(p);
    m->u.devices.count = vmsg_get_le16(p + 2);
    return rule_result(chk_get_devices(m));
}

static int dec_get_devices_resp(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    if (plen != 6u + vmsg_get_le16(p + 2) / 8u)
        return -VMSG_E_LENGTH;
    m->u.devices.offset = vmsg_get_le16(p);
    m->u.devices.count = vmsg_get_le16(p + 2);
    m->u.devices.next_offset = vmsg_get_le16(p + 4);
    m->u.devices.bitmap = p + 6;
    return rule_result(chk_get_devices_resp(m));
}

static int enc_get_devices(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 4, chk_get_devices(m));

    if (n > 0) {
        vmsg_put_le16(b + 8, m->u.devices.offset);
        vmsg_put_le16(b + 10, m->u.devices.count);
    }
    return n;
}

static int enc_get_devices_resp(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 6, chk_get_devices_resp(m));
    uint8_t *p = b + VMSG_HDR_SIZE;

    if (n < 0)
        return n;
    vmsg_put_le16(p, m->u.devices.offset);
    vmsg_put_le16(p + 2, m->u.devices.count);
    vmsg_put_le16(p + 4, m->u.devices.next_offset);
    copy_var(p + 6, m->u.devices.bitmap, (uint32_t)n - VMSG_HDR_SIZE - 6);
    return n;
}

static int dec_ping(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.ping = vmsg_get_le32(p);
    return rule_result(chk_bus(m));
}

static int enc_ping(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 4, chk_bus(m));

    if (n > 0)
        vmsg_put_le32(b + 8, m->u.ping);
    return n;
}

static int64_t chk_event_device(const struct vmsg *m)
{
    uint16_t st = m->u.event_device.device_bus_state;

    if (m->dev_num)
        return -VMSG_E_DEV_NUM;
    if (st != VMSG_DEVICE_BUS_STATE_READY && st != VMSG_DEVICE_BUS_STATE_REMOVED &&
        st < VMSG_DEVICE_BUS_STATE_IMPL_MIN)
        return -VMSG_E_RANGE;
    return 0;
}

static int dec_event_device(struct vmsg *m, const uint8_t *p, uint32_t plen)
{
    (void)plen;
    m->u.event_device.device_number = vmsg_get_le16(p);
    m->u.event_device.device_bus_state = vmsg_get_le16(p + 2);
    return rule_result(chk_event_device(m));
}

static int enc_event_device(struct vmsg *m, uint8_t *b, size_t cap)
{
    int n = begin(m, b, cap, 4, chk_event_device(m));

    if (n > 0) {
        vmsg_put_le16(b + 8, m->u.event_device.device_number);
        vmsg_put_le16(b + 10, m->u.event_device.device_bus_state);
    }
    return n;
}

/* ---- the table ---- */

#define KIND(var_, nm, fx, v, dec, enc) \
    static const struct vmsg_kind var_ = { nm, fx, v, dec, enc }

KIND(k_info_req, "GET_DEVICE_INFO", 0, false, dec_empty, enc_empty);
KIND(k_info_resp, "GET_DEVICE_INFO", 24, false, dec_dev_info, enc_dev_info);
KIND(k_get_feat_req, "GET_DEVICE_FEATURES", 8, false, dec_features, enc_features);
KIND(k_get_feat_resp, "GET_DEVICE_FEATURES", 8, true, dec_feature_blocks, enc_feature_blocks);
KIND(k_set_feat_req, "SET_DRIVER_FEATURES", 8, true, dec_feature_blocks, enc_feature_blocks);
KIND(k_set_feat_resp, "SET_DRIVER_FEATURES", 0, false, dec_empty, enc_empty);
KIND(k_get_cfg_req, "GET_CONFIG", 8, false, dec_config_req, enc_config_req);
KIND(k_get_cfg_resp, "GET_CONFIG", 12, true, dec_config_data, enc_config_data);
KIND(k_set_cfg_req, "SET_CONFIG", 12, true, dec_set_config, enc_set_config);
KIND(k_set_cfg_resp, "SET_CONFIG", 12, true, dec_set_config_resp, enc_set_config_resp);
KIND(k_get_st_req, "GET_DEVICE_STATUS", 0, false, dec_empty, enc_empty);
KIND(k_get_st_resp, "GET_DEVICE_STATUS", 4, false, dec_status, enc_status);
KIND(k_set_st, "SET_DEVICE_STATUS", 4, false, dec_status, enc_status);
KIND(k_get_vq_req, "GET_VQUEUE", 4, false, dec_index, enc_index);
KIND(k_get_vq_resp, "GET_VQUEUE", 40, false, dec_get_vqueue_resp, enc_get_vqueue_resp);
KIND(k_set_vq_req, "SET_VQUEUE", 40, false, dec_set_vqueue, enc_set_vqueue);
KIND(k_set_vq_resp, "SET_VQUEUE", 0, false, dec_empty, enc_empty);
KIND(k_reset_vq_req, "RESET_VQUEUE", 4, false, dec_index, enc_index);
KIND(k_reset_vq_resp, "RESET_VQUEUE", 0, false, dec_empty, enc_empty);
KIND(k_shm_req, "GET_SHM", 4, false, dec_index, enc_index);
KIND(k_shm_resp, "GET_SHM", 12, false, dec_shm, enc_shm);
KIND(k_ev_config, "EVENT_CONFIG", 16, true, dec_event_config, enc_event_config);
KIND(k_ev_avail, "EVENT_AVAIL", 8, false, dec_event_avail, enc_event_avail);
KIND(k_ev_used, "EVENT_USED", 4, false, dec_event_used, enc_event_used);
KIND(k_devices_req, "GET_DEVICES", 4, false, dec_get_devices, enc_get_devices);
KIND(k_devices_resp, "GET_DEVICES", 6, true, dec_get_devices_resp, enc_get_devices_resp);
KIND(k_ping, "PING", 4, false, dec_ping, enc_ping);
KIND(k_ev_device, "EVENT_DEVICE", 4, false, dec_event_device, enc_event_device);

#define REQ(id)     [0][id]
#define RESP(id)    [VMSG_TYPE_RESPONSE][id]
#define BUS(id)     [VMSG_TYPE_BUS][id]
#define BUS_RESP(id) [VMSG_TYPE_BUS | VMSG_TYPE_RESPONSE][id]

const struct vmsg_kind *const vmsg_kinds[4][256] = {
    REQ(VMSG_GET_DEVICE_INFO) = &k_info_req,
    RESP(VMSG_GET_DEVICE_INFO) = &k_info_resp,
    REQ(VMSG_GET_DEVICE_FEATURES) = &k_get_feat_req,
    RESP(VMSG_GET_DEVICE_FEATURES) = &k_get_feat_resp,
    REQ(VMSG_SET_DRIVER_FEATURES) = &k_set_feat_req,
    RESP(VMSG_SET_DRIVER_FEATURES) = &k_set_feat_resp,
    REQ(VMSG_GET_CONFIG) = &k_get_cfg_req,
    RESP(VMSG_GET_CONFIG) = &k_get_cfg_resp,
    REQ(VMSG_SET_CONFIG) = &k_set_cfg_req,
    RESP(VMSG_SET_CONFIG) = &k_set_cfg_resp,
    REQ(VMSG_GET_DEVICE_STATUS) = &k_get_st_req,
    RESP(VMSG_GET_DEVICE_STATUS) = &k_get_st_resp,
    REQ(VMSG_SET_DEVICE_STATUS) = &k_set_st,
    RESP(VMSG_SET_DEVICE_STATUS) = &k_set_st,
    REQ(VMSG_GET_VQUEUE) = &k_get_vq_req,
    RESP(VMSG_GET_VQUEUE) = &k_get_vq_resp,
    REQ(VMSG_SET_VQUEUE) = &k_set_vq_req,
    RESP(VMSG_SET_VQUEUE) = &k_set_vq_resp,
    REQ(VMSG_RESET_VQUEUE) = &k_reset_vq_req,
    RESP(VMSG_RESET_VQUEUE) = &k_reset_vq_resp,
    REQ(VMSG_GET_SHM) = &k_shm_req,
    RESP(VMSG_GET_SHM) = &k_shm_resp,
    REQ(VMSG_EVENT_CONFIG) = &k_ev_config,     /* events: no response */
    REQ(VMSG_EVENT_AVAIL) = &k_ev_avail,
    REQ(VMSG_EVENT_USED) = &k_ev_used,
    BUS(VMSG_BUS_GET_DEVICES) = &k_devices_req,
    BUS_RESP(VMSG_BUS_GET_DEVICES) = &k_devices_resp,
    BUS(VMSG_BUS_PING) = &k_ping,
    BUS_RESP(VMSG_BUS_PING) = &k_ping,
    BUS(VMSG_BUS_EVENT_DEVICE) = &k_ev_device,
};

const char *vmsg_name(bool bus, uint8_t msg_id)
{
    const struct vmsg_kind *k = vmsg_kinds[bus ? VMSG_TYPE_BUS : 0][msg_id];

    return k ? k->name : NULL;
}
