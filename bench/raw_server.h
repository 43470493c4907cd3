/* SPDX-License-Identifier: MIT */
/*
 * The scale bench's floor: the load of the process-per-frontend row (N
 * client processes, each a round of 4 x 4 KiB random reads every 1/hz s
 * at a random phase) against the least a server can be -- one process,
 * an eventfd each way per client, the reads done with pread() into
 * shared memory, every wait a blocking read.  No virtio, no rings, no
 * spinning: what the host's scheduler alone makes of N + 1 processes.
 */
#ifndef VMSG_BENCH_RAW_SERVER_H
#define VMSG_BENCH_RAW_SERVER_H

#include "../frontend-ref/front_fleet.h"

#define RAW_MAX_CLIENTS 64

/* Run @nclients (1..RAW_MAX_CLIENTS) clients against a fresh server on
 * @fd (a file of at least 4 KiB) for @warmup + @secs seconds, counting
 * each request's latency after the warm-up into @st (requests, hist,
 * over).  0, or -1 if it could not run (a message on stderr). */
int raw_server_run(int fd, unsigned nclients, unsigned hz, double secs, double warmup,
                   struct vf_fleet_stats *st);

#endif
