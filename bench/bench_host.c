/* SPDX-License-Identifier: MIT */
/*
 * Host-bus benchmarks, each against a baseline measured in the same run:
 *   - request round trip (GET_DEVICE_STATUS) vs a raw eventfd ping-pong
 *     between two processes; in polling mode (backend --poll, frontend
 *     poll_us: both sides spin, nobody kicks) vs a shared-memory spin
 *     ping-pong between two processes;
 *   - virtio-blk 4 KiB random reads at queue depth 1 and 32 vs pread() on
 *     the same file, and 1 MiB sequential reads and writes vs
 *     pread()/pwrite(), both through a copy (vf_blk_io) and zero-copy (the
 *     data stays in the DMA buffer the backend wrote, like O_DIRECT);
 *   - the adaptive spin (the default of both sides: the backend on its
 *     rings after its work, the frontend for its answers): the round trip
 *     with neither side spinning (backend and frontend --poll-max 0)
 *     against the eventfd ping-pong, and the round trip, QD1 and 1 MiB
 *     rows against that pair;
 *   - the backend's threading: the same QD32 and 1 MiB zero-copy runs on a
 *     disk with iothreads=2 (file I/O on a pool of worker threads) vs the
 *     event loop doing it all;
 *   - packed virtqueues: the QD1, QD32 and 1 MiB read runs on a disk
 *     offered with packed=on to a frontend that takes them, vs the split
 *     rings of the rows above;
 *   - scale: one backend, 64 frontends x 4 devices each, QD1 per device:
 *     aggregate IOPS and p99 latency vs one frontend alone; the frontends
 *     driven from one load process (front_fleet.c: the backend is what is
 *     measured), then as 64 processes (then also the host's scheduler:
 *     65 processes on the cores there are), and that 64-process load
 *     against a raw eventfd server with no virtio (raw_server.c): the
 *     floor the host's scheduler sets.
 * It starts its own backend (path in $VMSG_BACKEND or ./virtio-msg-backend)
 * on a temporary image.  Prints a table; exits non-zero only if it could
 * not run.
 *
 * Placement: with two CPUs or more, the rows before the scale ones run
 * the frontend (this process) on one CPU and the backend's event loop on
 * another, as a guest's vCPU and a dom0 backend's would, and every
 * baseline does its work where ours does it: the file I/O of pread() and
 * pwrite() on the backend's CPU, the peer of a ping-pong there too.  The
 * CPUs of a VM do not run at one speed: in this one the same pwrite() loop
 * ran up to 1.8x faster on one vCPU than on the other, seconds apart, so
 * a baseline on the frontend's CPU measured the CPUs, not the transport.
 * VMSG_BENCH_PIN=0 lets the scheduler place everything.
 *
 * The scale rows from one load process run it and the backend on two
 * different CPUs for both sides of the ratio, as on Xen, where a guest's
 * frontend and a dom0 backend never share a run queue; left alone, the
 * scheduler put one frontend and the backend on one vCPU (a wake-up is
 * then a context switch, 8 us here) and 64 of them on two (a wake-up of
 * an idle vCPU, 58-84 us in this VM), so the ratio measured the
 * placement.  That unpinned pair is printed too.  The rows with a
 * process per frontend are never pinned (65 processes).
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../frontend-ref/front.h"
#include "../frontend-ref/front_blk.h"
#include "../frontend-ref/front_fleet.h"
#include "rand.h"
#include "raw_server.h"

extern char **environ;

#define IMG_MB 64
#define QD 32
#define SCALE_FE 64
#define SCALE_DEVS 4
#define SCALE_HZ 100                 /* rounds per second per frontend, paced runs */
#define SCALE_WARMUP 0.5             /* seconds not counted: first touches, caches */

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- placement (see the top) ---- */

static cpu_set_t all_cpus;
static int cpu_fe = -1, cpu_be = -1;

static void pin(pid_t pid, int cpu)
{
    cpu_set_t s;

    if (cpu < 0)
        return;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (sched_setaffinity(pid, sizeof(s), &s))
        fprintf(stderr, "bench: cannot pin %d to CPU %d: %s\n", (int)pid, cpu, strerror(errno));
}

/* The first two CPUs we may use: this process on the first. */
static void placement_init(void)
{
    const char *e = getenv("VMSG_BENCH_PIN");
    int c;

    if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) || (e && !strcmp(e, "0")))
        return;
    for (c = 0; c < CPU_SETSIZE && cpu_be < 0; c++)
        if (CPU_ISSET(c, &all_cpus))
            *(cpu_fe < 0 ? &cpu_fe : &cpu_be) = c;
    if (cpu_be < 0)
        cpu_fe = -1;                 /* one CPU: nothing to place */
    pin(0, cpu_fe);
}

/* Back to any CPU, for good. */
static void placement_end(void)
{
    if (cpu_fe >= 0)
        sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
    cpu_fe = cpu_be = -1;
}

