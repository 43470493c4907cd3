/* SPDX-License-Identifier: MIT */
/* Worker threads for blocking file I/O (see io_pool.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "io_pool.h"

#define IO_POOL_MAX_THREADS 64

struct fifo {
    struct io_item *head, **tail;
};

struct io_pool {
    pthread_mutex_t lock;
    pthread_cond_t work_cv;          /* queued not empty, or stop */
    pthread_cond_t idle_cv;          /* busy reached 0 */
    struct fifo queued, done;
    unsigned busy;                   /* submitted and not yet done */
    bool stop;
    int efd;
    unsigned nthreads;
    void (*work)(void *ctx, struct io_item *it);
    void *ctx;
    pthread_t threads[IO_POOL_MAX_THREADS];
};

static void fifo_init(struct fifo *f)
{
    f->head = NULL;
    f->tail = &f->head;
}

static void fifo_put(struct fifo *f, struct io_item *it)
{
    it->next = NULL;
    *f->tail = it;
    f->tail = &it->next;
}

static void *worker(void *opaque)
{
    struct io_pool *p = opaque;
    const uint64_t one = 1;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct io_item *it;
        bool was_empty;

        while (!p->queued.head && !p->stop)
            pthread_cond_wait(&p->work_cv, &p->lock);
        if (!p->queued.head)
            break;                   /* stopping, nothing left */
        it = p->queued.head;
        p->queued.head = it->next;
        if (!p->queued.head)
            p->queued.tail = &p->queued.head;
        pthread_mutex_unlock(&p->lock);

        p->work(p->ctx, it);

        pthread_mutex_lock(&p->lock);
        was_empty = !p->done.head;
        fifo_put(&p->done, it);
        if (--p->busy == 0)
            pthread_cond_broadcast(&p->idle_cv);
        /* One wake-up per batch: the loop takes the whole list. */
        if (was_empty)
            (void)!write(p->efd, &one, sizeof(one));  /* fails only if already readable */
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct io_pool *io_pool_create(unsigned threads,
                               void (*work)(void *ctx, struct io_item *it),
                               void *ctx)
{
    sigset_t all, old;
    struct io_pool *p;
    int rc = 0;

    if (threads < 1 || threads > IO_POOL_MAX_THREADS) {
        errno = EINVAL;
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->efd < 0) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->idle_cv, NULL);
    fifo_init(&p->queued);
    fifo_init(&p->done);
    p->work = work;
    p->ctx = ctx;
    /* Workers take no signals: the daemon reads its own from a signalfd
     * on the loop thread, and a worker created before it blocks them
     * would otherwise die of SIGUSR1's default action. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (; p->nthreads < threads; p->nthreads++) {
        rc = pthread_create(&p->threads[p->nthreads], NULL, worker, p);
        if (rc)
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        io_pool_destroy(p);
        errno = rc;
        return NULL;
    }
    return p;
}

int io_pool_fd(struct io_pool *p)
{
    return p->efd;
}

void io_pool_submit(struct io_pool *p, struct io_item *it)
{
    pthread_mutex_lock(&p->lock);
    fifo_put(&p->queued, it);
    p->busy++;
    pthread_cond_signal(&p->work_cv);
    pthread_mutex_unlock(&p->lock);
}

struct io_item *io_pool_take_done(struct io_pool *p)
{
    struct io_item *list;
    uint64_t n;

    (void)!read(p->efd, &n, sizeof(n));   /* EAGAIN: look anyway */
    pthread_mutex_lock(&p->lock);
    list = p->done.head;
    fifo_init(&p->done);
    pthread_mutex_unlock(&p->lock);
    return list;
}

void io_pool_quiesce(struct io_pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->busy)
        pthread_cond_wait(&p->idle_cv, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void io_pool_destroy(struct io_pool *p)
{
    unsigned i;

    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    close(p->efd);
    pthread_cond_destroy(&p->idle_cv);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
