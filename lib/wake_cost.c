/* SPDX-License-Identifier: MIT */
#include "wake_cost.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define WAKE_ROUNDS_MAX 64

struct pong {
    int ping, pong;
    unsigned rounds;
    int cpu;                         /* the helper's CPU, or -1: anywhere */
    bool stop;                       /* the measuring side gave up */
};

static int wait_fd(int fd)
{
    uint64_t v;

    while (read(fd, &v, sizeof(v)) != sizeof(v))
        if (errno != EINTR)
            return -errno;
    return 0;
}

static int kick_fd(int fd)
{
    uint64_t one = 1;

    while (write(fd, &one, sizeof(one)) != sizeof(one))
        if (errno != EINTR)
            return -errno;
    return 0;
}

static void *ponger(void *opaque)
{
    struct pong *p = opaque;
    unsigned i;

    if (p->cpu >= 0) {
        cpu_set_t one;

        CPU_ZERO(&one);
        CPU_SET(p->cpu, &one);
        pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
    }
    for (i = 0; i < p->rounds; i++)
        if (wait_fd(p->ping) || __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE) ||
            kick_fd(p->pong))
            break;
    return NULL;
}

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* Keep the caller on the CPU it runs on (*@me) and return another CPU it
 * may use, for the helper; -1 (nothing changed) if it may use only one. */
static int split_cpus(const cpu_set_t *allowed, int *me_out)
{
    int me = sched_getcpu(), cpu;
    cpu_set_t one;

    if (me < 0 || !CPU_ISSET(me, allowed) || CPU_COUNT(allowed) < 2)
        return -1;
    for (cpu = (me + 1) % CPU_SETSIZE; cpu != me; cpu = (cpu + 1) % CPU_SETSIZE)
        if (CPU_ISSET(cpu, allowed))
            break;
    CPU_ZERO(&one);
    CPU_SET(me, &one);
    if (sched_setaffinity(0, sizeof(one), &one))
        return -1;
    *me_out = me;
    return cpu;
}

/* Undo split_cpus(), unless someone else set our affinity meanwhile (an
 * operator's taskset -p, a bench pinning us): theirs stays. */
static void unsplit_cpus(const cpu_set_t *allowed, int me)
{
    cpu_set_t now;

    if (sched_getaffinity(0, sizeof(now), &now) == 0 && CPU_COUNT(&now) == 1 &&
        CPU_ISSET(me, &now))
        sched_setaffinity(0, sizeof(*allowed), allowed);
}

int64_t wake_cost_ns(unsigned rounds)
{
    struct pong p = { .rounds = rounds > WAKE_ROUNDS_MAX ? WAKE_ROUNDS_MAX : rounds, .cpu = -1 };
    cpu_set_t allowed;
    int64_t rtt[WAKE_ROUNDS_MAX];
    pthread_t th;
    unsigned i, n = 0;
    int rc = 0, me = -1;

    if (!p.rounds)
        return -EINVAL;
    p.ping = eventfd(0, EFD_CLOEXEC);
    p.pong = eventfd(0, EFD_CLOEXEC);
    if (p.ping < 0 || p.pong < 0)
        rc = -errno;
    else {
        /* Frontend and backend run on different CPUs: time the wake-up
         * that crosses (an IPI; in a VM, a vCPU woken), not the cheaper
         * one that a scheduler may give two threads left on one CPU. */
        if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0)
            p.cpu = split_cpus(&allowed, &me);
        rc = -pthread_create(&th, NULL, ponger, &p);
    }
    if (!rc) {
        for (i = 0; i < p.rounds; i++, n++) {
            int64_t t = mono_ns();

            if ((rc = kick_fd(p.ping)) || (rc = wait_fd(p.pong)))
                break;
            rtt[i] = mono_ns() - t;
        }
        if (rc) {                    /* let the helper out of its read */
            __atomic_store_n(&p.stop, true, __ATOMIC_RELEASE);
            kick_fd(p.ping);
        }
        pthread_join(th, NULL);
    }
    if (p.cpu >= 0)                  /* split_cpus() pinned us */
        unsplit_cpus(&allowed, me);
    if (p.ping >= 0)
        close(p.ping);
    if (p.pong >= 0)
        close(p.pong);
    if (rc)
        return rc;
    qsort(rtt, n, sizeof(rtt[0]), cmp_i64);
    return rtt[n / 2] / 2;
}
