/* SPDX-License-Identifier: MIT */
/* File I/O for a batch of block requests in one io_uring_enter() (see blk_batch.h). */
#include <errno.h>
#include <stdlib.h>

#include "blk_batch.h"

#ifdef HAVE_LIBURING
#include <liburing.h>

struct blk_batch {
    struct io_uring ring;
    unsigned max, queued;
    bool dead;                       /* the ring failed and could not be remade */
};

struct blk_batch *blk_batch_create(unsigned max)
{
    struct blk_batch *bb = calloc(1, sizeof(*bb));

    if (!bb)
        return NULL;
    bb->max = max;
    if (io_uring_queue_init(max, &bb->ring, 0) < 0) {
        free(bb);                    /* no io_uring here: preadv it is */
        return NULL;
    }
    return bb;
}

void blk_batch_destroy(struct blk_batch *bb)
{
    if (!bb)
        return;
    if (!bb->dead)
        io_uring_queue_exit(&bb->ring);
    free(bb);
}

void blk_batch_add(struct blk_batch *bb, int fd, bool write, const struct iovec *iov,
                   int cnt, uint64_t pos)
{
    struct io_uring_sqe *sqe;

    /* The ring has max entries and run() empties it: sqe is never NULL
     * while the caller keeps to max. */
    if (bb->dead || bb->queued >= bb->max || !(sqe = io_uring_get_sqe(&bb->ring))) {
        bb->queued++;                /* run() reports it as not done */
        return;
    }
    if (write)
        io_uring_prep_writev(sqe, fd, iov, (unsigned)cnt, pos);
    else
        io_uring_prep_readv(sqe, fd, iov, (unsigned)cnt, pos);
    io_uring_sqe_set_data64(sqe, bb->queued++);
}

/* Wait for @n completions of submitted entries into res[]. */
static int reap(struct blk_batch *bb, unsigned n, unsigned nres, ssize_t *res)
{
    unsigned done = 0, i;

    while (done < n) {
        struct io_uring_cqe *cqe;
        int w = io_uring_wait_cqe(&bb->ring, &cqe);

        if (w == -EINTR)
            continue;
        if (w < 0)
            return w;
        i = (unsigned)io_uring_cqe_get_data64(cqe);
        if (i < nres)
            res[i] = cqe->res;
        io_uring_cqe_seen(&bb->ring, cqe);
        done++;
    }
    return 0;
}

int blk_batch_run(struct blk_batch *bb, ssize_t *res)
{
    unsigned n = bb->queued, sub = 0, i;
    int rc = 0;

    bb->queued = 0;
    for (i = 0; i < n; i++)
        res[i] = -EIO;               /* what did not run: the caller redoes it */
    if (n == 0 || bb->dead)
        return bb->dead ? -EIO : 0;
    while (io_uring_sq_ready(&bb->ring) > 0 && rc >= 0) {
        rc = io_uring_submit_and_wait(&bb->ring, 1);
        if (rc > 0)
            sub += (unsigned)rc;
        else if (rc == -EINTR || rc == -EAGAIN)
            rc = 0;
        else if (rc == 0)
            rc = -EIO;
    }
    /* Entries in the kernel use the caller's buffers: wait for every one. */
    if (reap(bb, sub, n, res) < 0 || rc < 0) {
        /* Drop what was never submitted by making the ring anew. */
        io_uring_queue_exit(&bb->ring);
        bb->dead = io_uring_queue_init(bb->max, &bb->ring, 0) < 0;
        return rc < 0 ? rc : -EIO;
    }
    return 0;
}

#else /* !HAVE_LIBURING */

struct blk_batch *blk_batch_create(unsigned max)
{
    (void)max;
    return NULL;
}

void blk_batch_destroy(struct blk_batch *bb)
{
    (void)bb;
}

void blk_batch_add(struct blk_batch *bb, int fd, bool write, const struct iovec *iov,
                   int cnt, uint64_t pos)
{
    (void)bb, (void)fd, (void)write, (void)iov, (void)cnt, (void)pos;
}

int blk_batch_run(struct blk_batch *bb, ssize_t *res)
{
    (void)bb, (void)res;
    return -ENOSYS;
}
#endif
