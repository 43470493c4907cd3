/* SPDX-License-Identifier: MIT */
/*
 * The message table: names and payload shapes, indexed by msg_id.
 * Sizes are the spec's (shared/spec/virtio-msg-spec.md §2, §3) minus the
 * 8-byte header.
 */
#include "msg_layout.h"
#include "virtio-msg/msg.h"

#define NONE        { 0, 0, VMSG_VAR_NONE, 0, 0 }
#define FIXED(n)    { 1, (n), VMSG_VAR_NONE, 0, 0 }
#define FIXED_CHK(n, c) { 1, (n), VMSG_VAR_NONE, 0, (c) }
#define VAR(n, k, o) { 1, (n), (k), (o), VMSG_CHK_FIELDS }

#define F VMSG_CHK_FIELDS
#define R VMSG_CHK_RESERVED

const struct vmsg_layout vmsg_layouts[2][0x80] = {
    [0] = {                                  /* transport (device) messages */
        [VMSG_GET_DEVICE_INFO] = { "GET_DEVICE_INFO", FIXED(0), FIXED_CHK(24, F) },
        [VMSG_GET_DEVICE_FEATURES] = { "GET_DEVICE_FEATURES", FIXED_CHK(8, F),
                                       VAR(8, VMSG_VAR_BLOCKS, 4) },
        [VMSG_SET_DRIVER_FEATURES] = { "SET_DRIVER_FEATURES",
                                       VAR(8, VMSG_VAR_BLOCKS, 4), FIXED(0) },
        [VMSG_GET_CONFIG] = { "GET_CONFIG", FIXED_CHK(8, F), VAR(12, VMSG_VAR_DATA, 8) },
        [VMSG_SET_CONFIG] = { "SET_CONFIG", VAR(12, VMSG_VAR_DATA, 8),
                              VAR(12, VMSG_VAR_DATA_OPT, 8) },
        [VMSG_GET_DEVICE_STATUS] = { "GET_DEVICE_STATUS", FIXED(0), FIXED_CHK(4, F) },
        [VMSG_SET_DEVICE_STATUS] = { "SET_DEVICE_STATUS", FIXED_CHK(4, F), FIXED_CHK(4, F) },
        [VMSG_GET_VQUEUE] = { "GET_VQUEUE", FIXED(4), FIXED_CHK(40, F | R) },
        [VMSG_SET_VQUEUE] = { "SET_VQUEUE", FIXED_CHK(40, F | R), FIXED(0) },
        [VMSG_RESET_VQUEUE] = { "RESET_VQUEUE", FIXED(4), FIXED(0) },
        [VMSG_GET_SHM] = { "GET_SHM", FIXED(4), FIXED(12) },
        [VMSG_EVENT_CONFIG] = { "EVENT_CONFIG", VAR(16, VMSG_VAR_DATA, 12), NONE },
        [VMSG_EVENT_AVAIL] = { "EVENT_AVAIL", FIXED(8), NONE },
        [VMSG_EVENT_USED] = { "EVENT_USED", FIXED(4), NONE },
    },
    [1] = {                                  /* bus messages: dev_num 0 always */
        [VMSG_BUS_GET_DEVICES] = { "GET_DEVICES", FIXED_CHK(4, F),
                                   VAR(6, VMSG_VAR_BITMAP, 2) },
        [VMSG_BUS_PING] = { "PING", FIXED_CHK(4, F), FIXED_CHK(4, F) },
        [VMSG_BUS_EVENT_DEVICE] = { "EVENT_DEVICE", FIXED_CHK(4, F), NONE },
    },
};

const char *vmsg_name(bool bus, uint8_t msg_id)
{
    const struct vmsg_layout *l = vmsg_layout_find(bus, msg_id);

    return l ? l->name : NULL;
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
