/* SPDX-License-Identifier: MIT */
/*
 * Packets in and out for the host store.  A client that sends a malformed
 * packet, or stops reading so that a reply or event cannot be queued, is
 * disconnected; the others are not affected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "store_proto.h"
#include "store_server.h"

struct client {
    struct store_server *srv;
    int fd;                          /* -1: free slot */
};

struct store_server {
    struct store_loop loop;
    struct store_core *core;
    int listen_fd;
    char path[108];
    struct client clients[STORE_MAX_CLIENTS];
    void (*changed)(void *ctx, const char *path);
    void *ctx;
};

static void drop(struct client *c)
{
    if (c->fd < 0)
        return;
    c->srv->loop.unwatch(c->srv->loop.loop, c->fd);
    store_core_drop_client(c->srv->core, c->fd);
    close(c->fd);
    c->fd = -1;
}

static void srv_send(void *ctx, int client, const void *buf, size_t len)
{
    (void)ctx;
    /* Never block on a client: one that does not read gets cut off (the
     * loop then sees the hang-up and drops it). */
    if (send(client, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len)
        shutdown(client, SHUT_RDWR);
}

static void srv_changed(void *ctx, const char *path)
{
    struct store_server *srv = ctx;

    if (srv->changed)
        srv->changed(srv->ctx, path);
}

static void on_client(void *opaque)
{
    struct client *c = opaque;
    static uint8_t buf[VHS_MAX_PACKET + 1];
    ssize_t n;

    if (c->fd < 0)
        return;
    n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0 || (size_t)n > sizeof(buf) - 1 ||
        store_core_handle(c->srv->core, c->fd, buf, (size_t)n) < 0)
        drop(c);
}

static void on_listen(void *opaque)
{
    struct store_server *srv = opaque;
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;

    if (fd < 0)
        return;
    for (i = 0; i < STORE_MAX_CLIENTS && srv->clients[i].fd >= 0; i++)
        ;
    if (i == STORE_MAX_CLIENTS ||
        srv->loop.watch(srv->loop.loop, fd, on_client, &srv->clients[i])) {
        close(fd);                   /* full: the client sees a hang-up */
        return;
    }
    srv->clients[i].fd = fd;
}

struct store_server *store_server_start(const char *path, const struct store_loop *loop,
                                        void (*changed)(void *ctx, const char *path),
                                        void *ctx, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct store_server *srv;
    struct store_core_cbs cbs;
    struct stat st;
    int i;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "store socket path too long: %s", path);
        return NULL;
    }
    srv = calloc(1, sizeof(*srv));
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    srv->loop = *loop;
    srv->changed = changed;
    srv->ctx = ctx;
    for (i = 0; i < STORE_MAX_CLIENTS; i++)
        srv->clients[i] = (struct client){ srv, -1 };
    cbs = (struct store_core_cbs){ srv_send, srv_changed, srv };
    srv->core = store_core_new(&cbs);
    strcpy(sa.sun_path, path);
    strcpy(srv->path, path);
    srv->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (!srv->core || srv->listen_fd < 0)
        goto fail;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);                /* a stale socket of an earlier run */
    if (bind(srv->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
        listen(srv->listen_fd, 16) ||
        loop->watch(loop->loop, srv->listen_fd, on_listen, srv))
        goto fail;
    return srv;
fail:
    snprintf(err, errlen, "cannot serve the store at %s: %s", path, strerror(errno));
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    store_core_free(srv->core);
    free(srv);
    return NULL;
}

void store_server_stop(struct store_server *srv)
{
    int i;

    if (!srv)
        return;
    for (i = 0; i < STORE_MAX_CLIENTS; i++)
        drop(&srv->clients[i]);
    srv->loop.unwatch(srv->loop.loop, srv->listen_fd);
    close(srv->listen_fd);
    unlink(srv->path);
    store_core_free(srv->core);
    free(srv);
}

struct store_core *store_server_core(struct store_server *srv)
{
    return srv->core;
}

int store_server_clients(const struct store_server *srv)
{
    int i, n = 0;

    for (i = 0; i < STORE_MAX_CLIENTS; i++)
        n += srv->clients[i].fd >= 0;
    return n;
}
