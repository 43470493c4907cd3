/* SPDX-License-Identifier: MIT */
/* Page address -> slot index (see page_index.h). */
#include <string.h>

#include "page_index.h"

#define MASK (VMSG_PIDX_SIZE - 1)

uint32_t vmsg_pidx_home(const void *key)
{
    uint64_t pfn = (uint64_t)(uintptr_t)key >> 12;

    return (uint32_t)((pfn * 0x9E3779B97F4A7C15ull) >> 40) & MASK;
}

void vmsg_pidx_init(struct vmsg_page_index *x)
{
    memset(x, 0, sizeof(*x));
}

static int bucket_of(const struct vmsg_page_index *x, const void *key)
{
    uint32_t i, n;

    for (i = vmsg_pidx_home(key), n = 0; n < VMSG_PIDX_SIZE && x->key[i]; i = (i + 1) & MASK, n++)
        if (x->key[i] == key)
            return (int)i;
    return -1;
}

bool vmsg_pidx_add(struct vmsg_page_index *x, const void *key, uint32_t slot)
{
    uint32_t i;

    if (!key || slot >= VMSG_PIDX_SLOTS || x->count >= VMSG_PIDX_SLOTS)
        return false;
    for (i = vmsg_pidx_home(key); x->key[i]; i = (i + 1) & MASK)
        ;
    x->key[i] = key;
    x->slot[i] = (uint16_t)slot;
    x->count++;
    return true;
}

int vmsg_pidx_find(const struct vmsg_page_index *x, const void *key)
{
    int b = key ? bucket_of(x, key) : -1;

    return b < 0 ? -1 : x->slot[b];
}

/* Empty bucket @i, then move back every later entry of the same probe run
 * that may now be unreachable (one whose home is not in (i, j]). */
bool vmsg_pidx_del(struct vmsg_page_index *x, const void *key)
{
    int b = key ? bucket_of(x, key) : -1;
    uint32_t i, j, h;

    if (b < 0)
        return false;
    i = (uint32_t)b;
    x->key[i] = NULL;
    x->count--;
    for (j = (i + 1) & MASK; x->key[j]; j = (j + 1) & MASK) {
        h = vmsg_pidx_home(x->key[j]);
        if (((j - h) & MASK) < ((j - i) & MASK))
            continue;                /* its home lies after the hole: stays */
        x->key[i] = x->key[j];
        x->slot[i] = x->slot[j];
        x->key[j] = NULL;
        i = j;
    }
    return true;
}
