/* SPDX-License-Identifier: MIT */
/*
 * virtio-msg-front: the reference frontend.
 *
 *   virtio-msg-front [--socket PATH] [--domid N] [--wait MS] COMMAND
 *     info                          list the devices (GET_DEVICES + info)
 *     blk read SECTOR COUNT         raw sectors to stdout
 *     blk write SECTOR              sectors from stdin (multiple of 512)
 *     blk verify [SEED [OPS [QD]]]       random writes, flush, read back, compare
 *     blk overlap [N]               N writes of the same 4 KiB in flight: the last wins
 *     blk flush | blk id
 *     rng BYTES                     random bytes, as hex
 *     console write TEXT            send TEXT (and a newline)
 *     console read [MS]             print what arrives within MS (1000)
 *     net ping SRC DST [N]          ARP + ICMP echo through virtio-net
 *     watch MS                      report hot-added and removed devices
 *     fleet N SECONDS [HZ [verify]] N frontends (domids from --domid) in one
 *                                   process: 4 KiB rounds on all their disks
 *     demo                          all of the above, briefly
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "front.h"
#include "front_blk.h"
#include "front_fleet.h"
#include "front_soak.h"
#include "front_net.h"
#include <arpa/inet.h>
#include "virtio-msg/virtio.h"

static const char *prog = "virtio-msg-front";

static int fail(const char *what, int rc)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(rc < 0 ? -rc : rc));
    return 1;
}

static int cmd_info(struct vf *vf)
{
    int i;

    printf("%d device(s), max message %u bytes\n", vf->ndev, vf->ep->max_msg);
    for (i = 0; i < vf->ndev; i++) {
        struct vmsg_drv *d = &vf->devs[i]->drv;
        printf("  dev %u: %-7s device_id %u vendor 0x%08x features %u bits, "
               "config %u bytes, %u queue(s)\n", d->dev_num,
               vf_type_name(d->info.device_id), d->info.device_id,
               d->info.vendor_id, d->info.num_feature_bits, d->info.config_size,
               d->info.max_virtqueues);
    }
    return 0;
}

/* xorshift64*: reproducible test data from a seed. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t crc)
{
    size_t i;
    int k;

    crc = ~crc;
    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

#define VERIFY_MAX_QD 64
#define READ_CHUNK 256u           /* sectors a "blk read" request asks for */

/* One random write range of 1..128 sectors inside @span. */
static void pick_range(uint64_t *s, uint64_t span, uint64_t *sec, uint64_t *n)
{
    *n = 1 + rnd(s) % 128;
    *sec = rnd(s) % span;
    if (*sec + *n > span)
        *n = span - *sec;
}

/* @ops random writes with up to @qd of them in flight over the device's
 * queues; writes in flight never overlap (their order is not defined), so
 * @shadow holds what the disk must hold once they are all done. */
static int write_random(struct vf *vf, struct vf_blk *b, uint64_t *s, uint64_t span,
                        unsigned ops, unsigned qd, uint8_t *shadow, uint8_t *written,
                        uint64_t *bytes)
{
    struct vf_blk_req r[VERIFY_MAX_QD];
    uint64_t at[VERIFY_MAX_QD], len[VERIFY_MAX_QD];
    unsigned i, k, nr, sent = 0, done = 0, inq[4] = { 0 }, q = 0;
    int rc = 0, res;

    memset(len, 0, sizeof(len));     /* 0: the slot is idle */
    for (nr = 0; nr < qd; nr++)
        if ((rc = vf_blk_req_alloc(vf, &r[nr], 128 * 512)))
            goto out;
    for (;;) {
        /* Fill every idle slot, then wait for one completion. */
        for (i = 0; i < qd && sent < ops && rc == 0; i++) {
            uint64_t sec, n, t;
            unsigned tries = 0;

            if (len[i])
                continue;
            do {
                pick_range(s, span, &sec, &n);
                for (k = 0; k < qd; k++)
                    if (k != i && len[k] && sec < at[k] + len[k] && at[k] < sec + n)
                        break;
            } while (k < qd && ++tries < 64);
            if (k < qd)
                break;               /* crowded: wait for a completion */
            for (t = 0; t < n * 512; t++)
                vf_blk_data(&r[i])[t] = (uint8_t)rnd(s);
            memcpy(shadow + sec * 512, vf_blk_data(&r[i]), n * 512);
            memset(written + sec, 1, n);
            *bytes += n * 512;
            rc = vf_blk_submit(b, &r[i], i % b->nq, VF_BLK_T_OUT, sec, n * 512);
            at[i] = sec;
            len[i] = n;
            inq[i % b->nq]++;
            sent++;
        }
        if (rc || done == sent)
            break;
        while (!inq[q])
            q = (q + 1) % b->nq;
        {
            struct vf_blk_req *d = vf_blk_complete(b, q, VMSG_HOST_TIMEOUT_MS, &res);

            if (!d || d < r || d >= r + qd) {
                rc = d ? -EIO : res;
                break;
            }
            if ((rc = res))
                break;
            len[d - r] = 0;
            inq[q]--;
            done++;
        }
        q = (q + 1) % b->nq;
    }
out:
    while (nr-- > 0)
        vf_blk_req_free(vf, &r[nr]);
    return rc;
}