/* The scale rows' placement: this (load) process and the backend @pid on
 * two CPUs (@apart; as placement_init() chose them), or both anywhere.
 * false if there is nothing to place (one CPU, or VMSG_BENCH_PIN=0). */
static bool scale_place(pid_t pid, bool apart)
{
    if (cpu_fe < 0)
        return false;
    if (apart) {
        pin(0, cpu_fe);
        pin(pid, cpu_be);
    } else if (sched_setaffinity(0, sizeof(all_cpus), &all_cpus) ||
               sched_setaffinity(pid, sizeof(all_cpus), &all_cpus))
        fprintf(stderr, "bench: cannot unpin: %s\n", strerror(errno));
    return true;
}

/* A polling backend (--poll) keeps its CPU: stopped while a baseline
 * runs there, so that the baseline does not share the CPU with it. */
static pid_t spinner;

/* A baseline begins: the polling backend stopped (waited for), and this
 * process on the backend's CPU if @move. */
static void baseline_begin(bool move)
{
    int st;

    if (spinner > 0 && kill(spinner, SIGSTOP) == 0)
        waitpid(spinner, &st, WUNTRACED);
    if (move)
        pin(0, cpu_be);
}

static void baseline_end(bool move)
{
    if (move)
        pin(0, cpu_fe);
    if (spinner > 0)
        kill(spinner, SIGCONT);
}

/* Mean microseconds of one eventfd round trip between two processes. */
static double eventfd_pingpong(int iters)
{
    int a = eventfd(0, 0), b = eventfd(0, 0), i;
    uint64_t v = 1;
    double t0;
    pid_t pid;

    if (a < 0 || b < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        pin(0, cpu_be);              /* where the backend's loop runs */
        for (i = 0; i < iters; i++) {
            if (read(a, &v, 8) != 8 || write(b, &v, 8) != 8)
                _exit(1);
        }
        _exit(0);
    }
    t0 = now_s();
    for (i = 0; i < iters; i++) {
        v = 1;
        if (write(a, &v, 8) != 8 || read(b, &v, 8) != 8)
            break;
    }
    t0 = now_s() - t0;
    waitpid(pid, NULL, 0);
    close(a);
    close(b);
    return t0 * 1e6 / iters;
}

/* Mean microseconds of one round trip between two processes spinning on
 * a shared page (the floor for a polling transport). */
static double spin_pingpong(int iters)
{
    uint32_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    double t0;
    pid_t pid;
    int i;

    if (m == MAP_FAILED)
        return -1;
    pid = fork();
    if (pid == 0) {
        pin(0, cpu_be);
        for (i = 1; i <= iters; i++) {
            while (__atomic_load_n(&m[0], __ATOMIC_ACQUIRE) != (uint32_t)i)
                vmsg_cpu_relax();
            __atomic_store_n(&m[16], (uint32_t)i, __ATOMIC_RELEASE);
        }
        _exit(0);
    }
    t0 = now_s();
    for (i = 1; i <= iters; i++) {
        __atomic_store_n(&m[0], (uint32_t)i, __ATOMIC_RELEASE);
        while (__atomic_load_n(&m[16], __ATOMIC_ACQUIRE) != (uint32_t)i)
            vmsg_cpu_relax();
    }
    t0 = now_s() - t0;
    waitpid(pid, NULL, 0);
    munmap(m, 4096);
    return t0 * 1e6 / iters;
}

static void row(const char *what, double ours, double base, const char *unit,
                const char *target)
{
    printf("%-34s %12.2f %12.2f %-6s %7.2fx  %s\n", what, ours, base, unit,
           base > 0 ? ours / base : 0, target);
}

static pid_t start_backend(const char *be, char **argv)
{
    pid_t pid;

    argv[0] = (char *)be;
    if (posix_spawn(&pid, be, NULL, NULL, argv, environ)) {
        fprintf(stderr, "bench: cannot start %s\n", be);
        return -1;
    }
    return pid;
}

/* 4 KiB random reads with @qd requests in flight over the device's queues,
 * zero-copy; IOPS over @iters completions. */
static double blk_qd(struct vf *vf, struct vf_blk *b, unsigned qd, int iters, uint64_t *seed)
{
    struct vf_blk_req r[QD];
    unsigned i, q = 0, alive = 0;
    int n = 0, res;
    double t;

    for (i = 0; i < qd; i++) {
        if (vf_blk_req_alloc(vf, &r[i], 4096))
            return -1;
    }
    t = now_s();
    for (i = 0; i < qd; i++)
        alive += vf_blk_submit(b, &r[i], i % b->nq, VF_BLK_T_IN,
                               (rnd(seed) % (IMG_MB * 256)) * 8, 4096) == 0;
    while (n < iters && alive == qd) {
        struct vf_blk_req *d = vf_blk_complete(b, q, 5000, &res);
        if (!d || res)
            break;
        n++;
        if (vf_blk_submit(b, d, d->q, VF_BLK_T_IN, (rnd(seed) % (IMG_MB * 256)) * 8, 4096))
            break;
        q = (q + 1) % b->nq;
    }
    for (i = 0; i < qd && n >= iters; i++)     /* drain what is in flight */
        if (!vf_blk_complete(b, r[i].q, 5000, &res))
            break;
    t = now_s() - t;
    for (i = 0; i < qd; i++)
        vf_blk_req_free(vf, &r[i]);
    return n >= iters ? n / t : -1;
}

