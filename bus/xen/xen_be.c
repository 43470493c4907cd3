/* SPDX-License-Identifier: MIT */
/*
 * Xen bus, backend (device role) side: maps the frontend's ring and data
 * grants with xengnttab (never foreign mapping), binds the frontend's
 * event channel.  With feature-persistent the data mappings are kept: a
 * pool the frontend announces (pool-ref, pool-pages) is mapped whole at
 * connect, and any other buffer goes into a bounded cache, as blkback
 * keeps persistent grants; without it every mapping is released as soon
 * as the request is done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "virtio-msg/msg.h"
#include "virtio-msg/xen.h"
#include "xs_util.h"
#include "../common/page_index.h"

#define PG 4096u
#define MC_SETS 256u                 /* cache: 256 sets x 4 ways */
#define MC_WAYS 4u
#define MC_SLOTS (MC_SETS * MC_WAYS)
#define MAP_MAX_PAGES 256u           /* one mapping covers at most 1 MiB */

struct mc_ent {
    uint32_t gref, npages, users;
    uint64_t last;
    bool rw;
};

struct vmsg_xen_mapcache {
    uint8_t *base[MC_SLOTS];         /* NULL: free slot */
    struct mc_ent e[MC_SLOTS];
    struct vmsg_page_index idx;      /* base -> slot, for unmap */
    uint64_t tick, hits, misses;
};
_Static_assert(MC_SLOTS <= VMSG_PIDX_SLOTS, "the index numbers every slot");

static struct vmsg_xen_be *be_of(void *ctx)
{
    return ctx;
}

static int be_notify(void *ctx)
{
    struct vmsg_xen_be *be = be_of(ctx);

    if (be->port < 0)
        return -EPIPE;
    return xenevtchn_notify((xenevtchn_handle *)be->xce, (evtchn_port_t)be->port) ? -errno : 0;
}

/* The daemon reads and unmasks the shared event channel fd itself. */
static int be_wait(void *ctx, int timeout_ms)
{
    (void)ctx;
    (void)timeout_ms;
    return 0;
}

/* One gntdev mapping of @n pages, counted. */
static uint8_t *map_list(struct vmsg_xen_be *be, const uint32_t *refs, uint32_t n, bool rw)
{
    uint8_t *p = xengnttab_map_domain_grant_refs((xengnttab_handle *)be->xgt, n, be->fe_domid,
                                                 (uint32_t *)refs,
                                                 PROT_READ | (rw ? PROT_WRITE : 0));

    if (p)
        be->maps++;
    else
        be->map_fails++;
    return p;
}

/* @n pages of consecutive refs from @gref. */
static uint8_t *map_refs(struct vmsg_xen_be *be, uint32_t gref, uint32_t n,
                         bool rw)
{
    uint32_t refs[MAP_MAX_PAGES], i;

    for (i = 0; i < n; i++)
        refs[i] = gref + i;
    return map_list(be, refs, n, rw);
}

static void unmap_pages(struct vmsg_xen_be *be, void *p, uint32_t n)
{
    xengnttab_unmap((xengnttab_handle *)be->xgt, p, n);
    be->unmaps++;
}

