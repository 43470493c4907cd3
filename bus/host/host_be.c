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

static int be_notify(void *ctx)
{
    return vh_notify(((struct vmsg_host_be *)ctx)->ev_to_fe);
}

/* Only used to consume the event that woke the epoll loop. */
static int be_wait(void *ctx, int timeout_ms)
{
    struct pollfd p = { ((struct vmsg_host_be *)ctx)->ev_to_be, POLLIN, 0 };
    int n;

    if (timeout_ms == 0)
        return vh_ack(p.fd);         /* one read, no poll: the hot path */
    n = poll(&p, 1, timeout_ms);

    if (n > 0)
        vh_ack(p.fd);
    return n < 0 ? -errno : n;
}

static void *be_dma_map(void *ctx, uint64_t addr, size_t *len, bool write)
{
    struct vmsg_host_be *be = ctx;
    uint32_t gref, off;

    if (!vmsg_gdma_split(addr, &gref, &off)) {
        be->map.faults++;
        errno = EFAULT;
        return NULL;
    }
    return hg_map(&be->map, gref, off, len, write);
}

static void be_dma_unmap(void *ctx, void *ptr, size_t len)
{
    hg_unmap(&((struct vmsg_host_be *)ctx)->map, ptr, len);
}

static const struct vmsg_ring_prims host_be_prims = {
    .name = "host-backend",
    .notify = be_notify,
    .wait = be_wait,
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

    uint32_t agreed;

    memset(be, 0, sizeof(*be));
    be->sock = be->ev_to_be = be->ev_to_fe = -1;
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
    agreed = h.max_msg < max_msg ? h.max_msg : max_msg;
    if (agreed > BE_MAX_MSG)
        agreed = BE_MAX_MSG;
    rc = vmsg_ring_ep_init(&be->ep, VMSG_ROLE_DEVICE, be->ring, agreed,
                           &host_be_prims, be);
    if (rc)
        goto refuse;
    w.max_msg = agreed;
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
    return vmsg_ring_ep_drain(&be->ep);
}

void vmsg_host_be_close(struct vmsg_host_be *be)
{
    vmsg_ring_ep_fini(&be->ep);
    if (be->sock >= 0)
        close(be->sock);
    if (be->ev_to_be >= 0)
        close(be->ev_to_be);
    if (be->ev_to_fe >= 0)
        close(be->ev_to_fe);
    if (be->ring)
        hg_unmap(&be->map, be->ring, VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE);
    hg_detach(&be->map);
    memset(be, 0, sizeof(*be));
    be->sock = be->ev_to_be = be->ev_to_fe = -1;
}
