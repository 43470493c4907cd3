/* SPDX-License-Identifier: MIT */
/* The host store served on a Unix socket from an event loop (the backend's). */
#ifndef VMSG_STORE_SERVER_H
#define VMSG_STORE_SERVER_H

#include <stddef.h>

#include "store_core.h"

#define STORE_MAX_CLIENTS 64

struct store_loop {
    int (*watch)(void *loop, int fd, void (*cb)(void *), void *opaque);
    void (*unwatch)(void *loop, int fd);
    void *loop;
};

struct store_server;

/* Listen at @path (replacing a stale socket).  @changed, if set, hears of
 * every change, including the server process's own writes.  NULL on
 * failure with a message in @err. */
struct store_server *store_server_start(const char *path, const struct store_loop *loop,
                                        void (*changed)(void *ctx, const char *path),
                                        void *ctx, char *err, size_t errlen);
void store_server_stop(struct store_server *srv);
struct store_core *store_server_core(struct store_server *srv);
int store_server_clients(const struct store_server *srv);

#endif
