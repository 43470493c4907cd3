/* SPDX-License-Identifier: MIT */
/*
 * O_DIRECT throughput of block devices, for comparing the virtio-msg disk
 * with Xen's blkfront on the same image in the same boot.  MODE: seqread |
 * seqwrite (1 MiB requests) | randread (4 KiB, queue depth 1) | randread32
 * (4 KiB, 32 in flight through Linux native AIO, as a database's reads).
 *
 *   blkbench DEV MODE SECONDS [REGION_MB [OFFSET_MB]]
 *       one device; prints  DEV MODE MB/s IOPS
 *   blkbench --pair DEV_A DEV_B MODE SECONDS CHUNK_MS [REGION_MB [OFF_A_MB [OFF_B_MB]]]
 *       both devices in alternating chunks of CHUNK_MS (the first of each
 *       pair alternating too) for SECONDS in all, so a slow phase of the
 *       emulator hits both disks alike; prints
 *       pair MODE A_MB/s B_MB/s A_IOPS B_IOPS MEDIAN_RATIO MIN MAX PAIRS
 *       where the ratios are A/B of each pair of chunks, then what each
 *       request cost this (guest) system during each disk's chunks, from
 *       /proc/stat: CPU busy (not idle, not stolen) in us and interrupts
 *       gstat MODE A_CPU_US B_CPU_US A_IRQS B_IRQS A_STEAL% B_STEAL%
 * Reads and writes stay inside [OFFSET, OFFSET + REGION) MiB.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 4096
#define AIO_QD 32

struct disk {
    const char *path;
    int fd;
    long long base, pos, ops, bytes;
    double secs;                     /* time spent in this disk's chunks */
    long long busy, steal, all, irqs; /* /proc/stat deltas over its chunks */
};

/* The system's CPU ticks (busy: neither idle, iowait nor stolen) and
 * interrupts so far, from /proc/stat; 0, or -1 if it cannot be read. */
struct sys_stat {
    long long busy, steal, all, irqs;
};

static int read_stat(struct sys_stat *st)
{
    char line[4096];
    long long v[8] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    int got = 0;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "cpu ", 4) &&   /* the total, not cpu0, cpu1 ... */
            sscanf(line, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
            st->busy = v[0] + v[1] + v[2] + v[5] + v[6];
            st->steal = v[7];
            st->all = st->busy + v[3] + v[4] + v[7];
            got |= 1;
        } else if (sscanf(line, "intr %lld", &st->irqs) == 1) {
            got |= 2;
        }
    }
    fclose(f);
    return got == 3 ? 0 : -1;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int w, rnd_mode, qd = 1;
static size_t bs;
static long long region;
static unsigned rnd = 12345;
static void *buf;                    /* qd buffers of bs bytes */
static aio_context_t aio;

static off_t next_off(struct disk *d)
{
    off_t off;

    if (rnd_mode) {
        rnd = rnd * 1103515245u + 12345u;
        return d->base + (off_t)((rnd >> 4) % (unsigned)(region / 4096)) * 4096;
    }
    off = d->base + (off_t)(d->pos % region);
    d->pos += (long long)bs;
    return off;
}

static void account(struct disk *d, long long ops, double secs)
{
    d->ops += ops;
    d->bytes += ops * (long long)bs;
    d->secs += secs;
}

static int aio_put(struct disk *d, struct iocb *cb)
{
    struct iocb *one = cb;

    cb->aio_offset = next_off(d);
    return syscall(SYS_io_submit, aio, 1, &one) == 1 ? 0 : -1;
}

/* randread32: qd reads always in flight for @secs, then all of them
 * completed before the chunk ends (the other disk's chunk starts on an
 * idle device).  Operations done, -1 on an error. */
static long long run_aio(struct disk *d, double secs)
{
    struct iocb cb[AIO_QD];
    struct io_event ev[AIO_QD];
    double t0 = now(), t = t0;
    long long ops = 0;
    int i, in_flight = 0;

    for (i = 0; i < qd; i++) {
        memset(&cb[i], 0, sizeof(cb[i]));
        cb[i].aio_fildes = (uint32_t)d->fd;
        cb[i].aio_lio_opcode = IOCB_CMD_PREAD;
        cb[i].aio_buf = (uint64_t)(uintptr_t)((char *)buf + (size_t)i * bs);
        cb[i].aio_nbytes = bs;
        cb[i].aio_data = (uint64_t)i;
        if (aio_put(d, &cb[i]))
            goto fail;
        in_flight++;
    }
    while (in_flight) {
        long n = syscall(SYS_io_getevents, aio, 1, AIO_QD, ev, NULL);

        if (n < 0)
            goto fail;
        t = now();
        for (i = 0; i < n; i++) {
            if (ev[i].res != (long long)bs) {
                fprintf(stderr, "%s: read returned %lld\n", d->path, (long long)ev[i].res);
                return -1;
            }
            ops++;
            in_flight--;
            if (t - t0 < secs) {
                if (aio_put(d, &cb[ev[i].data]))
                    goto fail;
                in_flight++;
            }
        }
    }
    account(d, ops, t - t0);
    return ops;
fail:
    perror(d->path);
    return -1;
}

static int open_disk(struct disk *d, const char *path, long long base)
{
    d->path = path;
    d->base = base;
    d->fd = open(path, (w ? O_RDWR : O_RDONLY) | O_DIRECT);
    if (d->fd < 0) {
        perror(path);
        return -1;
    }
    return 0;
}

