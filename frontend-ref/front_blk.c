/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "front_blk.h"
#include "virtio-msg/virtio.h"

#define BLK_F_RO      5
#define BLK_F_BLKSIZE 6
#define BLK_F_FLUSH   9
#define BLK_F_MQ      12
#define BLK_MAX_Q     4               /* queues we use at most */
#define MAX_IO        (1u << 20)
#define HDR           16u

int vf_blk_open(struct vf *vf, struct vf_blk *b)
{
    uint8_t cfg[8];
    int rc;

    memset(b, 0, sizeof(*b));
    b->d = vf_find(vf, VIRTIO_ID_BLOCK);
    if (!b->d)
        return -ENODEV;
    /* With VIRTIO_BLK_F_MQ, use up to BLK_MAX_Q queues, in turn. */
    b->nq = b->d->drv.info.max_virtqueues;
    b->nq = b->nq < 1 ? 1 : b->nq > BLK_MAX_Q ? BLK_MAX_Q : b->nq;
    rc = vf_dev_start(b->d, VIRTIO_BIT(BLK_F_FLUSH) | VIRTIO_BIT(BLK_F_BLKSIZE) |
                      VIRTIO_BIT(BLK_F_RO) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                      (b->nq > 1 ? VIRTIO_BIT(BLK_F_MQ) : 0), b->nq, 128);
    if (rc == 0 && !(b->d->features & VIRTIO_BIT(BLK_F_MQ)) && b->nq > 1)
        rc = -EPROTO;                /* several queues without MQ */
    if (rc == 0)
        rc = vmsg_drv_config_read(&b->d->drv, 0, cfg, sizeof(cfg));
    if (rc == 0)
        rc = vf_buf_alloc(vf, &b->buf, HDR + MAX_IO + 1);
    if (rc)
        return rc;
    b->sectors = vmsg_get_le64(cfg);
    b->ro = b->d->features & VIRTIO_BIT(BLK_F_RO);
    return 0;
}

void vf_blk_close(struct vf *vf, struct vf_blk *b)
{
    if (b->d)
        vf_dev_stop(b->d);
    vf_buf_free(vf, &b->buf);
}

int vf_blk_io(struct vf_blk *b, uint32_t type, uint64_t sector, void *data,
              size_t len)
{
    struct vmsg_sg sg[3];
    uint8_t *st = b->buf.p + HDR + len;
    unsigned out = 1, in = 0, n = 0;
    uint32_t got = 0;
    unsigned q;
    int err = 0;
    void *tok;

    if (len > MAX_IO || (type <= VF_BLK_T_OUT && len % 512))
        return -EINVAL;
    vmsg_put_le32(b->buf.p, type);
    vmsg_put_le32(b->buf.p + 4, 0);
    vmsg_put_le64(b->buf.p + 8, sector);
    sg[n++] = (struct vmsg_sg){ b->buf.addr, HDR };
    if (len) {
        if (type == VF_BLK_T_OUT) {
            memcpy(b->buf.p + HDR, data, len);
            out++;
        } else {
            in++;
        }
        sg[n++] = (struct vmsg_sg){ b->buf.addr + HDR, (uint32_t)len };
    }
    *st = 0xFF;
    sg[n++] = (struct vmsg_sg){ b->buf.addr + HDR + len, 1 };
    in++;
    q = b->next_q++ % b->nq;
    b->per_q[q]++;
    err = vf_submit(b->d, q, sg, out, in, b);
    if (err)
        return err;
    tok = vf_wait(b->d, q, &got, VMSG_HOST_TIMEOUT_MS, &err);
    if (!tok)
        return err;
    /* The backend is untrusted: check what it claims to have written. */
    if (tok != b || got > (type == VF_BLK_T_OUT ? 1 : len + 1) || got == 0)
        return -EIO;
    if (*st == 2)
        return -ENOTSUP;
    if (*st != 0)
        return -EIO;
    if (type != VF_BLK_T_OUT && len)
        memcpy(data, b->buf.p + HDR, got - 1 < len ? got - 1 : len);
    return 0;
}
