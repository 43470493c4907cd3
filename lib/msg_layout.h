/* SPDX-License-Identifier: MIT */
/* Private: the size rules of every message, one table row per message. */
#ifndef VMSG_MSG_LAYOUT_H
#define VMSG_MSG_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

/* How the variable part of a payload is sized. */
enum vmsg_var {
    VMSG_VAR_NONE,
    VMSG_VAR_BLOCKS,      /* 4 * le32 num_blocks at payload offset 4 */
    VMSG_VAR_DATA,        /* le32 length at var_off bytes */
    VMSG_VAR_DATA_OPT,    /* 0 or le32 length at var_off (SET_CONFIG resp) */
    VMSG_VAR_BITMAP,      /* le16 count at offset 2, count / 8 bytes */
};

struct vmsg_shape {
    uint8_t present;      /* 0: this direction does not exist */
    uint8_t fixed;        /* payload bytes before the variable part */
    uint8_t var;          /* enum vmsg_var */
    uint8_t var_off;      /* where the length field lives */
};

struct vmsg_layout {
    const char *name;
    struct vmsg_shape req;    /* request or event */
    struct vmsg_shape resp;
};

/* Row for (class, msg_id), or NULL if the id is not defined. */
const struct vmsg_layout *vmsg_layout_find(bool bus, uint8_t msg_id);

#endif
