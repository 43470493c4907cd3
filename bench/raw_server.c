/* SPDX-License-Identifier: MIT */
/* The scale bench's floor: see raw_server.h. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rand.h"
#include "raw_server.h"

#define REQS 4                       /* requests per round, as the scale rows */
#define BLOCK 4096u

struct raw_slot {                    /* one client's requests and buffers */
    uint64_t off[REQS];
    uint8_t buf[REQS][BLOCK];
};

struct raw_shared {
    struct raw_slot slot[RAW_MAX_CLIENTS];
    uint64_t go_ns;                  /* CLOCK_MONOTONIC start, 0 until all ready */
    unsigned ready, finished, stop;
    struct vf_fleet_stats st;        /* all clients' latencies (atomic adds) */
};

static uint64_t mono_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void to_ts(uint64_t ns, struct timespec *t)
{
    t->tv_sec = (time_t)(ns / 1000000000u);
    t->tv_nsec = (long)(ns % 1000000000u);
}

/* The server: a round's reads as each client's eventfd fires. */
static int serve(struct raw_shared *sh, int fd, const int *req, const int *resp, unsigned n)
{
    struct epoll_event ev, evs[RAW_MAX_CLIENTS];
    int ep = epoll_create1(0), k, i;
    unsigned c;

    if (ep < 0)
        return 1;
    for (c = 0; c < n; c++) {
        ev.events = EPOLLIN;
        ev.data.u32 = c;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, req[c], &ev))
            return 1;
    }
    while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
        k = epoll_wait(ep, evs, RAW_MAX_CLIENTS, 100);
        if (k < 0 && errno != EINTR)
            return 1;
        for (i = 0; i < k; i++) {
            struct raw_slot *s;
            uint64_t v;

            c = evs[i].data.u32;
            if (read(req[c], &v, sizeof(v)) != (ssize_t)sizeof(v))
                continue;
            s = &sh->slot[c];
            for (unsigned j = 0; j < REQS; j++)
                if (pread(fd, s->buf[j], BLOCK, (off_t)s->off[j]) != (ssize_t)BLOCK)
                    return 1;
            v = 1;
            if (write(resp[c], &v, sizeof(v)) != (ssize_t)sizeof(v))
                return 1;
        }
    }
    return 0;
}

/* A client: rounds on its slot until the end; latencies after the warm-up. */
static int client(struct raw_shared *sh, unsigned c, int req, int resp, uint64_t blocks,
                  unsigned hz, double secs, double warmup)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull * (c + 1), period = 1000000000u / hz;
    uint64_t next, count_from, end, t0, v = 1;
    struct raw_slot *s = &sh->slot[c];
    struct timespec ts;

    __atomic_fetch_add(&sh->ready, 1, __ATOMIC_SEQ_CST);
    while (!(next = __atomic_load_n(&sh->go_ns, __ATOMIC_ACQUIRE)))
        usleep(1000);
    count_from = next + (uint64_t)(warmup * 1e9);
    end = count_from + (uint64_t)(secs * 1e9);
    next += rnd(&seed) % period; /* independent guests: a random phase */
    while (mono_ns() < end) {
        uint64_t us;

        to_ts(next, &ts);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        next += period;
        for (unsigned j = 0; j < REQS; j++)
            s->off[j] = rnd(&seed) % blocks * BLOCK;
        t0 = mono_ns();
        if (write(req, &v, sizeof(v)) != (ssize_t)sizeof(v) ||
            read(resp, &v, sizeof(v)) != (ssize_t)sizeof(v))
            return 1;
        if (t0 < count_from)
            continue;
        us = (mono_ns() - t0) / 1000;
        __atomic_fetch_add(&sh->st.requests, REQS, __ATOMIC_RELAXED);
        if (us < VF_FLEET_HIST_US)
            __atomic_fetch_add(&sh->st.hist[us], REQS, __ATOMIC_RELAXED);
        else
            __atomic_fetch_add(&sh->st.over, REQS, __ATOMIC_RELAXED);
    }
    __atomic_fetch_add(&sh->finished, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* Wait for @pid until @deadline_ns, then kill it: 0 if it exited 0. */
static int reap(pid_t pid, uint64_t deadline_ns)
{
    int st;

    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (mono_ns() > deadline_ns) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        usleep(2000);
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int raw_server_run(int fd, unsigned nclients, unsigned hz, double secs, double warmup,
                   struct vf_fleet_stats *st)
{
    int req[RAW_MAX_CLIENTS], resp[RAW_MAX_CLIENTS], rc = 0;
    pid_t kids[RAW_MAX_CLIENTS], server = -1;
    struct raw_shared *sh;
    unsigned c, made = 0, forked = 0;
    uint64_t deadline;
    struct stat sb;

    if (!nclients || nclients > RAW_MAX_CLIENTS || !hz || fstat(fd, &sb) || sb.st_size < BLOCK)
        return -1;
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return -1;
    for (; made < nclients; made++) {
        req[made] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        resp[made] = eventfd(0, EFD_CLOEXEC);
        if (req[made] < 0 || resp[made] < 0) {
            if (req[made] >= 0)
                close(req[made]);
            if (resp[made] >= 0)
                close(resp[made]);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && (server = fork()) == 0)
        _exit(serve(sh, fd, req, resp, nclients));
    if (server < 0)
        rc = -1;
    for (c = 0; rc == 0 && c < nclients; c++, forked++) {
        kids[c] = fork();
        if (kids[c] == 0)
            _exit(client(sh, c, req[c], resp[c], (uint64_t)sb.st_size / BLOCK, hz, secs, warmup));
        if (kids[c] < 0)
            rc = -1;
    }
    if (rc == 0) {
        /* Everyone forked: go in 10 ms, on the same clock. */
        deadline = mono_ns() + 10000000000ull;
        while (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < nclients && mono_ns() < deadline)
            usleep(1000);
        __atomic_store_n(&sh->go_ns, mono_ns() + 10000000u, __ATOMIC_RELEASE);
    } else {
        __atomic_store_n(&sh->go_ns, mono_ns(), __ATOMIC_RELEASE);  /* let the forked end */
    }
    deadline = mono_ns() + (uint64_t)((warmup + secs + 30) * 1e9);
    for (c = 0; c < forked; c++)
        if (kids[c] > 0 && reap(kids[c], deadline))
            rc = -1;
    __atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
    if (server > 0 && reap(server, mono_ns() + 5000000000ull))
        rc = -1;
    for (c = 0; c < made; c++) {
        close(req[c]);
        close(resp[c]);
    }
    if (rc == 0 && sh->finished == nclients)
        memcpy(st, &sh->st, sizeof(*st));
    else
        rc = -1;
    munmap(sh, sizeof(*sh));
    if (rc)
        fprintf(stderr, "bench: the raw eventfd server run with %u clients failed\n", nclients);
    return rc;
}
