/* SPDX-License-Identifier: MIT */
/* virtio-rng device model (virtio 1.2 §5.4): fills buffers from getrandom. */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "models.h"
#include "virtio-msg/virtio.h"

struct rng {
    struct vmsg_dev *dev;
    struct vmsg_vq_elem *elem;
    uint64_t bytes;
};

static uint32_t fill(struct vmsg_vq_elem *e)
{
    uint32_t total = 0;
    unsigned i;

    for (i = e->out_num; i < (unsigned)e->out_num + e->in_num; i++) {
        size_t done = 0;
        while (done < e->iov[i].iov_len) {
            ssize_t r = getrandom((char *)e->iov[i].iov_base + done,
                                  e->iov[i].iov_len - done, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return total;
            done += (size_t)r;
        }
        total += (uint32_t)done;
    }
    return total;
}

static void rng_notify(void *s, uint32_t qi)
{
    struct rng *r = s;
    struct vmsg_vq *vq = vmsg_dev_queue(r->dev, qi);
    int rc;

    if (!vq)
        return;
    while ((rc = vmsg_vq_pop(vq, r->elem)) == 1) {
        uint32_t n = fill(r->elem);
        r->bytes += n;
        vmsg_vq_push(vq, r->elem, n);
    }
    if (rc < 0)
        vmsg_dev_needs_reset(r->dev);
    else
        vmsg_dev_notify_used(r->dev, qi);
}

static int rng_start(void *s, struct vmsg_dev *dev)
{
    ((struct rng *)s)->dev = dev;
    return 0;
}

static void rng_reset(void *s)
{
    ((struct rng *)s)->dev = NULL;    /* until the next DRIVER_OK */
}

static const struct vmsg_dev_ops rng_ops = {
    .start = rng_start,
    .reset = rng_reset,
    .queue_notify = rng_notify,
};

static void rng_destroy(void *s)
{
    struct rng *r = s;

    free(r->elem);
    free(r);
}

int rng_create(struct model *m, const struct model_opts *o,
               const struct model_env *env, char *err, size_t errlen)
{
    struct rng *r = calloc(1, sizeof(*r));

    (void)o; (void)env; (void)err; (void)errlen;
    if (!r || !(r->elem = malloc(sizeof(*r->elem)))) {
        free(r);
        return -ENOMEM;
    }
    m->desc = (struct vmsg_dev_desc){
        .device_id = VIRTIO_ID_RNG,
        .vendor_id = 0x564D5347,
        .features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                    VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC),
        .num_queues = 1,
        .queue_max_size = 64,
    };
    m->ops = &rng_ops;
    m->state = r;
    m->destroy = rng_destroy;
    return 0;
}