/*
 * Random writes over the first min(capacity, 64 MiB), @qd in flight, a
 * shadow copy in memory, FLUSH, then every written sector read back and
 * compared.
 */
/*
 * blk overlap N: N writes of the same 4 KiB (sectors 8..15), each with its
 * own byte, put on queue 0 back to back so the backend takes them together;
 * when all are done the disk must hold the last one.  virtio-blk leaves the
 * order of requests in flight to the device: ours keeps the ring's.
 */
static int blk_overlap(struct vf *vf, struct vf_blk *b, unsigned n)
{
    struct vf_blk_req r[VERIFY_MAX_QD];
    uint8_t buf[4096];
    unsigned i, nr, bad = 0;
    int rc = 0, res;

    if (n < 2 || n > VERIFY_MAX_QD)
        return -EINVAL;
    for (nr = 0; nr < n && rc == 0; nr++)
        rc = vf_blk_req_alloc(vf, &r[nr], sizeof(buf));
    for (i = 0; i < n && rc == 0; i++) {
        memset(vf_blk_data(&r[i]), 0x40 + (int)i, sizeof(buf));
        rc = vf_blk_submit(b, &r[i], 0, VF_BLK_T_OUT, 8, sizeof(buf));
    }
    for (i = 0; i < n && rc == 0; i++)
        if (!vf_blk_complete(b, 0, VMSG_HOST_TIMEOUT_MS, &res) || res)
            rc = res ? res : -EIO;
    if (rc == 0)
        rc = vf_blk_io(b, VF_BLK_T_IN, 8, buf, sizeof(buf));
    for (i = 0; i < sizeof(buf) && rc == 0; i++)
        bad += buf[i] != 0x40 + n - 1;
    if (rc == 0)
        printf("blk overlap: %u writes of sectors 8..15 in flight: %s\n", n,
               bad ? "NOT the last one" : "the last one won");
    if (rc == 0 && bad)
        rc = -EIO;
    while (nr-- > 0)
        vf_blk_req_free(vf, &r[nr]);
    return rc;
}

