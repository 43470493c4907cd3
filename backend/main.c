/* SPDX-License-Identifier: MIT */
/*
 * virtio-msg-backend: serves virtio devices to frontends over the host bus.
 *
 *   virtio-msg-backend [--socket PATH] [--config FILE] [-d SPEC]...
 *                      [--once] [--verbose]
 *
 * One epoll loop serves every frontend: each connection has its own bus
 * (ring, grants, event channels) and its own device instances, created from
 * the specs whose domid matches the frontend's.  A frontend that breaks the
 * protocol is disconnected; the others are not affected.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "models.h"
#include "poll_window.h"
#include "wake_cost.h"
#include "xen_backend.h"
#include "spec.h"
#include "spin.h"
#include "virtio-msg/host.h"
#include "virtio-msg/store.h"
#include "virtio-msg/xen.h"
#include "../bus/host/store_server.h"

#define MAX_CONNS 256
#define MAX_WATCH 4096
/* --hold-us auto: the adaptive hold's ceiling (a TCG guest's pace; on
 * hardware the hold learns far shorter). */
#define HOLD_AUTO_MAX_US 1000

struct watch {
    int fd;
    void (*cb)(void *opaque);
    void *opaque;
};

struct conn_dev {
    struct model *model;             /* lives as long as the backend */
    struct vmsg_dev dev;
    bool live;
};

/* A frontend's connection: mapped when it connects, unmapped when it goes
 * (conn_new(), conn_close()).  Room for SPEC_MAX devices is 2 MiB, of
 * which a connection touches its own few pages. */
struct conn {
    struct vmsg_host_be be;
    struct conn_dev devs[SPEC_MAX];
    uint16_t devnums[SPEC_MAX];      /* sorted, for GET_DEVICES */
    int ndev;
    int slot;                        /* its index in g.conns */
    uint64_t dropped;                /* messages for no device, undecodable */
    bool backlog;                    /* ring left non-empty by a serve */
};

static struct {
    int ep, listen_fd, sig_fd;
    const char *socket_path;
    struct spec_list specs;
    struct model *models[SPEC_MAX];  /* one per spec, parallel to specs */
    const char *config_path;         /* re-read on SIGHUP */
    char *cmdline[SPEC_MAX];         /* -d specs, kept for reloads */
    int ncmdline;
    struct conn *conns[MAX_CONNS];   /* NULL: a free slot */
    struct watch watches[MAX_WATCH];
    bool once, verbose, quit, xen;
    bool backlog;                    /* some conn has .backlog */
    const char *store_path;          /* the host store; NULL: none */
    struct store_server *store;
    bool reload_pending;             /* the store's device nodes changed */
    unsigned poll_us;                /* --poll: spin this long when idle */
    struct poll_window win;          /* --poll-max: adaptive spin (no --poll) */
    bool poll_max_given;             /* else its maximum follows the wake-up cost */
    unsigned hold_us;                /* --hold-us: vmsg_dev_set_hold() on every device */
    bool hold_adaptive;              /* --hold-us auto[:MAX]: hold_us is the ceiling */
    unsigned long long spins, spin_found; /* spins begun; rings served by them */
    int64_t yielded_at;              /* the adaptive spin's last yield (or work) */
    int64_t clock_ns;                /* what a clock read costs here */
    int64_t wake_ns;                 /* what a sleep and wake-up cost here */
    unsigned grant_copy_max;         /* --grant-copy-max (Xen) */
    int conn_hi;                     /* conns[] at and above this are unused */
    bool polling;                    /* spinning now (rings say so) */
} g;

/* Device nodes in the host store, as xl writes them on Xen: a device is
 * STORE_ROOT/<domid>/<devid>/spec = "TYPE[,opt=val...]"; we add state
 * (XenbusState numbers: 2 waiting for its frontend, 4 connected) and, for
 * a spec we refused, error. */
