/* SPDX-License-Identifier: MIT */
/*
 * Xen bus, frontend (driver role) side, in the guest: gntalloc shares the
 * ring and a DMA pool once (gnt_share.c), xenevtchn gives an unbound port for the
 * backend, xenstore carries the XenbusState handshake.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "virtio-msg/msg.h"
#include "virtio-msg/xen.h"
#include "xs_util.h"

#define WATCH_TOKEN "vmsg-fe"
#define CLOSE_WAIT_MS 2000

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fe_notify(void *ctx)
{
    struct vmsg_xen_fe *fe = ctx;

    return xenevtchn_notify((xenevtchn_handle *)fe->xce, (evtchn_port_t)fe->port) ? -errno : 0;
}

/* Consume queued watch events; -EPIPE if the backend left Connected. */
static int check_backend(struct vmsg_xen_fe *fe)
{
    char **w;

    while ((w = xs_check_watch(fe->xs)))
        free(w);
    if (fe->connected && xsu_state(fe->xs, fe->be_path) != VMSG_XB_CONNECTED)
        return -EPIPE;
    return 0;
}

static int fe_wait(void *ctx, int timeout_ms)
{
    struct vmsg_xen_fe *fe = ctx;
    xenevtchn_handle *xce = (xenevtchn_handle *)fe->xce;
    struct pollfd p[2] = { { xenevtchn_fd(xce), POLLIN, 0 },
                           { xs_fileno(fe->xs), POLLIN, 0 } };
    int n;

    do
        n = poll(p, 2, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (p[1].revents && check_backend(fe))
        return -EPIPE;
    if (p[0].revents) {
        xenevtchn_port_or_error_t port = xenevtchn_pending(xce);
        if (port >= 0)
            xenevtchn_unmask(xce, (evtchn_port_t)port);
    }
    return n;
}

static void *fe_dma_alloc(void *ctx, size_t size, uint64_t *addr)
{
    return vmsg_gpool_alloc(&((struct vmsg_xen_fe *)ctx)->pool, size, addr);
}

static void fe_dma_free(void *ctx, void *ptr, size_t size, uint64_t addr)
{
    (void)addr;
    vmsg_gpool_free(&((struct vmsg_xen_fe *)ctx)->pool, ptr, size);
}

static void *fe_dma_alloc_pages(void *ctx, size_t size)
{
    return vmsg_gpool_alloc_pages(&((struct vmsg_xen_fe *)ctx)->pool, size);
}

static uint64_t fe_dma_addr(void *ctx, const void *ptr)
{
    return vmsg_gpool_addr(&((struct vmsg_xen_fe *)ctx)->pool, ptr);
}

static const struct vmsg_ring_prims xen_fe_prims = {
    .name = "xen-frontend",
    .notify = fe_notify,
    .wait = fe_wait,
    .dma_alloc = fe_dma_alloc,
    .dma_free = fe_dma_free,
    .dma_alloc_pages = fe_dma_alloc_pages,
    .dma_addr = fe_dma_addr,
};

/* Wait until the backend state is in @mask (bit per state); its state. */
static int wait_backend(struct vmsg_xen_fe *fe, unsigned mask, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    int st;

    for (;;) {
        struct pollfd p = { xs_fileno(fe->xs), POLLIN, 0 };
        int left = (int)(end - now_ms());
        char **w;

        while ((w = xs_check_watch(fe->xs)))
            free(w);
        st = xsu_state(fe->xs, fe->be_path);
        if (mask & (1u << st))
            return st;
        if (left <= 0)
            return -ETIMEDOUT;
        poll(&p, 1, left < 100 ? left : 100);   /* watch, or re-read */
    }
}

static int publish(struct vmsg_xen_fe *fe, const uint32_t *refs)
{
    char path[160];
    int tries, rc = 0;
    unsigned i;

    for (tries = 0; tries < 10; tries++) {
        xs_transaction_t t = xs_transaction_start(fe->xs);

        if (t == XBT_NULL)
            return -errno;
        snprintf(path, sizeof(path), "%s/ring-pages", fe->fe_path);
        rc = xsu_printf(fe->xs, t, path, "%u", VMSG_RING_PAGES);
        for (i = 0; i < VMSG_RING_PAGES && !rc; i++) {
            snprintf(path, sizeof(path), "%s/ring-ref%u", fe->fe_path, i);
            rc = xsu_printf(fe->xs, t, path, "%u", refs[i]);
        }
        snprintf(path, sizeof(path), "%s/event-channel", fe->fe_path);
        if (!rc)
            rc = xsu_printf(fe->xs, t, path, "%d", fe->port);
        snprintf(path, sizeof(path), "%s/msg-size", fe->fe_path);
        if (!rc)
            rc = xsu_printf(fe->xs, t, path, "%u", VMSG_XEN_MAX_MSG);
        snprintf(path, sizeof(path), "%s/feature-persistent", fe->fe_path);
        if (!rc)
            rc = xsu_printf(fe->xs, t, path, "%d", !fe->transient);
        /* No pool-ref/pool-pages: a process can die with its pool mapped
         * by the backend, and the pages of a dead process the backend had
         * mapped go back to this domain's free grants 10 a second (Linux's
         * deferred grant list).  With the whole pool mapped, 100 killed
         * frontends ran the domain out of grant references; through the
         * cache only the pages it touched are held. */
        snprintf(path, sizeof(path), "%s/state", fe->fe_path);
        if (!rc)
            rc = xsu_printf(fe->xs, t, path, "%d", VMSG_XB_INITIALISED);
        if (rc) {
            xs_transaction_end(fe->xs, t, true);
            return rc;
        }
        if (xs_transaction_end(fe->xs, t, false))
            return 0;
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

static void release(struct vmsg_xen_fe *fe)
{
    xenevtchn_handle *xce = (xenevtchn_handle *)fe->xce;

    vmsg_ring_ep_fini(&fe->ep);
    vmsg_gpool_fini(&fe->pool);
    if (fe->port >= 0 && xce)
        xenevtchn_unbind(xce, (evtchn_port_t)fe->port);
    gnt_unshare(&fe->share);
    if (xce)
        xenevtchn_close(xce);
    if (fe->xs) {
        char path[160];
        snprintf(path, sizeof(path), "%s/state", fe->be_path);
        xs_unwatch(fe->xs, path, WATCH_TOKEN);
        xs_close(fe->xs);
    }
    memset(fe, 0, sizeof(*fe));
    fe->port = -1;
    fe->share.fd = -1;
}

int vmsg_xen_fe_connect(struct vmsg_xen_fe *fe, uint32_t devid,
                        uint32_t pool_pages, unsigned flags, int wait_ms)
{
    char path[160], *s;
    uint32_t *refs, be_max = VMSG_DEFAULT_MAX_SIZE, agreed, total;
    int rc;

    memset(fe, 0, sizeof(*fe));
    fe->port = -1;
    fe->share.fd = -1;
    fe->devid = devid;
    if (pool_pages == 0 || pool_pages > 65536 || (flags & ~VMSG_XEN_FE_TRANSIENT))
        return -EINVAL;
    fe->transient = flags & VMSG_XEN_FE_TRANSIENT;
    fe->xs = xs_open(0);
    if (!fe->xs)
        return -ENOSYS;
    rc = xsu_read_uint(fe->xs, XBT_NULL, 0x7FF0, &fe->domid, "domid");
    if (rc)
        goto fail;
    snprintf(fe->fe_path, sizeof(fe->fe_path), "/local/domain/%u/device/%s/%u",
             fe->domid, VMSG_XEN_KIND, devid);
    s = xsu_read(fe->xs, XBT_NULL, "%s/backend", fe->fe_path);
    rc = -ENOENT;
    if (!s)
        goto fail;
    rc = -EINVAL;
    if (strncmp(s, "/local/domain/", 14) || strlen(s) >= sizeof(fe->be_path)) {
        free(s);
        goto fail;
    }
    strcpy(fe->be_path, s);
    free(s);
    rc = xsu_read_uint(fe->xs, XBT_NULL, 0x7FF0, &fe->be_domid, "%s/backend-id", fe->fe_path);
    if (rc)
        goto fail;
    snprintf(path, sizeof(path), "%s/state", fe->be_path);
    if (!xs_watch(fe->xs, path, WATCH_TOKEN)) {
        rc = -errno;
        goto fail;
    }
    /* (Re)start the handshake: a backend in Closed goes back to InitWait. */
    xsu_set_state(fe->xs, fe->fe_path, VMSG_XB_INITIALISING);
    rc = wait_backend(fe, 1u << VMSG_XB_INITWAIT, wait_ms);
    if (rc < 0)
        goto fail;
    if (xsu_read_uint(fe->xs, XBT_NULL, 65535, &be_max, "%s/max-msg-size", fe->be_path) == -EINVAL)
        be_max = 0;
    rc = -EPROTO;
    if (be_max < VMSG_MIN_MAX_SIZE)
        goto fail;

    fe->xce = (struct xenevtchn_handle *)xenevtchn_open(NULL, 0);
    rc = -ENOSYS;
    if (!fe->xce)
        goto fail;
    fe->port = xenevtchn_bind_unbound_port((xenevtchn_handle *)fe->xce, fe->be_domid);
    if (fe->port < 0) {
        rc = -errno;
        goto fail;
    }
    total = VMSG_RING_PAGES + pool_pages;
    rc = gnt_share_pages(&fe->share, fe->be_domid, total);
    if (rc)
        goto fail;
    fe->ring = fe->share.mem;
    refs = fe->share.refs;
    rc = vmsg_gpool_init(&fe->pool, (uint8_t *)fe->ring + VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE,
                         refs + VMSG_RING_PAGES, pool_pages);
    if (rc)
        goto fail;
    vmsg_ring_format(fe->ring);
    rc = publish(fe, refs);
    if (rc)
        goto fail;
    rc = wait_backend(fe, 1u << VMSG_XB_CONNECTED | 1u << VMSG_XB_CLOSING |
                      1u << VMSG_XB_CLOSED, wait_ms);
    if (rc != VMSG_XB_CONNECTED) {
        rc = rc < 0 ? rc : -ECONNREFUSED;
        goto fail;
    }
    rc = xsu_read_uint(fe->xs, XBT_NULL, 65535, &agreed, "%s/msg-size", fe->be_path);
    if (rc == 0 && (agreed < VMSG_MIN_MAX_SIZE || agreed > VMSG_XEN_MAX_MSG || agreed > be_max))
        rc = -EPROTO;
    if (rc == 0)
        rc = vmsg_ring_ep_init(&fe->ep, VMSG_ROLE_DRIVER, fe->ring, agreed, &xen_fe_prims, fe);
    if (rc)
        goto fail;
    fe->connected = true;
    xsu_set_state(fe->xs, fe->fe_path, VMSG_XB_CONNECTED);
    return 0;

fail:
    if (fe->xs && fe->fe_path[0] && fe->be_path[0])
        xsu_set_state(fe->xs, fe->fe_path, VMSG_XB_CLOSED);
    release(fe);
    return rc;
}

void vmsg_xen_fe_close(struct vmsg_xen_fe *fe)
{
    if (!fe->xs)
        return;
    if (fe->connected) {
        fe->connected = false;
        xsu_set_state(fe->xs, fe->fe_path, VMSG_XB_CLOSING);
        wait_backend(fe, 1u << VMSG_XB_UNKNOWN | 1u << VMSG_XB_INITWAIT |
                     1u << VMSG_XB_CLOSING | 1u << VMSG_XB_CLOSED, CLOSE_WAIT_MS);
    }
    xsu_set_state(fe->xs, fe->fe_path, VMSG_XB_CLOSED);
    release(fe);
}