static int blk_verify(struct vf *vf, struct vf_blk *b, uint64_t seed, unsigned ops,
                      unsigned qd)
{
    uint64_t span = b->sectors < 131072 ? b->sectors : 131072, s = seed | 1;
    uint8_t *shadow, *written, *buf;
    unsigned i, bad = 0;
    uint64_t sec, bytes = 0;
    uint32_t crc = 0;
    int rc = 0;

    if (span < 8)
        return -ENOSPC;
    if (qd < 1 || qd > VERIFY_MAX_QD)
        return -EINVAL;
    shadow = calloc(span, 512);
    written = calloc(span, 1);
    buf = malloc(256 * 512);
    if (!shadow || !written || !buf) {
        rc = -ENOMEM;
        goto out;
    }
    if (qd > 1) {
        rc = write_random(vf, b, &s, span, ops, qd, shadow, written, &bytes);
    } else {
        for (i = 0; i < ops && rc == 0; i++) {
            uint64_t n, k;

            pick_range(&s, span, &sec, &n);
            for (k = 0; k < n * 512; k++)
                buf[k] = (uint8_t)rnd(&s);
            rc = vf_blk_io(b, VF_BLK_T_OUT, sec, buf, n * 512);
            memcpy(shadow + sec * 512, buf, n * 512);
            memset(written + sec, 1, n);
            bytes += n * 512;
        }
    }
    if (rc == 0)
        rc = vf_blk_io(b, VF_BLK_T_FLUSH, 0, NULL, 0);
    for (sec = 0; sec < span && rc == 0; sec++) {
        if (!written[sec])
            continue;
        rc = vf_blk_io(b, VF_BLK_T_IN, sec, buf, 512);
        if (rc == 0 && memcmp(buf, shadow + sec * 512, 512)) {
            if (bad++ < 5)
                fprintf(stderr, "%s: sector %" PRIu64 " differs\n", prog, sec);
        }
        crc = crc32(buf, 512, crc);
    }
    if (rc == 0) {
        printf("blk verify: %u writes (%" PRIu64 " bytes, %u in flight at most), flush, "
               "read back: %s (crc32 %08x)\n", ops, bytes, qd,
               bad ? "MISMATCH" : "all sectors match", crc);
        printf("blk verify: %u %s queue(s) used:", b->nq,
               b->d->features & VIRTIO_BIT(VIRTIO_F_RING_PACKED) ? "packed" : "split");
        for (i = 0; i < b->nq; i++)
            printf(" %" PRIu64, b->per_q[i]);
        printf(" requests\n");
        const struct vmsg_ring_ep *ep = vf->ep;

        if (ep->poll_us)
            printf("blk verify: frontend spin: fixed %u us", ep->poll_us);
        else
            printf("blk verify: frontend spin: adaptive window %u us (max %u)",
                   ep->win.cur_us, ep->win.max_us);
        printf("; %" PRIu64 " spin(s), %" PRIu64 " got the answer; %u probe(s) of a closed "
               "window, %u reopened it; %u gave way to other tasks\n", ep->spins, ep->spin_found,
               ep->win.probes, ep->win.reopened, ep->win.ceded);
    }
    if (bad)
        rc = -EIO;
out:
    free(shadow);
    free(written);
    free(buf);
    return rc;
}

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* blk bench SECONDS: 4 KiB random reads (QD1), then 1 MiB sequential
 * reads, each for SECONDS; prints IOPS and MB/s. */
static int blk_bench(struct vf_blk *b, double secs)
{
    uint64_t span = b->sectors / 8, s = 7, n;
    uint8_t *buf = malloc(1u << 20);
    double t0, t;
    int rc = 0;

    if (!buf || span < 256) {
        free(buf);
        return buf ? -ENOSPC : -ENOMEM;
    }
    for (n = 0, t0 = mono_s(); rc == 0 && (t = mono_s() - t0) < secs; n++)
        rc = vf_blk_io(b, VF_BLK_T_IN, (rnd(&s) % span) * 8, buf, 4096);
    if (rc == 0)
        printf("blk bench: 4 KiB random read QD1: %.0f IOPS (%.1f MB/s)\n", n / t,
               n * 4096.0 / t / 1e6);
    for (n = 0, t0 = mono_s(); rc == 0 && (t = mono_s() - t0) < secs; n++)
        rc = vf_blk_io(b, VF_BLK_T_IN, (n * 2048) % (b->sectors - 2048), buf, 1u << 20);
    if (rc == 0)
        printf("blk bench: 1 MiB sequential read: %.1f MB/s\n", n * 1048576.0 / t / 1e6);
    free(buf);
    return rc;
}

