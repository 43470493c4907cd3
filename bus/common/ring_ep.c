/* SPDX-License-Identifier: MIT */
/* A virtio-msg bus endpoint on the shared message ring (see ring_ep.h). */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring_ep.h"
#include "virtio-msg/msg.h"

#define DRAIN_BATCH 256              /* device: fairness between frontends */
#define KICK_AGE_US 20               /* device: a kick waits at most this, between requests */

static struct vmsg_ring_ep *ep_of(struct vmsg_bus *bus)
{
    return bus->priv;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int ep_caps(struct vmsg_bus *bus, struct vmsg_bus_caps *caps)
{
    return vmsg_bus_caps_rev1(caps, ep_of(bus)->max_msg);
}

static int ep_wait(struct vmsg_ring_ep *ep, int timeout_ms)
{
    int rc = ep->prims->wait(ep->ctx, timeout_ms);

    if (rc == -EPIPE)
        ep->dead = true;
    return rc;
}

/*
 * Put one message on the ring, waiting a bounded time for room: the driver
 * waits for the device's event, the device (which must never block on one
 * frontend for long) sleeps in 1 ms steps.  Caller holds ep->lock.
 */
static int put_msg(struct vmsg_ring_ep *ep, const void *msg, size_t len)
{
    bool driver = ep->bus.role == VMSG_ROLE_DRIVER, batching;
    int64_t end = -1;                /* the clock only once the ring is full */
    int rc;

    for (;;) {
        rc = ep->dead ? -EPIPE : vmsg_ring_put(&ep->tx, msg, len);
        if (rc != -EAGAIN)
            break;
        ep->prims->notify(ep->ctx);  /* the peer is behind: nudge it */
        if (end < 0)
            end = now_ms() + (driver ? ep->timeout_ms : VMSG_RING_EP_TX_WAIT_MS);
        else if (now_ms() >= end) {
            rc = driver ? -ETIMEDOUT : -EPIPE;
            if (!driver)
                ep->dead = true;     /* a frontend that stops reading */
            return rc;
        }
        if (driver) {
            if (ep_wait(ep, 1) == -EPIPE)
                return -EPIPE;
        } else {
            poll(NULL, 0, 1);
        }
    }
    if (rc == -EPROTO)
        ep->dead = true;
    if (rc)
        return rc;
    ep->msgs_out++;
    /* Serving, with more requests already queued: their answers will
     * share this kick (flush_kick()), so a driver that sent several at
     * once is woken once, not per answer.  Nothing queued: kick now (a
     * device busy with a long request must not sit on the kick). */
    batching = __atomic_load_n(&ep->batching, __ATOMIC_RELAXED);
    if ((ep->serving && vmsg_ring_pending(&ep->rx)) || batching) {
        /* A batch's kick goes at its end, whatever its age: no clock
         * (a system call in a Xen PV dom0). */
        if (!ep->kick_owed && !batching)
            ep->owed_since_us = now_us();
        __atomic_store_n(&ep->kick_owed, true, __ATOMIC_RELAXED);
        return 0;
    }
    __atomic_store_n(&ep->kick_owed, false, __ATOMIC_RELAXED);  /* this kick covers them */
    if (vmsg_ring_peer_polls(&ep->tx))
        return 0;                    /* it spins on the ring: no kick */
    return ep->prims->notify(ep->ctx);
}

/* Device: give the kick owed for messages put while serving (if owed for
 * @min_age_us at least, by the clock @now the caller read), unless
 * the driver says it is awake (it reads that flag after our puts: the
 * fence in vmsg_ring_peer_polls).  @serving: whether we go on serving.
 * Only the loop thread flushes and writes ep->serving; other threads may
 * set kick_owed (under the lock), so the unlocked look is atomic, and a
 * kick it misses goes with the flush that ends the pass. */
static void flush_kick(struct vmsg_ring_ep *ep, bool serving, int64_t min_age_us, int64_t now)
{
    bool owed;

    if (serving && ep->serving && !__atomic_load_n(&ep->kick_owed, __ATOMIC_RELAXED))
        return;                      /* the common case: nothing owed */
    pthread_mutex_lock(&ep->lock);
    owed = ep->kick_owed && (min_age_us == 0 || now - ep->owed_since_us >= min_age_us);
    if (owed)
        __atomic_store_n(&ep->kick_owed, false, __ATOMIC_RELAXED);
    ep->serving = serving;
    pthread_mutex_unlock(&ep->lock);
    if (owed && !vmsg_ring_peer_polls(&ep->tx))
        ep->prims->notify(ep->ctx);
}

static int ep_send(struct vmsg_bus *bus, const void *msg, size_t len)
{
    struct vmsg_ring_ep *ep = ep_of(bus);
    int rc;

    pthread_mutex_lock(&ep->lock);
    rc = put_msg(ep, msg, len);
    pthread_mutex_unlock(&ep->lock);
    return rc;
}

/* Driver: drain the device's ring; the awaited response is copied to
 * @resp, events go to the rx callback.  1 if the response was found. */
static int drv_drain(struct vmsg_ring_ep *ep, uint16_t token, void *resp,
                     size_t cap, size_t *resp_len)
{
    int found = 0, n;

    while ((n = vmsg_ring_get(&ep->rx, ep->rxbuf, ep->max_msg)) > 0) {
        const uint8_t *b = ep->rxbuf;

        ep->msgs_in++;
        if (b[0] & VMSG_TYPE_RESPONSE) {
            if (!found && resp && vmsg_get_le16(b + 4) == token && (size_t)n <= cap) {
                memcpy(resp, b, (size_t)n);
                *resp_len = (size_t)n;
                found = 1;
            } else {
                ep->strays++;        /* late answer to a timed-out request */
            }
            continue;
        }
        ep->events++;
        vmsg_bus_deliver(&ep->bus, b, (size_t)n);
    }
    if (n < 0) {
        ep->dead = true;             /* the device broke the ring */
        return -EPROTO;
    }
    return found;
}

/*
 * The driver's side of the kick protocol.  While the driver is awake (in a
 * transfer or a poll, or between them) its rx flag tells the device that
 * it will look at the ring anyway, so the device puts without a kick; only
 * a driver about to sleep clears it, and then looks once more, since a
 * message put while the flag was set came without one.  The same flag is
 * polling mode's (set throughout a spin).
 */
static void drv_mark(struct vmsg_ring_ep *ep)
{
    if (!ep->rx_marked) {
        vmsg_ring_set_polling(&ep->rx, true);
        ep->rx_marked = true;
    }
}

/* Before sleeping: clear the flag, look once more; as drv_drain(). */
static int drv_unmark(struct vmsg_ring_ep *ep, uint16_t token, void *resp,
                      size_t cap, size_t *resp_len)
{
    if (!ep->rx_marked)
        return 0;
    vmsg_ring_set_polling(&ep->rx, false);
    ep->rx_marked = false;
    return drv_drain(ep, token, resp, cap, resp_len);
}

/* Driver: how long to spin before sleeping -- polling mode's fixed
 * poll_us, else the adaptive window (0 when answers come slowly, but
 * now and then a probe). */
static unsigned drv_budget(struct vmsg_ring_ep *ep)
{
    return ep->poll_us ? ep->poll_us : poll_window_budget(&ep->win);
}

/* Driver: spin on the device's ring for @budget_us with our flag set,
 * then clear it and look once more (only when nothing came: a driver that
 * got its answer stays awake).  The adaptive spin yields the CPU every
 * SPIN_YIELD_US: the backend serving us may have been put on our CPU
 * (polling mode's does not; its backend spins on a CPU of its own).  As
 * drv_drain(). */
static int drv_spin(struct vmsg_ring_ep *ep, unsigned budget_us, uint16_t token, void *resp,
                    size_t cap, size_t *resp_len, bool any_event)
{
    int64_t t = now_us(), end = t + budget_us, yield_at = t + SPIN_YIELD_US;
    uint64_t before = ep->events;
    bool adaptive = !ep->poll_us;
    unsigned looks = 0;
    int rc;

    drv_mark(ep);
    ep->spins++;
    do {
        rc = drv_drain(ep, token, resp, cap, resp_len);
        if (rc || (any_event && ep->events != before)) {
            if (rc >= 0) {
                ep->spin_found++;
                if (adaptive)
                    poll_window_caught(&ep->win);
            }
            return rc;
        }
        vmsg_cpu_relax();
        /* The clock every 16 looks: a look at an unchanged ring is a
         * cache hit, the clock 50-100 ns in a VM, and the answer is seen
         * that much later on average if we read it at every look. */
        if (++looks % 16)
            continue;
        t = now_us();
        if (adaptive && t >= yield_at) {
            int64_t yielded_at = t;

            sched_yield();
            t = now_us();
            /* A yield that ran other tasks: this CPU is wanted, and a
             * spin would take turns from them, perhaps from the backend
             * we wait for: sleep now (the window closes). */
            if (poll_window_yielded(&ep->win, t - yielded_at))
                break;
            yield_at = t + SPIN_YIELD_US;
        }
    } while (t < end);
    return drv_unmark(ep, token, resp, cap, resp_len);
}

/* Driver: a wait that began at @t0_us ended after a sleep; teach the
 * adaptive window how long it was. */
static void drv_slept(struct vmsg_ring_ep *ep, int64_t t0_us)
{
    if (!ep->poll_us)
        poll_window_slept(&ep->win, now_us() - t0_us);
}

static int ep_transfer(struct vmsg_bus *bus, const void *req, size_t req_len,
                       void *resp, size_t resp_cap, size_t *resp_len)
{
    struct vmsg_ring_ep *ep = ep_of(bus);
    uint8_t msg[VMSG_ABS_MAX_SIZE];
    uint16_t driver_token, token;
    int64_t end, t0;
    unsigned budget;
    bool slept = false;
    int rc;

    if (ep->dead)
        return -EPIPE;
    if (req_len < VMSG_HDR_SIZE || req_len > ep->max_msg)
        return -EMSGSIZE;
    pthread_mutex_lock(&ep->lock);
    memcpy(msg, req, req_len);
    driver_token = vmsg_get_le16(msg + 4);
    if (++ep->seq == 0)
        ep->seq = 1;
    token = ep->seq;
    vmsg_put_le16(msg + 4, token);   /* the bus owns the token (B23) */
    rc = put_msg(ep, msg, req_len);
    end = now_ms() + ep->timeout_ms;
    t0 = now_us();
    budget = drv_budget(ep);
    for (bool spin = budget > 0; rc == 0; spin = false) {
        int left = (int)(end - now_ms());

        rc = spin ? drv_spin(ep, budget, token, resp, resp_cap, resp_len, false)
                  : drv_drain(ep, token, resp, resp_cap, resp_len);
        if (rc == 0 && left > 0)
            rc = drv_unmark(ep, token, resp, resp_cap, resp_len);
        if (rc == 1) {
            rc = 0;
            vmsg_put_le16((uint8_t *)resp + 4, driver_token);
            break;
        }
        if (rc < 0)
            break;
        if (left <= 0) {
            ep->timeouts++;
            rc = -ETIMEDOUT;
            break;
        }
        rc = ep_wait(ep, left);
        slept = true;
        drv_mark(ep);
        rc = rc < 0 ? rc : 0;
    }
    if (slept)
        drv_slept(ep, t0);
    pthread_mutex_unlock(&ep->lock);
    return rc;
}

/* Deliver queued events; if none and @timeout_ms != 0, spin (polling
 * mode or the adaptive window), clear our awake flag and look again,
 * then, if @sleep, wait up to @timeout_ms for one.  As
 * vmsg_ring_ep_poll(). */
static int drv_poll(struct vmsg_ring_ep *ep, int timeout_ms, bool sleep)
{
    uint64_t before;
    unsigned budget;
    int64_t t0 = now_us();
    int rc;

    if (ep->dead)
        return -EPIPE;
    pthread_mutex_lock(&ep->lock);
    before = ep->events;
    budget = timeout_ms != 0 && sleep ? drv_budget(ep) : 0;
    rc = budget ? drv_spin(ep, budget, 0, NULL, 0, NULL, true)
                : drv_drain(ep, 0, NULL, 0, NULL);
    if (rc == 0 && ep->events == before && timeout_ms != 0)
        rc = drv_unmark(ep, 0, NULL, 0, NULL);
    if (rc == 0 && ep->events == before && timeout_ms != 0 && sleep) {
        rc = ep_wait(ep, timeout_ms);
        drv_slept(ep, t0);
        drv_mark(ep);
        if (rc >= 0)
            rc = drv_drain(ep, 0, NULL, 0, NULL);
    }
    pthread_mutex_unlock(&ep->lock);
    return rc < 0 ? rc : (int)(ep->events - before);
}

int vmsg_ring_ep_poll(struct vmsg_ring_ep *ep, int timeout_ms)
{
    return drv_poll(ep, timeout_ms, true);
}

int vmsg_ring_ep_arm(struct vmsg_ring_ep *ep)
{
    return drv_poll(ep, -1, false);
}

int vmsg_ring_ep_drain(struct vmsg_ring_ep *ep)
{
    ep->prims->wait(ep->ctx, 0);     /* consume the event that woke us */
    return vmsg_ring_ep_serve(ep);
}

/* The device's side of the kick protocol (the driver's: drv_mark): the
 * flag is set while we serve, so requests the driver adds meanwhile come
 * without a kick; the caller looks at the ring again after we clear it.
 *
 * A kick owed for answers (put_msg) waits for the next message only while
 * messages are quick to serve: one that took KICK_AGE_US or more predicts
 * the next will too (a driver that announces each large request with its
 * own message), and the driver must not wait for it to hear of the answers
 * it already has. */
int vmsg_ring_ep_serve(struct vmsg_ring_ep *ep)
{
    int n, count = 0;
    int64_t t0 = -1, t1;             /* when the message began, if timed */

    if (!ep->polling)
        vmsg_ring_set_polling(&ep->rx, true);
    flush_kick(ep, true, 0, 0);
    while (!ep->dead && (n = vmsg_ring_get(&ep->rx, ep->rxbuf, ep->max_msg)) > 0) {
        /* The clock only where a kick can come to be owed (put_msg owes
         * one only with more messages waiting): a clock read is a system
         * call in a Xen PV dom0, and a lone request needs none. */
        if (t0 < 0 && (__atomic_load_n(&ep->kick_owed, __ATOMIC_RELAXED) ||
                       vmsg_ring_pending(&ep->rx)))
            t0 = now_us();
        ep->msgs_in++;
        count++;
        vmsg_bus_deliver(&ep->bus, ep->rxbuf, (size_t)n);
        if (count >= DRAIN_BATCH)
            break;
        if (!__atomic_load_n(&ep->kick_owed, __ATOMIC_RELAXED)) {
            t0 = -1;
            continue;
        }
        t1 = now_us();
        flush_kick(ep, true, t0 >= 0 && t1 - t0 >= KICK_AGE_US ? 0 : KICK_AGE_US, t1);
        t0 = t1;
    }
    flush_kick(ep, false, 0, 0);
    if (ep->dead || ep->rx.broken) {
        ep->dead = true;
        return -EPROTO;
    }
    if (!ep->polling)
        vmsg_ring_set_polling(&ep->rx, false);
    return count;
}

void vmsg_ring_ep_set_polling(struct vmsg_ring_ep *ep, bool on)
{
    ep->polling = on;
    vmsg_ring_set_polling(&ep->rx, on);
}

void vmsg_ring_ep_batch(struct vmsg_ring_ep *ep, bool on)
{
    __atomic_store_n(&ep->batching, on, __ATOMIC_RELAXED);
    if (!on && __atomic_load_n(&ep->kick_owed, __ATOMIC_RELAXED))
        flush_kick(ep, false, 0, 0);
}

bool vmsg_ring_ep_pending(struct vmsg_ring_ep *ep)
{
    return !ep->dead && vmsg_ring_pending(&ep->rx);
}

static void *ep_dma_alloc(struct vmsg_bus *bus, size_t size, uint64_t *addr)
{
    return ep_of(bus)->prims->dma_alloc(ep_of(bus)->ctx, size, addr);
}

static void ep_dma_free(struct vmsg_bus *bus, void *ptr, size_t size,
                        uint64_t addr)
{
    ep_of(bus)->prims->dma_free(ep_of(bus)->ctx, ptr, size, addr);
}

static void *ep_dma_alloc_pages(struct vmsg_bus *bus, size_t size)
{
    return ep_of(bus)->prims->dma_alloc_pages(ep_of(bus)->ctx, size);
}

static uint64_t ep_dma_addr(struct vmsg_bus *bus, const void *ptr)
{
    return ep_of(bus)->prims->dma_addr(ep_of(bus)->ctx, ptr);
}

static void *ep_dma_map(struct vmsg_bus *bus, uint64_t addr, size_t *len,
                        bool write)
{
    return ep_of(bus)->prims->dma_map(ep_of(bus)->ctx, addr, len, write);
}

static void ep_dma_unmap(struct vmsg_bus *bus, void *ptr, size_t len)
{
    if (ep_of(bus)->prims->dma_unmap)
        ep_of(bus)->prims->dma_unmap(ep_of(bus)->ctx, ptr, len);
}

static void *ep_dma_map_batch(struct vmsg_bus *bus, const struct vmsg_dma_range *r,
                              unsigned n, void **ptr)
{
    return ep_of(bus)->prims->dma_map_batch(ep_of(bus)->ctx, r, n, ptr);
}

static void ep_dma_unmap_batch(struct vmsg_bus *bus, void *handle)
{
    ep_of(bus)->prims->dma_unmap_batch(ep_of(bus)->ctx, handle);
}

int vmsg_ring_ep_init(struct vmsg_ring_ep *ep, enum vmsg_role role,
                      void *ring, uint32_t max_msg,
                      const struct vmsg_ring_prims *prims, void *ctx)
{
    bool driver = role == VMSG_ROLE_DRIVER;
    int rc;

    memset(ep, 0, sizeof(*ep));
    if (!driver && !vmsg_ring_layout_ok(ring))
        return -EPROTONOSUPPORT;     /* a frontend of another ring layout */
    ep->ops.name = prims->name;
    ep->ops.get_caps = ep_caps;
    ep->ops.send = ep_send;
    if (driver) {
        ep->ops.transfer = ep_transfer;
        ep->ops.dma_alloc = ep_dma_alloc;
        ep->ops.dma_free = ep_dma_free;
        if (prims->dma_alloc_pages && prims->dma_addr) {
            ep->ops.dma_alloc_pages = ep_dma_alloc_pages;
            ep->ops.dma_addr = ep_dma_addr;
        }
    } else {
        ep->ops.dma_map = ep_dma_map;
        ep->ops.dma_unmap = ep_dma_unmap;
        if (prims->dma_map_batch && prims->dma_unmap_batch) {
            ep->ops.dma_map_batch = ep_dma_map_batch;
            ep->ops.dma_unmap_batch = ep_dma_unmap_batch;
        }
    }
    ep->prims = prims;
    ep->ctx = ctx;
    ep->max_msg = max_msg;
    ep->timeout_ms = VMSG_RING_EP_TIMEOUT_MS;
    ep->win.probe_every = POLL_PROBE_EVERY;
    ep->rxbuf = malloc(max_msg);
    if (!ep->rxbuf)
        return -ENOMEM;
    pthread_mutex_init(&ep->lock, NULL);
    ep->inited = true;
    /* The frontend produces into the to-backend direction. */
    vmsg_ring_attach(&ep->tx, ring, driver, true, max_msg);
    vmsg_ring_attach(&ep->rx, ring, !driver, false, max_msg);
    rc = vmsg_bus_init(&ep->bus, &ep->ops, ep, role);
    if (rc)
        vmsg_ring_ep_fini(ep);
    return rc;
}

void vmsg_ring_ep_fini(struct vmsg_ring_ep *ep)
{
    if (!ep->inited)
        return;
    free(ep->rxbuf);
    pthread_mutex_destroy(&ep->lock);
    memset(ep, 0, sizeof(*ep));
}