/* A cached mapping of @n pages from @gref, mapping it if needed. */
static uint8_t *cache_get(struct vmsg_xen_be *be, uint32_t gref, uint32_t n,
                          bool write)
{
    struct vmsg_xen_mapcache *c = be->cache;
    /* Consecutive refs go to consecutive sets: a frontend's pages carry
     * consecutive refs, and so any 1024 of them (256 sets x 4 ways) fit
     * without a conflict, where a hash put five of one request's pages
     * in a set now and then. */
    uint32_t set = gref % MC_SETS, i, free_way = MC_SLOTS, lru = MC_SLOTS, victim;
    uint64_t oldest = UINT64_MAX;
    bool rw = true;
    uint8_t *p;

    for (i = set * MC_WAYS; i < (set + 1) * MC_WAYS; i++) {
        struct mc_ent *e = &c->e[i];
        if (c->base[i] && e->gref == gref && e->npages >= n && (e->rw || !write)) {
            e->users++;
            e->last = ++c->tick;
            c->hits++;
            return c->base[i];
        }
        if (!c->base[i]) {
            if (free_way == MC_SLOTS)
                free_way = i;
        } else if (!e->users && e->last < oldest) {
            oldest = e->last;
            lru = i;
        }
    }
    /* A free way before evicting anything (the least recently used of
     * those not in use). */
    victim = free_way != MC_SLOTS ? free_way : lru;
    c->misses++;
    p = map_refs(be, gref, n, true);
    if (!p && !write) {
        p = map_refs(be, gref, n, false);   /* granted read-only */
        rw = false;
    }
    if (!p || victim == MC_SLOTS)
        return p;                    /* every way busy: not cached */
    if (c->base[victim]) {
        vmsg_pidx_del(&c->idx, c->base[victim]);
        unmap_pages(be, c->base[victim], c->e[victim].npages);
    }
    c->base[victim] = p;
    vmsg_pidx_add(&c->idx, p, victim);
    c->e[victim] = (struct mc_ent){ gref, n, 1, ++c->tick, rw };
    return p;
}

/* @n pages from @gref inside the premapped pool, or NULL.  (A ref below
 * the pool's first wraps to a large offset: outside too.) */
static uint8_t *pool_get(const struct vmsg_xen_be *be, uint32_t gref, uint32_t n)
{
    uint32_t at = gref - be->pool_ref;

    if (!be->pool || at >= be->pool_pages || n > be->pool_pages - at)
        return NULL;
    return be->pool + (size_t)at * PG;
}

static bool in_pool(const struct vmsg_xen_be *be, const uint8_t *p)
{
    return be->pool && p >= be->pool && p < be->pool + (size_t)be->pool_pages * PG;
}

static void *be_dma_map(void *ctx, uint64_t addr, size_t *len, bool write)
{
    struct vmsg_xen_be *be = be_of(ctx);
    uint32_t gref, off, n;
    uint8_t *p;

    if (!vmsg_gdma_split(addr, &gref, &off) || *len == 0) {
        be->map_fails++;
        errno = EFAULT;
        return NULL;
    }
    if (*len > (size_t)MAP_MAX_PAGES * PG - off)
        *len = (size_t)MAP_MAX_PAGES * PG - off;   /* the caller maps the rest */
    n = (uint32_t)((off + *len + PG - 1) / PG);
    if (gref > UINT32_MAX - n) {
        errno = EFAULT;
        return NULL;
    }
    if ((p = pool_get(be, gref, n)))
        return p + off;
    p = be->cache ? cache_get(be, gref, n, write) : map_refs(be, gref, n, write);
    if (!p) {
        errno = EFAULT;
        return NULL;
    }
    return p + off;
}

static void be_dma_unmap(void *ctx, void *ptr, size_t len)
{
    struct vmsg_xen_be *be = be_of(ctx);
    uint8_t *base = (uint8_t *)((uintptr_t)ptr & ~(uintptr_t)(PG - 1));
    uint32_t n = (uint32_t)(((uintptr_t)ptr - (uintptr_t)base + len + PG - 1) / PG);
    int slot;

    if (in_pool(be, base))
        return;                      /* mapped for the connection's life */
    slot = be->cache ? vmsg_pidx_find(&be->cache->idx, base) : -1;
    if (slot >= 0) {
        if (be->cache->e[slot].users)
            be->cache->e[slot].users--;
        return;
    }
    unmap_pages(be, base, n);
}