static int cmd_blk(struct vf *vf, int argc, char **argv)
{
    struct vf_blk b;
    int rc;

    if (argc < 1) {
        fprintf(stderr, "%s: blk read|write|verify|flush|id\n", prog);
        return 2;
    }
    rc = vf_blk_open(vf, &b);
    if (rc)
        return fail("blk", rc);
    if (!strcmp(argv[0], "read") && argc == 3) {
        uint64_t sec = strtoull(argv[1], NULL, 0), n = strtoull(argv[2], NULL, 0), i, k;
        uint8_t *buf = malloc(READ_CHUNK * 512);

        rc = buf ? 0 : -ENOMEM;
        for (i = 0; i < n && rc == 0; i += k) {      /* up to 128 KiB a request */
            k = n - i < READ_CHUNK ? n - i : READ_CHUNK;
            rc = vf_blk_io(&b, VF_BLK_T_IN, sec + i, buf, k * 512);
            if (rc == 0 && fwrite(buf, 512, k, stdout) != k)
                rc = -EIO;
        }
        free(buf);
    } else if (!strcmp(argv[0], "write") && argc == 2) {
        uint64_t sec = strtoull(argv[1], NULL, 0);
        uint8_t buf[512];
        size_t got;
        while (rc == 0 && (got = fread(buf, 1, sizeof(buf), stdin)) > 0) {
            if (got != sizeof(buf))
                memset(buf + got, 0, sizeof(buf) - got);
            rc = vf_blk_io(&b, VF_BLK_T_OUT, sec++, buf, sizeof(buf));
        }
    } else if (!strcmp(argv[0], "verify")) {
        rc = blk_verify(vf, &b, argc > 1 ? strtoull(argv[1], NULL, 0) : 1,
                        argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 200,
                        argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 1);
    } else if (!strcmp(argv[0], "overlap")) {
        rc = blk_overlap(vf, &b, argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 32);
    } else if (!strcmp(argv[0], "bench")) {
        rc = blk_bench(&b, argc > 1 ? atof(argv[1]) : 2.0);
    } else if (!strcmp(argv[0], "flush")) {
        rc = vf_blk_io(&b, VF_BLK_T_FLUSH, 0, NULL, 0);
    } else if (!strcmp(argv[0], "id")) {
        char id[21] = "";
        rc = vf_blk_io(&b, VF_BLK_T_GET_ID, 0, id, 20);
        if (rc == 0)
            printf("%s\n", id);
    } else {
        fprintf(stderr, "%s: unknown blk command '%s'\n", prog, argv[0]);
        vf_blk_close(vf, &b);
        return 2;
    }
    vf_blk_close(vf, &b);
    return rc ? fail("blk", rc) : 0;
}

static int cmd_rng(struct vf *vf, size_t n, bool quiet)
{
    struct vf_dev *d = vf_find(vf, VIRTIO_ID_RNG);
    struct vf_buf b;
    struct vmsg_sg sg;
    uint32_t got = 0;
    size_t i;
    int rc, err;

    if (!d)
        return fail("rng", -ENODEV);
    if (n == 0 || n > 65536)
        return fail("rng: BYTES must be 1..65536", -EINVAL);
    rc = vf_dev_start(d, VIRTIO_BIT(VIRTIO_F_EVENT_IDX), 1, 16);
    if (rc == 0)
        rc = vf_buf_alloc(vf, &b, n);
    if (rc)
        return fail("rng", rc);
    sg = (struct vmsg_sg){ b.addr, (uint32_t)n };
    rc = vf_submit(d, 0, &sg, 0, 1, &b);
    if (rc == 0 && !vf_wait(d, 0, &got, VMSG_HOST_TIMEOUT_MS, &err))
        rc = err;
    if (rc == 0 && (got == 0 || got > n))
        rc = -EIO;                   /* an untrusted length */
    if (rc == 0) {
        if (quiet) {
            printf("rng: %u random bytes, first 8: ", got);
            for (i = 0; i < 8 && i < got; i++)
                printf("%02x", b.p[i]);
            printf("\n");
        } else {
            for (i = 0; i < got; i++)
                printf("%02x", b.p[i]);
            printf("\n");
        }
    }
    vf_buf_free(vf, &b);
    vf_dev_stop(d);
    return rc ? fail("rng", rc) : 0;
}

