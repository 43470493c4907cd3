/* SPDX-License-Identifier: MIT */
/*
 * One entry of a domain config's  virtio_msg = [ "...", ... ]  list:
 *   type=blk,target=/path/disk.img[,backend=DOM][,devid=N][,readonly=on]
 *        [,serial=ID][,queues=N]
 *   type=console[,backend=DOM][,devid=N][,io=pty|unix:PATH]
 *   type=rng[,backend=DOM][,devid=N]
 *   type=net[,backend=DOM][,devid=N][,bridge=BR][,tap=NAME][,mac=MAC]
 * Pure parsing (no Xen): it is fuzzed and unit-tested on its own.
 */
#ifndef VMSG_XL_ENTRY_H
#define VMSG_XL_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#define XLE_PARAMS_MAX 512

struct xl_entry {
    char type[16];                   /* blk console rng net */
    char backend[64];                /* domain name or id; "0" by default */
    int64_t devid;                   /* -1: the next free one */
    char params[XLE_PARAMS_MAX];     /* the backend model's options */
};

/* 0, or -EINVAL with a message naming the bad part in @err. */
int xl_entry_parse(const char *text, struct xl_entry *e, char *err, size_t errlen);

#endif