/*
 * Without persistent grants, a request's buffers are taken together:
 *
 * - a request whose device-writable part is small (be->copy_max bytes or
 *   less, by default VMSG_XEN_COPY_MAX_DEFAULT: a read of up to 64 KiB,
 *   a write of any size) is copied, as QEMU's xen-block does: one
 *   grant-copy call brings in every buffer (the device-writable ones too,
 *   so what the device leaves unwritten goes back as it was) and one
 *   takes the device-writable ones back after.  A map costs a gntdev
 *   ioctl and an mmap per direction and its unmap a TLB flush; in
 *   Xen-in-QEMU, against blkfront in the same boot, 4 KiB random reads
 *   ran at 0.43x mapped and 0.53-0.59x copied, 1 MiB writes at 0.56x and
 *   0.67x.  The copy also means the frontend cannot change a buffer while
 *   the device works on it.
 * - a large read is mapped (copying it in and out again would move its
 *   data three times; 1 MiB reads ran at 0.54x mapped, 0.53x copied): one
 *   gntdev map for the ranges the device reads and one for those it
 *   writes, instead of one per buffer (a 1 MiB request from a Linux guest
 *   is 256 one-page buffers; mapped one by one it ran at a twentieth of
 *   blkfront's speed).  Readable ranges are mapped read-only: the
 *   frontend may have granted them so.
 */
#define BATCH_MAX_PAGES 1024u

enum { BATCH_MAP, BATCH_COPY };

struct map_batch {
    unsigned kind;                   /* BATCH_MAP */
    uint8_t *base[2];                /* [0] device reads, [1] device writes */
    uint32_t npages[2];
};

struct copy_batch {
    unsigned kind;                   /* BATCH_COPY */
    unsigned n;                      /* ranges */
    uint32_t pages;                  /* grant pages they touch */
    size_t total;                    /* bytes in buf */
    uint8_t *buf;                    /* the ranges' bytes, one after another */
    xengnttab_grant_copy_segment_t *seg;  /* room for @pages, kept for the copy
                                           * back (which must not fail to allocate) */
    struct vmsg_dma_range r[];
};

/* Grant-copy segments between the ranges' grants (one segment per page a
 * range touches) and @buf: into @buf (all ranges), or back out of it
 * (@out: the device-writable ranges only).  Returns the count. */
static uint32_t copy_segs(const struct vmsg_xen_be *be, const struct copy_batch *c, bool out,
                          xengnttab_grant_copy_segment_t *seg)
{
    uint32_t k = 0, gref = 0, off = 0, chunk;
    uint64_t left;
    size_t pos = 0;
    unsigned i;

    for (i = 0; i < c->n; i++) {
        if (out && !c->r[i].write) {
            pos += c->r[i].len;
            continue;
        }
        vmsg_gdma_split(c->r[i].addr, &gref, &off);
        for (left = c->r[i].len; left; left -= chunk, pos += chunk, gref++, off = 0) {
            union xengnttab_copy_ptr g = { .foreign = { gref, (uint16_t)off,
                                                        (uint16_t)be->fe_domid } };
            union xengnttab_copy_ptr v = { .virt = c->buf + pos };

            chunk = left < PG - off ? (uint32_t)left : PG - off;
            seg[k++] = (xengnttab_grant_copy_segment_t){
                .source = out ? v : g, .dest = out ? g : v, .len = (uint16_t)chunk,
                .flags = out ? GNTCOPY_dest_gref : GNTCOPY_source_gref };
        }
    }
    return k;
}

/* One grant-copy call for @c's ranges, in or @out; 0, or -EFAULT if the
 * call or any segment failed (a grant the frontend does not give us). */
static int copy_run(struct vmsg_xen_be *be, const struct copy_batch *c, bool out)
{
    xengnttab_grant_copy_segment_t *seg = c->seg;
    uint32_t n, i;
    int rc = 0;

    n = copy_segs(be, c, out, seg);
    if (n && xengnttab_grant_copy((xengnttab_handle *)be->xgt, n, seg))
        rc = -EFAULT;
    for (i = 0; i < n && rc == 0; i++)
        if (seg[i].status != GNTST_okay)
            rc = -EFAULT;
    if (rc)
        be->copy_fails++;
    return rc;
}

static void copy_free(struct copy_batch *c)
{
    free(c->seg);
    free(c->buf);
    free(c);
}

