/* SPDX-License-Identifier: MIT */
/* Many frontends from one thread (see front_fleet.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "front_blk.h"
#include "front_fleet.h"
#include "virtio-msg/virtio.h"

#define IO            4096u
#define STUCK_NS      10000000000ull /* a request not back in 10 s: give up */
#define HUP           0x80000000u    /* epoll data: frontend index | HUP */

struct fleet_fe {
    struct vf vf;
    struct vf_blk b[VF_FLEET_MAX_DEVS];
    struct vf_blk_req r[VF_FLEET_MAX_DEVS];
    unsigned nd, index;
    int kick_fd;                     /* counts the backend's kicks (never read meanwhile) */
    unsigned busy;                   /* bit d: device d's request is in flight */
    uint64_t t_sub, next, round;
    bool counted, woken;
};

struct fleet {
    const struct vf_fleet_opts *o;
    struct vf_fleet_stats *st;
    struct fleet_fe *fe;
    unsigned n;
    uint64_t seed, period, t_meas, t_end;
    int ep;
    char *err;
    size_t errlen;
};

static uint64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t mix(uint64_t x)      /* splitmix64 */
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static int fail(struct fleet *fl, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct fleet *fl, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(fl->err, fl->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* Verify mode: frontend @f's device @d owns the 4 KiB at this sector, so
 * devices sharing one image file do not trample each other. */
static uint64_t own_sector(const struct fleet_fe *f, unsigned d)
{
    return ((uint64_t)f->index * VF_FLEET_MAX_DEVS + d) * (IO / 512);
}

static void pattern(const struct fleet *fl, const struct fleet_fe *f, unsigned d,
                    uint64_t round, uint64_t *w)
{
    uint64_t base = mix(fl->seed ^ mix(((uint64_t)f->index << 40) ^ ((uint64_t)d << 32) ^ round));
    unsigned i;

    for (i = 0; i < IO / 8; i++)
        w[i] = mix(base + i);
}

static int open_fe(struct fleet *fl, struct fleet_fe *f)
{
    const struct vf_fleet_opts *o = fl->o;
    uint32_t domid = o->first_domid + f->index;
    struct epoll_event kick = { .events = EPOLLIN | EPOLLET, .data.u32 = f->index };
    struct epoll_event hup = { .events = EPOLLRDHUP, .data.u32 = f->index | HUP };
    int rc, k, hup_fd;

    rc = vf_connect(&f->vf, o->socket, domid, 10000);
    if (rc)
        return fail(fl, rc, "frontend %u (domid %u): connect: %s", f->index, domid,
                    strerror(-rc));
    rc = vf_enumerate(&f->vf);
    if (rc < 0)
        return fail(fl, rc, "domid %u: enumerate: %s", domid, strerror(-rc));
    for (k = 0; k < f->vf.ndev && f->nd < o->max_devs; k++) {
        struct vf_blk *b = &f->b[f->nd];

        if (f->vf.devs[k]->drv.info.device_id != VIRTIO_ID_BLOCK)
            continue;
        if ((rc = vf_blk_open_dev(&f->vf, f->vf.devs[k], b)) ||
            (rc = vf_blk_req_alloc(&f->vf, &f->r[f->nd], IO))) {
            vf_blk_close(&f->vf, b);
            return fail(fl, rc, "domid %u: blk device %d: %s", domid, k, strerror(-rc));
        }
        f->nd++;
        if (o->verify && (b->ro || b->sectors < own_sector(f, f->nd - 1) + IO / 512))
            return fail(fl, -EINVAL, "domid %u: blk device %d is %s for verify", domid, k,
                        b->ro ? "read-only" : "too small");
        if (!o->verify && b->sectors < IO / 512)
            return fail(fl, -EINVAL, "domid %u: blk device %d is under 4 KiB", domid, k);
    }
    if (f->nd == 0)
        return fail(fl, -ENODEV, "domid %u: no blk device", domid);
    rc = vf_wait_fds(&f->vf, &f->kick_fd, &hup_fd);
    if (rc)
        return fail(fl, rc, "a fleet runs on the host bus only");
    if (epoll_ctl(fl->ep, EPOLL_CTL_ADD, f->kick_fd, &kick) ||
        epoll_ctl(fl->ep, EPOLL_CTL_ADD, hup_fd, &hup))
        return fail(fl, -errno, "epoll: %s", strerror(errno));
    fl->st->devs += f->nd;
    return 0;
}

static void close_fe(struct fleet_fe *f)
{
    unsigned d;

    for (d = 0; d < f->nd; d++) {
        vf_blk_req_free(&f->vf, &f->r[d]);
        vf_blk_close(&f->vf, &f->b[d]);
    }
    if (f->vf.ep)
        vf_close(&f->vf);
}

static int submit_round(struct fleet *fl, struct fleet_fe *f, uint64_t now)
{
    bool write = fl->o->verify && f->round % 2 == 0;
    unsigned d;
    int rc;

    for (d = 0; d < f->nd; d++) {
        struct vf_blk *b = &f->b[d];
        uint64_t sector;

        if (fl->o->verify) {
            sector = own_sector(f, d);
            if (write)
                pattern(fl, f, d, f->round, (uint64_t *)vf_blk_data(&f->r[d]));
        } else {
            fl->seed = mix(fl->seed);
            sector = fl->seed % (b->sectors / (IO / 512)) * (IO / 512);
        }
        rc = vf_blk_submit(b, &f->r[d], 0, write ? VF_BLK_T_OUT : VF_BLK_T_IN, sector, IO);
        if (rc)
            return fail(fl, rc, "domid %u: submit: %s", fl->o->first_domid + f->index,
                        strerror(-rc));
        f->busy |= 1u << d;
    }
    f->t_sub = now;
    f->counted = now >= fl->t_meas && now < fl->t_end;
    return 0;
}

static void record(struct fleet *fl, uint64_t ns)
{
    uint64_t us = ns / 1000;

    fl->st->requests++;
    if (us < VF_FLEET_HIST_US)
        fl->st->hist[us]++;
    else
        fl->st->over++;
}

/* Take what frontend @f has back; a round ends when all its devices answered. */
static int reap(struct fleet *fl, struct fleet_fe *f)
{
    uint64_t want[IO / 8];
    bool was_busy = f->busy != 0;
    unsigned d;
    int rc = vf_poll(&f->vf, 0), res;

    if (rc < 0)
        return fail(fl, rc, "domid %u: the backend is gone (%s)",
                    fl->o->first_domid + f->index, strerror(-rc));
    for (d = 0; d < f->nd; d++) {
        struct vf_blk_req *r;

        if (!(f->busy & (1u << d)))
            continue;
        r = vf_blk_complete(&f->b[d], 0, 0, &res);
        if (!r) {
            if (res != -ETIMEDOUT)
                return fail(fl, res, "domid %u: %s", fl->o->first_domid + f->index,
                            strerror(-res));
            continue;
        }
        if (r != &f->r[d])
            return fail(fl, -EPROTO, "domid %u: the backend completed a request we did "
                        "not send", fl->o->first_domid + f->index);
        f->busy &= ~(1u << d);
        if (f->counted)
            record(fl, now_ns() - f->t_sub);
        if (res) {
            fl->st->errors++;
        } else if (fl->o->verify && r->type == VF_BLK_T_IN) {
            pattern(fl, f, d, f->round - 1, want);
            if (memcmp(want, vf_blk_data(r), IO))
                fl->st->mismatches++;
        }
    }
    if (was_busy && !f->busy)
        f->round++;
    return 0;
}

/* Sleep until a kick or @until_ns; first make sure every frontend with
 * requests in flight will be kicked (one that had events waiting is
 * marked woken instead, and we do not sleep). */
static int sleep_until(struct fleet *fl, uint64_t now, uint64_t until_ns)
{
    struct epoll_event ev[64];
    struct timespec ts;
    bool any = false;
    unsigned i;
    int n, rc;

    for (i = 0; i < fl->n; i++) {
        struct fleet_fe *f = &fl->fe[i];

        if (!f->busy)
            continue;
        if (now - f->t_sub > STUCK_NS)
            return fail(fl, -ETIMEDOUT, "domid %u: no completion in 10 s",
                        fl->o->first_domid + i);
        rc = vf_arm(&f->vf);
        if (rc < 0)
            return fail(fl, rc, "domid %u: the backend is gone (%s)",
                        fl->o->first_domid + i, strerror(-rc));
        if (rc > 0)
            any = f->woken = true;
    }
    if (any)
        return 0;
    if (until_ns > now + STUCK_NS)
        until_ns = now + STUCK_NS;
    ts.tv_sec = (time_t)((until_ns - now) / 1000000000ull);
    ts.tv_nsec = (long)((until_ns - now) % 1000000000ull);
    n = epoll_pwait2(fl->ep, ev, 64, &ts, NULL);
    if (n < 0 && errno != EINTR)
        return fail(fl, -errno, "epoll: %s", strerror(errno));
    for (i = 0; i < (unsigned)(n > 0 ? n : 0); i++) {
        uint32_t k = ev[i].data.u32 & ~HUP;

        if (k >= fl->n)
            continue;
        if (ev[i].data.u32 & HUP)
            return fail(fl, -EPIPE, "domid %u: the backend hung up", fl->o->first_domid + k);
        fl->fe[k].woken = true;
    }
    return 0;
}

/* The kicks every frontend's eventfd counted since the last call. */
static uint64_t take_kicks(struct fleet *fl)
{
    uint64_t total = 0, v;
    unsigned i;

    for (i = 0; i < fl->n; i++)
        if (read(fl->fe[i].kick_fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
            total += v;
    return total;
}

static int run(struct fleet *fl)
{
    bool counting = false;
    uint64_t t0 = now_ns(), now;
    unsigned i;
    int rc;

    fl->t_meas = t0 + (uint64_t)(fl->o->warmup * 1e9);
    fl->t_end = fl->t_meas + (uint64_t)(fl->o->secs * 1e9);
    for (i = 0; i < fl->n; i++) {    /* independent guests: a random phase */
        fl->seed = mix(fl->seed);
        fl->fe[i].next = t0 + (fl->period ? fl->seed % fl->period : 0);
    }
    for (;;) {
        uint64_t wake = UINT64_MAX;
        bool busy = false;

        now = now_ns();
        if (!counting && now >= fl->t_meas) {
            take_kicks(fl);          /* those of the set-up and warm-up */
            counting = true;
        }
        for (i = 0; i < fl->n; i++) {
            struct fleet_fe *f = &fl->fe[i];

            if (f->woken) {
                f->woken = false;
                if ((rc = reap(fl, f)))
                    return rc;
            }
            if (!f->busy && now < fl->t_end && now >= f->next) {
                if ((rc = submit_round(fl, f, now)))
                    return rc;
                f->next = fl->period ? f->next + fl->period : now;
            }
            if (f->busy)
                busy = true;
            else if (now < fl->t_end && f->next < wake)
                wake = f->next;
        }
        if (!busy && now >= fl->t_end) {
            fl->st->kicks = take_kicks(fl);
            return 0;                /* every round done */
        }
        if (wake <= now)
            continue;
        if ((rc = sleep_until(fl, now, wake == UINT64_MAX ? now + STUCK_NS : wake)))
            return rc;
    }
}

int vf_fleet_run(const struct vf_fleet_opts *o, struct vf_fleet_stats *st, char *err,
                 size_t errlen)
{
    struct fleet fl = { .o = o, .st = st, .n = o->frontends, .err = err, .errlen = errlen };
    unsigned i;
    int rc = 0;

    memset(st, 0, sizeof(*st));
    if (err && errlen)
        err[0] = 0;
    if (o->frontends < 1 || o->frontends > VF_FLEET_MAX_FE || o->max_devs < 1 ||
        o->max_devs > VF_FLEET_MAX_DEVS || !(o->secs > 0) || !(o->warmup >= 0))
        return fail(&fl, -EINVAL, "fleet: 1..%d frontends, 1..%d devices each, a time > 0",
                    VF_FLEET_MAX_FE, VF_FLEET_MAX_DEVS);
    fl.seed = o->seed ? o->seed : 0x5EED;
    fl.period = o->hz ? 1000000000ull / o->hz : 0;
    fl.fe = calloc(fl.n, sizeof(*fl.fe));
    fl.ep = epoll_create1(EPOLL_CLOEXEC);
    if (!fl.fe || fl.ep < 0) {
        rc = fail(&fl, -ENOMEM, "fleet: %s", strerror(fl.fe ? errno : ENOMEM));
        goto out;
    }
    for (i = 0; i < fl.n && rc == 0; i++) {
        fl.fe[i].index = i;
        rc = open_fe(&fl, &fl.fe[i]);
    }
    if (rc == 0)
        rc = run(&fl);
    st->secs = o->secs;
    for (i = 0; i < fl.n; i++)
        close_fe(&fl.fe[i]);
out:
    if (fl.ep >= 0)
        close(fl.ep);
    free(fl.fe);
    return rc;
}

void vf_fleet_stats_add(struct vf_fleet_stats *dst, const struct vf_fleet_stats *src)
{
    unsigned i;

    dst->requests += src->requests;
    dst->errors += src->errors;
    dst->mismatches += src->mismatches;
    dst->over += src->over;
    dst->kicks += src->kicks;
    for (i = 0; i < VF_FLEET_HIST_US; i++)
        dst->hist[i] += src->hist[i];
}

unsigned vf_fleet_pct(const struct vf_fleet_stats *st, double pct)
{
    uint64_t total = st->requests, want = (uint64_t)((double)total * pct / 100.0), acc = 0;
    unsigned i;

    for (i = 0; i < VF_FLEET_HIST_US; i++) {
        acc += st->hist[i];
        if (acc > want)
            return i;
    }
    return VF_FLEET_HIST_US;         /* beyond the histogram: at least this */
}
