/* SPDX-License-Identifier: MIT */
/* Pages shared in ascending grant-reference order (see gnt_share.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/sys/gntalloc.h>

#include "gnt_share.h"

#define PG 4096u

struct order {
    uint32_t ref, page;              /* page: index in the kernel's order */
};

static int by_ref(const void *a, const void *b)
{
    uint32_t x = ((const struct order *)a)->ref, y = ((const struct order *)b)->ref;

    return x < y ? -1 : x > y;
}

int gnt_share_pages(struct gnt_share *s, uint32_t domid, uint32_t npages)
{
    struct ioctl_gntalloc_alloc_gref *req = NULL;
    struct order *o = NULL;
    uint32_t i, j;
    int rc;

    memset(s, 0, sizeof(*s));
    s->fd = -1;
    if (npages == 0 || npages > (1u << 20) || domid > 0x7FF0)
        return -EINVAL;
    s->fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
    if (s->fd < 0)
        return errno == ENOENT ? -ENOSYS : -errno;
    req = calloc(1, sizeof(*req) + sizeof(uint32_t) * npages);
    o = calloc(npages, sizeof(*o));
    s->refs = calloc(npages, sizeof(*s->refs));
    rc = -ENOMEM;
    if (!req || !o || !s->refs)
        goto fail;
    req->domid = (uint16_t)domid;
    req->flags = GNTALLOC_FLAG_WRITABLE;
    req->count = npages;
    if (ioctl(s->fd, IOCTL_GNTALLOC_ALLOC_GREF, req)) {
        rc = -errno;
        goto fail;
    }
    s->index = req->index;
    s->npages = npages;
    for (i = 0; i < npages; i++)
        o[i] = (struct order){ req->gref_ids[i], i };
    qsort(o, npages, sizeof(*o), by_ref);
    /* Reserve the range, then map runs of pages in sorted position. */
    s->mem = mmap(NULL, (size_t)npages * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->mem == MAP_FAILED) {
        s->mem = NULL;
        rc = -errno;
        goto fail;
    }
    for (i = 0; i < npages; i = j) {
        for (j = i + 1; j < npages && o[j].page == o[j - 1].page + 1; j++)
            ;
        if (mmap(s->mem + (size_t)i * PG, (size_t)(j - i) * PG, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_FIXED, s->fd, (off_t)(s->index + (uint64_t)o[i].page * PG)) ==
            MAP_FAILED) {
            rc = -errno;
            goto fail;
        }
    }
    for (i = 0; i < npages; i++)
        s->refs[i] = o[i].ref;
    free(req);
    free(o);
    return 0;
fail:
    free(req);
    free(o);
    gnt_unshare(s);
    return rc;
}

void gnt_unshare(struct gnt_share *s)
{
    if (s->mem)
        munmap(s->mem, (size_t)s->npages * PG);
    if (s->fd >= 0) {
        if (s->npages) {
            struct ioctl_gntalloc_dealloc_gref d = { s->index, s->npages };
            ioctl(s->fd, IOCTL_GNTALLOC_DEALLOC_GREF, &d);
        }
        close(s->fd);
    }
    free(s->refs);
    memset(s, 0, sizeof(*s));
    s->fd = -1;
}