static int cmd_console(struct vf *vf, int argc, char **argv)
{
    struct vf_dev *d = vf_find(vf, VIRTIO_ID_CONSOLE);
    struct vf_buf b;
    uint32_t got;
    int rc, err = 0;

    if (!d)
        return fail("console", -ENODEV);
    if (argc < 1 || (strcmp(argv[0], "write") && strcmp(argv[0], "read"))) {
        fprintf(stderr, "%s: console write TEXT | console read [MS]\n", prog);
        return 2;
    }
    rc = vf_dev_start(d, VIRTIO_BIT(VIRTIO_F_EVENT_IDX), 2, 16);
    if (rc == 0)
        rc = vf_buf_alloc(vf, &b, 4096);
    if (rc)
        return fail("console", rc);
    if (!strcmp(argv[0], "write")) {
        size_t n = argc > 1 ? strlen(argv[1]) : 0;
        struct vmsg_sg sg;
        if (n > 4095)
            n = 4095;
        memcpy(b.p, argc > 1 ? argv[1] : "", n);
        b.p[n++] = '\n';
        sg = (struct vmsg_sg){ b.addr, (uint32_t)n };
        rc = vf_submit(d, 1, &sg, 1, 0, &b);
        if (rc == 0 && !vf_wait(d, 1, &got, VMSG_HOST_TIMEOUT_MS, &err))
            rc = err;
    } else {
        int ms = argc > 1 ? atoi(argv[1]) : 1000;
        struct vmsg_sg sg = { b.addr, 4096 };
        rc = vf_submit(d, 0, &sg, 0, 1, &b);
        while (rc == 0) {
            if (!vf_wait(d, 0, &got, ms, &err)) {
                rc = err == -ETIMEDOUT ? 0 : err;
                break;
            }
            if (got > 4096) {
                rc = -EIO;
                break;
            }
            fwrite(b.p, 1, got, stdout);
            fflush(stdout);
            rc = vf_submit(d, 0, &sg, 0, 1, &b);
        }
    }
    vf_dev_stop(d);
    vf_buf_free(vf, &b);
    return rc ? fail("console", rc) : 0;
}

static int cmd_demo(struct vf *vf)
{
    char *verify[] = { "verify", "2026", "300" };
    char *id[] = { "id" };
    char *hello[] = { "write", "hello from the virtio-msg reference frontend" };
    int rc = 0;

    cmd_info(vf);
    if (vf_find(vf, VIRTIO_ID_BLOCK)) {
        printf("blk serial: ");
        fflush(stdout);
        rc |= cmd_blk(vf, 1, id);
        rc |= cmd_blk(vf, 3, verify);
    }
    if (vf_find(vf, VIRTIO_ID_RNG))
        rc |= cmd_rng(vf, 64, true);
    if (vf_find(vf, VIRTIO_ID_CONSOLE)) {
        rc |= cmd_console(vf, 2, hello);
        if (rc == 0)
            printf("console: wrote one line (it appears on the backend's console)\n");
    }
    printf("demo: %s\n", rc ? "FAILED" : "all devices worked");
    return rc;
}

static void report(void *opaque, uint16_t num, uint16_t state,
                   const struct vf_dev *d)
{
    (void)opaque;
    if (state == VMSG_DEVICE_BUS_STATE_READY)
        printf("device %u added: %s\n", num, vf_type_name(d->drv.info.device_id));
    else
        printf("device %u removed: %s\n", num, vf_type_name(d->drv.info.device_id));
    fflush(stdout);
}

/* Follow EVENT_DEVICE notices for @ms milliseconds. */
static int cmd_watch(struct vf *vf, int ms)
{
    struct timespec t0, t;
    int left = ms, rc;

    cmd_info(vf);
    fflush(stdout);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (left > 0) {
        rc = vf_poll(vf, left < 100 ? left : 100);
        if (rc < 0)
            return fail("watch", rc);
        vf_hotplug(vf, report, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t);
        left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
    }
    printf("now %d device(s)\n", vf->ndev);
    return 0;
}

