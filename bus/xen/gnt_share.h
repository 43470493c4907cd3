/* SPDX-License-Identifier: MIT */
/*
 * Share pages with another domain through /dev/xen/gntalloc, laid out in
 * ascending grant-reference order.
 *
 * Grant-DMA addresses name a first reference and count up from it, so a
 * multi-page buffer needs ascending consecutive references at ascending
 * addresses.  The kernel hands references out from a LIFO free list: after
 * an earlier run freed its grants they come back descending, and
 * xengntshr_share_pages() maps them in that order.  Here each page is
 * mapped at the position of its reference in sorted order instead.
 */
#ifndef VMSG_GNT_SHARE_H
#define VMSG_GNT_SHARE_H

#include <stdint.h>

struct gnt_share {
    int fd;
    uint8_t *mem;                    /* npages, refs ascending with address */
    uint32_t *refs;                  /* refs[i] is the page at mem + i*4096 */
    uint32_t npages;
    uint64_t index;                  /* gntalloc file offset */
};

/* 0 or -errno (-ENOSYS: no /dev/xen/gntalloc). */
int gnt_share_pages(struct gnt_share *s, uint32_t domid, uint32_t npages);
/* Unmap and end the grants (the kernel keeps a page the peer still maps). */
void gnt_unshare(struct gnt_share *s);

#endif
