/* SPDX-License-Identifier: MIT */
/*
 * The Xen backend's handling of a request's buffers without persistent
 * grants (bus/xen/xen_be.c), against fake grants (fake_xen.c): a request
 * whose device-writable part is small is copied in with one grant-copy
 * call and its writable ranges copied back with one more; a large read is
 * mapped; a grant the frontend does not give (absent, or read-only where
 * the device writes) fails cleanly and nothing stays allocated or mapped.
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

static Suite *suite(void)
{
    Suite *s = suite_create("xen_dma");
    TCase *tc = tcase_create("batch");

    tcase_add_test(tc, small_read_is_copied_in_and_back);
    tcase_add_test(tc, large_write_copied_large_read_mapped);
    tcase_add_test(tc, bad_grants_fail_cleanly);
    tcase_add_test(tc, copies_held_are_bounded);
    tcase_add_test(tc, persistent_declines_the_batch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
