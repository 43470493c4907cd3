/* SPDX-License-Identifier: MIT */
/* virtio-net driver of the reference frontend: enough for ARP and ping. */
#ifndef VMSG_FRONT_NET_H
#define VMSG_FRONT_NET_H

#include "front.h"

/*
 * Resolve @dst (IPv4, network order) by ARP from @src, then send @count
 * ICMP echo requests and wait for the replies.  Prints one line per reply.
 * Returns the number of replies, or -errno.
 */
int vf_net_ping(struct vf *vf, uint32_t src, uint32_t dst, int count);

#endif
