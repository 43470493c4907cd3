/* SPDX-License-Identifier: MIT */
/*
 * Host store wire format, one SOCK_SEQPACKET packet per message: a header,
 * then plen bytes of path, then vlen bytes of value (no NULs anywhere).
 * Requests carry a client-chosen rid that the reply echoes; watch events
 * (path = what changed, value = the token) come unasked with rid 0.
 */
#ifndef VMSG_STORE_PROTO_H
#define VMSG_STORE_PROTO_H

#include <stdint.h>

#include "virtio-msg/store.h"

enum vhs_op {
    VHS_READ = 1, VHS_WRITE, VHS_RM, VHS_DIR, VHS_WATCH, VHS_UNWATCH,
    VHS_REPLY = 0x80, VHS_EVENT = 0x81,
};

struct vhs_hdr {
    uint8_t op;
    uint8_t pad;
    uint16_t plen;                   /* path bytes */
    uint32_t rid;
    int32_t err;                     /* replies: 0 or -errno */
    uint32_t vlen;                   /* value bytes (DIR reply: names) */
};

#define VHS_MAX_PACKET (sizeof(struct vhs_hdr) + VMSG_STORE_MAX_PATH + 8192)

#endif
