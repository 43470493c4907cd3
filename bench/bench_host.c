/* SPDX-License-Identifier: MIT */
/*
 * Host-bus benchmarks, each against a baseline measured in the same run:
 *   - request round trip (GET_DEVICE_STATUS) vs a raw eventfd ping-pong
 *     between two processes;
 *   - virtio-blk 4 KiB random reads at queue depth 1 vs pread() on the same
 *     file, and 1 MiB sequential reads and writes vs pread()/pwrite().
 * It starts its own backend (path in $VMSG_BACKEND or ./virtio-msg-backend)
 * on a temporary image.  Prints a table; exits non-zero only if it could
 * not run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../frontend-ref/front.h"
#include "../frontend-ref/front_blk.h"

extern char **environ;

#define IMG_MB 64

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
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

static void row(const char *what, double ours, double base, const char *unit,
                const char *target)
{
    printf("%-34s %12.2f %12.2f %-6s %7.2fx  %s\n", what, ours, base, unit,
           base > 0 ? ours / base : 0, target);
}

int main(void)
{
    const char *be = getenv("VMSG_BACKEND") ? getenv("VMSG_BACKEND") : "./virtio-msg-backend";
    char dir[] = "/tmp/vmsg-bench-XXXXXX", img[128], sock[128], spec[200];
    char *argv[] = { (char *)be, "--socket", sock, "-d", spec, NULL };
    struct vf vf;
    struct vf_blk b;
    uint8_t *buf = malloc(1 << 20);
    uint64_t seed = 88172645463325252ull;
    int fd, i, rc, iters = 20000;
    double t, ours, base;
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
    if (fd < 0 || posix_spawn(&pid, be, NULL, NULL, argv, environ)) {
        fprintf(stderr, "bench: cannot start %s\n", be);
        return 1;
    }
    rc = vf_connect(&vf, sock, 1, 5000);
    if (rc == 0)
        rc = vf_enumerate(&vf) < 0 ? -EIO : 0;
    if (rc == 0)
        rc = vf_blk_open(&vf, &b);
    if (rc) {
        fprintf(stderr, "bench: frontend: %s\n", strerror(-rc));
        kill(pid, SIGTERM);
        return 1;
    }
    printf("%-34s %12s %12s %-6s %8s  %s\n", "benchmark", "virtio-msg", "baseline",
           "unit", "ratio", "target");

    /* 1. Round trip of one request vs a raw eventfd ping-pong. */
    for (i = 0; i < 1000; i++) {
        uint8_t st;
        vmsg_drv_get_status(&b.d->drv, &st);
    }
    t = now_s();
    for (i = 0; i < iters; i++) {
        uint8_t st;
        if (vmsg_drv_get_status(&b.d->drv, &st))
            break;
    }
    ours = (now_s() - t) * 1e6 / iters;
    base = eventfd_pingpong(iters);
    row("request round trip (GET_STATUS)", ours, base, "us", "<= 1.2x");

    /* 2. 4 KiB random reads, queue depth 1. */
    iters = 20000;
    t = now_s();
    for (i = 0; i < iters; i++)
        vf_blk_io(&b, VF_BLK_T_IN, (rnd(&seed) % (IMG_MB * 256)) * 8, buf, 4096);
    ours = iters / (now_s() - t);
    t = now_s();
    for (i = 0; i < iters; i++)
        if (pread(fd, buf, 4096, (off_t)(rnd(&seed) % (IMG_MB * 256)) * 4096) != 4096)
            break;
    base = iters / (now_s() - t);
    row("blk 4 KiB random read, QD1", ours, base, "IOPS", "(QD32: >= 0.8x)");

    /* 3. 1 MiB sequential reads and writes over the whole image, 4 passes. */
    t = now_s();
    for (i = 0; i < IMG_MB * 4; i++)
        vf_blk_io(&b, VF_BLK_T_IN, (uint64_t)(i % IMG_MB) * 2048, buf, 1 << 20);
    ours = IMG_MB * 4 / (now_s() - t);
    t = now_s();
    for (i = 0; i < IMG_MB * 4; i++)
        if (pread(fd, buf, 1 << 20, (off_t)(i % IMG_MB) << 20) != 1 << 20)
            break;
    base = IMG_MB * 4 / (now_s() - t);
    row("blk 1 MiB sequential read", ours, base, "MiB/s", ">= 0.9x");
    t = now_s();
    for (i = 0; i < IMG_MB * 4; i++)
        vf_blk_io(&b, VF_BLK_T_OUT, (uint64_t)(i % IMG_MB) * 2048, buf, 1 << 20);
    ours = IMG_MB * 4 / (now_s() - t);
    t = now_s();
    for (i = 0; i < IMG_MB * 4; i++)
        if (pwrite(fd, buf, 1 << 20, (off_t)(i % IMG_MB) << 20) != 1 << 20)
            break;
    base = IMG_MB * 4 / (now_s() - t);
    row("blk 1 MiB sequential write", ours, base, "MiB/s", ">= 0.9x");

    vf_blk_close(&vf, &b);
    vf_close(&vf);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    close(fd);
    unlink(img);
    rmdir(dir);
    free(buf);
    return 0;
}
