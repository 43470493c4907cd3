/* SPDX-License-Identifier: MIT */
/* virtio-blk driver of the reference frontend. */
#ifndef VMSG_FRONT_BLK_H
#define VMSG_FRONT_BLK_H

#include "front.h"

#define VF_BLK_T_IN     0
#define VF_BLK_T_OUT    1
#define VF_BLK_T_FLUSH  4
#define VF_BLK_T_GET_ID 8

struct vf_blk {
    struct vf_dev *d;
    uint64_t sectors;
    bool ro;
    struct vf_buf buf;               /* header + data + status */
    unsigned nq, next_q;             /* queues in use, next one */
    uint64_t per_q[4];               /* requests sent on each */
};

int vf_blk_open(struct vf *vf, struct vf_blk *b);
void vf_blk_close(struct vf *vf, struct vf_blk *b);
/* One synchronous request. Returns 0, -EIO (device said IOERR or lied),
 * -ENOTSUP (UNSUPP), or a transport error. */
int vf_blk_io(struct vf_blk *b, uint32_t type, uint64_t sector, void *data,
              size_t len);

#endif
