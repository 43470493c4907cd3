/* SPDX-License-Identifier: MIT */
/*
 * blkbench DEV MODE SECONDS [REGION_MB [OFFSET_MB]]: O_DIRECT throughput of
 * a block device, for comparing the virtio-msg disk with Xen's blkfront on
 * the same image in the same boot.  MODE: seqread | seqwrite (1 MiB
 * requests) | randread (4 KiB, queue depth 1).  Prints one line:
 *   DEV MODE MB/s IOPS
 * Reads and writes stay inside [OFFSET, OFFSET + REGION) MiB.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *mode;
    double secs, t0, t;
    long long region, base, ops = 0, bytes = 0;
    size_t bs;
    unsigned rnd = 12345;
    void *buf;
    int fd, w;

    if (argc < 4) {
        fprintf(stderr, "usage: blkbench DEV seqread|seqwrite|randread SECONDS [REGION_MB [OFFSET_MB]]\n");
        return 2;
    }
    mode = argv[2];
    secs = atof(argv[3]);
    region = (argc > 4 ? atoll(argv[4]) : 16) << 20;
    base = (argc > 5 ? atoll(argv[5]) : 0) << 20;
    w = !strcmp(mode, "seqwrite");
    bs = !strcmp(mode, "randread") ? 4096 : 1 << 20;
    fd = open(argv[1], (w ? O_RDWR : O_RDONLY) | O_DIRECT);
    if (fd < 0 || posix_memalign(&buf, 4096, bs)) {
        perror(argv[1]);
        return 1;
    }
    memset(buf, 0x5a, bs);
    t0 = now();
    do {
        off_t off;
        ssize_t n;

        if (bs == 4096) {
            rnd = rnd * 1103515245u + 12345u;
            off = base + (off_t)((rnd >> 4) % (unsigned)(region / 4096)) * 4096;
        } else {
            off = base + (off_t)((bytes) % region);
        }
        n = w ? pwrite(fd, buf, bs, off) : pread(fd, buf, bs, off);
        if (n != (ssize_t)bs) {
            perror("io");
            return 1;
        }
        ops++;
        bytes += (long long)bs;
        t = now();
    } while (t - t0 < secs);
    if (w && fdatasync(fd)) {
        perror("fdatasync");
        return 1;
    }
    t = now() - t0;
    printf("%s %s %.1f MB/s %.0f IOPS\n", argv[1], mode, bytes / t / 1e6, ops / t);
    close(fd);
    return 0;
}
