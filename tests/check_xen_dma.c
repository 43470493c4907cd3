/* SPDX-License-Identifier: MIT */
/*
 * The Xen backend's handling of a request's buffers without persistent
 * grants (bus/xen/xen_be.c), against fake grants (fake_xen.c): a request
 * whose device-writable part is small is copied in with one grant-copy
 * call and its writable ranges copied back with one more; a large read is
 * mapped; a grant the frontend does not give (absent, or read-only where
 * the device writes) fails cleanly and nothing stays allocated or mapped.
 * With persistent grants, a pool the frontend announces is mapped once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "fake_xen.h"
#include "virtio-msg/xen.h"

#define PG 4096u

static struct vmsg_xen_be be;

static void connect_be(const char *persistent)
{
    char err[160] = "";
    int i;

    fake_xs_clear();
    fake_xs_set("ring-pages", "3");
    fake_xs_set("ring-ref0", "60");
    fake_xs_set("ring-ref1", "61");
    fake_xs_set("ring-ref2", "62");
    fake_xs_set("event-channel", "5");
    fake_xs_set("feature-persistent", persistent);
    fake_maps = 0;
    fake_copy_calls = 0;
    for (i = 0; i < FAKE_GNT_PAGES; i++) {
        fake_gnt_perm[i] = FAKE_GNT_RW;
        memset(fake_gnt_page[i], i, PG);
    }
    vmsg_ring_format(fake_gnt_page[60]);             /* the frontend's ring: 60..62 */
    ck_assert_msg(vmsg_xen_be_connect(&be, (struct xs_handle *)1, (struct xenevtchn_handle *)1,
                                      (struct xengntdev_handle *)1, 1,
                                      "/local/domain/1/device/virtio_msg/0", VMSG_XEN_MAX_MSG,
                                      err, sizeof(err)) == 0, "connect: %s", err);
}

static void *map_batch(const struct vmsg_dma_range *r, unsigned n, void **ptr)
{
    return be.ep.prims->dma_map_batch(be.ep.ctx, r, n, ptr);
}

static void unmap_batch(void *h)
{
    be.ep.prims->dma_unmap_batch(be.ep.ctx, h);
}

static void close_be(void)
{
    vmsg_xen_be_close(&be);
    ck_assert_int_eq(fake_maps, 0);
}

/* A 4 KiB read as a virtio-blk driver lays it out: a 16-byte header, a
 * data page at an offset (two grant pages), a status byte. */
START_TEST(small_read_is_copied_in_and_back)
{
    struct vmsg_dma_range r[3] = {
        { vmsg_gdma_addr(2, 100), 16, false },
        { vmsg_gdma_addr(3, 512), PG, true },
        { vmsg_gdma_addr(5, 7), 1, true },
    };
    void *ptr[3], *h;
    uint8_t *data;

    connect_be("0");
    h = map_batch(r, 3, ptr);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(fake_copy_calls, 1);           /* every range in one call */
    ck_assert_int_eq(fake_maps, 1);                  /* the ring only */
    ck_assert_int_eq(memcmp(ptr[0], fake_gnt_page[2] + 100, 16), 0);
    data = ptr[1];
    ck_assert_uint_eq(data[0], 3);                   /* page 3 from 512 ... */
    ck_assert_uint_eq(data[PG - 1], 4);              /* ... into page 4 */
    /* The device writes part of the data and the status; what it leaves
     * goes back as it was. */
    memset(data, 0xAB, 1000);
    *(uint8_t *)ptr[2] = 0;
    fake_gnt_page[2][100] = 0x77;                    /* the frontend changes the header: */
    ck_assert_uint_eq(*(uint8_t *)ptr[0], 2);        /* our copy does not */
    unmap_batch(h);
    ck_assert_uint_eq(fake_copy_calls, 2);
    ck_assert_uint_eq(fake_gnt_page[3][511], 3);     /* before the range: untouched */
    ck_assert_uint_eq(fake_gnt_page[3][512], 0xAB);
    ck_assert_uint_eq(fake_gnt_page[3][512 + 999], 0xAB);
    ck_assert_uint_eq(fake_gnt_page[3][512 + 1000], 3);
    ck_assert_uint_eq(fake_gnt_page[4][511], 4);
    ck_assert_uint_eq(fake_gnt_page[4][512], 4);     /* after the range */
    ck_assert_uint_eq(fake_gnt_page[5][7], 0);
    ck_assert_uint_eq(fake_gnt_page[5][8], 5);
    ck_assert_uint_eq(fake_gnt_page[2][101], 2);     /* readable ranges never go back */
    ck_assert_uint_eq(be.copies, 1);
    ck_assert_uint_eq(be.copy_fails, 0);
    close_be();
}
END_TEST

