/* SPDX-License-Identifier: MIT */
/*
 * A batch of file reads and writes run with one system call (io_uring),
 * for the blk model's event-loop path: a page-cache hit costs a system call
 * entry per request with preadv(), one per batch here.  Built when liburing
 * is present; blk_batch_create() returns NULL where io_uring is missing or
 * forbidden, and the model falls back to preadv()/pwritev().
 */
#ifndef VMSG_BLK_BATCH_H
#define VMSG_BLK_BATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct blk_batch;

struct blk_batch *blk_batch_create(unsigned max);
void blk_batch_destroy(struct blk_batch *bb);

/* Queue a transfer of @iov[0..@cnt) at byte @pos of @fd; at most @max
 * queued.  The iovec must stay valid until blk_batch_run() returns. */
void blk_batch_add(struct blk_batch *bb, int fd, bool write, const struct iovec *iov,
                   int cnt, uint64_t pos);

/* Run every queued transfer and wait for all; res[i] = bytes moved by the
 * i-th added, or -errno.  Empties the batch.  0, or -errno if the batch
 * could not be run (then every res[i] is that error). */
int blk_batch_run(struct blk_batch *bb, ssize_t *res);

#endif
