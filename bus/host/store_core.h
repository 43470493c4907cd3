/* SPDX-License-Identifier: MIT */
/*
 * The host store itself: nodes, watches and the request handler, with no
 * sockets (store_server.c carries packets; the fuzzer calls it directly).
 * Everything a client sends is checked before use; limits are fixed so a
 * client cannot grow the store without bound.
 */
#ifndef VMSG_STORE_CORE_H
#define VMSG_STORE_CORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_MAX_NODES        4096
#define STORE_MAX_WATCHES      1024
#define STORE_MAX_CLIENT_WATCH 64
#define STORE_MAX_DIR          8192  /* bytes of names in a DIR reply */

struct store_core_cbs {
    /* Deliver a reply or an event to @client. */
    void (*send)(void *ctx, int client, const void *buf, size_t len);
    /* Optional: @path (or something below it) changed. */
    void (*changed)(void *ctx, const char *path);
    void *ctx;
};

struct store_core;

struct store_core *store_core_new(const struct store_core_cbs *cbs);
void store_core_free(struct store_core *s);

/* One request packet from @client: the reply goes out through send().
 * -EPROTO if the packet is malformed (the caller drops the client). */
int store_core_handle(struct store_core *s, int client, const uint8_t *pkt, size_t len);
/* @client is gone: forget its watches. */
void store_core_drop_client(struct store_core *s, int client);

/* The server's own process uses the store directly (same rules). */
int store_core_read(struct store_core *s, const char *path, char *buf, size_t cap);
int store_core_write(struct store_core *s, const char *path, const char *value);
int store_core_rm(struct store_core *s, const char *path);
int store_core_dir(struct store_core *s, const char *path, char *buf, size_t cap);
unsigned store_core_nodes(const struct store_core *s);
unsigned store_core_watches(const struct store_core *s);

#endif