/* A large write (readable data, a writable status byte) is copied too;
 * a large read is mapped, one map per direction. */
START_TEST(large_write_copied_large_read_mapped)
{
    struct vmsg_dma_range w[3] = {
        { vmsg_gdma_addr(0, 0), 16, false },
        { vmsg_gdma_addr(8, 0), 32 * PG, false },
        { vmsg_gdma_addr(1, 0), 1, true },
    };
    struct vmsg_dma_range rd[3] = {
        { vmsg_gdma_addr(0, 0), 16, false },
        { vmsg_gdma_addr(8, 0), 32 * PG, true },
        { vmsg_gdma_addr(1, 0), 1, true },
    };
    void *ptr[3], *h;

    connect_be("0");
    h = map_batch(w, 3, ptr);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(fake_copy_calls, 1);
    ck_assert_uint_eq(((uint8_t *)ptr[1])[31 * PG], 39);
    unmap_batch(h);
    h = map_batch(rd, 3, ptr);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(fake_copy_calls, 2);           /* no copy for it */
    ck_assert_int_eq(fake_maps, 3);                  /* ring + readable + writable */
    unmap_batch(h);
    ck_assert_int_eq(fake_maps, 1);
    /* --grant-copy-max 0: everything mapped. */
    be.copy_max = 0;
    h = map_batch(w, 3, ptr);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(fake_copy_calls, 2);
    unmap_batch(h);
    ck_assert_uint_eq(be.copies, 1);
    close_be();
}
END_TEST

/* A grant the frontend never gave, one out of range, or a page granted
 * read-only where the device writes: the copy in fails (the request is
 * refused, EFAULT) or the copy back does (what the device wrote is lost,
 * counted); nothing is left allocated (ASan, valgrind) or mapped. */
START_TEST(bad_grants_fail_cleanly)
{
    struct vmsg_dma_range r[2] = {
        { vmsg_gdma_addr(2, 0), 16, false },
        { vmsg_gdma_addr(3, 0), 512, true },
    };
    void *ptr[2], *h;

    connect_be("0");
    fake_gnt_perm[2] = FAKE_GNT_NONE;
    errno = 0;
    ck_assert_ptr_null(map_batch(r, 2, ptr));
    ck_assert_int_eq(errno, EFAULT);
    fake_gnt_perm[2] = FAKE_GNT_RW;
    r[1].addr = vmsg_gdma_addr(FAKE_GNT_PAGES + 5, 0);
    ck_assert_ptr_null(map_batch(r, 2, ptr));
    ck_assert_uint_eq(be.copy_fails, 2);
    r[1].addr = vmsg_gdma_addr(3, 0);
    fake_gnt_perm[3] = FAKE_GNT_RO;                  /* readable, not writable */
    h = map_batch(r, 2, ptr);
    ck_assert_ptr_nonnull(h);
    memset(ptr[1], 0xCD, 512);
    unmap_batch(h);
    ck_assert_uint_eq(fake_gnt_page[3][0], 3);       /* not written */
    ck_assert_uint_eq(be.copy_fails, 3);
    ck_assert_uint_eq(be.copies, 1);
    close_be();
}
END_TEST

/* Requests kept in flight cannot make the backend hold more than
 * VMSG_XEN_COPY_HELD_MAX of copies: past it, requests are mapped. */
START_TEST(copies_held_are_bounded)
{
    enum { PAGES = 32, FIT = VMSG_XEN_COPY_HELD_MAX / (PAGES * PG), N = FIT + 2 };
    struct vmsg_dma_range w[2] = {
        { vmsg_gdma_addr(0, 0), PAGES * PG, false }, /* a 128 KiB write */
        { vmsg_gdma_addr(PAGES, 0), 1, true },
    };
    static void *h[N];
    void *ptr[2];
    int i;

    connect_be("0");
    for (i = 0; i < N; i++) {
        h[i] = map_batch(w, 2, ptr);
        ck_assert_ptr_nonnull(h[i]);
    }
    ck_assert_uint_le(be.copy_held, VMSG_XEN_COPY_HELD_MAX);
    ck_assert_uint_eq(be.copies, FIT - 1);           /* each is 128 KiB and a byte */
    ck_assert_int_eq(fake_maps, 1 + 3 * 2);          /* the ring, then 3 mapped */
    for (i = 0; i < N; i++)
        unmap_batch(h[i]);
    ck_assert_uint_eq(be.copy_held, 0);
    close_be();
}
END_TEST

