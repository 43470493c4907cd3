/* SPDX-License-Identifier: MIT */
/*
 * The host provider of vmsg_store: requests to the backend's store socket,
 * answered in order; watch events that arrive meanwhile are queued (a
 * bounded queue: the oldest are dropped and counted if it overflows).
 * The server is trusted no more than any peer: replies are size-checked.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "store_proto.h"
#include "virtio-msg/store.h"

#define EVQ 256
#define REPLY_TIMEOUT_MS 5000

struct ev {
    char path[VMSG_STORE_MAX_PATH + 1];
    char token[VMSG_STORE_MAX_TOKEN + 1];
};

struct host_store {
    struct vmsg_store st;
    int fd;
    uint32_t rid;
    struct ev q[EVQ];
    unsigned head, count;
    unsigned long lost;
    uint8_t buf[VHS_MAX_PACKET + 1];
};

#define HS(st) ((struct host_store *)(st))

static void queue_event(struct host_store *h, const struct vhs_hdr *hd, const uint8_t *p)
{
    struct ev *e;

    if (hd->plen > VMSG_STORE_MAX_PATH || hd->vlen > VMSG_STORE_MAX_TOKEN)
        return;
    if (h->count == EVQ) {           /* drop the oldest */
        h->head = (h->head + 1) % EVQ;
        h->count--;
        h->lost++;
    }
    e = &h->q[(h->head + h->count++) % EVQ];
    memcpy(e->path, p, hd->plen);
    e->path[hd->plen] = 0;
    memcpy(e->token, p + hd->plen, hd->vlen);
    e->token[hd->vlen] = 0;
}

/* Receive one packet (waiting up to @timeout_ms): its header in *hd and
 * the payload at h->buf + sizeof(*hd); 1, 0 on timeout, -errno. */
static int recv_one(struct host_store *h, struct vhs_hdr *hd, int timeout_ms)
{
    struct pollfd p = { h->fd, POLLIN, 0 };
    ssize_t n;
    int r;

    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return r < 0 ? -errno : 0;
    n = recv(h->fd, h->buf, sizeof(h->buf), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0)
        return errno == EAGAIN ? 0 : -errno;
    if (n == 0)
        return -EPIPE;
    if ((size_t)n < sizeof(*hd) || (size_t)n > sizeof(h->buf))
        return -EPROTO;
    memcpy(hd, h->buf, sizeof(*hd));
    if ((size_t)n != sizeof(*hd) + hd->plen + hd->vlen)
        return -EPROTO;
    return 1;
}

/* One request; the reply's value (if any) copied to @out (cap @cap, NUL
 * added).  Returns the reply's value length or -errno. */
static int request(struct host_store *h, uint8_t op, const char *path, const char *val,
                   char *out, size_t cap)
{
    uint8_t pkt[sizeof(struct vhs_hdr) + VMSG_STORE_MAX_PATH + VMSG_STORE_MAX_VALUE];
    struct vhs_hdr hd = { .op = op, .rid = ++h->rid };
    size_t pl = strlen(path), vl = val ? strlen(val) : 0;

    if (!vmsg_store_path_ok(path, pl) || vl > VMSG_STORE_MAX_VALUE)
        return -EINVAL;
    hd.plen = (uint16_t)pl;
    hd.vlen = (uint32_t)vl;
    memcpy(pkt, &hd, sizeof(hd));
    memcpy(pkt + sizeof(hd), path, pl);
    if (vl)
        memcpy(pkt + sizeof(hd) + pl, val, vl);
    if (send(h->fd, pkt, sizeof(hd) + pl + vl, MSG_NOSIGNAL) < 0)
        return -errno;
    for (;;) {
        struct vhs_hdr r;
        int rc = recv_one(h, &r, REPLY_TIMEOUT_MS);

        if (rc <= 0)
            return rc == 0 ? -ETIMEDOUT : rc;
        if (r.op == VHS_EVENT) {
            queue_event(h, &r, h->buf + sizeof(r));
            continue;
        }
        if (r.op != VHS_REPLY || r.rid != hd.rid || r.plen)
            return -EPROTO;
        if (r.err)
            return r.err < 0 && r.err > -4096 ? r.err : -EPROTO;
        if (out) {
            if (r.vlen + 1 > cap)
                return -ENOSPC;
            memcpy(out, h->buf + sizeof(r), r.vlen);
            out[r.vlen] = 0;
        }
        return (int)r.vlen;
    }
}

