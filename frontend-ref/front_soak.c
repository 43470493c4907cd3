/* SPDX-License-Identifier: MIT */
/*
 * blk soak: random writes of versioned, self-checking sectors for a given
 * time, with flushes, on a connection that may break (backend killed and
 * restarted, or a timeout).  On any transport error the frontend drops the
 * connection, connects again (as a fresh driver: the device was reset)
 * and reads back every sector it wrote: each must hold the last version
 * the device acknowledged, or the one that was in flight when the
 * connection broke.  Anything else is lost or corrupted data.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "front_blk.h"
#include "front_soak.h"

#define SOAK_SECTORS 256u
#define FLUSH_EVERY  32u
#define MAGIC        0x4B414F53u     /* "SOAK" */

struct soak {
    uint32_t acked[SOAK_SECTORS];    /* 0: never written by us */
    uint32_t inflight[SOAK_SECTORS];
    uint64_t writes, flushes, reconnects, verified, mismatches;
};

static void pattern(uint8_t *b, uint32_t sector, uint32_t ver)
{
    uint64_t x = ((uint64_t)sector << 32 | ver) * 0x9E3779B97F4A7C15ull | 1;
    size_t i;

    for (i = 0; i < 512; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(b + i, &x, 8);
    }
    memcpy(b, &(uint32_t){ MAGIC }, 4);
    memcpy(b + 4, &sector, 4);
    memcpy(b + 8, &ver, 4);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every written sector must hold an acceptable version. */
static int verify_all(struct vf_blk *b, struct soak *s)
{
    uint8_t got[512], want[512];
    uint32_t i;
    int rc;

    for (i = 0; i < SOAK_SECTORS; i++) {
        if (!s->acked[i] && !s->inflight[i])
            continue;
        rc = vf_blk_io(b, VF_BLK_T_IN, i, got, sizeof(got));
        if (rc)
            return rc;
        s->verified++;
        pattern(want, i, s->acked[i]);
        if (s->acked[i] && !memcmp(got, want, 512))
            goto ok;
        if (s->inflight[i]) {
            pattern(want, i, s->inflight[i]);
            if (!memcmp(got, want, 512)) {
                s->acked[i] = s->inflight[i];   /* it did land */
                goto ok;
            }
        }
        if (!s->acked[i])
            goto ok;                 /* first write never acknowledged */
        s->mismatches++;
        fprintf(stderr, "soak: sector %u lost version %u\n", i, s->acked[i]);
        continue;
ok:
        s->inflight[i] = 0;
    }
    return 0;
}

static int connect_blk(const char *where, uint32_t domid, struct vf *vf,
                       struct vf_blk *b, int wait_ms)
{
    int rc = vf_connect(vf, where, domid, wait_ms);

    if (rc == 0)
        rc = vf_enumerate(vf) < 0 ? -EIO : 0;
    if (rc == 0)
        rc = vf_blk_open(vf, b);
    if (rc && vf->ep)
        vf_close(vf);
    return rc;
}

int vf_blk_soak(const char *where, uint32_t domid, double seconds, uint32_t seed,
                int reconnect_ms)
{
    static struct soak s;
    struct vf vf;
    struct vf_blk b;
    uint8_t buf[512];
    double end = now_s() + seconds;
    uint32_t rnd = seed ? seed : 1;
    int rc;

    memset(&s, 0, sizeof(s));
    rc = connect_blk(where, domid, &vf, &b, reconnect_ms);
    if (rc) {
        fprintf(stderr, "soak: cannot connect: %s\n", strerror(-rc));
        return 1;
    }
    while (now_s() < end) {
        uint32_t sec, ver;

        rnd ^= rnd << 13;
        rnd ^= rnd >> 17;
        rnd ^= rnd << 5;
        sec = rnd % SOAK_SECTORS;
        ver = s.acked[sec] + 1 + (s.inflight[sec] > s.acked[sec] ? s.inflight[sec] - s.acked[sec] : 0);
        pattern(buf, sec, ver);
        s.inflight[sec] = ver;
        rc = vf_blk_io(&b, VF_BLK_T_OUT, sec, buf, sizeof(buf));
        if (rc == 0) {
            s.acked[sec] = ver;
            s.inflight[sec] = 0;
            if (++s.writes % FLUSH_EVERY == 0 && (rc = vf_blk_io(&b, VF_BLK_T_FLUSH, 0, NULL, 0)) == 0)
                s.flushes++;
        }
        if (rc == 0)
            continue;
        if (rc == -EIO && b.d && !b.d->drv.broken) {
            fprintf(stderr, "soak: the device failed a request\n");
            break;
        }
        /* The connection broke: start over as a new driver and check. */
        fprintf(stderr, "soak: connection lost (%s) after %" PRIu64 " writes; reconnecting\n",
                strerror(-rc), s.writes);
        vf_blk_close(&vf, &b);
        vf_close(&vf);
        s.reconnects++;
        rc = connect_blk(where, domid, &vf, &b, reconnect_ms);
        if (rc) {
            fprintf(stderr, "soak: reconnect failed: %s\n", strerror(-rc));
            return 1;
        }
        rc = verify_all(&b, &s);
        if (rc)
            break;
    }
    if (rc == 0)
        rc = vf_blk_io(&b, VF_BLK_T_FLUSH, 0, NULL, 0);
    if (rc == 0)
        rc = verify_all(&b, &s);
    vf_blk_close(&vf, &b);
    vf_close(&vf);
    printf("soak: %" PRIu64 " writes, %" PRIu64 " flushes, %" PRIu64 " reconnects, "
           "%" PRIu64 " sector reads verified, %" PRIu64 " lost or corrupted\n",
           s.writes, s.flushes, s.reconnects, s.verified, s.mismatches);
    if (rc)
        fprintf(stderr, "soak: %s\n", strerror(-rc));
    return rc || s.mismatches ? 1 : 0;
}
