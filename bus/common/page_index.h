/* SPDX-License-Identifier: MIT */
/*
 * A fixed-size index from page-aligned addresses to small slot numbers:
 * open addressing with linear probing and backward-shift deletion, so a
 * lookup costs a few probes however many entries there are.  The Xen
 * backend's mapping cache finds the cache slot of an address it is asked
 * to unmap with it (a scan of every slot per unmap cost more than the
 * copy for a 1 MiB request in 256 pieces).  Not thread-safe.
 */
#ifndef VMSG_PAGE_INDEX_H
#define VMSG_PAGE_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#define VMSG_PIDX_SLOTS 1024u        /* slot numbers 0..SLOTS-1 */
#define VMSG_PIDX_SIZE  4096u        /* buckets: a quarter full at most */

struct vmsg_page_index {
    const void *key[VMSG_PIDX_SIZE];
    uint16_t slot[VMSG_PIDX_SIZE];
    uint32_t count;
};

void vmsg_pidx_init(struct vmsg_page_index *x);
/* Add @key (not present) for @slot; false if the index is full. */
bool vmsg_pidx_add(struct vmsg_page_index *x, const void *key, uint32_t slot);
/* The slot of @key, or -1. */
int vmsg_pidx_find(const struct vmsg_page_index *x, const void *key);
/* The bucket where the probe for @key starts (for tests). */
uint32_t vmsg_pidx_home(const void *key);
/* Remove @key; false if it was not there. */
bool vmsg_pidx_del(struct vmsg_page_index *x, const void *key);

#endif