#define STORE_ROOT "backend/virtio_msg"

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("virtio-msg-backend: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void publish_states(void);

/* ---- the event loop ---- */

static int watch_fd(int fd, uint32_t events, void (*cb)(void *), void *opaque)
{
    struct epoll_event ev = { .events = events };
    int i;

    for (i = 0; i < MAX_WATCH && g.watches[i].cb; i++)
        ;
    if (i == MAX_WATCH)
        return -ENOSPC;
    g.watches[i] = (struct watch){ fd, cb, opaque };
    ev.data.ptr = &g.watches[i];
    if (epoll_ctl(g.ep, EPOLL_CTL_ADD, fd, &ev)) {
        int e = errno;
        g.watches[i].cb = NULL;
        return -e;
    }
    return 0;
}

static int loop_watch(void *loop, int fd, void (*cb)(void *), void *opaque)
{
    (void)loop;
    return watch_fd(fd, EPOLLIN, cb, opaque);
}

static void loop_unwatch(void *loop, int fd)
{
    int i;

    (void)loop;
    epoll_ctl(g.ep, EPOLL_CTL_DEL, fd, NULL);
    for (i = 0; i < MAX_WATCH; i++)
        if (g.watches[i].cb && g.watches[i].fd == fd)
            g.watches[i].cb = NULL;
}

/* ---- connections ---- */

static void conn_close(struct conn *c, const char *why)
{
    unsigned long long held, polled = 0;
    int i;

    loop_unwatch(NULL, c->be.ev_to_be);
    loop_unwatch(NULL, c->be.sock);
    for (i = 0; i < c->ndev; i++) {
        if (c->devs[i].live && g.hold_us && g.verbose) {
            char note[256];

            vmsg_dev_hold_note(&c->devs[i].dev, note, sizeof(note));
            logmsg("dom%u dev %u: %s", c->be.domid, c->devs[i].dev.dev_num, note);
        }
        if (c->devs[i].live) {
            polled += c->devs[i].dev.stats.avail_polled;
            vmsg_dev_destroy(&c->devs[i].dev);   /* resets the model */
        }
        c->devs[i].model->dev = NULL;
    }
    /* Everything but the ring itself must be unmapped by now. */
    held = (unsigned long long)(c->be.map.maps - c->be.map.unmaps) - (c->be.ring ? 1 : 0);
    if (g.verbose || why)
        logmsg("dom%u disconnected%s%s: %llu messages in, %llu out, %llu dropped, "
               "%llu grant maps, %llu still held; %llu queue serves found by the spin",
               c->be.domid, why ? ": " : "", why ? why : "",
               (unsigned long long)c->be.ep.msgs_in, (unsigned long long)c->be.ep.msgs_out,
               (unsigned long long)c->dropped, (unsigned long long)c->be.map.maps, held, polled);
    vmsg_host_be_close(&c->be);
    g.conns[c->slot] = NULL;
    munmap(c, sizeof(*c));
    while (g.conn_hi > 0 && !g.conns[g.conn_hi - 1])
        g.conn_hi--;
    publish_states();
    if (g.once) {
        for (i = 0; i < MAX_CONNS && !g.conns[i]; i++)
            ;
        if (i == MAX_CONNS)
            g.quit = true;
    }
}

static void conn_rx(void *opaque, const void *buf, size_t len)
{
    struct conn *c = opaque;
    struct vmsg m;
    int i;

    if (vmsg_decode(buf, len, c->be.ep.max_msg, &m) < 0) {
        c->dropped++;                /* B16: dropped, no reply */
        return;
    }
    if (vmsg_is_bus(&m)) {
        if (vmsg_bus_serve(&c->be.ep.bus, &m, c->devnums, (size_t)c->ndev) < 0)
            c->dropped++;
        return;
    }
    for (i = 0; i < c->ndev; i++) {
        if (c->devs[i].live && c->devs[i].dev.dev_num == m.dev_num) {
            vmsg_dev_handle_msg(&c->devs[i].dev, &m);
            return;
        }
    }
    c->dropped++;                    /* B13: no such device */
}

/* Whether a model stopped one of @c's queues with requests left
 * (vmsg_dev_want_later) and waits for its next turn. */
static bool conn_has_later(const struct conn *c)
{
    int i;

    for (i = 0; i < c->ndev; i++)
        if (c->devs[i].live && vmsg_dev_has_later(&c->devs[i].dev))
            return true;
    return false;
}

/*
 * Serve a frontend's ring.  Its kick eventfd is watched edge-triggered:
 * every kick is an edge, so the counter is never read (one syscall less
 * per request).  A ring left non-empty (the serve batch bound, or a request
 * put without a kick while we served: vmsg_ring_ep_serve) has no kick to
 * come: it is marked and served again before the loop sleeps.  So are
 * queues a model left for a later turn: one turn is the queues left from
 * the last one, then the messages, each bounded, so that a frontend that
 * keeps its queues full cannot keep the loop from the others.
 */
static void conn_serve(struct conn *c)
{
    int i;

    for (i = 0; i < c->ndev; i++)
        if (c->devs[i].live)
            vmsg_dev_serve_later(&c->devs[i].dev);
    if (vmsg_ring_ep_serve(&c->be.ep) < 0 || c->be.ep.dead) {
        conn_close(c, "frontend broke the ring protocol");
        return;
    }
    c->backlog = vmsg_ring_ep_pending(&c->be.ep) || conn_has_later(c);
    g.backlog |= c->backlog;
}

/* spin_pass() over @c's devices.  A model that served a queue outside
 * conn_serve() may have left it for a later turn: that makes the
 * connection's backlog, as conn_serve() does. */
static bool conn_spin(struct conn *c, enum spin_pass pass)
{
    struct vmsg_dev *devs[SPEC_MAX];
    int i, n = 0;
    bool any;

    for (i = 0; i < c->ndev; i++)
        if (c->devs[i].live)
            devs[n++] = &c->devs[i].dev;
    any = spin_pass(&c->be.ep, devs, n, pass);
    if (any && conn_has_later(c))
        c->backlog = g.backlog = true;
    return any;
}

static void conn_event(void *opaque)
{
    conn_serve(opaque);
}

static void serve_backlog(void)
{
    int i;

    g.backlog = false;
    for (i = 0; i < g.conn_hi; i++)
        if (g.conns[i] && g.conns[i]->backlog)
            conn_serve(g.conns[i]);
}

/* ---- busy-polling (--poll US, --poll-max US) ----
 * After any work the loop spins on every connection's ring (host bus and
 * Xen) for up to US microseconds before it sleeps in epoll again; while it
 * spins the rings carry VMSG_RING_F_POLLING, so frontends put requests
 * without a kick.  --poll fixes the spin (one core busy for the latency
 * of a wake-up); by default the spin adapts (poll_window.h): it grows
 * while requests come back within --poll-max of the last work and
 * shrinks to nothing when they do not. */

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The cost of a clock read in ns, measured once at start: tens of ns
 * through the vDSO, microseconds where it is a system call (a Xen PV dom0,
 * clocksource xen).  Where it is slow, a closed window times only some
 * sleeps (poll_window_timed()). */
#define CLOCK_SLOW_NS 1000
/* A wake-up is measured at start (lib/wake_cost.h) with this many round
 * trips; on Xen the default window's maximum follows it
 * (poll_max_for_wake()). */
#define WAKE_ROUNDS 31

static int64_t clock_cost_ns(void)
{
    struct timespec a, b;
    int i;

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (i = 0; i < 63; i++)
        clock_gettime(CLOCK_MONOTONIC, &b);
    return ((int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec)) / 63;
}

/* Say on every ring and queue whether we spin on it; true if turning
 * it off served a queue (requests came while it was quiet). */
static bool set_polling(bool on)
{
    bool any = false;
    int i;

    g.polling = on;
    for (i = 0; i < g.conn_hi; i++) {
        struct conn *c = g.conns[i];

        if (!c)
            continue;
        any |= conn_spin(c, on ? SPIN_START : SPIN_END);
    }
    if (g.xen)
        any |= xen_backend_set_polling(on);
    return any;
}

/* Serve every connection with a request waiting, and the queues that got
 * requests while quiet (vmsg_dev_poll_queues()); true if there was one. */
static bool poll_rings(void)
{
    bool any = false;
    int i;

    for (i = 0; i < g.conn_hi; i++) {
        struct conn *c = g.conns[i];

        if (c && (vmsg_ring_ep_pending(&c->be.ep) || c->backlog)) {
            /* Frontends see our flag and do not kick (one that kicks
             * anyway is served again when epoll reports the edge). */
            conn_serve(c);
            any = true;
        }
        c = g.conns[i];              /* a serve may have closed it */
        if (c && conn_spin(c, SPIN_LOOK))
            any = true;
    }
    if (g.xen && xen_backend_poll())
        any = true;
    return any;
}

/* Held EVENT_USEDs (--hold-us) whose time has come at @now go out; all
 * of them with @force (before we sleep: nothing would send them). */
static void hold_tick(int64_t now, bool force)
{
    int i, j;

    if (!g.hold_us)
        return;
    for (i = 0; i < g.conn_hi; i++)
        for (j = 0; g.conns[i] && j < g.conns[i]->ndev; j++)
            if (g.conns[i]->devs[j].live)
                vmsg_dev_hold_tick(&g.conns[i]->devs[j].dev, now, force);
    if (g.xen)
        xen_backend_hold_tick(now, force);
}

/* One round of the spin: SPIN_ROUND_US of looks (longer after work, see
 * spin_round_over()), then back to epoll (with no wait) for sockets,
 * signals, models and worker completions.  Stops when idle for
 * budget_us.  While idle the clock is read every 16 looks
 * (a look is cheaper than the clock with few connections, and takes a
 * while with many). */
static void poll_round(int64_t *idle_since, unsigned budget_us)
{
    int64_t start = now_us(), t = start;
    bool served;
    int k;

    if (!g.polling) {
        set_polling(true);
        *idle_since = g.yielded_at = start;
        g.spins++;
    }
    for (k = 1;; k++) {
        if (poll_rings()) {
            t = *idle_since = g.yielded_at = now_us();
            g.spin_found++;
            if (!g.poll_us)
                poll_window_caught(&g.win);
        } else if (k % 16 == 0) {
            t = now_us();
        } else {
            continue;
        }
        hold_tick(t, false);
        if (t - *idle_since >= budget_us || spin_round_over(start, *idle_since, t))
            break;
    }
    if (t - *idle_since < budget_us) {
        /* A frontend we just woke may have been put on our CPU (the
         * scheduler places a wakee near its waker): let it run, or our
         * spin delays the very request it waits for -- every
         * SPIN_YIELD_US of idle spinning, not every round: a system
         * call costs a microsecond or more in a VM.  A fixed --poll spin
         * keeps the CPU: its frontends spin on their own. */
        if (!g.poll_us && t - g.yielded_at >= SPIN_YIELD_US) {
            sched_yield();
            g.yielded_at = t;
        }
        return;
    }
    hold_tick(t, true);
    /* Requests came to a quiet queue, or a put raced with clearing the
     * flag: spin on. */
    served = set_polling(false);
    if (poll_rings() || served)
        set_polling(true);
}

static void conn_hangup(void *opaque)
{
    struct conn *c = opaque;
    char b;

    if (recv(c->be.sock, &b, 1, MSG_DONTWAIT) == 0 || errno != EAGAIN)
        conn_close(c, NULL);
}

/* Has @c's frontend closed its socket (its hang-up not handled yet)? */
static bool peer_gone(struct conn *c)
{
    char b;
    ssize_t n = recv(c->be.sock, &b, 1, MSG_DONTWAIT | MSG_PEEK);

    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int domid_allowed(void *opaque, uint32_t domid)
{
    int i, has = 0;

    (void)opaque;
    for (i = 0; i < MAX_CONNS; i++)
        if (g.conns[i] && g.conns[i]->be.domid == domid) {
            /* A frontend that exits and starts again can connect before
             * we see its old socket's hang-up (the two may come in one
             * batch of events, the accept first): the old connection is
             * then over, not a second frontend for the domain. */
            if (!peer_gone(g.conns[i]))
                return -EEXIST;
            conn_close(g.conns[i], NULL);
        }
    for (i = 0; i < g.specs.n; i++)
        has |= g.specs.s[i].domid == domid;
    return has ? 0 : -ENODEV;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int conn_setup_devices(struct conn *c, char *err, size_t errlen)
{
    int i, rc;

    for (i = 0; i < g.specs.n; i++) {
        const struct dev_spec *s = &g.specs.s[i];
        struct conn_dev *d = &c->devs[c->ndev];

        if (s->domid != c->be.domid)
            continue;
        d->model = g.models[i];
        c->ndev++;
        rc = vmsg_dev_init(&d->dev, &c->be.ep.bus, s->dev_num, &d->model->desc,
                           d->model->ops, d->model->state);
        if (rc) {
            snprintf(err, errlen, "%s: cannot create device", s->text);
            return rc;
        }
        d->model->dev = &d->dev;
        d->live = true;
        vmsg_dev_set_hold_as(&d->dev, g.hold_us, g.hold_adaptive);
        c->devnums[c->ndev - 1] = s->dev_num;
    }
    qsort(c->devnums, (size_t)c->ndev, sizeof(c->devnums[0]), cmp_u16);
    return 0;
}

/* A zeroed connection for slot @slot, its own mapping rather than the
 * heap: a closed one gives its pages back (the heap would keep them and
 * clear all 2 MiB for the next), and one that was never touched past its
 * devices costs only those pages. */
static struct conn *conn_new(int slot)
{
    struct conn *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (c == MAP_FAILED)
        return NULL;
    c->slot = slot;
    return c;
}

static void on_accept(void *opaque)
{
    struct conn *c = NULL;
    char err[256] = "";
    int i, rc;

    (void)opaque;
    for (i = 0; i < MAX_CONNS && g.conns[i]; i++)
        ;
    if (i == MAX_CONNS || !(c = conn_new(i))) {
        int fd = accept(g.listen_fd, NULL, NULL);
        if (fd >= 0)
            close(fd);
        if (i == MAX_CONNS)
            logmsg("refused a frontend: %d already connected", MAX_CONNS);
        else
            logmsg("refused a frontend: out of memory");
        return;
    }
    rc = vmsg_host_be_accept(&c->be, g.listen_fd, domid_allowed, NULL,
                             VMSG_DEFAULT_MAX_SIZE);
    if (rc == -EPROTONOSUPPORT)
        logmsg("refused a frontend: its message ring is not layout %d",
               VMSG_RING_LAYOUT_VERSION);
    else if (rc)
        logmsg("refused a frontend: %s", strerror(-rc));
    if (rc) {
        munmap(c, sizeof(*c));
        return;
    }
    g.conns[i] = c;
    if (i >= g.conn_hi)
        g.conn_hi = i + 1;
    vmsg_bus_set_rx(&c->be.ep.bus, conn_rx, c);
    rc = conn_setup_devices(c, err, sizeof(err));
    if (rc == 0)
        rc = watch_fd(c->be.ev_to_be, EPOLLIN | EPOLLET, conn_event, c);
    if (rc == 0)
        rc = loop_watch(NULL, c->be.sock, conn_hangup, c);
    if (rc) {
        conn_close(c, err[0] ? err : strerror(-rc));
        return;
    }
    if (g.verbose)
        logmsg("dom%u connected: %d device(s), max message %u bytes", c->be.domid,
               c->ndev, c->be.ep.max_msg);
    publish_states();
    if (g.polling)                   /* its ring and queues, as set_polling() */
        conn_spin(c, SPIN_START);
    /* Anything queued before we watched the event channel. */
    conn_event(c);
}

static void reload(void);

/* Our resident memory in KiB (/proc/self/statm), -1 if unknown. */
static long resident_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size, res = -1;

    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2)
            res = -1;
        fclose(f);
    }
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* SIGUSR1: what the backend holds, for leak checks after a frontend dies. */
static void status(void)
{
    struct dirent *e;
    DIR *dir = opendir("/proc/self/fd");
    int i, conns = 0, fds = -1;
    unsigned long long held = 0;

    for (i = 0; i < MAX_CONNS; i++)
        if (g.conns[i]) {
            conns++;
            held += g.conns[i]->be.map.maps - g.conns[i]->be.map.unmaps;
        }
    if (dir) {
        for (fds = 0; (e = readdir(dir));)
            fds += e->d_name[0] != '.';
        closedir(dir);
        fds--;                       /* the directory's own fd */
    }
    logmsg("status: %d host frontend(s), %llu host grant mapping(s), %d open fd(s), "
           "%ld KiB resident", conns, held, fds, resident_kib());
    logmsg("spin: %s window %u us (max %u); %llu spin(s), %llu found work; "
           "wake-up %lld ns, clock read %lld ns, %s",
           g.poll_us ? "fixed" : "adaptive", g.poll_us ? g.poll_us : g.win.cur_us,
           g.poll_us ? g.poll_us : g.win.max_us, g.spins, g.spin_found, (long long)g.wake_ns,
           (long long)g.clock_ns,
           g.win.time_closed_every > 1 ? "a closed window times some sleeps" : "every sleep timed");
    if (g.store)
        logmsg("store: %u node(s), %u watch(es), %d client(s)",
               store_core_nodes(store_server_core(g.store)),
               store_core_watches(store_server_core(g.store)), store_server_clients(g.store));
    if (g.xen)
        xen_backend_status();
}

static void on_signal(void *opaque)
{
    struct signalfd_siginfo si;

    (void)opaque;
    if (read(g.sig_fd, &si, sizeof(si)) != sizeof(si))
        return;
    if (si.ssi_signo == SIGHUP)
        reload();
    else if (si.ssi_signo == SIGUSR1)
        status();
    else
        g.quit = true;
}

/* ---- set-up ---- */

static void usage(FILE *o)
{
    fputs("usage: virtio-msg-backend [options]\n"
          "  -s, --socket PATH   listen here (default " VMSG_HOST_DEFAULT_SOCKET ")\n"
          "  -c, --config FILE   device specs, one per line\n"
          "  -d, --device SPEC   a device: TYPE[,domid=N][,devid=N][,opt=val...]\n"
          "                        blk,file=PATH[,readonly=on][,serial=ID][,queues=N]\n"
          "                        console[,io=stdio|pty|unix:PATH]\n"
          "                        net[,tap=NAME][,mac=52:54:00:xx:xx:xx]\n"
          "                        rng\n"
          "  -x, --xen           serve the Xen bus: the devices under our xenstore\n"
          "                      backend/virtio_msg/ (written by xl-virtio-msg)\n"
          "      --store PATH    serve the host key-value store here (default:\n"
          "                      SOCKET.store; none: no store); devices written as\n"
          "                      " STORE_ROOT "/DOMID/DEVID/spec = \"TYPE,...\"\n"
          "                      are added, removed ones go (like SIGHUP)\n"
          "      --poll US       after work, spin on the rings for up to US\n"
          "                      microseconds before sleeping (frontends need not\n"
          "                      kick; costs a core while it spins)\n"
          "      --poll-max US   without --poll, spin adaptively: up to US\n"
          "                      microseconds while requests come back that\n"
          "                      soon, not at all when they do not (default\n"
          "                      " POLL_XSTR_(POLL_MAX_WAKE_FACTOR)
          " wake-ups as measured at start, at least\n"
          "                      " POLL_MAX_DEFAULT_STR ", at most "
          POLL_XSTR_(POLL_MAX_WAKE_CAP_US) "; 0: never spin)\n"
          "      --hold-us US    while the loop spins, hold a due EVENT_USED up to\n"
          "                      US microseconds so answers completing meanwhile\n"
          "                      share one interrupt (for drivers with many\n"
          "                      requests in flight; a hold in which no request\n"
          "                      came sends the next answers at once; 0: off,\n"
          "                      the default)\n"
          "      --hold-us auto[:MAX]  the same, for as long as " POLL_XSTR_(VMSG_DEV_HOLD_GAPS) " of the driver's\n"
          "                      gaps between requests (timed as they come), at\n"
          "                      most MAX (default " POLL_XSTR_(HOLD_AUTO_MAX_US) "); after idle holds in a\n"
          "                      row the answers sent at once double (32..1024)\n"
          "      --once          exit when the last frontend has disconnected\n"
          "  SIGHUP re-reads the configuration: new devices are announced to\n"
          "  connected frontends with EVENT_DEVICE READY, removed ones REMOVED.\n"
          "  SIGUSR1 logs what is held: frontends, grant mappings, event channels, fds.\n"
          "  -v, --verbose       report connections and statistics\n", o);
    fprintf(o, "      --grant-copy-max BYTES  Xen, frontends without persistent grants:\n"
               "                      copy requests in and out (grant copy) when the\n"
               "                      device writes at most BYTES of them (a read of\n"
               "                      up to BYTES, any write), map the others\n"
               "                      (default %u; 0: map all)\n",
            VMSG_XEN_COPY_MAX_DEFAULT);
}

static void store_set(const struct dev_spec *s, const char *leaf, const char *value)
{
    char path[96];

    if (!g.store || !s->from_store)
        return;
    snprintf(path, sizeof(path), STORE_ROOT "/%u/%u/%s", s->domid, s->dev_num, leaf);
    if (value)
        store_core_write(store_server_core(g.store), path, value);
    else
        store_core_rm(store_server_core(g.store), path);
}

static struct model *create_model(const struct dev_spec *s)
{
    char err[256], label[32];
    struct model_env env = { loop_watch, loop_unwatch, NULL, label };
    struct model *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    snprintf(label, sizeof(label), "dom%u/dev%u", s->domid, s->dev_num);
    if (model_create(m, s->type, &s->opts, &env, err, sizeof(err))) {
        logmsg("device '%s': %s", s->text, err);
        store_set(s, "error", err);  /* the operator reads why */
        free(m);
        return NULL;
    }
    return m;
}

static void free_model(struct model *m)
{
    if (m) {
        model_destroy(m);
        free(m);
    }
}

/* Create every device model now: a bad spec fails at start, and host-side
 * endpoints (console sockets, open images) outlive frontend reconnects. */
static int create_models(void)
{
    int i;

    for (i = 0; i < g.specs.n; i++)
        if (!(g.models[i] = create_model(&g.specs.s[i])))
            return -1;
    return 0;
}

/* ---- hot-add and removal (SIGHUP re-reads the configuration) ---- */

static struct conn *conn_of(uint32_t domid)
{
    int i;

    for (i = 0; i < MAX_CONNS; i++)
        if (g.conns[i] && g.conns[i]->be.domid == domid)
            return g.conns[i];
    return NULL;
}

static void send_event_device(struct conn *c, uint16_t num, uint16_t state)
{
    uint8_t buf[VMSG_HDR_SIZE + sizeof(struct vmsg_wire_event_device)];
    struct vmsg m;
    int n;

    vmsg_init_request(&m, true, VMSG_BUS_EVENT_DEVICE, 0);
    m.u.event_device.device_number = num;
    m.u.event_device.device_bus_state = state;
    n = vmsg_encode(&m, buf, sizeof(buf));
    if (n > 0)
        c->be.ep.bus.ops->send(&c->be.ep.bus, buf, (size_t)n);
}

static void rebuild_devnums(struct conn *c)
{
    int i;

    for (i = 0; i < c->ndev; i++)
        c->devnums[i] = c->devs[i].dev.dev_num;
    qsort(c->devnums, (size_t)c->ndev, sizeof(c->devnums[0]), cmp_u16);
}

static void conn_remove_model(struct conn *c, struct model *m)
{
    int i;

    for (i = 0; i < c->ndev; i++) {
        uint16_t num;
        if (c->devs[i].model != m)
            continue;
        num = c->devs[i].dev.dev_num;
        /* B34: REMOVED first, then the device stops answering. */
        send_event_device(c, num, VMSG_DEVICE_BUS_STATE_REMOVED);
        vmsg_dev_destroy(&c->devs[i].dev);
        m->dev = NULL;
        memmove(&c->devs[i], &c->devs[i + 1], sizeof(c->devs[0]) * (size_t)(c->ndev - i - 1));
        c->ndev--;
        /* the moved devices' models point at their vmsg_dev: fix them */
        for (; i < c->ndev; i++)
            c->devs[i].model->dev = &c->devs[i].dev;
        rebuild_devnums(c);
        return;
    }
}

static void conn_add_model(struct conn *c, const struct dev_spec *s, struct model *m)
{
    struct conn_dev *d = &c->devs[c->ndev];

    if (c->ndev == SPEC_MAX)
        return;
    if (vmsg_dev_init(&d->dev, &c->be.ep.bus, s->dev_num, &m->desc, m->ops, m->state)) {
        logmsg("dom%u: cannot add '%s'", c->be.domid, s->text);
        return;
    }
    d->model = m;
    d->live = true;
    m->dev = &d->dev;
    vmsg_dev_set_hold_as(&d->dev, g.hold_us, g.hold_adaptive);
    c->ndev++;
    rebuild_devnums(c);
    send_event_device(c, s->dev_num, VMSG_DEVICE_BUS_STATE_READY);
}

static bool same_spec(const struct dev_spec *a, const struct dev_spec *b)
{
    return a->domid == b->domid && a->dev_num == b->dev_num && !strcmp(a->text, b->text);
}

static int parse_id(const char *s, unsigned long max, unsigned long *v)
{
    char *end;

    if (*s < '0' || *s > '9' || (s[0] == '0' && s[1]))
        return -1;
    errno = 0;
    *v = strtoul(s, &end, 10);
    return *end || errno || *v > max ? -1 : 0;
}

static void store_error(const char *dom, const char *dev, const char *msg)
{
    char path[VMSG_STORE_MAX_PATH + 1];

    snprintf(path, sizeof(path), STORE_ROOT "/%s%s%s/error", dom, dev ? "/" : "", dev ? dev : "");
    store_core_write(store_server_core(g.store), path, msg);
    logmsg("store: %s%s%s: %s", dom, dev ? "/" : "", dev ? dev : "", msg);
}

/* The devices written to the host store.  Each one is checked on its own:
 * a bad entry gets an error node and is left out, the others load. */
static void load_store_specs(struct spec_list *l)
{
    static char doms[STORE_MAX_DIR], devs[STORE_MAX_DIR];
    struct store_core *st = store_server_core(g.store);
    char path[VMSG_STORE_MAX_PATH + 1], val[VMSG_STORE_MAX_VALUE + 1];
    char text[VMSG_STORE_MAX_VALUE + 64], err[256];
    int nd, nv, i, k;
    size_t od = 0, ov;
    unsigned long v;

    nd = store_core_dir(st, STORE_ROOT, doms, sizeof(doms));
    for (i = 0; i < nd; i++, od += strlen(doms + od) + 1) {
        const char *dom = doms + od;

        if (parse_id(dom, 0x7FF0, &v)) {
            store_error(dom, NULL, "not a domain id");
            continue;
        }
        snprintf(path, sizeof(path), STORE_ROOT "/%s", dom);
        nv = store_core_dir(st, path, devs, sizeof(devs));
        for (k = 0, ov = 0; k < nv; k++, ov += strlen(devs + ov) + 1) {
            const char *dev = devs + ov;

            if (parse_id(dev, 0xFFFF, &v)) {
                store_error(dom, dev, "not a device number (0-65535)");
                continue;
            }
            snprintf(path, sizeof(path), STORE_ROOT "/%s/%s/spec", dom, dev);
            if (store_core_read(st, path, val, sizeof(val)) < 0)
                continue;            /* not (yet) a device: no spec */
            if (strstr(val, "domid=") || strstr(val, "devid=")) {
                store_error(dom, dev, "the spec must not set domid or devid (the path does)");
                continue;
            }
            snprintf(text, sizeof(text), "%s,domid=%s,devid=%s", val, dom, dev);
            if (spec_add(l, text, err, sizeof(err))) {
                store_error(dom, dev, err);
                continue;
            }
            l->s[l->n - 1].from_store = true;
            snprintf(path, sizeof(path), STORE_ROOT "/%s/%s/error", dom, dev);
            store_core_rm(st, path);
        }
    }
}

static int load_specs(struct spec_list *l, char *err, size_t errlen)
{
    int i, rc = 0;

    for (i = 0; i < g.ncmdline && rc == 0; i++)
        rc = spec_add(l, g.cmdline[i], err, errlen);
    if (rc == 0 && g.config_path)
        rc = spec_load_file(l, g.config_path, err, errlen);
    if (rc == 0 && g.store)
        load_store_specs(l);
    return rc;
}

/* Each store device's state: 4 while its frontend is connected, else 2. */
static void publish_states(void)
{
    int i;

    for (i = 0; i < g.specs.n; i++)
        store_set(&g.specs.s[i], "state", conn_of(g.specs.s[i].domid) ? "4" : "2");
}

/* A change under STORE_ROOT other than our own state and error nodes
 * means the devices may have changed: reload once the event is handled. */
static void on_store_change(void *ctx, const char *path)
{
    size_t n = strlen(path);

    (void)ctx;
    if (strncmp(path, STORE_ROOT, strlen(STORE_ROOT)) && strncmp(STORE_ROOT, path, n))
        return;
    if ((n > 6 && !strcmp(path + n - 6, "/state")) || (n > 6 && !strcmp(path + n - 6, "/error")))
        return;
    g.reload_pending = true;
}

static void reload(void)
{
    static struct spec_list next;
    struct model *models[SPEC_MAX] = { 0 };
    bool kept[SPEC_MAX] = { 0 };
    char err[512];
    int i, j, added = 0, removed = 0;

    memset(&next, 0, sizeof(next));
    if (load_specs(&next, err, sizeof(err))) {
        logmsg("reload: %s (keeping the current devices)", err);
        spec_free(&next);
        return;
    }
    for (j = 0; j < next.n; j++)
        for (i = 0; i < g.specs.n; i++)
            if (!kept[i] && same_spec(&g.specs.s[i], &next.s[j])) {
                kept[i] = true;
                models[j] = g.models[i];
                break;
            }
    for (i = 0; i < g.specs.n; i++) {
        struct conn *c;
        if (kept[i])
            continue;
        if ((c = conn_of(g.specs.s[i].domid)))
            conn_remove_model(c, g.models[i]);
        free_model(g.models[i]);
        removed++;
    }
    spec_free(&g.specs);
    g.specs = next;
    for (j = 0; j < g.specs.n; j++) {
        struct conn *c;
        if (models[j]) {
            g.models[j] = models[j];
            continue;
        }
        g.models[j] = create_model(&g.specs.s[j]);
        if (!g.models[j]) {
            /* a bad new device: drop just that one */
            free(g.specs.s[j].text);
            free(g.specs.s[j].buf);
            memmove(&g.specs.s[j], &g.specs.s[j + 1], sizeof(g.specs.s[0]) * (size_t)(g.specs.n - j - 1));
            memmove(&models[j], &models[j + 1], sizeof(models[0]) * (size_t)(g.specs.n - j - 1));
            g.specs.n--;
            j--;
            continue;
        }
        added++;
        if ((c = conn_of(g.specs.s[j].domid)))
            conn_add_model(c, &g.specs.s[j], g.models[j]);
    }
    logmsg("reload: %d device(s) added, %d removed, %d in all", added, removed, g.specs.n);
    publish_states();
}

/* Serve the host store next to the bus socket (--store none: no store). */
static int start_store(char *err, size_t errlen)
{
    static const struct store_loop loop = { loop_watch, loop_unwatch, NULL };
    static char path[256];

    if (g.store_path && !strcmp(g.store_path, "none"))
        return 0;
    if (!g.store_path) {
        snprintf(path, sizeof(path), "%s.store", g.socket_path);
        g.store_path = path;
    }
    g.store = store_server_start(g.store_path, &loop, on_store_change, NULL, err, errlen);
    if (!g.store)
        return -1;
    if (g.verbose)
        logmsg("store at %s", g.store_path);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "socket", required_argument, NULL, 's' },
        { "config", required_argument, NULL, 'c' },
        { "device", required_argument, NULL, 'd' },
        { "once", no_argument, NULL, 'o' },
        { "xen", no_argument, NULL, 'x' },
        { "store", required_argument, NULL, 'S' },
        { "poll", required_argument, NULL, 'P' },
        { "poll-max", required_argument, NULL, 'M' },
        { "grant-copy-max", required_argument, NULL, 'G' },
        { "hold-us", required_argument, NULL, 'H' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char err[512];
    sigset_t mask;
    int64_t idle_since = 0;
    bool spun = false;               /* the last pass ran poll_round() */
    int opt, i;

    g.socket_path = VMSG_HOST_DEFAULT_SOCKET;
    g.win.max_us = POLL_MAX_DEFAULT_US;
    g.grant_copy_max = VMSG_XEN_COPY_MAX_DEFAULT;
    while ((opt = getopt_long(argc, argv, "s:c:d:xvh", lo, NULL)) != -1) {
        switch (opt) {
        case 's': g.socket_path = optarg; break;
        case 'c': g.config_path = optarg; break;
        case 'd':
            if (g.ncmdline == SPEC_MAX) {
                logmsg("too many -d options");
                return 2;
            }
            g.cmdline[g.ncmdline++] = optarg;
            break;
        case 'o': g.once = true; break;
        case 'x': g.xen = true; break;
        case 'S': g.store_path = optarg; break;
        case 'G': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);

            if (*optarg < '0' || *optarg > '9' || *end || v > VMSG_XEN_COPY_MAX_LIMIT) {
                logmsg("--grant-copy-max %s: expected bytes, 0..%u", optarg,
                       VMSG_XEN_COPY_MAX_LIMIT);
                return 2;
            }
            g.grant_copy_max = (unsigned)v;
            break;
        }
        case 'P':
        case 'M':
        case 'H': {
            const char *num = optarg;
            char *end;
            unsigned long v;

            if (opt == 'H' && !strncmp(optarg, "auto", 4) && (!optarg[4] || optarg[4] == ':')) {
                g.hold_adaptive = true;
                if (!optarg[4]) {
                    g.hold_us = HOLD_AUTO_MAX_US;
                    break;
                }
                num = optarg + 5;
            }
            v = strtoul(num, &end, 10);

            if (*num < '0' || *num > '9' || *end || v > 1000000) {
                logmsg("--%s %s: expected microseconds, 0..1000000%s",
                       opt == 'P' ? "poll" : opt == 'M' ? "poll-max" : "hold-us", optarg,
                       opt == 'H' ? ", or auto[:MAX]" : "");
                return 2;
            }
            if (opt == 'P')
                g.poll_us = (unsigned)v;
            else if (opt == 'H') {
                g.hold_us = (unsigned)v;
                g.hold_adaptive = num != optarg;     /* the last --hold-us counts */
            } else {
                g.win.max_us = (unsigned)v;
                g.poll_max_given = true;
            }
            break;
        }
        case 'v': g.verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        logmsg("unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (load_specs(&g.specs, err, sizeof(err))) {
        logmsg("%s", err);
        return 2;
    }
    if (g.specs.n == 0 && !g.config_path && !g.xen && !g.store_path) {
        logmsg("no devices: give -d SPEC, --config FILE or --store PATH");
        usage(stderr);
        return 2;
    }
    g.ep = epoll_create1(EPOLL_CLOEXEC);
    if (g.ep < 0 || create_models())
        return 1;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    g.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
    /* Measured before anything listens: whoever waits for our socket
     * (a test, a bench that pins us to a CPU) finds this done. */
    g.clock_ns = clock_cost_ns();
    if (g.clock_ns >= CLOCK_SLOW_NS)
        g.win.time_closed_every = POLL_TIME_CLOSED_EVERY;
    g.wake_ns = wake_cost_ns(WAKE_ROUNDS);
    if (g.verbose)
        logmsg("a clock read costs %lld ns, a sleep and wake-up %lld ns", (long long)g.clock_ns,
               (long long)g.wake_ns);
    /* The default spin follows what a wake-up costs here
     * (poll_max_for_wake()): a request that finds us asleep pays at least
     * that, and a gap measured by sleeping includes it.  On Xen a guest's
     * event also goes through Xen waking a dom0 vCPU and its upcall. */
    if (!g.poll_max_given) {
        g.win.max_us = poll_max_for_wake(g.wake_ns);
        if (g.verbose && !g.poll_us)
            logmsg("the adaptive spin goes up to %u us (%d wake-ups; --poll-max sets it)",
                   g.win.max_us, POLL_MAX_WAKE_FACTOR);
    }
    g.listen_fd = -1;
    if (g.xen) {
        static struct xen_backend_env xenv = { loop_watch, loop_unwatch, logmsg, false, 0, 0, false };

        xenv.verbose = g.verbose;
        xenv.grant_copy_max = g.grant_copy_max;
        xenv.hold_us = g.hold_us;
        xenv.hold_adaptive = g.hold_adaptive;
        if (xen_backend_start(&xenv, err, sizeof(err))) {
            logmsg("%s", err);
            return 1;
        }
    }
    if (!g.xen || g.specs.n > 0) {
        g.listen_fd = vmsg_host_listen(g.socket_path);
        if (g.listen_fd < 0) {
            logmsg("cannot listen on %s: %s", g.socket_path, strerror(-g.listen_fd));
            return 1;
        }
        loop_watch(NULL, g.listen_fd, on_accept, NULL);
        if (start_store(err, sizeof(err))) {
            logmsg("%s", err);
            return 1;
        }
    }
    loop_watch(NULL, g.sig_fd, on_signal, NULL);
    if (g.verbose && g.listen_fd >= 0)
        logmsg("listening on %s with %d device(s)", g.socket_path, g.specs.n);

    while (!g.quit) {
        struct epoll_event ev[64];
        bool more = g.backlog || (g.xen && xen_backend_backlog());
        bool block = !g.polling && !more;
        bool adapt = block && !g.poll_us && poll_window_timed(&g.win);
        unsigned budget;
        int n;

        if (!g.polling)              /* holds last while we spin (poll_round()) */
            hold_tick(0, true);
        if (adapt && !spun)          /* idle from now (no spin this time) */
            idle_since = now_us();
        n = epoll_wait(g.ep, ev, 64, block ? -1 : 0);
        if (adapt && n > 0)
            poll_window_slept(&g.win, now_us() - idle_since);
        spun = false;
        if (n < 0 && errno != EINTR)
            break;
        for (i = 0; i < n && !g.quit; i++) {
            struct watch *w = ev[i].data.ptr;
            if (w->cb)
                w->cb(w->opaque);
        }
        if (g.backlog)
            serve_backlog();
        if (g.xen && xen_backend_backlog())
            xen_backend_poll();
        if (g.reload_pending) {      /* devices written to the store */
            g.reload_pending = false;
            reload();
        }
        budget = g.poll_us ? g.poll_us : poll_window_budget(&g.win);
        if (budget && !g.quit) {
            poll_round(&idle_since, budget);
            spun = true;
        }
    }
    for (i = 0; i < MAX_CONNS; i++)
        if (g.conns[i])
            conn_close(g.conns[i], "backend exiting");
    for (i = 0; i < g.specs.n; i++)
        free_model(g.models[i]);
    if (g.xen)
        xen_backend_stop();
    if (g.listen_fd >= 0) {
        close(g.listen_fd);
        unlink(g.socket_path);
    }
    store_server_stop(g.store);
    close(g.sig_fd);
    close(g.ep);
    spec_free(&g.specs);
    return 0;
}
