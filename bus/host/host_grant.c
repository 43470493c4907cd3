/* SPDX-License-Identifier: MIT */
/* Host grant-table emulation (see host_grant.h). */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_grant.h"

#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static int sealed_memfd(const char *name, size_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size) || fcntl(fd, F_ADD_SEALS, SEALS)) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int hg_pool_create(struct hg_pool *p, uint32_t npages)
{
    size_t tsize = (size_t)npages * sizeof(struct hg_entry);
    int rc;

    memset(p, 0, sizeof(*p));
    p->mem_fd = p->tbl_fd = -1;
    if (npages == 0 || npages > HG_MAX_PAGES)
        return -EINVAL;
    pthread_mutex_init(&p->lock, NULL);
    p->npages = npages;
    p->used = calloc(npages, 1);
    if (!p->used)
        return -ENOMEM;
    rc = p->mem_fd = sealed_memfd("vmsg-pool", (size_t)npages * HG_PAGE);
    if (rc >= 0)
        rc = p->tbl_fd = sealed_memfd("vmsg-grants", tsize);
    if (rc < 0)
        goto fail;
    p->mem = mmap(NULL, (size_t)npages * HG_PAGE, PROT_READ | PROT_WRITE,
                  MAP_SHARED, p->mem_fd, 0);
    p->tbl = mmap(NULL, tsize, PROT_READ | PROT_WRITE, MAP_SHARED, p->tbl_fd, 0);
    if (p->mem == MAP_FAILED || p->tbl == MAP_FAILED) {
        rc = -errno;
        goto fail;
    }
    return 0;
fail:
    if (p->mem == MAP_FAILED)
        p->mem = NULL;
    if (p->tbl == MAP_FAILED)
        p->tbl = NULL;
    hg_pool_destroy(p);
    return rc;
}

void hg_pool_destroy(struct hg_pool *p)
{
    if (p->mem)
        munmap(p->mem, (size_t)p->npages * HG_PAGE);
    if (p->tbl)
        munmap(p->tbl, (size_t)p->npages * sizeof(struct hg_entry));
    if (p->mem_fd >= 0)
        close(p->mem_fd);
    if (p->tbl_fd >= 0)
        close(p->tbl_fd);
    free(p->used);
    if (p->npages)
        pthread_mutex_destroy(&p->lock);
    memset(p, 0, sizeof(*p));
    p->mem_fd = p->tbl_fd = -1;
}

void *hg_alloc(struct hg_pool *p, size_t size, uint32_t *gref)
{
    uint32_t n = (uint32_t)((size + HG_PAGE - 1) / HG_PAGE), i, run = 0;
    void *ret = NULL;

    if (n == 0)
        n = 1;
    pthread_mutex_lock(&p->lock);
    for (i = 0; i < p->npages; i++) {
        run = p->used[i] ? 0 : run + 1;
        if (run == n) {
            uint32_t first = i + 1 - n, k;
            for (k = first; k <= i; k++) {
                p->used[k] = 1;
                p->tbl[k].page = htole32(k);
                /* page contents are ready before the grant is visible */
                __atomic_thread_fence(__ATOMIC_RELEASE);
                p->tbl[k].flags = htole32(HG_VALID);
            }
            p->granted += n;
            memset(p->mem + (size_t)first * HG_PAGE, 0, (size_t)n * HG_PAGE);
            *gref = first;
            ret = p->mem + (size_t)first * HG_PAGE;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (!ret)
        errno = ENOMEM;
    return ret;
}

void hg_free(struct hg_pool *p, uint32_t gref, size_t size)
{
    uint32_t n = (uint32_t)((size + HG_PAGE - 1) / HG_PAGE), k;

    if (n == 0)
        n = 1;
    pthread_mutex_lock(&p->lock);
    for (k = gref; k < gref + n && k < p->npages; k++) {
        if (!p->used[k])
            continue;
        p->tbl[k].flags = 0;          /* revoke */
        p->used[k] = 0;
        p->granted--;
    }
    pthread_mutex_unlock(&p->lock);
}

static int check_sealed(int fd, size_t *size)
{
    struct stat st;
    int seals = fcntl(fd, F_GET_SEALS);

    if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) !=
                         (F_SEAL_SHRINK | F_SEAL_GROW))
        return -EPERM;               /* could shrink under us: SIGBUS */
    if (fstat(fd, &st) || st.st_size <= 0)
        return -EINVAL;
    *size = (size_t)st.st_size;
    return 0;
}

int hg_attach(struct hg_map *m, int mem_fd, int tbl_fd)
{
    size_t msize, tsize;
    void *mem, *tbl;
    int rc;

    memset(m, 0, sizeof(*m));
    if ((rc = check_sealed(mem_fd, &msize)) || (rc = check_sealed(tbl_fd, &tsize)))
        return rc;
    if (msize % HG_PAGE || msize / HG_PAGE > HG_MAX_PAGES ||
        tsize != msize / HG_PAGE * sizeof(struct hg_entry))
        return -EINVAL;
    mem = mmap(NULL, msize, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, 0);
    if (mem == MAP_FAILED)
        return -errno;
    tbl = mmap(NULL, tsize, PROT_READ, MAP_SHARED, tbl_fd, 0);
    if (tbl == MAP_FAILED) {
        rc = -errno;
        munmap(mem, msize);
        return rc;
    }
    m->mem = mem;
    m->tbl = tbl;
    m->npages = (uint32_t)(msize / HG_PAGE);
    return 0;
}

void hg_detach(struct hg_map *m)
{
    if (m->mem)
        munmap(m->mem, (size_t)m->npages * HG_PAGE);
    if (m->tbl)
        munmap((void *)(uintptr_t)m->tbl, (size_t)m->npages * sizeof(struct hg_entry));
    m->mem = NULL;
    m->tbl = NULL;
}

/* Entry @g read once: the page it grants, or -1. */
static int64_t granted_page(struct hg_map *m, uint32_t g, bool write)
{
    uint32_t flags, page;

    if (g >= m->npages)
        return -1;
    flags = le32toh(m->tbl[g].flags);
    page = le32toh(m->tbl[g].page);
    if (!(flags & HG_VALID) || (write && (flags & HG_READONLY)) ||
        page >= m->npages)
        return -1;
    return page;
}

void *hg_map(struct hg_map *m, uint32_t gref, uint32_t off, size_t *len,
             bool write)
{
    int64_t first = granted_page(m, gref, write), page = first;
    size_t want = *len, got;
    uint32_t g = gref;

    if (first < 0 || off >= HG_PAGE || want == 0) {
        m->faults++;
        errno = EFAULT;
        return NULL;
    }
    got = HG_PAGE - off;
    /* Extend over following grants that map the following pages. */
    while (got < want) {
        int64_t next = granted_page(m, ++g, write);
        if (next != page + 1)
            break;
        page = next;
        got += HG_PAGE;
    }
    *len = got < want ? got : want;
    m->maps++;
    return m->mem + (size_t)first * HG_PAGE + off;
}

void hg_unmap(struct hg_map *m, void *p, size_t len)
{
    (void)p;
    (void)len;
    m->unmaps++;
}
