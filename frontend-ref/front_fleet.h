/* SPDX-License-Identifier: MIT */
/*
 * A fleet: many frontends (one host-bus connection and one domid each, with
 * their blk devices) driven from one thread, waiting on all their event
 * channels with one epoll.  The load of many guests on one backend without
 * a process per guest, so the measurement is of the backend and not of the
 * host's scheduler juggling dozens of processes on a few cores.
 *
 * Each frontend runs rounds: one 4 KiB request on each of its devices, all
 * in flight together; a round starts on its own clock (@hz rounds a second,
 * a random phase per frontend: an open loop) or as soon as the last ended
 * (@hz 0).  Latency is from a request's submission to its completion.
 */
#ifndef VMSG_FRONT_FLEET_H
#define VMSG_FRONT_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VF_FLEET_MAX_FE   256
#define VF_FLEET_MAX_DEVS 8
#define VF_FLEET_HIST_US  100000     /* one-microsecond buckets up to 100 ms */

struct vf_fleet_opts {
    const char *socket;
    uint32_t first_domid;            /* frontend i connects as first_domid + i */
    unsigned frontends;              /* 1..VF_FLEET_MAX_FE */
    unsigned max_devs;               /* blk devices used per frontend, 1..8 */
    unsigned hz;                     /* rounds a second per frontend; 0: back to back */
    double warmup, secs;             /* rounds started in the warm-up do not count */
    bool verify;                     /* rounds alternate: write a pattern, read it back */
    uint64_t seed;
};

struct vf_fleet_stats {
    uint64_t requests;               /* completed in the measured span */
    uint64_t errors;                 /* a device status other than OK (any time) */
    uint64_t mismatches;             /* verify: data read back differs (any time) */
    uint64_t over;                   /* latencies beyond the histogram */
    uint64_t kicks;                  /* the backend's kicks in the measured span */
    unsigned devs;                   /* devices in use in all */
    double secs;                     /* the measured span */
    uint32_t hist[VF_FLEET_HIST_US];
};

/* Connect, open, run, close.  0 when every request completed (errors and
 * mismatches are counted, not fatal); -errno with a reason in @err if the
 * fleet could not be set up or a request did not complete in 10 s. */
int vf_fleet_run(const struct vf_fleet_opts *o, struct vf_fleet_stats *st, char *err,
                 size_t errlen);

/* Add @src's counts and latencies to @dst (the measured spans must be
 * the same: secs and devs are not summed). */
void vf_fleet_stats_add(struct vf_fleet_stats *dst, const struct vf_fleet_stats *src);

/* The @pct percentile of the latencies, in microseconds. */
unsigned vf_fleet_pct(const struct vf_fleet_stats *st, double pct);

#endif
