/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk device model (virtio 1.2 §5.2) on a raw image file or block
 * device: read, write, flush (fdatasync), get-id, discard, write-zeroes;
 * read-only option; several queues.  Options:
 *   file=PATH (required)  readonly=on|off  serial=ID  queues=N  qsize=N
 *   iothreads=N (0: requests run on the event loop)
 *   uring=on|off (on: the loop runs the file I/O of up to 32 requests in
 *                 one io_uring system call, where io_uring is available)
 * Every request header and segment is copied out of the driver's buffers
 * once, then checked against the capacity before any I/O.
 *
 * With iothreads=N the event loop pops requests (the ring walk and the
 * mappings stay on the loop thread) and hands them to a pool of N workers
 * that only do the file I/O into the already-mapped buffers; the loop then
 * completes them.  A queue holds at most its size in flight; a reset waits
 * for its requests before the buffers are unmapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_batch.h"
#include "io_pool.h"
#include "models.h"
#include "virtio-msg/virtio.h"

#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_MQ           12
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define BLK_CONFIG_SIZE 60
#define SECTOR 512u
#define MAX_SEGS 256u                /* discard / write-zeroes per request */
#define ID_BYTES 20
#define MAX_IOTHREADS 64
#define BATCH 32                     /* requests per io_uring_enter() */
#define BATCH_BYTES (256u << 10)     /* a batch stops growing past this */
/* A turn on one queue: this many batches (or, without batches, requests),
 * then the queue waits for its next turn (vmsg_dev_want_later) and the
 * loop serves the others: a frontend that keeps its queue full must not
 * hold the loop (4 MiB of 1 MiB requests, about 0.1-0.2 ms here). */
#define TURN_BATCHES 4
#define TURN_REQUESTS 128

struct blk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct blk_seg {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};

/* A read or write checked and sliced into @scratch: the file range and
 * the buffers' iovec. */
struct rw {
    uint64_t pos;
    size_t len;
    int cnt;
    bool write;
};

struct blk {
    int fd;
    bool ro;
    uint64_t sectors;
    char serial[ID_BYTES];
    uint8_t config[BLK_CONFIG_SIZE];
    struct vmsg_dev *dev;
    struct vmsg_vq_elem *elem;
    struct iovec scratch[VMSG_VQ_MAX_IOV];
    uint64_t reads, writes, flushes, errors;   /* atomic: workers count too */
    /* iothreads=N */
    struct io_pool *pool;
    struct model_env env;
    bool watching;
    struct blk_io *spare;            /* finished requests kept for reuse */
    /* The loop's batches (uring=on, no iothreads) */
    struct blk_batch *uring;
    struct blk_slot *slots;          /* BATCH */
    ssize_t res[BATCH];
};

/* A request of the loop's current batch. */
struct blk_slot {
    struct vmsg_vq_elem elem;
    struct iovec scratch[VMSG_VQ_MAX_IOV];
    struct rw rw;
    uint32_t len;                    /* used length, once finished */
    bool queued;                     /* its transfer is in the batch */
};

/* A request handed to the pool. */
struct blk_io {
    struct io_item item;             /* first: the pool's link */
    struct blk *b;
    struct vmsg_vq *vq;
    uint32_t qi, len;
    struct blk_io *next_spare;
    struct iovec scratch[VMSG_VQ_MAX_IOV];
    struct vmsg_vq_elem elem;
};