/* 1 MiB sequential reads or writes, zero-copy, @qd (1 or 2) in flight on
 * queue 0, the next megabyte out as one completes; MiB/s. */
static double blk_seq_zc_qd(struct vf *vf, struct vf_blk *b, uint32_t type, int count,
                            unsigned qd)
{
    struct vf_blk_req r[2];
    unsigned i, nr;
    int sent = 0, done = 0, res = 0;
    double t;

    for (nr = 0; nr < qd && nr < 2; nr++) {
        if (vf_blk_req_alloc(vf, &r[nr], 1 << 20))
            break;
        memset(vf_blk_data(&r[nr]), 0x5A, 1 << 20);
    }
    if (nr < qd)
        res = -1;
    t = now_s();
    for (i = 0; i < nr && res == 0 && sent < count; i++, sent++)
        if (vf_blk_submit(b, &r[i], 0, type, (uint64_t)(sent % IMG_MB) * 2048, 1 << 20))
            res = -1;
    while (res == 0 && done < sent) {
        struct vf_blk_req *d = vf_blk_complete(b, 0, 5000, &res);

        if (!d) {
            res = -1;
            break;
        }
        done++;
        if (res == 0 && sent < count &&
            vf_blk_submit(b, d, 0, type, (uint64_t)(sent++ % IMG_MB) * 2048, 1 << 20))
            res = -1;
    }
    t = now_s() - t;
    while (nr-- > 0)
        vf_blk_req_free(vf, &r[nr]);
    return res ? -1 : count / t;
}

static double blk_seq_zc(struct vf *vf, struct vf_blk *b, uint32_t type, int count)
{
    return blk_seq_zc_qd(vf, b, type, count, 1);
}

/* 1 MiB sequential reads or writes through vf_blk_io's copy; MiB/s. */
static double blk_seq_copy(struct vf_blk *b, uint32_t type, uint8_t *buf, int count)
{
    double t = now_s();
    int i;

    for (i = 0; i < count; i++)
        if (vf_blk_io(b, type, (uint64_t)(i % IMG_MB) * 2048, buf, 1 << 20))
            return -1;
    return count / (now_s() - t);
}

/* The baseline: 1 MiB pread()s or pwrite()s of a private buffer,
 * page-aligned like the data of our requests (a read into a buffer 16
 * bytes off a page ran 12-13% slower here); MiB/s. */