/* With persistent grants the batch is declined: the cache maps once. */
START_TEST(persistent_declines_the_batch)
{
    struct vmsg_dma_range r[1] = { { vmsg_gdma_addr(2, 0), 16, false } };
    void *ptr[1];

    connect_be("1");
    errno = 0;
    ck_assert_ptr_null(map_batch(r, 1, ptr));
    ck_assert_int_eq(errno, EOPNOTSUPP);
    ck_assert_uint_eq(fake_copy_calls, 0);
    close_be();
}
END_TEST

/* Persistent grants with a pool announced (pool-ref, pool-pages): the
 * pool is one mapping made at connect; a buffer inside it costs no map
 * and no cache entry, its unmap nothing; a buffer outside it, or running
 * past its end, goes through the cache. */
static void connect_pool(const char *ref, const char *pages)
{
    char err[160] = "";

    fake_xs_set("pool-ref", ref);
    fake_xs_set("pool-pages", pages);
    ck_assert_msg(vmsg_xen_be_connect(&be, (struct xs_handle *)1, (struct xenevtchn_handle *)1,
                                      (struct xengntdev_handle *)1, 1,
                                      "/local/domain/1/device/virtio_msg/0", VMSG_XEN_MAX_MSG,
                                      err, sizeof(err)) == 0, "connect: %s", err);
}

static void *map_one(uint32_t gref, uint32_t off, size_t len, bool write)
{
    size_t got = len;
    void *p = be.ep.prims->dma_map(be.ep.ctx, vmsg_gdma_addr(gref, off), &got, write);

    ck_assert_uint_eq(got, len);
    return p;
}

START_TEST(pool_is_mapped_once)
{
    uint8_t *a, *b, *c;

    connect_be("1");
    vmsg_xen_be_close(&be);                          /* again, with a pool of 16 */
    connect_pool("20", "16");
    ck_assert_ptr_nonnull(be.pool);
    ck_assert_int_eq(fake_maps, 2);                  /* ring + pool */
    a = map_one(20, 0, PG, true);
    b = map_one(22, 100, 3 * PG, false);             /* 22..25 */
    c = map_one(35, 0, PG, true);                    /* the pool's last page */
    ck_assert_ptr_eq(a, be.pool);
    ck_assert_ptr_eq(b, be.pool + 2 * PG + 100);
    ck_assert_ptr_eq(c, be.pool + 15 * PG);
    ck_assert_uint_eq(b[0], 22);
    ck_assert_uint_eq(c[PG - 1], 35);
    ck_assert_int_eq(fake_maps, 2);                  /* nothing mapped per buffer */
    be.ep.prims->dma_unmap(be.ep.ctx, b, 3 * PG);
    be.ep.prims->dma_unmap(be.ep.ctx, a, PG);
    ck_assert_int_eq(fake_maps, 2);
    /* Past the pool's end, and below its start: the cache maps them. */
    a = map_one(35, 0, 2 * PG, true);
    ck_assert_int_eq(fake_maps, 3);
    ck_assert_uint_eq(a[PG], 36);
    b = map_one(19, 0, PG, false);
    ck_assert_int_eq(fake_maps, 4);
    ck_assert_uint_eq(b[0], 19);
    be.ep.prims->dma_unmap(be.ep.ctx, a, 2 * PG);
    be.ep.prims->dma_unmap(be.ep.ctx, b, PG);
    close_be();
}
END_TEST

/* A pool the backend cannot map whole -- a page not granted, or one
 * granted read-only -- or one larger than it maps whole: connected all
 * the same, every buffer through the cache. */
START_TEST(pool_not_mappable_falls_back_to_the_cache)
{
    static const char *sizes[] = { "16", "16", "16384", "16385" };
    uint8_t *a;
    int k;

    for (k = 0; k < 4; k++) {
        connect_be("1");
        vmsg_xen_be_close(&be);
        if (k == 0)
            fake_gnt_perm[27] = FAKE_GNT_NONE;
        if (k == 1)
            fake_gnt_perm[27] = FAKE_GNT_RO;
        connect_pool("20", sizes[k]);
        ck_assert_ptr_null(be.pool);
        ck_assert_ptr_nonnull(be.cache);
        ck_assert_int_eq(fake_maps, 1);
        a = map_one(21, 0, PG, true);
        ck_assert_uint_eq(a[0], 21);
        ck_assert_int_eq(fake_maps, 2);
        be.ep.prims->dma_unmap(be.ep.ctx, a, PG);
        close_be();
    }
}
END_TEST

/* Malformed announcements are refused with a message; nothing is held.
 * Without feature-persistent a pool is not looked at. */