static void *copy_in(struct vmsg_xen_be *be, const struct vmsg_dma_range *r, unsigned n,
                     uint32_t pages, size_t total, void **ptr)
{
    struct copy_batch *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(*r));
    size_t pos = 0;
    unsigned i;
    int rc;

    if (c) {
        c->buf = malloc(total);
        c->seg = malloc((size_t)pages * sizeof(*c->seg));
    }
    if (!c || !c->buf || !c->seg) {
        if (c)
            copy_free(c);
        errno = ENOMEM;
        return NULL;
    }
    c->kind = BATCH_COPY;
    c->n = n;
    c->pages = pages;
    c->total = total;
    memcpy(c->r, r, (size_t)n * sizeof(*r));
    rc = copy_run(be, c, false);
    if (rc) {
        copy_free(c);
        errno = -rc;
        return NULL;
    }
    __atomic_add_fetch(&be->copy_held, total, __ATOMIC_RELAXED);
    for (i = 0; i < n; i++) {
        ptr[i] = c->buf + pos;
        pos += r[i].len;
    }
    be->copies++;
    return c;
}

static void *be_dma_map_batch(void *ctx, const struct vmsg_dma_range *r, unsigned n,
                              void **ptr)
{
    struct vmsg_xen_be *be = be_of(ctx);
    struct map_batch *b;
    uint32_t *refs, cnt[2] = { 0, 0 }, at[2] = { 0, 0 }, gref = 0, off = 0, pages, i, k, w;
    uint64_t total = 0, wbytes = 0;

    if (be->cache) {                 /* persistent: the cache maps once */
        errno = EOPNOTSUPP;
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (!vmsg_gdma_split(r[i].addr, &gref, &off) || r[i].len == 0)
            goto fault;
        if (r[i].len > (uint64_t)BATCH_MAX_PAGES * PG)
            goto one_by_one;
        pages = (uint32_t)((off + r[i].len + PG - 1) / PG);
        if (gref > UINT32_MAX - pages)
            goto fault;
        cnt[r[i].write] += pages;
        total += r[i].len;
        wbytes += r[i].write ? r[i].len : 0;
        if (cnt[r[i].write] > BATCH_MAX_PAGES)
            goto one_by_one;
    }
    /* A frontend keeps as many requests in flight as it likes: past
     * VMSG_XEN_COPY_HELD_MAX of copies held, it gets maps (bounded by
     * gntdev's grant limit) instead of more of our memory. */
    if (be->copy_max && wbytes <= be->copy_max &&
        __atomic_load_n(&be->copy_held, __ATOMIC_RELAXED) + total <= VMSG_XEN_COPY_HELD_MAX) {
        void *h = copy_in(be, r, n, cnt[0] + cnt[1], (size_t)total, ptr);

        if (h || errno != ENOMEM)
            return h;                /* short of memory: map it instead */
    }
    b = calloc(1, sizeof(*b));
    refs = malloc((size_t)(cnt[0] + cnt[1]) * sizeof(*refs));
    if (!b || !refs) {
        free(b);
        free(refs);
        errno = ENOMEM;
        return NULL;
    }
    b->kind = BATCH_MAP;
    /* refs[0 .. cnt[0]): the readable ranges' pages, then the writable. */
    for (i = 0; i < n; i++) {
        w = r[i].write;
        vmsg_gdma_split(r[i].addr, &gref, &off);
        pages = (uint32_t)((off + r[i].len + PG - 1) / PG);
        for (k = 0; k < pages; k++)
            refs[(w ? cnt[0] : 0) + at[w] + k] = gref + k;
        ptr[i] = (void *)(uintptr_t)((size_t)at[w] * PG + off);   /* offset, for now */
        at[w] += pages;
    }
    for (w = 0; w < 2; w++) {
        if (!cnt[w])
            continue;
        b->base[w] = map_list(be, refs + (w ? cnt[0] : 0), cnt[w], w);
        if (!b->base[w]) {
            if (w && b->base[0])
                unmap_pages(be, b->base[0], cnt[0]);
            free(b);
            free(refs);
            errno = EFAULT;
            return NULL;
        }
        b->npages[w] = cnt[w];
    }
    for (i = 0; i < n; i++)
        ptr[i] = b->base[r[i].write] + (uintptr_t)ptr[i];
    free(refs);
    return b;

fault:
    be->map_fails++;
    errno = EFAULT;
    return NULL;
one_by_one:
    errno = EOPNOTSUPP;              /* too big for one map: one by one */
    return NULL;
}

