/* SPDX-License-Identifier: MIT */
/* Private: the size rules of every message, one table row per message. */
#ifndef VMSG_MSG_LAYOUT_H
#define VMSG_MSG_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the variable part of a payload is sized. */
enum vmsg_var {
    VMSG_VAR_NONE,
    VMSG_VAR_BLOCKS,      /* 4 * le32 num_blocks at payload offset 4 */
    VMSG_VAR_DATA,        /* le32 length at var_off bytes */
    VMSG_VAR_DATA_OPT,    /* 0 or le32 length at var_off (SET_CONFIG resp) */
    VMSG_VAR_BITMAP,      /* le16 count at offset 2, count / 8 bytes */
};

/* What decode and encode must check beyond sizes (vmsg_shape.checks). */
#define VMSG_CHK_FIELDS   1u  /* value rules: check_fields() */
#define VMSG_CHK_RESERVED 2u  /* reserved words that must be zero */

struct vmsg_shape {
    uint8_t present;      /* 0: this direction does not exist */
    uint8_t fixed;        /* payload bytes before the variable part */
    uint8_t var;          /* enum vmsg_var */
    uint8_t var_off;      /* where the length field lives */
    uint8_t checks;       /* VMSG_CHK_*: lets the common case skip them */
};

struct vmsg_layout {
    const char *name;
    struct vmsg_shape req;    /* request or event */
    struct vmsg_shape resp;
};

/* Every message, indexed [bus][msg_id] (ids are below 0x80). */
extern const struct vmsg_layout vmsg_layouts[2][0x80];

/* Row for (class, msg_id), or NULL if the id is not defined.  Inline and
 * one load: it is on the path of every message. */
static inline const struct vmsg_layout *vmsg_layout_find(bool bus, uint8_t msg_id)
{
    const struct vmsg_layout *l;

    if (msg_id >= 0x80)
        return NULL;
    l = &vmsg_layouts[bus][msg_id];
    return l->name ? l : NULL;
}

#endif