START_TEST(bad_pool_refused)
{
    static const char *bad[][2] = {
        { "20", "0" }, { "4294967295", "2" }, { "4294967040", "256" }, { "20", "x" },
        { "-1", "4" }, { "20", "" },
    };
    char err[160];
    unsigned k;

    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        connect_be("1");
        vmsg_xen_be_close(&be);
        fake_xs_set("pool-ref", bad[k][0]);
        fake_xs_set("pool-pages", bad[k][1]);
        err[0] = '\0';
        ck_assert_int_eq(vmsg_xen_be_connect(&be, (struct xs_handle *)1,
                                             (struct xenevtchn_handle *)1,
                                             (struct xengntdev_handle *)1, 1,
                                             "/local/domain/1/device/virtio_msg/0",
                                             VMSG_XEN_MAX_MSG, err, sizeof(err)), -EPROTO);
        ck_assert_msg(strstr(err, "pool") != NULL, "%s", err);
        ck_assert_int_eq(fake_maps, 0);
    }
    connect_be("1");                                 /* one node only */
    vmsg_xen_be_close(&be);
    fake_xs_set("pool-pages", "4");
    ck_assert_int_eq(vmsg_xen_be_connect(&be, (struct xs_handle *)1, (struct xenevtchn_handle *)1,
                                         (struct xengntdev_handle *)1, 1,
                                         "/local/domain/1/device/virtio_msg/0", VMSG_XEN_MAX_MSG,
                                         err, sizeof(err)), -EPROTO);
    connect_be("0");
    vmsg_xen_be_close(&be);
    connect_pool("x", "y");                          /* not persistent: ignored */
    ck_assert_ptr_null(be.pool);
    close_be();
}
END_TEST

/* Without a pool announced, the cache holds any 1024 consecutive refs
 * (one-page buffers, as a Linux guest's 1 MiB requests are) without
 * evicting one: a second pass over them maps nothing. */
START_TEST(cache_holds_1024_consecutive_pages)
{
    uint32_t pass, g;

    connect_be("1");
    for (pass = 0; pass < 2; pass++)
        for (g = 1000; g < 2024; g++)
            be.ep.prims->dma_unmap(be.ep.ctx, map_one(g, 0, PG, true), PG);
    ck_assert_uint_eq(be.maps, 1 + 1024);            /* the ring, then each page once */
    ck_assert_uint_eq(be.unmaps, 0);
    close_be();
}
END_TEST

/* Five refs for one set (256 apart): the fifth evicts the least recently
 * used of the four; with all four in use it is mapped uncached, and
 * unmapped when released. */
START_TEST(cache_evicts_lru_never_in_use)
{
    void *p[5];
    uint32_t k;

    connect_be("1");
    for (k = 0; k < 4; k++)
        p[k] = map_one(100 + 256 * k, 0, PG, true);
    p[4] = map_one(100 + 256 * 4, 0, PG, true);    /* every way in use */
    ck_assert_uint_eq(be.maps, 1 + 5);
    be.ep.prims->dma_unmap(be.ep.ctx, p[4], PG);
    ck_assert_uint_eq(be.unmaps, 1);                 /* the uncached one */
    for (k = 0; k < 4; k++)
        be.ep.prims->dma_unmap(be.ep.ctx, p[k], PG);
    be.ep.prims->dma_unmap(be.ep.ctx, map_one(100, 0, PG, true), PG);   /* 100: most recent */
    be.ep.prims->dma_unmap(be.ep.ctx, map_one(100 + 256 * 4, 0, PG, true), PG);
    ck_assert_uint_eq(be.unmaps, 2);                 /* evicted 356, the least recent */
    ck_assert_uint_eq(be.maps, 1 + 6);
    be.ep.prims->dma_unmap(be.ep.ctx, map_one(100, 0, PG, true), PG);
    ck_assert_uint_eq(be.maps, 1 + 6);               /* still cached */
    close_be();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("xen_dma");
    TCase *tc = tcase_create("batch");

    tcase_add_test(tc, small_read_is_copied_in_and_back);
    tcase_add_test(tc, large_write_copied_large_read_mapped);
    tcase_add_test(tc, bad_grants_fail_cleanly);
    tcase_add_test(tc, copies_held_are_bounded);
    tcase_add_test(tc, persistent_declines_the_batch);
    tcase_add_test(tc, pool_is_mapped_once);
    tcase_add_test(tc, pool_not_mappable_falls_back_to_the_cache);
    tcase_add_test(tc, bad_pool_refused);
    tcase_add_test(tc, cache_holds_1024_consecutive_pages);
    tcase_add_test(tc, cache_evicts_lru_never_in_use);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