static void count(uint64_t *c)
{
    __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static void put16(uint8_t *p, uint16_t v) { vmsg_put_le16(p, v); }
static void put32(uint8_t *p, uint32_t v) { vmsg_put_le32(p, v); }
static void put64(uint8_t *p, uint64_t v) { vmsg_put_le64(p, v); }

static void build_config(struct blk *b, uint16_t queues)
{
    uint8_t *c = b->config;

    memset(c, 0, sizeof(b->config));
    put64(c + 0, b->sectors);                   /* capacity */
    put32(c + 12, VMSG_VQ_MAX_IOV - 2);         /* seg_max */
    put32(c + 20, SECTOR);                      /* blk_size */
    put16(c + 34, queues);                      /* num_queues */
    put32(c + 36, UINT32_MAX / SECTOR);         /* max_discard_sectors */
    put32(c + 40, MAX_SEGS);                    /* max_discard_seg */
    put32(c + 44, 1);                           /* discard_sector_alignment */
    put32(c + 48, UINT32_MAX / SECTOR);         /* max_write_zeroes_sectors */
    put32(c + 52, MAX_SEGS);                    /* max_write_zeroes_seg */
    c[56] = 1;                                  /* write_zeroes_may_unmap */
}

static void blk_config_read(void *s, uint32_t off, void *buf, uint32_t len)
{
    memcpy(buf, ((struct blk *)s)->config + off, len);
}

static bool in_range(const struct blk *b, uint64_t sector, uint64_t bytes)
{
    uint64_t n = (bytes + SECTOR - 1) / SECTOR;

    return sector <= b->sectors && n <= b->sectors - sector;
}

static int rw_setup(struct blk *b, const struct vmsg_vq_elem *e, uint64_t sector,
                    bool write, struct iovec *scratch, struct rw *rw)
{
    /* Data follows the 16-byte header (write) or precedes the status byte
     * (read); everything is mapped already. */
    size_t len = write ? e->out_len - sizeof(struct blk_req_hdr) : e->in_len - 1;
    const struct iovec *base = write ? e->iov : e->iov + e->out_num;
    unsigned n = write ? e->out_num : e->in_num;
    size_t off = write ? sizeof(struct blk_req_hdr) : 0;
    int cnt = iov_slice(base, n, off, len, scratch, VMSG_VQ_MAX_IOV);

    if (cnt < 0 || len % SECTOR || !in_range(b, sector, len))
        return VIRTIO_BLK_S_IOERR;
    if (write && b->ro)
        return VIRTIO_BLK_S_IOERR;
    *rw = (struct rw){ sector * SECTOR, len, cnt, write };
    return VIRTIO_BLK_S_OK;
}

/* The transfer itself, with preadv()/pwritev(), going on after short ones. */
static int rw_sync(struct blk *b, struct rw rw, struct iovec *scratch, uint32_t *written)
{
    size_t len = rw.len;
    uint64_t pos = rw.pos;
    bool write = rw.write;
    int cnt = rw.cnt;
    ssize_t r;

    while (len) {
        r = write ? pwritev(b->fd, scratch, cnt, (off_t)pos)
                  : preadv(b->fd, scratch, cnt, (off_t)pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return VIRTIO_BLK_S_IOERR;
        if (!write)
            *written += (uint32_t)r;
        len -= (size_t)r;
        pos += (uint64_t)r;
        /* Short transfer: advance the iovec and go on. */
        while (r > 0 && cnt > 0) {
            if ((size_t)r >= scratch[0].iov_len) {
                r -= (ssize_t)scratch[0].iov_len;
                memmove(scratch, scratch + 1, sizeof(scratch[0]) * (size_t)--cnt);
            } else {
                scratch[0].iov_base = (char *)scratch[0].iov_base + r;
                scratch[0].iov_len -= (size_t)r;
                r = 0;
            }
        }
    }
    count(write ? &b->writes : &b->reads);
    return VIRTIO_BLK_S_OK;
}

static int do_rw(struct blk *b, const struct vmsg_vq_elem *e, uint64_t sector,
                 bool write, uint32_t *written, struct iovec *scratch)
{
    struct rw rw;
    int st = rw_setup(b, e, sector, write, scratch, &rw);

    return st == VIRTIO_BLK_S_OK ? rw_sync(b, rw, scratch, written) : st;
}

static int zero_range(struct blk *b, uint64_t pos, uint64_t len, bool unmap)
{
    static const uint8_t zeros[65536];

    if (unmap && fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                           (off_t)pos, (off_t)len) == 0)
        return 0;
    if (fallocate(b->fd, FALLOC_FL_ZERO_RANGE, (off_t)pos, (off_t)len) == 0)
        return 0;
    while (len) {
        size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        ssize_t r = pwrite(b->fd, zeros, n, (off_t)pos);
        if (r <= 0)
            return -1;
        pos += (uint64_t)r;
        len -= (uint64_t)r;
    }
    return 0;
}

static int do_segments(struct blk *b, const struct vmsg_vq_elem *e, bool zeroes)
{
    size_t bytes = e->out_len - sizeof(struct blk_req_hdr), i;
    struct blk_seg seg;

    if (b->ro || bytes == 0 || bytes % sizeof(seg) || bytes / sizeof(seg) > MAX_SEGS)
        return VIRTIO_BLK_S_IOERR;
    for (i = 0; i < bytes / sizeof(seg); i++) {
        uint64_t sector;
        uint32_t num, flags;

        iov_to_buf(e->iov, e->out_num, sizeof(struct blk_req_hdr) + i * sizeof(seg),
                   &seg, sizeof(seg));
        sector = le64toh(seg.sector);
        num = le32toh(seg.num_sectors);
        flags = le32toh(seg.flags);
        if ((flags & ~1u) || (!zeroes && flags) ||
            !in_range(b, sector, (uint64_t)num * SECTOR))
            return VIRTIO_BLK_S_IOERR;
        if (!zeroes) {
            /* Discard is a hint: a failure to punch is not an error. */
            fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      (off_t)(sector * SECTOR), (off_t)num * SECTOR);
        } else if (zero_range(b, sector * SECTOR, (uint64_t)num * SECTOR, flags & 1)) {
            return VIRTIO_BLK_S_IOERR;
        }
    }
    return VIRTIO_BLK_S_OK;
}

