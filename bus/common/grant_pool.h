/* SPDX-License-Identifier: MIT */
/*
 * Frontend DMA pool over pages that were granted once, up front.
 *
 * A grant-DMA address names a first grant reference and assumes the
 * following pages carry the following references (as Linux's grant DMA
 * does).  Pages shared in one call need not get consecutive references, so
 * an allocation of several pages is only placed where both the memory and
 * the references are consecutive.  The pool never revokes a grant while it
 * lives, which is what lets the backend keep its mappings (persistent
 * grants, advertised to the backend as feature-persistent).
 */
#ifndef VMSG_GRANT_POOL_H
#define VMSG_GRANT_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmsg_gpool {
    uint8_t *mem;                    /* npages * 4096, contiguous */
    const uint32_t *refs;            /* grant ref of each page */
    uint32_t npages;
    uint8_t *used;                   /* one byte per page */
    uint32_t in_use;
    pthread_mutex_t lock;
};

/* Manage @npages at @mem whose references are @refs (kept, not copied). */
int vmsg_gpool_init(struct vmsg_gpool *p, void *mem, const uint32_t *refs,
                    uint32_t npages);
void vmsg_gpool_fini(struct vmsg_gpool *p);
/* @size bytes of page-aligned memory and the grant-DMA address of it;
 * NULL if no run of consecutive references is free. */
void *vmsg_gpool_alloc(struct vmsg_gpool *p, size_t size, uint64_t *addr);
/* @size bytes of page-aligned memory, its pages' references in any order
 * (the caller splits DMA at vmsg_gpool_addr() discontinuities). */
void *vmsg_gpool_alloc_pages(struct vmsg_gpool *p, size_t size);
/* The grant-DMA address of @ptr inside the pool, 0 if outside. */
uint64_t vmsg_gpool_addr(const struct vmsg_gpool *p, const void *ptr);
/* Give back what either allocator returned (the grants stay). */
void vmsg_gpool_free(struct vmsg_gpool *p, void *ptr, size_t size);

#endif