/* Requests on @d for @secs; returns the operations done, -1 on an error. */
static long long run_one(struct disk *d, double secs)
{
    double t0 = now(), t;
    long long ops = 0;

    if (qd > 1)
        return run_aio(d, secs);
    do {
        off_t off = next_off(d);
        ssize_t n = w ? pwrite(d->fd, buf, bs, off) : pread(d->fd, buf, bs, off);

        if (n != (ssize_t)bs) {
            perror(d->path);
            return -1;
        }
        ops++;
        t = now();
    } while (t - t0 < secs);
    account(d, ops, t - t0);
    return ops;
}

/* A write test ends with the data on the device: its flush counts. */
static int flush(struct disk *d)
{
    double t0 = now();

    if (w && fdatasync(d->fd)) {
        perror(d->path);
        return -1;
    }
    d->secs += now() - t0;
    return 0;
}

/* run_one(), with what the chunk cost the system added to @d. */
static long long run(struct disk *d, double secs)
{
    struct sys_stat s0, s1;
    int have = read_stat(&s0) == 0;
    long long ops = run_one(d, secs);

    if (have && ops >= 0 && read_stat(&s1) == 0) {
        d->busy += s1.busy - s0.busy;
        d->steal += s1.steal - s0.steal;
        d->all += s1.all - s0.all;
        d->irqs += s1.irqs - s0.irqs;
    }
    return ops;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int pair(char **argv, int argc)
{
    static double ratio[MAX_PAIRS];
    struct disk a = { 0 }, b = { 0 };
    double secs = atof(argv[3]), chunk = atof(argv[4]) / 1e3;
    unsigned n = 0;

    region = (argc > 5 ? atoll(argv[5]) : 16) << 20;
    if (chunk <= 0 || secs <= 0 || open_disk(&a, argv[0], (argc > 6 ? atoll(argv[6]) : 0) << 20) ||
        open_disk(&b, argv[1], (argc > 7 ? atoll(argv[7]) : 0) << 20))
        return 1;
    while (n < MAX_PAIRS && a.secs + b.secs < secs) {
        struct disk *first = n % 2 ? &b : &a, *second = n % 2 ? &a : &b;
        double sa = a.secs, sb = b.secs;
        long long oa = a.ops, ob = b.ops;

        if (run(first, chunk) < 0 || run(second, chunk) < 0)
            return 1;
        ratio[n++] = ((a.ops - oa) / (a.secs - sa)) / ((b.ops - ob) / (b.secs - sb));
    }
    if (flush(&a) || flush(&b))
        return 1;
    qsort(ratio, n, sizeof(ratio[0]), cmp_double);
    printf("pair %s %.1f %.1f %.0f %.0f %.3f %.3f %.3f %u\n", argv[2], a.bytes / a.secs / 1e6,
           b.bytes / b.secs / 1e6, a.ops / a.secs, b.ops / b.secs,
           n % 2 ? ratio[n / 2] : (ratio[n / 2 - 1] + ratio[n / 2]) / 2, ratio[0], ratio[n - 1], n);
    if (a.ops && b.ops && a.all && b.all) {
        double tick_us = 1e6 / (double)sysconf(_SC_CLK_TCK);

        printf("gstat %s %.0f %.0f %.2f %.2f %.0f %.0f\n", argv[2], a.busy * tick_us / a.ops,
               b.busy * tick_us / b.ops, (double)a.irqs / a.ops, (double)b.irqs / b.ops,
               100.0 * a.steal / a.all, 100.0 * b.steal / b.all);
    }
    close(a.fd);
    close(b.fd);
    return 0;
}

/* The mode's parameters, its buffers (one per request in flight) and,
 * for randread32, the AIO context.  0, or -1 with a message. */
static int set_mode(const char *mode)
{
    w = !strcmp(mode, "seqwrite");
    qd = !strcmp(mode, "randread32") ? AIO_QD : 1;
    rnd_mode = qd > 1 || !strcmp(mode, "randread");
    bs = rnd_mode ? 4096 : 1 << 20;
    if (!w && !rnd_mode && strcmp(mode, "seqread")) {
        fprintf(stderr, "blkbench: unknown mode %s\n", mode);
        return -1;
    }
    if (qd > 1 && syscall(SYS_io_setup, qd, &aio)) {
        perror("io_setup");
        return -1;
    }
    if (posix_memalign(&buf, 4096, bs * (size_t)qd))
        return -1;
    memset(buf, 0x5a, bs * (size_t)qd);
    return 0;
}

int main(int argc, char **argv)
{
    struct disk d = { 0 };

    if (argc >= 7 && !strcmp(argv[1], "--pair"))
        return set_mode(argv[4]) ? 1 : pair(argv + 2, argc - 2);
    if (argc < 4) {
        fprintf(stderr, "usage: blkbench DEV seqread|seqwrite|randread|randread32 SECONDS [REGION_MB [OFFSET_MB]]\n"
                        "       blkbench --pair DEV_A DEV_B MODE SECONDS CHUNK_MS [REGION_MB [OFF_A_MB [OFF_B_MB]]]\n");
        return 2;
    }
    region = (argc > 4 ? atoll(argv[4]) : 16) << 20;
    if (set_mode(argv[2]) || open_disk(&d, argv[1], (argc > 5 ? atoll(argv[5]) : 0) << 20))
        return 1;
    if (run(&d, atof(argv[3])) < 0 || flush(&d))
        return 1;
    printf("%s %s %.1f MB/s %.0f IOPS\n", argv[1], argv[2], d.bytes / d.secs / 1e6, d.ops / d.secs);
    close(d.fd);
    return 0;
}