/* Put the status byte; returns the used length (bytes written + status). */
static uint32_t finish(struct blk *b, const struct vmsg_vq_elem *e, uint8_t status,
                       uint32_t written)
{
    if (status != VIRTIO_BLK_S_OK) {
        count(&b->errors);
        written = 0;
    }
    iov_from_buf(e->iov + e->out_num, e->in_num, e->in_len - 1, &status, 1);
    return written + 1;
}

/* One request; returns bytes written into the driver's buffers.  Runs on
 * the loop or on a worker: touches only the request and the file. */
/* Copy the header out (once): 16 readable bytes, and a writable byte for
 * the status.  false: malformed, nowhere to put a status. */
static bool get_hdr(struct blk *b, const struct vmsg_vq_elem *e, struct blk_req_hdr *h)
{
    if (e->in_len < 1 || e->out_len < sizeof(*h) ||
        iov_to_buf(e->iov, e->out_num, 0, h, sizeof(*h)) != sizeof(*h)) {
        count(&b->errors);
        return false;
    }
    return true;
}

/* A request whose header @h is copied out already. */
static uint32_t handle_hdr(struct blk *b, struct vmsg_vq_elem *e, const struct blk_req_hdr *h,
                           struct iovec *scratch)
{
    uint32_t written = 0;
    uint8_t status;

    switch (le32toh(h->type)) {
    case VIRTIO_BLK_T_IN:
        status = (uint8_t)do_rw(b, e, le64toh(h->sector), false, &written, scratch);
        break;
    case VIRTIO_BLK_T_OUT:
        status = (uint8_t)do_rw(b, e, le64toh(h->sector), true, &written, scratch);
        break;
    case VIRTIO_BLK_T_FLUSH:
        count(&b->flushes);
        status = fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
        break;
    case VIRTIO_BLK_T_GET_ID: {
        size_t n = e->in_len - 1 < ID_BYTES ? e->in_len - 1 : ID_BYTES;
        written = (uint32_t)iov_from_buf(e->iov + e->out_num, e->in_num, 0,
                                         b->serial, n);
        status = VIRTIO_BLK_S_OK;
        break;
    }
    case VIRTIO_BLK_T_DISCARD:
        status = (uint8_t)do_segments(b, e, false);
        break;
    case VIRTIO_BLK_T_WRITE_ZEROES:
        status = (uint8_t)do_segments(b, e, true);
        break;
    default:
        status = VIRTIO_BLK_S_UNSUPP;
    }
    return finish(b, e, status, written);
}

static uint32_t handle(struct blk *b, struct vmsg_vq_elem *e, struct iovec *scratch)
{
    struct blk_req_hdr h;

    return get_hdr(b, e, &h) ? handle_hdr(b, e, &h, scratch) : 0;
}

/* ---- the event loop's batches (io_uring, see blk_batch.h) ---- */

/* Does @rw touch bytes a queued transfer touches, one of them a write?
 * Then the batch runs first: the file sees the order the ring had. */
static bool conflicts(const struct blk *b, unsigned n, const struct rw *rw)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        const struct rw *o = &b->slots[i].rw;

        if (b->slots[i].queued && (o->write || rw->write) &&
            rw->pos < o->pos + o->len && o->pos < rw->pos + rw->len)
            return true;
    }
    return false;
}

/* Run the transfers queued from slots [0, n) and finish those requests.
 * One that failed or came back short is done again with preadv/pwritev,
 * which go on after short transfers and report errors.  A lone transfer
 * goes straight to preadv/pwritev: io_uring only pays off for two or more
 * (queue depth 1 stays as fast as without it). */
