/* SPDX-License-Identifier: MIT */
/* Host bus, frontend (driver role) side. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "host_proto.h"
#include "virtio-msg/host.h"
#include "virtio-msg/msg.h"

static struct vmsg_host_fe *fe_of(struct vmsg_bus *bus)
{
    return bus->priv;
}

static int fe_caps(struct vmsg_bus *bus, struct vmsg_bus_caps *caps)
{
    return vmsg_bus_caps_rev1(caps, fe_of(bus)->max_msg);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the backend's event channel (or its socket closing). */
static int wait_backend(struct vmsg_host_fe *fe, int timeout_ms)
{
    struct pollfd p[2] = { { fe->ev_to_fe, POLLIN, 0 }, { fe->sock, POLLIN, 0 } };
    int n;

    do
        n = poll(p, 2, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (p[1].revents) {
        char b;
        if (recv(fe->sock, &b, 1, MSG_DONTWAIT | MSG_PEEK) <= 0 || (p[1].revents & POLLHUP)) {
            fe->dead = true;
            return -EPIPE;
        }
    }
    if (p[0].revents)
        vh_ack(fe->ev_to_fe);
    return n;
}

/* Put one message on the ring, waiting (bounded) for room. */
static int put_msg(struct vmsg_host_fe *fe, const void *msg, size_t len)
{
    int64_t end = now_ms() + fe->timeout_ms;
    int rc;

    for (;;) {
        rc = vmsg_ring_put(&fe->tx, msg, len);
        if (rc != -EAGAIN)
            break;
        vh_notify(fe->ev_to_be);
        if (now_ms() >= end)
            return -ETIMEDOUT;
        rc = wait_backend(fe, 1);
        if (rc == -EPIPE)
            return rc;
    }
    if (rc == 0)
        rc = vh_notify(fe->ev_to_be);
    return rc;
}

static int fe_send(struct vmsg_bus *bus, const void *msg, size_t len)
{
    struct vmsg_host_fe *fe = fe_of(bus);
    int rc;

    if (fe->dead)
        return -EPIPE;
    pthread_mutex_lock(&fe->lock);
    rc = put_msg(fe, msg, len);
    pthread_mutex_unlock(&fe->lock);
    return rc;
}

/* Drain the backend's ring: the awaited response is copied to @resp, events
 * go to the rx callback.  Returns 1 if the response was found. */
static int drain(struct vmsg_host_fe *fe, uint16_t token, void *resp,
                 size_t cap, size_t *resp_len)
{
    int found = 0, n;

    while ((n = vmsg_ring_get(&fe->rx, fe->rxbuf, fe->max_msg)) > 0) {
        const uint8_t *b = fe->rxbuf;
        if (b[0] & VMSG_TYPE_RESPONSE) {
            if (!found && resp && vmsg_get_le16(b + 4) == token && (size_t)n <= cap) {
                memcpy(resp, b, (size_t)n);
                *resp_len = (size_t)n;
                found = 1;
            } else {
                fe->strays++;        /* late answer to a timed-out request */
            }
            continue;
        }
        fe->events++;
        vmsg_bus_deliver(&fe->bus, b, (size_t)n);
    }
    if (n < 0) {
        fe->dead = true;             /* the backend broke the ring */
        return -EPROTO;
    }
    return found;
}

static int fe_transfer(struct vmsg_bus *bus, const void *req, size_t req_len,
                       void *resp, size_t resp_cap, size_t *resp_len)
{
    struct vmsg_host_fe *fe = fe_of(bus);
    uint8_t msg[VMSG_ABS_MAX_SIZE];
    uint16_t driver_token, token;
    int64_t end;
    int rc;

    if (fe->dead)
        return -EPIPE;
    if (req_len < VMSG_HDR_SIZE || req_len > fe->max_msg)
        return -EMSGSIZE;
    pthread_mutex_lock(&fe->lock);
    memcpy(msg, req, req_len);
    driver_token = vmsg_get_le16(msg + 4);
    if (++fe->seq == 0)
        fe->seq = 1;
    token = fe->seq;
    vmsg_put_le16(msg + 4, token);   /* the bus owns the token (B23) */
    rc = put_msg(fe, msg, req_len);
    end = now_ms() + fe->timeout_ms;
    while (rc == 0) {
        int left = (int)(end - now_ms());
        rc = drain(fe, token, resp, resp_cap, resp_len);
        if (rc == 1) {
            rc = 0;
            vmsg_put_le16((uint8_t *)resp + 4, driver_token);
            break;
        }
        if (rc < 0)
            break;
        if (left <= 0) {
            fe->timeouts++;
            rc = -ETIMEDOUT;
            break;
        }
        rc = wait_backend(fe, left);
        rc = rc < 0 ? rc : 0;
    }
    pthread_mutex_unlock(&fe->lock);
    return rc;
}

int vmsg_host_fe_poll(struct vmsg_host_fe *fe, int timeout_ms)
{
    int rc, before;

    if (fe->dead)
        return -EPIPE;
    pthread_mutex_lock(&fe->lock);
    before = (int)fe->events;
    rc = drain(fe, 0, NULL, 0, NULL);
    if (rc == 0 && (int)fe->events == before && timeout_ms != 0) {
        rc = wait_backend(fe, timeout_ms);
        if (rc >= 0)
            rc = drain(fe, 0, NULL, 0, NULL);
    }
    pthread_mutex_unlock(&fe->lock);
    return rc < 0 ? rc : (int)fe->events - before;
}

static void *fe_dma_alloc(struct vmsg_bus *bus, size_t size, uint64_t *addr)
{
    uint32_t gref;
    void *p = hg_alloc(&fe_of(bus)->pool, size, &gref);

    if (p)
        *addr = vmsg_gdma_addr(gref, 0);
    return p;
}

static void fe_dma_free(struct vmsg_bus *bus, void *ptr, size_t size,
                        uint64_t addr)
{
    uint32_t gref, off;

    (void)ptr;
    if (vmsg_gdma_split(addr, &gref, &off))
        hg_free(&fe_of(bus)->pool, gref, size);
}

static const struct vmsg_bus_ops host_fe_ops = {
    .name = "host-frontend",
    .get_caps = fe_caps,
    .send = fe_send,
    .transfer = fe_transfer,
    .dma_alloc = fe_dma_alloc,
    .dma_free = fe_dma_free,
};

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
    fe->sock = fe->ev_to_be = fe->ev_to_fe = -1;
    fe->timeout_ms = VMSG_HOST_TIMEOUT_MS;
    pthread_mutex_init(&fe->lock, NULL);
    rc = hg_pool_create(&fe->pool, pool_pages);
    if (rc)
        goto fail;
    fe->ring_mem = hg_alloc(&fe->pool, VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE,
                            &fe->ring_gref);
    fe->rxbuf = malloc(VMSG_ABS_MAX_SIZE);
    fe->ev_to_be = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    fe->ev_to_fe = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    rc = -ENOMEM;
    if (!fe->ring_mem || !fe->rxbuf || fe->ev_to_be < 0 || fe->ev_to_fe < 0)
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
    if (rc)
        goto fail;
    fe->max_msg = w.max_msg;
    vmsg_ring_attach(&fe->tx, fe->ring_mem, true, true, fe->max_msg);
    vmsg_ring_attach(&fe->rx, fe->ring_mem, false, false, fe->max_msg);
    rc = vmsg_bus_init(&fe->bus, &host_fe_ops, fe, VMSG_ROLE_DRIVER);
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
    if (fe->sock >= 0)
        close(fe->sock);
    if (fe->ev_to_be >= 0)
        close(fe->ev_to_be);
    if (fe->ev_to_fe >= 0)
        close(fe->ev_to_fe);
    hg_pool_destroy(&fe->pool);
    free(fe->rxbuf);
    pthread_mutex_destroy(&fe->lock);
    memset(fe, 0, sizeof(*fe));
    fe->sock = fe->ev_to_be = fe->ev_to_fe = -1;
    fe->pool.mem_fd = fe->pool.tbl_fd = -1;
    fe->dead = fe->closed = true;
}
