/* SPDX-License-Identifier: MIT */
/* Frontend DMA pool over pre-granted pages (see grant_pool.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grant_pool.h"
#include "msg_ring.h"

#define PG 4096u

int vmsg_gpool_init(struct vmsg_gpool *p, void *mem, const uint32_t *refs,
                    uint32_t npages)
{
    memset(p, 0, sizeof(*p));
    p->used = calloc(npages ? npages : 1, 1);
    if (!p->used)
        return -ENOMEM;
    p->mem = mem;
    p->refs = refs;
    p->npages = npages;
    pthread_mutex_init(&p->lock, NULL);
    return 0;
}

void vmsg_gpool_fini(struct vmsg_gpool *p)
{
    if (!p->used)
        return;
    free(p->used);
    pthread_mutex_destroy(&p->lock);
    memset(p, 0, sizeof(*p));
}

/* Can @n pages starting at @i be handed out as one buffer (with
 * consecutive references if @consec)? */
static int run_free(const struct vmsg_gpool *p, uint32_t i, uint32_t n, bool consec)
{
    uint32_t k;

    for (k = 0; k < n; k++)
        if (p->used[i + k] || (consec && k && p->refs[i + k] != p->refs[i] + k))
            return 0;
    return 1;
}

static void *alloc_run(struct vmsg_gpool *p, size_t size, bool consec, uint64_t *addr)
{
    uint32_t n, i;
    void *mem = NULL;

    if (size == 0 || size > (size_t)p->npages * PG)
        return NULL;
    n = (uint32_t)((size + PG - 1) / PG);
    pthread_mutex_lock(&p->lock);
    for (i = 0; i + n <= p->npages; i++) {
        if (!run_free(p, i, n, consec))
            continue;
        memset(p->used + i, 1, n);
        p->in_use += n;
        mem = p->mem + (size_t)i * PG;
        *addr = vmsg_gdma_addr(p->refs[i], 0);
        break;
    }
    pthread_mutex_unlock(&p->lock);
    if (mem)
        memset(mem, 0, (size_t)n * PG);  /* never show old data */
    return mem;
}

void *vmsg_gpool_alloc(struct vmsg_gpool *p, size_t size, uint64_t *addr)
{
    return alloc_run(p, size, true, addr);
}

void *vmsg_gpool_alloc_pages(struct vmsg_gpool *p, size_t size)
{
    uint64_t addr;

    return alloc_run(p, size, false, &addr);
}

uint64_t vmsg_gpool_addr(const struct vmsg_gpool *p, const void *ptr)
{
    const uint8_t *b = ptr;
    size_t off;

    if (!b || b < p->mem || b >= p->mem + (size_t)p->npages * PG)
        return 0;
    off = (size_t)(b - p->mem);
    return vmsg_gdma_addr(p->refs[off / PG], (uint32_t)(off % PG));
}

void vmsg_gpool_free(struct vmsg_gpool *p, void *ptr, size_t size)
{
    uint8_t *b = ptr;
    uint32_t i, n;

    if (!b || b < p->mem || b >= p->mem + (size_t)p->npages * PG ||
        (size_t)(b - p->mem) % PG)
        return;
    i = (uint32_t)((size_t)(b - p->mem) / PG);
    n = (uint32_t)((size + PG - 1) / PG);
    if (n > p->npages - i)
        n = p->npages - i;
    pthread_mutex_lock(&p->lock);
    for (; n; n--, i++)
        if (p->used[i]) {
            p->used[i] = 0;
            p->in_use--;
        }
    pthread_mutex_unlock(&p->lock);
}
