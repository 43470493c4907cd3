/* SPDX-License-Identifier: MIT */
/*
 * A small key-value store with watches: the primitive xenstore provides on
 * Xen, with two providers behind one interface.
 *
 *   - Xen: libxenstore (vmsg_store_open_xen, built with the Xen libraries).
 *   - host: the store the backend daemon serves on a Unix socket
 *     (vmsg_store_open_host; server in bus/host/store_core.c).
 *
 * Paths are relative ("backend/virtio_msg/1/7/spec"), components of
 * [A-Za-z0-9_.:@-] separated by single '/'.  A watch on P fires once when
 * set, then for every change to P or below it, with the changed path and
 * the watch's token.  Values are text (no NUL), VMSG_STORE_MAX_VALUE bytes
 * at most.
 */
#ifndef VIRTIO_MSG_STORE_H
#define VIRTIO_MSG_STORE_H

#include <stddef.h>

#define VMSG_STORE_MAX_PATH  256
#define VMSG_STORE_MAX_VALUE 2048
#define VMSG_STORE_MAX_TOKEN 64

struct vmsg_store;

struct vmsg_store_ops {
    const char *name;
    /* Value of @path into @buf (NUL-terminated): its length, or -errno
     * (-ENOENT: no such node; -ENOSPC: @cap too small). */
    int (*read)(struct vmsg_store *st, const char *path, char *buf, size_t cap);
    /* Create or replace.  0 or -errno. */
    int (*write)(struct vmsg_store *st, const char *path, const char *value);
    /* Remove @path and everything below it.  0 or -errno. */
    int (*rm)(struct vmsg_store *st, const char *path);
    /* Names of @path's children, each NUL-terminated, into @buf: how many,
     * or -errno. */
    int (*dir)(struct vmsg_store *st, const char *path, char *buf, size_t cap);
    int (*watch)(struct vmsg_store *st, const char *path, const char *token);
    int (*unwatch)(struct vmsg_store *st, const char *path, const char *token);
    /* Readable when a watch event may be waiting. */
    int (*fd)(struct vmsg_store *st);
    /* Next watch event without blocking: 1 (path and token filled), 0
     * none, -errno (the store went away). */
    int (*event)(struct vmsg_store *st, char *path, size_t pcap, char *token,
                 size_t tcap);
    void (*close)(struct vmsg_store *st);
};

struct vmsg_store {
    const struct vmsg_store_ops *ops;
};

/* The host store at @path (the backend's --store socket).  NULL, errno set. */
struct vmsg_store *vmsg_store_open_host(const char *path);
/* xenstore of the domain we run in.  NULL, errno set (ENOSYS: built
 * without the Xen libraries). */
struct vmsg_store *vmsg_store_open_xen(void);

/* 1 if @path is a valid store path. */
int vmsg_store_path_ok(const char *path, size_t len);

#endif
