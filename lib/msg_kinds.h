/* SPDX-License-Identifier: MIT */
/*
 * Private: one entry per message kind (class, direction, msg_id), each with
 * its own small functions, so the codec's path for one message is one table
 * load and straight-line code for that message (no generic shape walk).
 */
#ifndef VMSG_MSG_KINDS_H
#define VMSG_MSG_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio-msg/msg.h"

struct vmsg_kind {
    const char *name;     /* spec name, e.g. "GET_DEVICE_FEATURES" */
    uint8_t fixed;        /* payload bytes before any variable part */
    bool var;             /* a variable part follows, sized by the fields */
    /*
     * Payload -> @m (header already in @m).  @plen >= fixed, and == fixed
     * unless var.  Checks the variable length and reserved words before
     * reading, then the kind's value rules.  Returns 0 or -VMSG_E_*.
     */
    int (*decode)(struct vmsg *m, const uint8_t *p, uint32_t plen);
    /*
     * @m -> @b (@cap bytes): the kind's value rules (the same as decode's),
     * sizes, msg_size, header, every payload byte.  Returns msg_size or
     * -VMSG_E_*; vmsg_encode returns it as is (a tail call).
     */
    int (*encode)(struct vmsg *m, uint8_t *b, size_t cap);
};

/* Indexed [type & VMSG_TYPE_KNOWN_MASK][msg_id]; NULL: no such message. */
extern const struct vmsg_kind *const vmsg_kinds[4][256];

/*
 * struct vmsg starts with the header's fields in wire order, so on a
 * little-endian host the header is one 8-byte copy each way.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
_Static_assert(offsetof(struct vmsg, msg_id) == 1 && offsetof(struct vmsg, dev_num) == 2 &&
               offsetof(struct vmsg, token) == 4 && offsetof(struct vmsg, msg_size) == 6,
               "struct vmsg's header fields are in wire order");

static inline void vmsg_get_header(struct vmsg *m, const uint8_t *b)
{
    memcpy(m, b, VMSG_HDR_SIZE);
    m->type &= VMSG_TYPE_KNOWN_MASK;
}

static inline void vmsg_put_header(uint8_t *b, const struct vmsg *m)
{
    memcpy(b, m, VMSG_HDR_SIZE);
}
#else
static inline void vmsg_get_header(struct vmsg *m, const uint8_t *b)
{
    m->type = b[0] & VMSG_TYPE_KNOWN_MASK;
    m->msg_id = b[1];
    m->dev_num = vmsg_get_le16(b + 2);
    m->token = vmsg_get_le16(b + 4);
    m->msg_size = vmsg_get_le16(b + 6);
}

static inline void vmsg_put_header(uint8_t *b, const struct vmsg *m)
{
    b[0] = m->type;
    b[1] = m->msg_id;
    vmsg_put_le16(b + 2, m->dev_num);
    vmsg_put_le16(b + 4, m->token);
    vmsg_put_le16(b + 6, m->msg_size);
}
#endif

#endif
