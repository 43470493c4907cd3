/* SPDX-License-Identifier: MIT */
/*
 * A small pool of worker threads for blocking file I/O, so one slow
 * request does not hold up the event loop or the other requests of a
 * queue.  The event loop submits items; a worker runs the work function on
 * each; finished items come back on a list the loop takes when the pool's
 * eventfd is readable.  Everything but the work function runs on the loop
 * thread.
 */
#ifndef VMSG_BACKEND_IO_POOL_H
#define VMSG_BACKEND_IO_POOL_H

struct io_item {
    struct io_item *next;
};

struct io_pool;

/* @threads workers calling @work(@ctx, item).  NULL, errno set. */
struct io_pool *io_pool_create(unsigned threads,
                               void (*work)(void *ctx, struct io_item *it),
                               void *ctx);
/* Readable when finished items are waiting. */
int io_pool_fd(struct io_pool *p);
void io_pool_submit(struct io_pool *p, struct io_item *it);
/* Every finished item (oldest first), or NULL. */
struct io_item *io_pool_take_done(struct io_pool *p);
/* Wait until every submitted item has finished (device reset). */
void io_pool_quiesce(struct io_pool *p);
/* Stop and join the workers; nothing may be in flight. */
void io_pool_destroy(struct io_pool *p);

#endif