/* A copied request goes back (its device-writable ranges) even when it
 * is only discarded: we brought those in, so nothing the frontend had
 * there changes except what the device wrote.  A frontend that revoked a
 * grant meanwhile loses what the device wrote there (counted). */
static void be_dma_unmap_batch(void *ctx, void *handle)
{
    struct vmsg_xen_be *be = be_of(ctx);
    struct copy_batch *c = handle;
    struct map_batch *b = handle;
    unsigned w;

    if (c->kind == BATCH_COPY) {
        copy_run(be, c, true);
        __atomic_sub_fetch(&be->copy_held, c->total, __ATOMIC_RELAXED);
        copy_free(c);
        return;
    }
    for (w = 0; w < 2; w++)
        if (b->base[w])
            unmap_pages(be, b->base[w], b->npages[w]);
    free(b);
}

static const struct vmsg_ring_prims xen_be_prims = {
    .name = "xen-backend",
    .notify = be_notify,
    .wait = be_wait,
    .dma_map = be_dma_map,
    .dma_unmap = be_dma_unmap,
    .dma_map_batch = be_dma_map_batch,
    .dma_unmap_batch = be_dma_unmap_batch,
};

/* The pool a persistent frontend may announce: both nodes or neither;
 * pool-pages refs from pool-ref, none past the last ref.  Malformed:
 * refused (-1, @err set).  Its size is checked against what we map whole
 * when it is mapped (map_pool()). */
static int read_pool(struct vmsg_xen_be *be, struct xs_handle *xs, const char *fe_path,
                     char *err, size_t errlen)
{
    uint32_t ref = 0, pages = 0;
    int r1 = xsu_read_uint(xs, XBT_NULL, UINT32_MAX, &ref, "%s/pool-ref", fe_path),
        r2 = xsu_read_uint(xs, XBT_NULL, UINT32_MAX, &pages, "%s/pool-pages", fe_path);

    if (r1 == -ENOENT && r2 == -ENOENT)
        return 0;
    if (r1 || r2 || pages == 0 || ref > UINT32_MAX - pages) {
        snprintf(err, errlen, "bad pool-ref/pool-pages (both or neither; 1 or more refs "
                 "from pool-ref, below 2^32)");
        return -1;
    }
    be->pool_ref = ref;
    be->pool_pages = pages;
    return 0;
}

/* Map the announced pool whole, read-write: its buffers then cost no
 * lookup and no map.  A pool larger than VMSG_XEN_POOL_MAP_MAX, or one
 * that cannot be mapped (a ref not granted to us, or granted read-only),
 * is served by the cache instead, page by page; the caller logs which. */
static void map_pool(struct vmsg_xen_be *be)
{
    uint32_t *refs, i;

    if (!be->pool_pages || be->pool_pages > VMSG_XEN_POOL_MAP_MAX)
        return;
    if (!(refs = malloc((size_t)be->pool_pages * sizeof(*refs))))
        return;
    for (i = 0; i < be->pool_pages; i++)
        refs[i] = be->pool_ref + i;
    be->pool = map_list(be, refs, be->pool_pages, true);
    free(refs);
}

