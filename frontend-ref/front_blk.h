/* SPDX-License-Identifier: MIT */
/* virtio-blk driver of the reference frontend. */
#ifndef VMSG_FRONT_BLK_H
#define VMSG_FRONT_BLK_H

#include "front.h"

#define VF_BLK_T_IN     0
#define VF_BLK_T_OUT    1
#define VF_BLK_T_FLUSH  4
#define VF_BLK_T_GET_ID 8


/*
 * A request slot for queue depths above 1: its own header, data and status
 * in DMA memory.  The data lives where the backend reads or writes it, so
 * a caller that works on vf_blk_data() directly copies nothing.  The data
 * comes first, page-aligned, as a kernel driver's pages are: the backend's
 * preadv() into a page-aligned 1 MiB ran 12-13% faster here than into one
 * 16 bytes further on (the header's place before; writes out of either
 * ran alike).  The descriptors still go header, data, status.
 */
struct vf_blk_req {
    struct vf_buf buf;               /* data (max) | header | status */
    size_t max, len;
    uint32_t type;
    uint32_t got;                    /* used length the device reported */
    unsigned q;                      /* the queue it was sent on */
};

struct vf_blk {
    struct vf_dev *d;
    uint64_t sectors;
    bool ro;
    struct vf_blk_req req;           /* for vf_blk_io */
    unsigned nq, next_q;             /* queues in use, next one */
    uint64_t per_q[4];               /* requests sent on each */
};

/* Start the first virtio-blk device of @vf, or device @d. */
int vf_blk_open(struct vf *vf, struct vf_blk *b);
int vf_blk_open_dev(struct vf *vf, struct vf_dev *d, struct vf_blk *b);
void vf_blk_close(struct vf *vf, struct vf_blk *b);
/* One synchronous request. Returns 0, -EIO (device said IOERR or lied),
 * -ENOTSUP (UNSUPP), or a transport error. */
int vf_blk_io(struct vf_blk *b, uint32_t type, uint64_t sector, void *data,
              size_t len);

int vf_blk_req_alloc(struct vf *vf, struct vf_blk_req *r, size_t max);
void vf_blk_req_free(struct vf *vf, struct vf_blk_req *r);
static inline uint8_t *vf_blk_data(struct vf_blk_req *r)
{
    return r->buf.p;
}
/* Send @r (@type, @len bytes of data at @sector) on queue @q; no wait. */
int vf_blk_submit(struct vf_blk *b, struct vf_blk_req *r, unsigned q,
                  uint32_t type, uint64_t sector, size_t len);
/* The next request completed on queue @q, waiting up to @timeout_ms; its
 * result (0, -EIO, -ENOTSUP) in *res; NULL on a transport error (*res). */
struct vf_blk_req *vf_blk_complete(struct vf_blk *b, unsigned q, int timeout_ms,
                                   int *res);

#endif