static int cmd_net(int argc, char **argv, struct vf *vf)
{
    struct in_addr src, dst;
    int count = argc > 3 ? atoi(argv[3]) : 3, rc;

    if (argc < 3 || strcmp(argv[0], "ping") || !inet_pton(AF_INET, argv[1], &src) ||
        !inet_pton(AF_INET, argv[2], &dst) || count < 1) {
        fprintf(stderr, "%s: net ping OUR-IPV4 TARGET-IPV4 [COUNT]\n", prog);
        return 2;
    }
    rc = vf_net_ping(vf, src.s_addr, dst.s_addr, count);
    if (rc < 0)
        return fail("net ping", rc);
    printf("%d packets sent, %d replies\n", count, rc);
    return rc == count ? 0 : 1;
}

/* fleet N SECONDS [HZ [verify]]: many frontends from this one process. */
static int cmd_fleet(const char *path, uint32_t domid, int argc, char **argv)
{
    static struct vf_fleet_stats st;
    struct vf_fleet_opts o = { .socket = path, .first_domid = domid,
                               .max_devs = VF_FLEET_MAX_DEVS };
    unsigned long n, hz = 0;
    char err[256], *e1, *e2, *e3 = "";
    double secs;
    int rc;

    if (argc < 3 || argc > 5)
        goto bad;
    n = strtoul(argv[1], &e1, 10);
    secs = strtod(argv[2], &e2);
    if (argc > 3)
        hz = strtoul(argv[3], &e3, 10);
    if (*e1 || *e2 || *e3 || n < 1 || n > VF_FLEET_MAX_FE || !(secs > 0 && secs <= 3600) ||
        hz > 100000 || (argc == 5 && strcmp(argv[4], "verify")))
        goto bad;
    o.frontends = (unsigned)n;
    o.secs = secs;
    o.warmup = secs / 4 < 0.5 ? secs / 4 : 0.5;
    o.hz = (unsigned)hz;
    o.verify = argc == 5;
    o.seed = (uint64_t)time(NULL);
    rc = vf_fleet_run(&o, &st, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "%s: fleet: %s\n", prog, err);
        return 1;
    }
    printf("fleet: %u frontends, %u blk devices, %.1f s (after %.2f s warm-up): %" PRIu64
           " requests, %.0f IOPS; latency p50 %u, p99 %u, p99.9 %u us; %.2f kicks per request; %"
           PRIu64 " errors, %" PRIu64 " mismatches\n", o.frontends, st.devs, st.secs, o.warmup,
           st.requests, (double)st.requests / st.secs, vf_fleet_pct(&st, 50),
           vf_fleet_pct(&st, 99), vf_fleet_pct(&st, 99.9),
           st.requests ? (double)st.kicks / (double)st.requests : 0, st.errors, st.mismatches);
    return st.errors || st.mismatches || !st.requests ? 1 : 0;
bad:
    fprintf(stderr, "%s: fleet N(1..%d) SECONDS(0..3600] [HZ(0..100000, 0: back to back) "
            "[verify]]\n", prog, VF_FLEET_MAX_FE);
    return 2;
}

/* A spin option's microseconds, 0..1000000; -1 after a clear error. */
static int parse_us(const char *name, const char *arg, unsigned *us)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);

    if (*arg < '0' || *arg > '9' || *end || v > 1000000) {
        fprintf(stderr, "%s: %s %s: expected microseconds, 0..1000000\n", prog, name, arg);
        return -1;
    }
    *us = (unsigned)v;
    return 0;
}