static void run_batch(struct blk *b, unsigned n)
{
    unsigned i, k = 0, queued = 0;
    bool batched;

    for (i = 0; i < n; i++)
        queued += b->slots[i].queued;
    batched = queued > 1;
    for (i = 0; i < n && batched; i++) {
        const struct blk_slot *sl = &b->slots[i];

        if (sl->queued)
            blk_batch_add(b->uring, b->fd, sl->rw.write, sl->scratch, sl->rw.cnt, sl->rw.pos);
    }
    if (batched)
        blk_batch_run(b->uring, b->res);
    for (i = 0; i < n; i++) {
        struct blk_slot *sl = &b->slots[i];
        uint32_t written = 0;
        int st = VIRTIO_BLK_S_OK;

        if (!sl->queued)
            continue;
        sl->queued = false;
        if (batched && b->res[k++] == (ssize_t)sl->rw.len) {
            count(sl->rw.write ? &b->writes : &b->reads);
            written = sl->rw.write ? 0 : (uint32_t)sl->rw.len;
        } else {
            st = rw_sync(b, sl->rw, sl->scratch, &written);
        }
        sl->len = finish(b, &sl->elem, (uint8_t)st, written);
    }
}

/* Take the request in slot @i: a read or write joins the batch; anything
 * else (flush, get-id, discard, a bad request) runs now, after the batch
 * before it. */
static void take(struct blk *b, unsigned i)
{
    struct blk_slot *sl = &b->slots[i];
    struct blk_req_hdr h;
    uint32_t type;
    int st;

    sl->queued = false;
    if (!get_hdr(b, &sl->elem, &h)) {
        sl->len = 0;
        return;
    }
    type = le32toh(h.type);
    if (type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_OUT) {
        run_batch(b, i);
        sl->len = handle_hdr(b, &sl->elem, &h, sl->scratch);
        return;
    }
    st = rw_setup(b, &sl->elem, le64toh(h.sector), type == VIRTIO_BLK_T_OUT, sl->scratch,
                  &sl->rw);
    if (st != VIRTIO_BLK_S_OK) {
        sl->len = finish(b, &sl->elem, (uint8_t)st, 0);
        return;
    }
    if (conflicts(b, i, &sl->rw))
        run_batch(b, i);
    sl->queued = true;               /* run_batch() hands it to io_uring */
}

/*
 * The loop path with batches: up to BATCH requests or BATCH_BYTES popped,
 * their file I/O in one system call, then completed and the driver told;
 * as often as the queue has more.  Large requests thus complete one by
 * one, so a driver with two in flight refills the queue while we copy
 * the next (it puts without a kick while we serve): no wake-up per
 * megabyte on either side.
 */
static void serve_batched(struct blk *b, struct vmsg_vq *vq, uint32_t qi)
{
    unsigned n, i, turn = 0;
    uint64_t bytes;
    int rc;

    do {
        vmsg_vq_set_notification(vq, false);
        do {
            if (turn++ == TURN_BATCHES) {
                /* More to do: next turn (notifications stay off). */
                vmsg_dev_want_later(b->dev, qi);
                return;
            }
            for (n = 0, bytes = 0, rc = 1; n < BATCH && bytes < BATCH_BYTES &&
                 (rc = vmsg_vq_pop(vq, &b->slots[n].elem)) == 1; n++) {
                take(b, n);
                bytes += b->slots[n].elem.out_len + b->slots[n].elem.in_len;
            }
            run_batch(b, n);
            for (i = 0; i < n; i++)
                vmsg_vq_push(vq, &b->slots[i].elem, b->slots[i].len);
            if (n)
                vmsg_dev_notify_used(b->dev, qi);
        } while (rc == 1);
        if (rc < 0) {
            vmsg_dev_needs_reset(b->dev);   /* a broken ring */
            return;
        }
    } while (vmsg_vq_set_notification(vq, true));
}

static struct blk_io *io_get(struct blk *b)
{
    struct blk_io *io = b->spare;

    if (io)
        b->spare = io->next_spare;
    else
        io = malloc(sizeof(*io));
    return io;
}

static void io_put(struct blk *b, struct blk_io *io)
{
    io->next_spare = b->spare;
    b->spare = io;
}

static void io_work(void *ctx, struct io_item *it)
{
    struct blk_io *io = (struct blk_io *)it;

    (void)ctx;
    io->len = handle(io->b, &io->elem, io->scratch);
}

