/* SPDX-License-Identifier: MIT */
/* Host bus, backend (device role) side: one instance per frontend. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "host_proto.h"
#include "virtio-msg/host.h"
#include "virtio-msg/msg.h"

#define BE_MAX_MSG 1024u             /* what we agree to at most */
#define TX_WAIT_MS 1000              /* a frontend that stops reading */

static struct vmsg_host_be *be_of(struct vmsg_bus *bus)
{
    return bus->priv;
}

static int be_caps(struct vmsg_bus *bus, struct vmsg_bus_caps *caps)
{
    return vmsg_bus_caps_rev1(caps, be_of(bus)->max_msg);
}

/* Responses and events to the frontend; thread-safe. */
static int be_send(struct vmsg_bus *bus, const void *msg, size_t len)
{
    struct vmsg_host_be *be = be_of(bus);
    int rc, waited = 0;

    pthread_mutex_lock(&be->txlock);
    for (;;) {
        rc = be->broken ? -EPIPE : vmsg_ring_put(&be->tx, msg, len);
        if (rc != -EAGAIN)
            break;
        /* The frontend is not reading: nudge it, wait, then give up on it. */
        vh_notify(be->ev_to_fe);
        if (waited++ >= TX_WAIT_MS) {
            be->broken = true;
            rc = -EPIPE;
            break;
        }
        poll(NULL, 0, 1);
    }
    if (rc == 0) {
        be->msgs_out++;
        rc = vh_notify(be->ev_to_fe);
    } else if (rc == -EPROTO) {
        be->broken = true;
    }
    pthread_mutex_unlock(&be->txlock);
    return rc;
}

static void *be_dma_map(struct vmsg_bus *bus, uint64_t addr, size_t *len,
                        bool write)
{
    uint32_t gref, off;

    if (!vmsg_gdma_split(addr, &gref, &off)) {
        be_of(bus)->map.faults++;
        errno = EFAULT;
        return NULL;
    }
    return hg_map(&be_of(bus)->map, gref, off, len, write);
}

static void be_dma_unmap(struct vmsg_bus *bus, void *ptr, size_t len)
{
    hg_unmap(&be_of(bus)->map, ptr, len);
}

static const struct vmsg_bus_ops host_be_ops = {
    .name = "host-backend",
    .get_caps = be_caps,
    .send = be_send,
    .dma_map = be_dma_map,
    .dma_unmap = be_dma_unmap,
};

int vmsg_host_listen(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);                 /* stale socket of a previous run */
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static void refuse(int sock, int status)
{
    struct vh_welcome w = { VH_MAGIC, status, 0, 0 };

    vh_send(sock, &w, sizeof(w), NULL, 0);
}

int vmsg_host_be_accept(struct vmsg_host_be *be, int listen_fd,
                        int (*accept_domid)(void *opaque, uint32_t domid),
                        void *opaque, uint32_t max_msg)
{
    struct vh_hello h;
    struct vh_welcome w = { VH_MAGIC, 0, 0, 0 };
    struct timeval tv = { 2, 0 };    /* a silent peer cannot stall us */
    int fds[VH_NFDS], rc, i;
    size_t rlen = VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE;

    memset(be, 0, sizeof(*be));
    be->sock = be->ev_to_be = be->ev_to_fe = -1;
    pthread_mutex_init(&be->txlock, NULL);
    be->sock = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (be->sock < 0) {
        rc = -errno;
        goto fail;
    }
    setsockopt(be->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    rc = vh_recv(be->sock, &h, sizeof(h), fds, VH_NFDS);
    if (rc)
        goto fail;
    be->ev_to_be = fds[2];
    be->ev_to_fe = fds[3];
    rc = -EPROTO;
    if (h.magic != VH_MAGIC || h.version != VH_VERSION ||
        h.max_msg < VMSG_MIN_MAX_SIZE || h.max_msg > VMSG_ABS_MAX_SIZE)
        goto refuse;
    if (accept_domid && (rc = accept_domid(opaque, h.domid)))
        goto refuse;
    rc = hg_attach(&be->map, fds[0], fds[1]);
    if (rc)
        goto refuse;
    /* The ring: three granted, writable, contiguous pages. */
    be->ring = hg_map(&be->map, h.ring_gref, 0, &rlen, true);
    rc = -EFAULT;
    if (!be->ring || rlen != VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE)
        goto refuse;
    be->domid = h.domid;
    be->max_msg = h.max_msg < max_msg ? h.max_msg : max_msg;
    if (be->max_msg > BE_MAX_MSG)
        be->max_msg = BE_MAX_MSG;
    be->rxbuf = malloc(be->max_msg);
    rc = -ENOMEM;
    if (!be->rxbuf)
        goto refuse;
    vmsg_ring_attach(&be->rx, be->ring, true, false, be->max_msg);
    vmsg_ring_attach(&be->tx, be->ring, false, true, be->max_msg);
    rc = vmsg_bus_init(&be->bus, &host_be_ops, be, VMSG_ROLE_DEVICE);
    if (rc)
        goto refuse;
    w.max_msg = be->max_msg;
    rc = vh_send(be->sock, &w, sizeof(w), NULL, 0);
    if (rc)
        goto fail_fds;
    /* The pool and table stay mapped; their fds are no longer needed. */
    close(fds[0]);
    close(fds[1]);
    return 0;

refuse:
    refuse(be->sock, rc);
fail_fds:
    for (i = 0; i < 2; i++)
        close(fds[i]);
fail:
    vmsg_host_be_close(be);
    return rc;
}

int vmsg_host_be_drain(struct vmsg_host_be *be)
{
    int n, count = 0;

    vh_ack(be->ev_to_be);
    while (!be->broken && (n = vmsg_ring_get(&be->rx, be->rxbuf, be->max_msg)) > 0) {
        be->msgs_in++;
        count++;
        vmsg_bus_deliver(&be->bus, be->rxbuf, (size_t)n);
        if (count >= 256)            /* bounded batch: fairness */
            return count;
    }
    if (be->broken || be->rx.broken) {
        be->broken = true;
        return -EPROTO;
    }
    return count;
}

void vmsg_host_be_close(struct vmsg_host_be *be)
{
    if (be->sock >= 0)
        close(be->sock);
    if (be->ev_to_be >= 0)
        close(be->ev_to_be);
    if (be->ev_to_fe >= 0)
        close(be->ev_to_fe);
    if (be->ring)
        hg_unmap(&be->map, be->ring, VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE);
    hg_detach(&be->map);
    free(be->rxbuf);
    pthread_mutex_destroy(&be->txlock);
    memset(be, 0, sizeof(*be));
    be->sock = be->ev_to_be = be->ev_to_fe = -1;
}
