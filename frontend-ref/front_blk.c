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
    return vf_blk_open_dev(vf, vf_find(vf, VIRTIO_ID_BLOCK), b);
}

int vf_blk_open_dev(struct vf *vf, struct vf_dev *d, struct vf_blk *b)
{
    uint8_t cfg[8];
    int rc;

    memset(b, 0, sizeof(*b));
    b->d = d;
    if (!d || d->drv.info.device_id != VIRTIO_ID_BLOCK)
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
        rc = vf_blk_req_alloc(vf, &b->req, MAX_IO);
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
    vf_blk_req_free(vf, &b->req);
}

int vf_blk_req_alloc(struct vf *vf, struct vf_blk_req *r, size_t max)
{
    memset(r, 0, sizeof(*r));
    if (max > MAX_IO)
        return -EINVAL;
    r->max = max;
    return vf_buf_alloc(vf, &r->buf, HDR + max + 1);
}

void vf_blk_req_free(struct vf *vf, struct vf_blk_req *r)
{
    vf_buf_free(vf, &r->buf);
}

#define MAX_SEGS 64                  /* descriptors per request at most */

/* A request's header, after its data (see front_blk.h); its status byte
 * follows the header. */
static uint8_t *req_hdr(struct vf_blk_req *r)
{
    return r->buf.p + r->max;
}

int vf_blk_submit(struct vf_blk *b, struct vf_blk_req *r, unsigned q,
                  uint32_t type, uint64_t sector, size_t len)
{
    struct vmsg_sg sg[MAX_SEGS];
    struct vf *vf = b->d->vf;
    bool out = type == VF_BLK_T_OUT;
    int n = 1, k = 0;

    if (len > r->max || ((type == VF_BLK_T_IN || out) && len % 512) ||
        (type == VF_BLK_T_FLUSH && len) || q >= b->nq)
        return -EINVAL;
    r->type = type;
    r->len = len;
    r->q = q;
    vmsg_put_le32(req_hdr(r), type);
    vmsg_put_le32(req_hdr(r) + 4, 0);
    vmsg_put_le64(req_hdr(r) + 8, sector);
    req_hdr(r)[HDR] = 0xFF;              /* the status byte */
    /* header | data (one segment per run of consecutive addresses) | status,
     * laid out data | header | status (see front_blk.h) */
    if (vf_buf_sg(vf, &r->buf, r->max, HDR, sg, 1) != 1)
        return -EINVAL;
    if (len && (k = vf_buf_sg(vf, &r->buf, 0, len, sg + 1, MAX_SEGS - 2)) < 0)
        return k;
    n += k;
    if (vf_buf_sg(vf, &r->buf, r->max + HDR, 1, sg + n, 1) != 1)
        return -EINVAL;
    n++;
    b->per_q[q]++;
    return vf_submit(b->d, q, sg, out ? 1 + (unsigned)k : 1, out ? 1 : 1 + (unsigned)k, r);
}

struct vf_blk_req *vf_blk_complete(struct vf_blk *b, unsigned q, int timeout_ms,
                                   int *res)
{
    struct vf_blk_req *r;
    uint32_t got = 0;
    uint8_t st;

    r = vf_wait(b->d, q, &got, timeout_ms, res);
    if (!r)
        return NULL;
    /* The backend is untrusted: what it claims to have written must fit. */
    st = req_hdr(r)[HDR];
    r->got = got;
    if (got == 0 || got > (r->type == VF_BLK_T_OUT ? 1 : r->len + 1))
        *res = -EIO;
    else
        *res = st == 0 ? 0 : st == 2 ? -ENOTSUP : -EIO;
    return r;
}

int vf_blk_io(struct vf_blk *b, uint32_t type, uint64_t sector, void *data,
              size_t len)
{
    struct vf_blk_req *r;
    unsigned q = b->next_q++ % b->nq;
    int err;

    if (type == VF_BLK_T_OUT && len <= b->req.max)
        memcpy(vf_blk_data(&b->req), data, len);
    err = vf_blk_submit(b, &b->req, q, type, sector, len);
    if (err)
        return err;
    r = vf_blk_complete(b, q, VMSG_HOST_TIMEOUT_MS, &err);
    if (!r)
        return err;
    if (r != &b->req)
        return -EIO;                 /* a token we did not have in flight */
    if (err == 0 && type != VF_BLK_T_OUT && len)
        memcpy(data, vf_blk_data(r), r->got - 1 < len ? r->got - 1 : len);
    return err;
}