/* Pop what the driver made available into the pool, at most the queue's
 * size in flight (a driver cannot make us hold more than it could). */
static void kick_pool(struct blk *b, uint32_t qi)
{
    struct vmsg_vq *vq = vmsg_dev_queue(b->dev, qi);
    struct blk_io *io;
    int rc;

    if (!vq)
        return;
    do {
        vmsg_vq_set_notification(vq, false);
        while (vq->inflight < vq->num) {
            if (!(io = io_get(b)))
                return;              /* no memory: completions retry */
            rc = vmsg_vq_pop(vq, &io->elem);
            if (rc != 1) {
                io_put(b, io);
                if (rc < 0) {
                    vmsg_dev_needs_reset(b->dev);
                    return;
                }
                break;
            }
            io->b = b;
            io->vq = vq;
            io->qi = qi;
            io_pool_submit(b->pool, &io->item);
        }
        if (vq->inflight >= vq->num)
            return;                  /* full: the completions kick again */
    } while (vmsg_vq_set_notification(vq, true));
}

/* Finished requests: complete them (or, for queue @drop, only release
 * them: it is being reset), notify, and take more from the queues. */
static void complete_pool(struct blk *b, int64_t drop)
{
    struct io_item *it = io_pool_take_done(b->pool);
    uint64_t touched = 0;
    uint32_t qi;

    while (it) {
        struct blk_io *io = (struct blk_io *)it;

        it = it->next;
        if (!b->dev || io->qi == drop) {
            vmsg_vq_discard(io->vq, &io->elem);
        } else {
            vmsg_vq_push(io->vq, &io->elem, io->len);
            touched |= 1ull << io->qi;
        }
        io_put(b, io);
    }
    for (qi = 0; touched; qi++, touched >>= 1) {
        if (!(touched & 1))
            continue;
        vmsg_dev_notify_used(b->dev, qi);
        kick_pool(b, qi);
    }
}

static void pool_ready(void *opaque)
{
    complete_pool(opaque, -1);
}

static void blk_notify(void *s, uint32_t qi)
{
    struct blk *b = s;
    struct vmsg_vq *vq = vmsg_dev_queue(b->dev, qi);
    unsigned served = 0;
    int rc;

    if (!vq)
        return;
    if (b->pool) {
        kick_pool(b, qi);
        return;
    }
    if (b->uring) {
        serve_batched(b, vq, qi);
        return;
    }
    do {
        vmsg_vq_set_notification(vq, false);
        while ((rc = vmsg_vq_pop(vq, b->elem)) == 1) {
            vmsg_vq_push(vq, b->elem, handle(b, b->elem, b->scratch));
            if (++served == TURN_REQUESTS) {
                vmsg_dev_notify_used(b->dev, qi);
                vmsg_dev_want_later(b->dev, qi);   /* the rest next turn */
                return;
            }
        }
        if (rc < 0) {
            /* A broken ring: the driver must reset the device. */
            vmsg_dev_needs_reset(b->dev);
            return;
        }
    } while (vmsg_vq_set_notification(vq, true));
    vmsg_dev_notify_used(b->dev, qi);
}

static int blk_start(void *s, struct vmsg_dev *dev)
{
    ((struct blk *)s)->dev = dev;
    return 0;
}

static void blk_reset(void *s)
{
    struct blk *b = s;

    /* Without a pool requests complete synchronously; with one, wait for
     * the workers, then release what they did: the queues are going. */
    if (b->pool) {
        io_pool_quiesce(b->pool);
        b->dev = NULL;
        complete_pool(b, -1);
    }
    b->dev = NULL;                   /* until the next DRIVER_OK */
}

static void blk_queue_reset(void *s, uint32_t qi)
{
    struct blk *b = s;

    if (b->pool) {
        io_pool_quiesce(b->pool);
        complete_pool(b, qi);
    }
}

static const struct vmsg_dev_ops blk_ops = {
    .config_read = blk_config_read,
    .start = blk_start,
    .reset = blk_reset,
    .queue_notify = blk_notify,
    .queue_reset = blk_queue_reset,
};

static void blk_destroy(void *s)
{
    struct blk *b = s;
    struct blk_io *io;

    if (b->pool) {
        model_watch(&b->env, io_pool_fd(b->pool), &b->watching, false, NULL, NULL);
        io_pool_destroy(b->pool);
    }
    while ((io = b->spare)) {
        b->spare = io->next_spare;
        free(io);
    }
    blk_batch_destroy(b->uring);
    free(b->slots);
    if (b->fd >= 0)
        close(b->fd);
    free(b->elem);
    free(b);
}

