/* SPDX-License-Identifier: MIT */
/*
 * Host bus, frontend (driver role) side: the host primitives (eventfds,
 * the memfd grant pool) under the common ring endpoint.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host_proto.h"
#include "virtio-msg/host.h"
#include "virtio-msg/msg.h"

static int fe_notify(void *ctx)
{
    return vh_notify(((struct vmsg_host_fe *)ctx)->ev_to_be);
}

/* Wait for the backend's event channel (or its socket closing). */
/*
 * Sleep until the backend kicks or leaves.  ev_to_fe is watched
 * edge-triggered, so a kick is never read back: one epoll_wait per wake-up,
 * as in a bare eventfd ping-pong.  A kick that came while we were not
 * sleeping only makes the next wait return at once (the caller looks at the
 * ring again).  The socket is level-triggered: it only ever says hang-up.
 */
static int fe_wait(void *ctx, int timeout_ms)
{
    struct vmsg_host_fe *fe = ctx;
    struct epoll_event ev[2];
    int n, i;

    do
        n = epoll_wait(fe->epfd, ev, 2, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    for (i = 0; i < n; i++) {
        char b;
        if (ev[i].data.fd == fe->sock &&
            ((ev[i].events & (EPOLLHUP | EPOLLERR)) ||
             recv(fe->sock, &b, 1, MSG_DONTWAIT | MSG_PEEK) <= 0))
            return -EPIPE;
    }
    return n;
}

/* The wait set: the backend's kicks (edge) and the socket (hang-up). */
static int fe_epoll(struct vmsg_host_fe *fe)
{
    struct epoll_event kick = { .events = EPOLLIN | EPOLLET, .data.fd = fe->ev_to_fe };
    struct epoll_event hup = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fe->sock };

    fe->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (fe->epfd < 0 || epoll_ctl(fe->epfd, EPOLL_CTL_ADD, fe->ev_to_fe, &kick) ||
        epoll_ctl(fe->epfd, EPOLL_CTL_ADD, fe->sock, &hup))
        return -errno;
    return 0;
}

static void *fe_dma_alloc(void *ctx, size_t size, uint64_t *addr)
{
    uint32_t gref;
    void *p = hg_alloc(&((struct vmsg_host_fe *)ctx)->pool, size, &gref);

    if (p)
        *addr = vmsg_gdma_addr(gref, 0);
    return p;
}

static void fe_dma_free(void *ctx, void *ptr, size_t size, uint64_t addr)
{
    uint32_t gref, off;

    (void)ptr;
    if (vmsg_gdma_split(addr, &gref, &off))
        hg_free(&((struct vmsg_host_fe *)ctx)->pool, gref, size);
}

static const struct vmsg_ring_prims host_fe_prims = {
    .name = "host-frontend",
    .notify = fe_notify,
    .wait = fe_wait,
    .dma_alloc = fe_dma_alloc,
    .dma_free = fe_dma_free,
};

int vmsg_host_fe_poll(struct vmsg_host_fe *fe, int timeout_ms)
{
    return vmsg_ring_ep_poll(&fe->ep, timeout_ms);
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int vmsg_host_fe_connect(struct vmsg_host_fe *fe, const char *path,
                         uint32_t domid, uint32_t pool_pages)
{
    struct vh_hello h = { VH_MAGIC, VH_VERSION, domid, 0, VMSG_DEFAULT_MAX_SIZE, 0 };
    struct vh_welcome w;
    int fds[VH_NFDS], rc;

    memset(fe, 0, sizeof(*fe));
    fe->sock = fe->ev_to_be = fe->ev_to_fe = fe->epfd = -1;
    rc = hg_pool_create(&fe->pool, pool_pages);
    if (rc)
        goto fail;
    fe->ring_mem = hg_alloc(&fe->pool, VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE,
                            &fe->ring_gref);
    fe->ev_to_be = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    fe->ev_to_fe = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    rc = -ENOMEM;
    if (!fe->ring_mem || fe->ev_to_be < 0 || fe->ev_to_fe < 0)
        goto fail;
    vmsg_ring_format(fe->ring_mem);
    rc = fe->sock = connect_unix(path);
    if (rc < 0)
        goto fail;
    h.ring_gref = fe->ring_gref;
    fds[0] = fe->pool.mem_fd;
    fds[1] = fe->pool.tbl_fd;
    fds[2] = fe->ev_to_be;
    fds[3] = fe->ev_to_fe;
    rc = vh_send(fe->sock, &h, sizeof(h), fds, VH_NFDS);
    if (rc == 0)
        rc = vh_recv(fe->sock, &w, sizeof(w), NULL, 0);
    if (rc == 0 && (w.magic != VH_MAGIC || (w.status == 0 &&
                    (w.max_msg < VMSG_MIN_MAX_SIZE || w.max_msg > h.max_msg))))
        rc = -EPROTO;
    if (rc == 0)
        rc = w.status < 0 ? w.status : 0;
    if (rc == 0)
        rc = fe_epoll(fe);
    if (rc == 0)
        rc = vmsg_ring_ep_init(&fe->ep, VMSG_ROLE_DRIVER, fe->ring_mem, w.max_msg,
                               &host_fe_prims, fe);
    if (rc == 0)
        return 0;
fail:
    vmsg_host_fe_close(fe);
    return rc;
}

void vmsg_host_fe_close(struct vmsg_host_fe *fe)
{
    if (fe->closed)
        return;
    vmsg_ring_ep_fini(&fe->ep);
    if (fe->sock >= 0)
        close(fe->sock);
    if (fe->ev_to_be >= 0)
        close(fe->ev_to_be);
    if (fe->ev_to_fe >= 0)
        close(fe->ev_to_fe);
    if (fe->epfd >= 0)
        close(fe->epfd);
    hg_pool_destroy(&fe->pool);
    memset(fe, 0, sizeof(*fe));
    fe->sock = fe->ev_to_be = fe->ev_to_fe = fe->epfd = -1;
    fe->pool.mem_fd = fe->pool.tbl_fd = -1;
    fe->ep.dead = fe->closed = true;
}