static int hs_read(struct vmsg_store *st, const char *path, char *buf, size_t cap)
{
    int n = request(HS(st), VHS_READ, path, NULL, buf, cap);

    if (n >= 0 && memchr(buf, 0, (size_t)n))
        return -EPROTO;              /* values never hold a NUL */
    return n;
}

static int hs_write(struct vmsg_store *st, const char *path, const char *value)
{
    int n = request(HS(st), VHS_WRITE, path, value, NULL, 0);

    return n < 0 ? n : 0;
}

static int hs_rm(struct vmsg_store *st, const char *path)
{
    int n = request(HS(st), VHS_RM, path, NULL, NULL, 0);

    return n < 0 ? n : 0;
}

static int hs_dir(struct vmsg_store *st, const char *path, char *buf, size_t cap)
{
    int n = request(HS(st), VHS_DIR, path, NULL, buf, cap), count = 0, i;

    if (n < 0)
        return n;
    if (n && buf[n - 1] != 0)
        return -EPROTO;              /* every name NUL-terminated */
    for (i = 0; i < n; i++)
        count += buf[i] == 0;
    return count;
}

static int hs_watch(struct vmsg_store *st, const char *path, const char *token)
{
    int n;

    if (!*token || strlen(token) > VMSG_STORE_MAX_TOKEN)
        return -EINVAL;
    n = request(HS(st), VHS_WATCH, path, token, NULL, 0);
    return n < 0 ? n : 0;
}

static int hs_unwatch(struct vmsg_store *st, const char *path, const char *token)
{
    int n = request(HS(st), VHS_UNWATCH, path, token, NULL, 0);

    return n < 0 ? n : 0;
}

static int hs_fd(struct vmsg_store *st)
{
    return HS(st)->fd;
}

static int hs_event(struct vmsg_store *st, char *path, size_t pcap, char *token, size_t tcap)
{
    struct host_store *h = HS(st);

    while (h->count == 0) {
        struct vhs_hdr r;
        int rc = recv_one(h, &r, 0);

        if (rc <= 0)
            return rc;
        if (r.op != VHS_EVENT)
            return -EPROTO;          /* a reply nobody asked for */
        queue_event(h, &r, h->buf + sizeof(r));
    }
    {
        struct ev *e = &h->q[h->head];

        if (strlen(e->path) + 1 > pcap || strlen(e->token) + 1 > tcap)
            return -ENOSPC;
        strcpy(path, e->path);
        strcpy(token, e->token);
        h->head = (h->head + 1) % EVQ;
        h->count--;
    }
    return 1;
}

static void hs_close(struct vmsg_store *st)
{
    if (st) {
        close(HS(st)->fd);
        free(st);
    }
}

static const struct vmsg_store_ops host_store_ops = {
    .name = "host",
    .read = hs_read,
    .write = hs_write,
    .rm = hs_rm,
    .dir = hs_dir,
    .watch = hs_watch,
    .unwatch = hs_unwatch,
    .fd = hs_fd,
    .event = hs_event,
    .close = hs_close,
};

struct vmsg_store *vmsg_store_open_host(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct host_store *h;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    strcpy(sa.sun_path, path);
    h->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (h->fd < 0 || connect(h->fd, (struct sockaddr *)&sa, sizeof(sa))) {
        int e = errno;
        if (h->fd >= 0)
            close(h->fd);
        free(h);
        errno = e;
        return NULL;
    }
    h->st.ops = &host_store_ops;
    return &h->st;
}

#ifndef HAVE_XEN
struct vmsg_store *vmsg_store_open_xen(void)
{
    errno = ENOSYS;                  /* built without the Xen libraries */
    return NULL;
}
#endif