int blk_create(struct model *m, const struct model_opts *o,
               const struct model_env *env, char *err, size_t errlen)
{
    const char *file = opt_get(o, "file"), *v;
    unsigned long queues = 1, qsize = 256, iothreads = 0;
    struct stat st;
    struct blk *b;
    int ro = 0, uring = 1;

    if (!file) {
        snprintf(err, errlen, "blk needs file=PATH");
        return -EINVAL;
    }
    if ((v = opt_get(o, "readonly")) && (ro = opt_bool(v)) < 0) {
        snprintf(err, errlen, "readonly=%s: expected on or off", v);
        return -EINVAL;
    }
    if ((v = opt_get(o, "uring")) && (uring = opt_bool(v)) < 0) {
        snprintf(err, errlen, "uring=%s: expected on or off", v);
        return -EINVAL;
    }
    if (opt_uint(o, "queues", 1, VMSG_DEV_MAX_QUEUES, &queues, err, errlen) ||
        opt_uint(o, "iothreads", 0, MAX_IOTHREADS, &iothreads, err, errlen) ||
        opt_uint(o, "qsize", 2, 32768, &qsize, err, errlen))
        return -EINVAL;
    if (qsize & (qsize - 1)) {
        snprintf(err, errlen, "qsize=%lu: expected a power of two, 2..32768", qsize);
        return -EINVAL;
    }
    b = calloc(1, sizeof(*b));
    if (!b || !(b->elem = malloc(sizeof(*b->elem)))) {
        free(b);
        return -ENOMEM;
    }
    b->ro = ro;
    b->fd = open(file, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (b->fd < 0 || fstat(b->fd, &st)) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", file, strerror(e));
        blk_destroy(b);
        return -e;
    }
    if (S_ISBLK(st.st_mode)) {
        uint64_t bytes = 0;
        ioctl(b->fd, BLKGETSIZE64, &bytes);
        b->sectors = bytes / SECTOR;
    } else if (S_ISREG(st.st_mode)) {
        b->sectors = (uint64_t)st.st_size / SECTOR;
    } else {
        snprintf(err, errlen, "%s: not a regular file or block device", file);
        blk_destroy(b);
        return -EINVAL;
    }
    if (iothreads) {
        b->env = *env;
        b->env.label = NULL;         /* the caller's buffer */
        b->pool = io_pool_create((unsigned)iothreads, io_work, b);
        if (b->pool)
            model_watch(&b->env, io_pool_fd(b->pool), &b->watching, true, pool_ready, b);
        if (!b->pool || !b->watching) {
            snprintf(err, errlen, "iothreads=%lu: cannot start the I/O threads", iothreads);
            blk_destroy(b);
            return -ENOMEM;
        }
    }
    /* Batches on the loop, where io_uring exists (else preadv/pwritev). */
    if (!iothreads && uring) {
        if ((b->slots = calloc(BATCH, sizeof(*b->slots))))
            b->uring = blk_batch_create(BATCH);
        if (!b->uring) {
            free(b->slots);
            b->slots = NULL;
        }
        fprintf(stderr, "virtio-msg-backend: %s blk on %s: %s\n", env->label ? env->label : "-",
                file, b->uring ? "file I/O in io_uring batches"
                               : "io_uring unavailable, preadv/pwritev");
    }
    v = opt_get(o, "serial");
    snprintf(b->serial, sizeof(b->serial), "%s", v ? v : "virtio-msg-blk");
    build_config(b, (uint16_t)queues);
    m->desc = (struct vmsg_dev_desc){
        .device_id = VIRTIO_ID_BLOCK,
        .vendor_id = 0x564D5347,     /* "VMSG" */
        .features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                    VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_RING_RESET) |
                    VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
                    VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
                    VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES) |
                    (queues > 1 ? VIRTIO_BIT(VIRTIO_BLK_F_MQ) : 0) |
                    (ro ? VIRTIO_BIT(VIRTIO_BLK_F_RO) : 0),
        .config_size = BLK_CONFIG_SIZE,
        .num_queues = (uint16_t)queues,
        .queue_max_size = (uint16_t)qsize,
    };
    m->ops = &blk_ops;
    m->state = b;
    m->destroy = blk_destroy;
    return 0;
}
