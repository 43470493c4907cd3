/* SPDX-License-Identifier: MIT */
/*
 * Host emulation of Xen grant tables.
 *
 * The frontend owns a pool of pages (a sealed memfd) and a grant table (a
 * second sealed memfd, one entry per page).  Granting page g sets entry g
 * valid; revoking clears it.  The backend maps both files once, the table
 * read-only, and hg_map() lets it reach a page only while its entry says
 * granted (and writable, for writes), reading each entry once.  So, as on
 * Xen, the backend touches nothing the frontend did not grant, and a
 * revoked grant cannot be mapped again.  Seals (no shrink, no grow) mean a
 * hostile frontend cannot make the backend's mapping fault.
 */
#ifndef VMSG_HOST_GRANT_H
#define VMSG_HOST_GRANT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HG_PAGE       4096u
#define HG_VALID      1u
#define HG_READONLY   2u
#define HG_MAX_PAGES  (1u << 20)      /* 4 GiB of pool at most */

struct hg_entry {
    uint32_t flags;                   /* le32 HG_* */
    uint32_t page;                    /* le32 page index in the pool */
};

/* Frontend side. */
struct hg_pool {
    int mem_fd, tbl_fd;
    uint8_t *mem;
    struct hg_entry *tbl;
    uint32_t npages;
    uint8_t *used;                    /* one byte per page */
    uint32_t granted;                 /* pages currently granted */
    pthread_mutex_t lock;
};

int hg_pool_create(struct hg_pool *p, uint32_t npages);
void hg_pool_destroy(struct hg_pool *p);
/* Grant @size bytes of consecutive pages; returns memory and first gref. */
void *hg_alloc(struct hg_pool *p, size_t size, uint32_t *gref);
/* Revoke and free what hg_alloc() returned. */
void hg_free(struct hg_pool *p, uint32_t gref, size_t size);

/* Backend side. */
struct hg_map {
    uint8_t *mem;
    const volatile struct hg_entry *tbl;
    uint32_t npages;
    uint64_t maps, unmaps, faults;    /* for leak checks and tests */
};

/* Validate and map the frontend's pool and table; takes no fd ownership. */
int hg_attach(struct hg_map *m, int mem_fd, int tbl_fd);
void hg_detach(struct hg_map *m);
/*
 * Map [off, off+*len) of the pages granted from @gref on, as far as they are
 * granted and contiguous; shortens *len.  NULL with errno EFAULT if the
 * first page is not granted (or not writable when @write).
 */
void *hg_map(struct hg_map *m, uint32_t gref, uint32_t off, size_t *len,
             bool write);
void hg_unmap(struct hg_map *m, void *p, size_t len);

#endif