static double file_seq(int fd, uint32_t type, uint8_t *buf, int count)
{
    double t;
    int i;

    baseline_begin(true);
    t = now_s();
    for (i = 0; i < count; i++) {
        ssize_t n = type == VF_BLK_T_OUT ? pwrite(fd, buf, 1 << 20, (off_t)(i % IMG_MB) << 20)
                                         : pread(fd, buf, 1 << 20, (off_t)(i % IMG_MB) << 20);
        if (n != 1 << 20)
            break;
    }
    t = now_s() - t;
    baseline_end(true);
    return i < count ? -1 : count / t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

#define SEQ_RUNS 9

static double median_runs(double *v)
{
    qsort(v, SEQ_RUNS, sizeof(v[0]), cmp_double);
    return v[SEQ_RUNS / 2];
}

/* The median of SEQ_RUNS zero-copy runs, one in flight; MiB/s. */
static double seq_median(struct vf *vf, struct vf_blk *b, uint32_t type)
{
    double o[SEQ_RUNS];
    int i;

    for (i = 0; i < SEQ_RUNS; i++)
        o[i] = blk_seq_zc(vf, b, type, IMG_MB * 4);
    return median_runs(o);
}

/* A 1 MiB sequential row: ours (zero-copy with @qd in flight, or through
 * the copy if @qd is 0) and the baseline, SEQ_RUNS pairs of passes over
 * the image, back to back, the first of each pair taking turns.  One pass
 * is 15-25 ms, and this machine's speed moves by up to 2x between
 * seconds (the baseline's own pwrite() 11-23 GiB/s), so the ratio is the
 * median of the pairs' ratios, not of two medians taken at different
 * moments; the medians of each side are printed with it.  Returns our
 * median. */
static double seq_row(const char *what, struct vf *vf, struct vf_blk *b, uint32_t type,
                      unsigned qd, int fd, uint8_t *buf, const char *target)
{
    double o[SEQ_RUNS], e[SEQ_RUNS], r[SEQ_RUNS];
    int i, k;

    for (i = 0; i < SEQ_RUNS; i++) {
        for (k = 0; k < 2; k++) {
            if ((k + i) % 2)
                o[i] = qd ? blk_seq_zc_qd(vf, b, type, IMG_MB * 4, qd)
                          : blk_seq_copy(b, type, buf, IMG_MB * 4);
            else
                e[i] = file_seq(fd, type, buf, IMG_MB * 4);
        }
        r[i] = o[i] > 0 && e[i] > 0 ? o[i] / e[i] : 0;
    }
    printf("%-34s %12.2f %12.2f %-6s %7.2fx  %s\n", what, median_runs(o), median_runs(e),
           "MiB/s", median_runs(r), target);
    return median_runs(o);
}

/* ---- scale ---- */

/* One frontend: QD1 on each of its devices, in turns, for @secs; @hz
 * rounds a second (paced, an open loop), or as fast as it can (0). */
/* Frontends start measuring together, once every one of them is set up
 * (connect, enumerate, four devices initialised): set-up is not load. */
struct scale_sync {
    unsigned ready;                  /* frontends set up */
    unsigned finished;               /* frontends done measuring */
    uint64_t go_ns;                  /* CLOCK_MONOTONIC start, 0 until all ready */
    int hold[2];                     /* a pipe: read returns once all finished */
};

static void ts_add_ns(struct timespec *t, long ns)
{
    t->tv_nsec += ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static int scale_frontend(const char *sock, uint32_t domid, double secs, unsigned hz,
                          struct vf_fleet_stats *l, struct scale_sync *sy)
{
    struct timespec next;
    struct vf vf;
    struct vf_blk b[SCALE_DEVS];
    struct vf_blk_req r[SCALE_DEVS];
    double t_sub[SCALE_DEVS], end, count_from;
    char c;
    uint64_t seed = 0x9E3779B97F4A7C15ull * domid;
    int k, nd = 0, res;

    if (vf_connect(&vf, sock, domid, 10000) || vf_enumerate(&vf) < 0)
        return 1;
    for (k = 0; k < vf.ndev && nd < SCALE_DEVS; k++)
        if (vf_blk_open_dev(&vf, vf.devs[k], &b[nd]) == 0 &&
            vf_blk_req_alloc(&vf, &r[nd], 4096) == 0)
            nd++;
    if (nd != SCALE_DEVS)
        return 1;
    __atomic_fetch_add(&sy->ready, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&sy->go_ns, __ATOMIC_ACQUIRE))
        usleep(1000);
    next.tv_sec = (time_t)(sy->go_ns / 1000000000u);
    next.tv_nsec = (long)(sy->go_ns % 1000000000u);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    count_from = (double)next.tv_sec + next.tv_nsec / 1e9 + SCALE_WARMUP;
    end = count_from + secs;
    if (hz)                          /* independent guests: random phase */
        ts_add_ns(&next, (long)(rnd(&seed) % (1000000000u / hz)));
    while (now_s() < end) {
        if (hz) {                    /* start each round on its slot */
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
            ts_add_ns(&next, 1000000000L / hz);
        }
        for (k = 0; k < nd; k++) {
            t_sub[k] = now_s();
            if (vf_blk_submit(&b[k], &r[k], 0, VF_BLK_T_IN, (rnd(&seed) % (IMG_MB * 256)) * 8, 4096))
                return 1;
        }
        for (k = 0; k < nd; k++) {
            uint64_t us;
            if (!vf_blk_complete(&b[k], 0, 10000, &res) || res)
                return 1;
            us = (uint64_t)((now_s() - t_sub[k]) * 1e6);
            if (t_sub[k] < count_from)
                continue;            /* the warm-up */
            l->requests++;
            if (us < VF_FLEET_HIST_US)
                l->hist[us]++;
            else
                l->over++;
        }
    }
    /* Tear down once everyone is done: a disconnect is not load either. */
    __atomic_fetch_add(&sy->finished, 1, __ATOMIC_SEQ_CST);
    if (read(sy->hold[0], &c, 1) < 0)
        return 1;
    vf_close(&vf);
    return 0;
}

/* @nfe frontend processes at once; aggregate IOPS, p99 in *p99. */
static double scale_run(const char *sock, unsigned nfe, double secs, unsigned hz, double *p99)
{
    size_t sz = sizeof(struct vf_fleet_stats) * (nfe + 1) + sizeof(struct scale_sync);
    struct vf_fleet_stats *l = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct scale_sync *sy = (struct scale_sync *)(l + nfe + 1);
    uint64_t total = 0;
    unsigned i, bad = 0, alive = 0;
    double limit;

    if (l == MAP_FAILED)
        return -1;
    if (pipe(sy->hold)) {
        munmap(l, sz);
        return -1;
    }
    for (i = 0; i < nfe; i++) {
        pid_t p = fork();
        if (p == 0) {
            close(sy->hold[1]);
            _exit(scale_frontend(sock, 1 + i, secs, hz, &l[i], sy));
        }
        if (p < 0)
            bad++;
        else
            alive++;
    }
    /* Everyone set up (or 30 s passed): go in 10 ms, on the same clock. */
    limit = now_s() + 30;
    while (__atomic_load_n(&sy->ready, __ATOMIC_SEQ_CST) < alive && now_s() < limit)
        usleep(1000);
    __atomic_store_n(&sy->go_ns, (uint64_t)((now_s() + 0.01) * 1e9), __ATOMIC_RELEASE);
    close(sy->hold[0]);
    /* All finished (or one died): let them close. */
    limit = now_s() + SCALE_WARMUP + secs + 30;
    while (__atomic_load_n(&sy->finished, __ATOMIC_SEQ_CST) < alive && now_s() < limit) {
        int st;
        pid_t w = waitpid(-1, &st, WNOHANG);
        if (w > 0) {
            alive--;
            bad++;                   /* exited before finishing */
        }
        usleep(2000);
    }
    close(sy->hold[1]);
    for (i = 0; i < alive; i++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
            bad++;
    }
    for (i = 0; i < nfe; i++)        /* l[nfe]: all of them */
        vf_fleet_stats_add(&l[nfe], &l[i]);
    total = l[nfe].requests;
    *p99 = vf_fleet_pct(&l[nfe], 99.0);
    munmap(l, sz);
    return bad ? -1 : total / secs;
}

static double median3(double a, double b, double c)
{
    return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}

static double fleet_kpr;             /* the last fleet run's kicks per request */

/* @nfe frontends from this process (front_fleet.c), @hz rounds a second
 * each (0: back to back) for @secs after the warm-up: IOPS, p99 in *p99
 * and p50 in *p50; -1 if the fleet failed. */
static double fleet_run(const char *sock, unsigned nfe, unsigned hz, double secs, double *p99,
                        double *p50)
{
    static struct vf_fleet_stats st;
    struct vf_fleet_opts o = { .socket = sock, .first_domid = 1, .frontends = nfe,
                               .max_devs = SCALE_DEVS, .hz = hz, .warmup = SCALE_WARMUP,
                               .secs = secs, .seed = 0x9E3779B97F4A7C15ull };
    char err[256];

    if (vf_fleet_run(&o, &st, err, sizeof(err)) || st.errors || !st.requests) {
        fprintf(stderr, "bench: fleet of %u: %s\n", nfe, err[0] ? err : "device errors");
        *p99 = -1;
        return -1;
    }
    *p99 = vf_fleet_pct(&st, 99);
    fleet_kpr = (double)st.kicks / (double)st.requests;
    if (p50)
        *p50 = vf_fleet_pct(&st, 50);
    return (double)st.requests / secs;
}

/* The paced p99 row: three interleaved pairs of runs (one frontend, then
 * 64), the median of each side (a p99 of one frontend's 800 requests
 * wanders with this machine's wake-ups). */
static void fleet_p99_row(const char *what, const char *sock, const char *target)
{
    double a[3], b[3], m1[3], m64[3], iops = 0;
    int i;

    for (i = 0; i < 3; i++) {
        fleet_run(sock, 1, SCALE_HZ, 2.0, &a[i], &m1[i]);
        iops = fleet_run(sock, SCALE_FE, SCALE_HZ, 2.0, &b[i], &m64[i]);
    }
    row(what, median3(b[0], b[1], b[2]), median3(a[0], a[1], a[2]), "us", target);
    printf("  (one load process, %u rounds/s per frontend, %.0f IOPS in all; p50 %.0f vs %.0f us)\n",
           SCALE_HZ, iops, median3(m64[0], m64[1], m64[2]), median3(m1[0], m1[1], m1[2]));
}

/* p99 in us of @n clients of the raw eventfd server on @fd; -1 if it failed. */
static double raw_p99(int fd, unsigned n)
{
    static struct vf_fleet_stats st;

    memset(&st, 0, sizeof(st));
    if (raw_server_run(fd, n, SCALE_HZ, 3.0, SCALE_WARMUP, &st))
        return -1;
    return vf_fleet_pct(&st, 99);
}

/* The same paced p99 with a process per frontend: three interleaved
 * pairs too, the median of each side.  Then the same load against the
 * least a server can be (raw_server.c, on the image @fd): what the host
 * makes of 65 processes with no virtio at all, and ours against it. */
static void process_p99_row(const char *sock, int fd)
{
    double a[3] = { 0 }, b[3] = { 0 }, ra[3] = { 0 }, rb[3] = { 0 }, all = 0;
    int i;

    for (i = 0; i < 3; i++)
        if (scale_run(sock, 1, 3.0, SCALE_HZ, &a[i]) < 0 ||
            (all = scale_run(sock, SCALE_FE, 3.0, SCALE_HZ, &b[i])) < 0)
            fprintf(stderr, "bench: scale run failed\n");
    row("scale: p99, 64 fe processes vs 1", median3(b[0], b[1], b[2]), median3(a[0], a[1], a[2]),
        "us", "<= 2x");
    printf("  (the same, a process per frontend, medians of 3 pairs: %.0f IOPS)\n", all);
    for (i = 0; i < 3; i++) {
        ra[i] = raw_p99(fd, 1);
        rb[i] = raw_p99(fd, SCALE_FE);
    }
    row("floor: raw eventfd server, 64 vs 1", median3(rb[0], rb[1], rb[2]),
        median3(ra[0], ra[1], ra[2]), "us", "-");
    row("scale: 64 processes, ours vs raw", median3(b[0], b[1], b[2]),
        median3(rb[0], rb[1], rb[2]), "us", "-");
    printf("  (the same 64-process load against one process doing pread() per eventfd kick,\n"
           "   blocking waits, no virtio: p99 of ours over p99 of that)\n");
}

/* Start a backend with @argv, connect as domid 1 and open its disk (on
 * packed rings if @packed and offered).  0, or -errno with the backend
 * stopped again. */
static int open_disk(const char *be, char **argv, const char *sock, bool packed,
                     struct vf *vf, struct vf_blk *b, pid_t *pid)
{
    int rc;

    unlink(sock);
    if ((*pid = start_backend(be, argv)) < 0)
        return -ECHILD;
    rc = vf_connect(vf, sock, 1, 5000);
    /* Its threads exist by now (it listens after creating its devices):
     * only the loop thread is pinned, iothreads' workers go anywhere. */
    if (rc == 0)
        pin(*pid, cpu_be);
    vf->packed = packed;
    if (rc == 0)
        rc = vf_enumerate(vf) < 0 ? -EIO : 0;
    if (rc == 0 && (rc = vf_blk_open(vf, b)))
        vf_close(vf);
    if (rc) {
        fprintf(stderr, "bench: frontend: %s\n", strerror(-rc));
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
    }
    return rc;
}

static void close_disk(struct vf *vf, struct vf_blk *b, pid_t pid)
{
    vf_blk_close(vf, b);
    vf_close(vf);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* 4 KiB random reads at queue depth 1 through vf_blk_io's copy; IOPS. */
static double blk_qd1(struct vf_blk *b, int iters, uint64_t *seed, uint8_t *buf)
{
    double t = now_s();
    int i;

    for (i = 0; i < iters; i++)
        vf_blk_io(b, VF_BLK_T_IN, (rnd(seed) % (IMG_MB * 256)) * 8, buf, 4096);
    return iters / (now_s() - t);
}

static double status_rtt(struct vf_blk *b, int iters);

/* A latency row: the median of three interleaved runs of each side (this
 * machine's wake-up latency wanders). */
static double rtt_row(const char *what, struct vf_blk *b, int iters,
                      double (*baseline)(int iters), const char *target)
{
    double o[3], e[3];
    int i;

    for (i = 0; i < 3; i++) {
        o[i] = status_rtt(b, iters);
        baseline_begin(false);       /* its second process goes to the backend's CPU */
        e[i] = baseline(iters);
        baseline_end(false);
    }
    row(what, median3(o[0], o[1], o[2]), median3(e[0], e[1], e[2]), "us", target);
    return median3(o[0], o[1], o[2]);
}

/* Mean microseconds of a GET_DEVICE_STATUS round trip, after a warm-up. */
static double status_rtt(struct vf_blk *b, int iters)
{
    double t = 0;
    int i;

    for (i = 0; i < iters + 1000; i++) {
        uint8_t st;

        if (i == 1000)
            t = now_s();
        if (vmsg_drv_get_status(&b->d->drv, &st))
            return -1;
    }
    return (now_s() - t) * 1e6 / iters;
}

int main(void)
{
    const char *be = getenv("VMSG_BACKEND") ? getenv("VMSG_BACKEND") : "./virtio-msg-backend";
    char dir[] = "/tmp/vmsg-bench-XXXXXX", img[128], sock[128], spec[200];
    char *argv[] = { NULL, "--socket", sock, "-d", spec, NULL };
    struct vf vf;
    struct vf_blk b;
    uint8_t *buf = aligned_alloc(4096, 1 << 20);     /* see file_seq() */
    uint64_t seed = 88172645463325252ull;
    int fd, i, iters = 20000;
    double t, ours, base, base_qd1, loop_qd, loop_rd, loop_wr, ad_rtt, ad_qd1;
    pid_t pid;

    if (!buf || !mkdtemp(dir))
        return 1;
    snprintf(img, sizeof(img), "%s/disk.img", dir);
    snprintf(sock, sizeof(sock), "%s/bus.sock", dir);
    snprintf(spec, sizeof(spec), "blk,file=%s", img);
    fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
    for (i = 0; i < IMG_MB && fd >= 0; i++) {
        int k;
        for (k = 0; k < (1 << 20) / 8; k++)
            ((uint64_t *)buf)[k] = rnd(&seed);
        if (write(fd, buf, 1 << 20) != 1 << 20)
            return 1;
    }
    placement_init();
    if (fd < 0 || open_disk(be, argv, sock, false, &vf, &b, &pid))
        return 1;
    if (cpu_fe >= 0)
        printf("placement: frontend on CPU %d, backend loop and the baselines' file I/O on "
               "CPU %d (VMSG_BENCH_PIN=0: no pinning); scale rows unpinned, but the\n"
               "paced ones from one load process: it and the backend on those two\n", cpu_fe, cpu_be);
    else
        printf("placement: none (one CPU, or VMSG_BENCH_PIN=0)\n");
    printf("%-34s %12s %12s %-6s %8s  %s\n", "benchmark", "virtio-msg", "baseline",
           "unit", "ratio", "target");

    /* 1. Round trip of one request vs a raw eventfd ping-pong (both
     * sides as they run by default: adaptive spin, see section 4). */
    ad_rtt = rtt_row("request round trip (GET_STATUS)", &b, iters, eventfd_pingpong, "<= 1.2x");

    /* 2. 4 KiB random reads at QD1 (through a copy) and QD32 (zero-copy)
     * vs pread() from one process. */
    iters = 20000;
    ad_qd1 = ours = blk_qd1(&b, iters, &seed, buf);
    baseline_begin(true);
    t = now_s();
    for (i = 0; i < iters; i++)
        if (pread(fd, buf, 4096, (off_t)(rnd(&seed) % (IMG_MB * 256)) * 4096) != 4096)
            break;
    base = iters / (now_s() - t);
    baseline_end(true);
    row("blk 4 KiB random read, QD1", ours, base, "IOPS", "-");
    base_qd1 = base;
    loop_qd = ours = blk_qd(&vf, &b, QD, 100000, &seed);
    row("blk 4 KiB random read, QD32", ours, base, "IOPS", ">= 0.8x");

    /* 3. 1 MiB sequential reads and writes over the whole image, 4 passes
     * a run: zero-copy (the data stays in DMA memory), then through
     * vf_blk_io's copy; the baseline reads and writes a private buffer. */
    loop_rd = seq_row("blk 1 MiB seq read, zero-copy", &vf, &b, VF_BLK_T_IN, 1, fd, buf,
                      ">= 0.9x");
    seq_row("blk 1 MiB seq read, zc, 2 in flight", &vf, &b, VF_BLK_T_IN, 2, fd, buf, ">= 0.9x");
    seq_row("blk 1 MiB seq read, copy", &vf, &b, VF_BLK_T_IN, 0, fd, buf, "-");
    loop_wr = seq_row("blk 1 MiB seq write, zero-copy", &vf, &b, VF_BLK_T_OUT, 1, fd, buf,
                      ">= 0.9x");
    seq_row("blk 1 MiB seq write, zc, 2 in flight", &vf, &b, VF_BLK_T_OUT, 2, fd, buf,
            ">= 0.9x");
    seq_row("blk 1 MiB seq write, copy", &vf, &b, VF_BLK_T_OUT, 0, fd, buf, "-");
    close_disk(&vf, &b, pid);

    /* 4. Neither side spins (backend and frontend --poll-max 0): the
     * transport's round trip against the eventfd ping-pong with a wake-up
     * on both sides, and what the default adaptive spin buys (ours: the
     * rows above; baseline: the same requests with no spin). */
    {
        char *nargv[] = { NULL, "--socket", sock, "--poll-max", "0", "-d", spec, NULL };

        if (open_disk(be, nargv, sock, false, &vf, &b, &pid) == 0) {
            double rtt0;

            vf.ep->win.max_us = 0;
            rtt0 = rtt_row("round trip, no spin (--poll-max 0)", &b, iters,
                           eventfd_pingpong, "<= 1.2x");

            row("adaptive spin vs none: round trip", ad_rtt, rtt0, "us", "-");
            row("adaptive spin vs none: QD1 IOPS", ad_qd1, blk_qd1(&b, iters, &seed, buf),
                "IOPS", "-");
            row("adaptive spin vs none: 1 MiB read", loop_rd,
                seq_median(&vf, &b, VF_BLK_T_IN), "MiB/s", "-");
            row("adaptive spin vs none: 1 MiB write", loop_wr,
                seq_median(&vf, &b, VF_BLK_T_OUT), "MiB/s", "-");
            close_disk(&vf, &b, pid);
        }
    }

    /* 5. Polling mode: the backend spins on the rings (--poll) and the
     * frontend on its answers (poll_us); nobody kicks an event channel. */
    {
        char *pargv[] = { NULL, "--socket", sock, "--poll", "200000", "-d", spec, NULL };

        if (open_disk(be, pargv, sock, false, &vf, &b, &pid) == 0) {
            spinner = pid;
            vf.ep->poll_us = 200000;
            rtt_row("polling: round trip vs shm spin", &b, 100000, spin_pingpong, "<= 2x");
            row("polling: 4 KiB random read, QD1", blk_qd1(&b, 50000, &seed, buf), base_qd1,
                "IOPS", "-");
            row("polling: 4 KiB random read, QD32", blk_qd(&vf, &b, QD, 100000, &seed),
                base_qd1, "IOPS", ">= 0.8x");
            seq_row("polling: 1 MiB seq read, zero-copy", &vf, &b, VF_BLK_T_IN, 1, fd, buf,
                    ">= 0.9x");
            seq_row("polling: 1 MiB seq write, zero-copy", &vf, &b, VF_BLK_T_OUT, 1, fd, buf,
                    ">= 0.9x");
            spinner = 0;
            close_disk(&vf, &b, pid);
        }
    }

    /* 6. The same disk served with iothreads=2: the file I/O runs on two
     * worker threads, the event loop only walks rings and completes. */
    snprintf(spec, sizeof(spec), "blk,file=%s,iothreads=2", img);
    if (open_disk(be, argv, sock, false, &vf, &b, &pid) == 0) {
        row("iothreads=2 vs loop: QD32 IOPS", blk_qd(&vf, &b, QD, 100000, &seed), loop_qd,
            "IOPS", "-");
        row("iothreads=2 vs loop: 1 MiB read", seq_median(&vf, &b, VF_BLK_T_IN), loop_rd,
            "MiB/s", "-");
        row("iothreads=2 vs loop: 1 MiB write", seq_median(&vf, &b, VF_BLK_T_OUT), loop_wr,
            "MiB/s", "-");
        close_disk(&vf, &b, pid);
    }

    /* 6b. Packed rings: the same disk offered with packed=on, taken by
     * the frontend, against the split rings of sections 2 and 3. */
    snprintf(spec, sizeof(spec), "blk,file=%s,packed=on", img);
    if (open_disk(be, argv, sock, true, &vf, &b, &pid) == 0) {
        if (!(b.d->features & VIRTIO_BIT(VIRTIO_F_RING_PACKED)))
            printf("packed rings: not negotiated, rows skipped\n");
        else {
            row("packed vs split rings: QD1 IOPS", blk_qd1(&b, iters, &seed, buf), ad_qd1,
                "IOPS", "-");
            row("packed vs split rings: QD32 IOPS", blk_qd(&vf, &b, QD, 100000, &seed),
                loop_qd, "IOPS", "-");
            row("packed vs split rings: 1 MiB read", seq_median(&vf, &b, VF_BLK_T_IN), loop_rd,
                "MiB/s", "-");
        }
        close_disk(&vf, &b, pid);
    }

    /* Nothing pinned from here on, but for the paced load-process rows
     * (scale_place()). */
    if (cpu_fe >= 0)
        sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
    /* 7. Scale: one backend with 64 x 4 disks.  The frontends first from
     * one load process (what the backend does with 64 connections), then
     * as 64 processes (also the host scheduling 65 processes on its
     * cores); then the load process against a polling backend. */
    for (int pass = 0; pass < 2; pass++) {
        static char specs[SCALE_FE * SCALE_DEVS][200];
        char *sargv[6 + 2 * SCALE_FE * SCALE_DEVS];
        int k = 1;
        double p1, p64, one, all;
        bool placed;

        sargv[k++] = "--socket";
        sargv[k++] = sock;
        if (pass) {
            sargv[k++] = "--poll";
            sargv[k++] = "1000";
        }
        for (i = 0; i < SCALE_FE * SCALE_DEVS; i++) {
            snprintf(specs[i], sizeof(specs[i]), "blk,domid=%d,file=%s", 1 + i / SCALE_DEVS, img);
            sargv[k++] = "-d";
            sargv[k++] = specs[i];
        }
        sargv[k] = NULL;
        unlink(sock);
        if ((pid = start_backend(be, sargv)) < 0)
            return 1;
        /* It listens once it has measured its wake-up on two CPUs: pin it
         * (scale_place()) only after that. */
        for (i = 0; i < 1000 && access(sock, F_OK); i++)
            usleep(10000);
        if (!pass) {
            /* As fast as they can: aggregate throughput (latency is then
             * queueing, not service: Little's law). */
            one = fleet_run(sock, 1, 0, 2.0, &p1, NULL);
            all = fleet_run(sock, SCALE_FE, 0, 2.0, &p64, NULL);
            row("scale: IOPS, 64 fe x 4 devs vs 1 fe", all, one, "IOPS", "-");
            printf("  (one load process, back to back; p99 %.0f vs %.0f us; %.2f kicks per request)\n",
                   p64, p1, fleet_kpr);
        }
        /* Paced (each frontend SCALE_HZ rounds of 4 a second): latency
         * of a loaded backend that is not saturated; the load process and
         * the backend on two CPUs, as a guest and dom0 (see the top). */
        placed = scale_place(pid, true);
        fleet_p99_row(pass ? "scale: p99, 64 fe vs 1, backend --poll"
                           : "scale: p99 latency, 64 fe vs 1 fe", sock, "<= 2x");
        if (placed) {
            scale_place(pid, false);
            if (!pass)
                fleet_p99_row("same, unpinned", sock, "-");
        }
        if (!pass)
            process_p99_row(sock, fd);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    placement_end();
    close(fd);
    unlink(img);
    rmdir(dir);
    free(buf);
    return 0;
}
