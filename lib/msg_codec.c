/* SPDX-License-Identifier: MIT */
/*
 * Encode and decode virtio-msg messages.
 *
 * Decoding runs in steps, each before the next reads anything: header
 * bounds, the message kind (class, direction, msg_id), the payload size the
 * kind allows, then the kind's own decoder (variable length, reserved words,
 * value rules).  Encoding is the kind's encoder: the same value rules
 * first, so the codec never produces what it would reject, then sizes and
 * bytes.  Per-kind code lives in msg_kinds.c.
 */
#include "msg_kinds.h"
#include "virtio-msg/msg.h"

/* No kind for (type, msg_id): an event with the response bit, or unknown. */
static int kind_error(uint8_t type, uint8_t msg_id)
{
    return vmsg_kinds[type ^ VMSG_TYPE_RESPONSE][msg_id] ? -VMSG_E_EVENT_RESPONSE
                                                         : -VMSG_E_UNKNOWN_ID;
}

int vmsg_decode(const void *buf, size_t len, size_t max_size, struct vmsg *out)
{
    const uint8_t *b = buf;
    const struct vmsg_kind *k;
    uint32_t plen;

    if (len < VMSG_HDR_SIZE)
        return -VMSG_E_SHORT;
    memset(out, 0, sizeof(*out));
    vmsg_get_header(out, b);
    if (out->msg_size < VMSG_HDR_SIZE || out->msg_size > len)
        return -VMSG_E_MSG_SIZE;
    if (max_size && out->msg_size > max_size)
        return -VMSG_E_TOO_BIG;

    k = vmsg_kinds[out->type][out->msg_id];
    if (!k)
        return kind_error(out->type, out->msg_id);
    plen = out->msg_size - VMSG_HDR_SIZE;
    if (plen < k->fixed || (!k->var && plen != k->fixed))
        return -VMSG_E_LENGTH;
    return k->decode(out, b + VMSG_HDR_SIZE, plen);
}

int vmsg_encode(struct vmsg *m, void *buf, size_t cap)
{
    const struct vmsg_kind *k;

    m->type &= VMSG_TYPE_KNOWN_MASK;
    k = vmsg_kinds[m->type][m->msg_id];
    if (!k)
        return kind_error(m->type, m->msg_id);
    return k->encode(m, buf, cap);
}

static const char *const error_names[VMSG_E__COUNT] = {
    [VMSG_OK] = "ok",
    [VMSG_E_SHORT] = "shorter than a header",
    [VMSG_E_MSG_SIZE] = "msg_size out of bounds",
    [VMSG_E_TOO_BIG] = "larger than the bus maximum",
    [VMSG_E_UNKNOWN_ID] = "unknown msg_id",
    [VMSG_E_EVENT_RESPONSE] = "response bit set on an event",
    [VMSG_E_LENGTH] = "msg_size does not match the message",
    [VMSG_E_RESERVED] = "reserved field not zero",
    [VMSG_E_RANGE] = "field out of range",
    [VMSG_E_DEV_NUM] = "bus message with non-zero dev_num",
    [VMSG_E_ALIGN] = "offset or count not a multiple of 8",
    [VMSG_E_NOSPACE] = "output buffer too small",
};

const char *vmsg_strerror(int err)
{
    if (err < 0)
        err = -err;
    if (err >= VMSG_E__COUNT)
        return "unknown error";
    return error_names[err];
}