int vmsg_xen_be_connect(struct vmsg_xen_be *be, struct xs_handle *xs,
                        struct xenevtchn_handle *xce,
                        struct xengntdev_handle *xgt, uint32_t fe_domid,
                        const char *fe_path, uint32_t max_msg,
                        char *err, size_t errlen)
{
    uint32_t pages, refs[VMSG_RING_PAGES], port, msg = VMSG_DEFAULT_MAX_SIZE,
             persistent = 0, i;
    int rc, lp;

    memset(be, 0, sizeof(*be));
    be->port = -1;
    be->copy_max = VMSG_XEN_COPY_MAX_DEFAULT;
    be->xce = xce;
    be->xgt = xgt;
    be->fe_domid = fe_domid;
    /* Each value is read once and checked before use: it is hostile. */
    rc = xsu_read_uint(xs, XBT_NULL, 64, &pages, "%s/ring-pages", fe_path);
    if (rc || pages != VMSG_RING_PAGES) {
        snprintf(err, errlen, "ring-pages must be %u", VMSG_RING_PAGES);
        return -EPROTO;
    }
    for (i = 0; i < VMSG_RING_PAGES; i++)
        if (xsu_read_uint(xs, XBT_NULL, UINT32_MAX, &refs[i], "%s/ring-ref%u", fe_path, i)) {
            snprintf(err, errlen, "bad or missing ring-ref%u", i);
            return -EPROTO;
        }
    if (xsu_read_uint(xs, XBT_NULL, 1u << 17, &port, "%s/event-channel", fe_path)) {
        snprintf(err, errlen, "bad or missing event-channel");
        return -EPROTO;
    }
    rc = xsu_read_uint(xs, XBT_NULL, 65535, &msg, "%s/msg-size", fe_path);
    if (rc == -EINVAL || msg < VMSG_MIN_MAX_SIZE) {
        snprintf(err, errlen, "bad msg-size");
        return -EPROTO;
    }
    if (xsu_read_uint(xs, XBT_NULL, 1, &persistent, "%s/feature-persistent", fe_path) == -EINVAL) {
        snprintf(err, errlen, "bad feature-persistent");
        return -EPROTO;
    }
    if (persistent && read_pool(be, xs, fe_path, err, errlen))
        return -EPROTO;
    be->ring = xengnttab_map_domain_grant_refs((xengnttab_handle *)xgt, VMSG_RING_PAGES, fe_domid,
                                               refs, PROT_READ | PROT_WRITE);
    if (!be->ring) {
        rc = -errno;
        snprintf(err, errlen, "cannot map the ring grants: %s", strerror(errno));
        be->map_fails++;
        goto fail;
    }
    be->maps++;
    lp = xenevtchn_bind_interdomain((xenevtchn_handle *)xce, fe_domid, port);
    if (lp < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot bind event channel %u: %s", port, strerror(errno));
        goto fail;
    }
    be->port = lp;
    if (persistent && !(be->cache = calloc(1, sizeof(*be->cache)))) {
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    map_pool(be);
    rc = vmsg_ring_ep_init(&be->ep, VMSG_ROLE_DEVICE, be->ring,
                           msg < max_msg ? msg : max_msg, &xen_be_prims, be);
    if (rc == -EPROTONOSUPPORT) {
        snprintf(err, errlen, "the frontend's message ring is not layout %d (a frontend "
                 "built for another ring layout)", VMSG_RING_LAYOUT_VERSION);
        goto fail;
    }
    if (rc) {
        snprintf(err, errlen, "cannot start the bus: %s", strerror(-rc));
        goto fail;
    }
    return 0;
fail:
    vmsg_xen_be_close(be);
    return rc;
}

int vmsg_xen_be_drain(struct vmsg_xen_be *be)
{
    return vmsg_ring_ep_drain(&be->ep);
}

uint64_t vmsg_xen_be_held(const struct vmsg_xen_be *be)
{
    return be->maps - be->unmaps;
}

void vmsg_xen_be_close(struct vmsg_xen_be *be)
{
    uint32_t i;

    vmsg_ring_ep_fini(&be->ep);
    if (be->port >= 0)
        xenevtchn_unbind((xenevtchn_handle *)be->xce, (evtchn_port_t)be->port);
    be->port = -1;
    if (be->cache) {
        for (i = 0; i < MC_SLOTS; i++)
            if (be->cache->base[i])
                unmap_pages(be, be->cache->base[i], be->cache->e[i].npages);
        free(be->cache);
        be->cache = NULL;
    }
    if (be->pool)
        unmap_pages(be, be->pool, be->pool_pages);
    be->pool = NULL;
    if (be->ring)
        unmap_pages(be, be->ring, VMSG_RING_PAGES);
    be->ring = NULL;
}