static void usage(FILE *o)
{
    fputs("usage: virtio-msg-front [--socket PATH] [--domid N] [--xen DEVID] [--wait MS] [--poll US]\n"
          "       [--poll-max US] [--packed] COMMAND\n"
          "  --xen DEVID  use device/virtio_msg/DEVID of this Xen domain (not the host bus)\n"
          "  --poll US    spin up to US microseconds for each answer before sleeping\n"
          "  --poll-max US  without --poll, spin adaptively for answers, up to US\n"
          "               microseconds (default " VF_POLL_MAX_DEFAULT_STR "; 0: never spin)\n"
          "  --packed     use packed rings where the device offers them (backend: packed=on)\n"
          "  info | blk read SECTOR COUNT | blk write SECTOR | blk verify [SEED [OPS [QD]]]\n"
          "  blk overlap [N] | blk flush | blk id | blk bench [SECONDS] | rng BYTES | console write TEXT | console read [MS]\n"
          "  net ping OUR-IPV4 TARGET-IPV4 [COUNT]\n"
          "  watch MS (follow device hot-add and removal) | demo\n"
          "  fleet N SECONDS [HZ [verify]]  N frontends (domids --domid, +1, ...) from this\n"
          "                       one process: rounds of one 4 KiB read per disk (HZ a\n"
          "                       second each, 0: back to back; verify: write, read back)\n"
          "  soak SECONDS [SEED]  random versioned writes that must survive backend\n"
          "                       restarts (reconnects and re-verifies)\n", o);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "socket", required_argument, NULL, 's' },
        { "domid", required_argument, NULL, 'D' },
        { "wait", required_argument, NULL, 'w' },
        { "xen", required_argument, NULL, 'x' },
        { "poll", required_argument, NULL, 'p' },
        { "poll-max", required_argument, NULL, 'P' },
        { "packed", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = VMSG_HOST_DEFAULT_SOCKET;
    char xenpath[32];
    uint32_t domid = 1;
    int wait_ms = 0, opt, rc;
    unsigned poll_us = 0, poll_max = VF_POLL_MAX_DEFAULT_US;
    bool packed = false;
    struct vf vf;

    while ((opt = getopt_long(argc, argv, "+s:D:w:x:p:P:kh", lo, NULL)) != -1) {
        switch (opt) {
        case 's': path = optarg; break;
        case 'D': domid = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'w': wait_ms = atoi(optarg); break;
        case 'x':
            snprintf(xenpath, sizeof(xenpath), "xen:%.20s", optarg);
            path = xenpath;
            break;
        case 'p':
            if (parse_us("--poll", optarg, &poll_us))
                return 2;
            break;
        case 'P':
            if (parse_us("--poll-max", optarg, &poll_max))
                return 2;
            break;
        case 'k': packed = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[optind], "soak") && optind + 1 < argc)   /* manages its own connections */
        return vf_blk_soak(path, domid, atof(argv[optind + 1]),
                           optind + 2 < argc ? (uint32_t)strtoul(argv[optind + 2], NULL, 0) : 1,
                           wait_ms > 30000 ? wait_ms : 30000);
    if (!strcmp(argv[optind], "fleet"))                       /* its own connections too */
        return cmd_fleet(path, domid, argc - optind, argv + optind);
    rc = vf_connect(&vf, path, domid, wait_ms);
    if (rc)
        return fail(path, rc);
    vf.ep->poll_us = poll_us;
    vf.ep->win.max_us = poll_max;
    vf.packed = packed;
    rc = vf_enumerate(&vf);
    if (rc < 0) {
        vf_close(&vf);
        return fail("enumerate", rc);
    }
    argv += optind;
    argc -= optind;
    if (!strcmp(argv[0], "info"))
        rc = cmd_info(&vf);
    else if (!strcmp(argv[0], "blk"))
        rc = cmd_blk(&vf, argc - 1, argv + 1);
    else if (!strcmp(argv[0], "rng") && argc == 2)
        rc = cmd_rng(&vf, strtoul(argv[1], NULL, 0), false);
    else if (!strcmp(argv[0], "console"))
        rc = cmd_console(&vf, argc - 1, argv + 1);
    else if (!strcmp(argv[0], "net"))
        rc = cmd_net(argc - 1, argv + 1, &vf);
    else if (!strcmp(argv[0], "watch") && argc == 2)
        rc = cmd_watch(&vf, atoi(argv[1]));
    else if (!strcmp(argv[0], "demo"))
        rc = cmd_demo(&vf);
    else {
        usage(stderr);
        rc = 2;
    }
    vf_close(&vf);
    return rc;
}
