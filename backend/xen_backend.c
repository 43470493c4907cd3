/* SPDX-License-Identifier: MIT */
/*
 * virtio-msg-backend --xen: serves the devices that the toolstack (our
 * xl-virtio-msg) writes under /local/domain/<us>/backend/virtio_msg/.
 *
 * One xenstore device = one bus = one virtio device (dev_num 0).  The
 * backend runs the XenbusState machine of Xen's split drivers for each:
 *   new node            -> model created, InitWait
 *   frontend Initialised -> map ring, bind event channel, Connected
 *   frontend Closing/Closed/gone while connected -> disconnect, Closed
 *   frontend Initialising while we are Closed (online=1) -> InitWait
 * A node found already Connected on the frontend side (we restarted) is
 * answered with Closed, so the frontend starts over with fresh grants.
 * @releaseDomain: devices of domains that no longer exist are torn down
 * and our nodes for them removed (libxl 4.17 does not know this kind).
 * Every value a frontend wrote is read once and validated.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen_backend.h"

#ifndef HAVE_XEN
int xen_backend_start(const struct xen_backend_env *env, char *err, size_t errlen)
{
    (void)env;
    snprintf(err, errlen, "built without the Xen libraries (configure --with-xen)");
    return -ENOTSUP;
}

void xen_backend_stop(void)
{
}

void xen_backend_status(void)
{
}

bool xen_backend_set_polling(bool on)
{
    (void)on;
    return false;
}

void xen_backend_hold_tick(int64_t now_us, bool force)
{
    (void)now_us;
    (void)force;
}

bool xen_backend_poll(void)
{
    return false;
}
#else

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "models.h"
#include "spec.h"
#include "spin.h"
#include "virtio-msg/msg.h"
#include "virtio-msg/xen.h"
#include "xs_util.h"

#define MAX_XDEV 1024

struct xdev {
    uint32_t fe_domid, devid;
    char be_path[128], fe_path[128];
    struct dev_spec spec;
    struct model *model;
    struct vmsg_xen_be be;
    struct vmsg_dev dev;
    bool connected, seen;
    int state;                       /* what we last wrote */
    uint64_t dropped;
};

static struct {
    const struct xen_backend_env *env;
    struct xs_handle *xs;
    xenevtchn_handle *xce;
    xengnttab_handle *xgt;
    uint32_t domid;
    char root[96];                   /* /local/domain/<us>/backend/virtio_msg */
    struct xdev *devs[MAX_XDEV];
    int devs_hi;                     /* devs[] at and above this are NULL */
    bool polling;                    /* --poll is spinning on the rings */
    bool backlog;                    /* a served ring was left non-empty */
} x;

#define LOG(...) x.env->log(__VA_ARGS__)

static void set_state(struct xdev *d, int st)
{
    if (d->state == st)
        return;
    d->state = st;
    xsu_set_state(x.xs, d->be_path, st);
}

static void xdev_rx(void *opaque, const void *buf, size_t len)
{
    static const uint16_t devs[1] = { 0 };
    struct xdev *d = opaque;
    struct vmsg m;

    if (vmsg_decode(buf, len, d->be.ep.max_msg, &m) < 0) {
        d->dropped++;                /* B16: dropped, no reply */
        return;
    }
    if (vmsg_is_bus(&m)) {
        if (vmsg_bus_serve(&d->be.ep.bus, &m, devs, 1) < 0)
            d->dropped++;
        return;
    }
    if (m.dev_num != 0) {
        d->dropped++;                /* B13: no such device */
        return;
    }
    vmsg_dev_handle_msg(&d->dev, &m);
}

static void disconnect(struct xdev *d, const char *why)
{
    if (!d->connected)
        return;
    {
    uint64_t in = d->be.ep.msgs_in, out = d->be.ep.msgs_out, polled = d->dev.stats.avail_polled;

    if (d->dev.hold.us) {
        char note[256];

        vmsg_dev_hold_note(&d->dev, note, sizeof(note));
        LOG("dom%u/%u: %s", d->fe_domid, d->devid, note);
    }
    vmsg_dev_destroy(&d->dev);       /* resets the model */
    d->model->dev = NULL;
    vmsg_xen_be_close(&d->be);
    LOG("dom%u/%u disconnected%s%s: %llu messages in, %llu out, %llu dropped, "
        "%llu grant maps, %llu requests copied, %llu still held; %llu queue serves found by "
        "the spin", d->fe_domid, d->devid, why ? ": " : "", why ? why : "", (unsigned long long)in,
        (unsigned long long)out, (unsigned long long)d->dropped,
        (unsigned long long)d->be.maps, (unsigned long long)d->be.copies,
        (unsigned long long)vmsg_xen_be_held(&d->be), (unsigned long long)polled);
    d->connected = false;
    }
}

/* What became of the pool the frontend announced, for the log. */
static const char *pool_note(const struct vmsg_xen_be *be)
{
    static char note[96];

    if (!be->pool_pages)
        return "";
    if (be->pool)
        snprintf(note, sizeof(note), ", its pool of %u pages mapped once", be->pool_pages);
    else
        snprintf(note, sizeof(note), " (its pool of %u pages %s: cached per buffer)",
                 be->pool_pages, be->pool_pages > VMSG_XEN_POOL_MAP_MAX
                                     ? "is larger than we map whole" : "could not be mapped whole");
    return note;
}

static bool dev_spin(struct xdev *d, enum spin_pass pass);

static void connect_fe(struct xdev *d)
{
    char err[160], path[160];
    int rc;

    rc = vmsg_xen_be_connect(&d->be, x.xs, (struct xenevtchn_handle *)x.xce,
                             (struct xengntdev_handle *)x.xgt, d->fe_domid, d->fe_path,
                             VMSG_XEN_MAX_MSG, err, sizeof(err));
    d->be.copy_max = x.env->grant_copy_max;
    if (rc == 0) {
        rc = vmsg_dev_init(&d->dev, &d->be.ep.bus, 0, &d->model->desc, d->model->ops,
                           d->model->state);
        if (rc) {
            vmsg_xen_be_close(&d->be);
            snprintf(err, sizeof(err), "cannot create the device: %s", strerror(-rc));
        }
    }
    if (rc) {
        LOG("dom%u/%u: frontend refused: %s", d->fe_domid, d->devid, err);
        xsu_write(x.xs, XBT_NULL, err, "%s/error", d->be_path);
        set_state(d, VMSG_XB_CLOSED);
        return;
    }
    d->model->dev = &d->dev;
    vmsg_dev_set_hold_as(&d->dev, x.env->hold_us, x.env->hold_adaptive);
    d->dropped = 0;
    vmsg_bus_set_rx(&d->be.ep.bus, xdev_rx, d);
    d->connected = true;
    snprintf(path, sizeof(path), "%s/msg-size", d->be_path);
    xsu_printf(x.xs, XBT_NULL, path, "%u", d->be.ep.max_msg);
    set_state(d, VMSG_XB_CONNECTED);
    if (x.env->verbose)
        LOG("dom%u/%u connected: %s, port %d, max message %u, %s grants%s", d->fe_domid,
            d->devid, d->spec.type, d->be.port, d->be.ep.max_msg,
            d->be.cache ? "persistent" : "per-request", pool_note(&d->be));
    else if (d->be.pool_pages && !d->be.pool)
        LOG("dom%u/%u:%s", d->fe_domid, d->devid, pool_note(&d->be));
    if (x.polling)                   /* its ring and queues, as xen_backend_set_polling() */
        dev_spin(d, SPIN_START);
    vmsg_xen_be_drain(&d->be);       /* anything queued already */
    x.backlog |= vmsg_ring_ep_pending(&d->be.ep);
}

/* Step the state machine from the frontend's state. */
static void step(struct xdev *d)
{
    int fe = xsu_state(x.xs, d->fe_path);
    uint32_t online = 1;

    d->state = xsu_state(x.xs, d->be_path);   /* the toolstack writes it too */
    xsu_read_uint(x.xs, XBT_NULL, 1, &online, "%s/online", d->be_path);
    if (!online && (d->state == VMSG_XB_CLOSING || d->connected)) {
        disconnect(d, "detached by the toolstack");   /* libxl-style removal */
        set_state(d, VMSG_XB_CLOSED);
        return;
    }
    switch (fe) {
    case VMSG_XB_INITIALISED:
        if (!d->connected && d->state == VMSG_XB_INITWAIT)
            connect_fe(d);
        break;
    case VMSG_XB_CONNECTED:
        if (!d->connected)
            set_state(d, VMSG_XB_CLOSED);   /* a stale session: start over */
        break;
    case VMSG_XB_INITIALISING:
        if (d->connected)
            disconnect(d, "frontend restarted");
        if (online)
            set_state(d, VMSG_XB_INITWAIT);
        break;
    default:                         /* Closing, Closed, Unknown, junk */
        disconnect(d, NULL);
        if (d->state == VMSG_XB_CONNECTED || d->state == VMSG_XB_INITWAIT ||
            d->state == VMSG_XB_CLOSING)
            set_state(d, fe == VMSG_XB_UNKNOWN && d->state == VMSG_XB_INITWAIT ?
                      VMSG_XB_INITWAIT : VMSG_XB_CLOSED);
        break;
    }
}

static struct model *make_model(struct xdev *d, char *err, size_t errlen)
{
    char label[32];
    struct model_env env = { x.env->watch, x.env->unwatch, NULL, label };
    struct model *m = calloc(1, sizeof(*m));

    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(label, sizeof(label), "dom%u/%u", d->fe_domid, d->devid);
    if (model_create(m, d->spec.type, &d->spec.opts, &env, err, errlen)) {
        free(m);
        return NULL;
    }
    return m;
}

static void xdev_free(struct xdev *d)
{
    char path[160];

    disconnect(d, NULL);
    snprintf(path, sizeof(path), "%s/state", d->fe_path);
    xs_unwatch(x.xs, path, "fe");
    if (d->model) {
        model_destroy(d->model);
        free(d->model);
    }
    spec_clear(&d->spec);
    free(d);
}

/* A device node appeared: validate it, create the model, InitWait. */
static void xdev_add(uint32_t fe_domid, uint32_t devid)
{
    char err[200] = "", want[128], path[160], *fe_path = NULL, *type = NULL, *params = NULL,
         *text = NULL;
    struct xdev *d;
    uint32_t fid, dummy;
    int i;

    for (i = 0; i < MAX_XDEV && x.devs[i]; i++)
        ;
    if (i == MAX_XDEV || !(d = calloc(1, sizeof(*d)))) {
        LOG("dom%u/%u: too many devices", fe_domid, devid);
        return;
    }
    d->fe_domid = fe_domid;
    d->devid = devid;
    d->seen = true;
    snprintf(d->be_path, sizeof(d->be_path), "%s/%u/%u", x.root, fe_domid, devid);
    snprintf(want, sizeof(want), "/local/domain/%u/device/%s/%u", fe_domid, VMSG_XEN_KIND, devid);
    fe_path = xsu_read(x.xs, XBT_NULL, "%s/frontend", d->be_path);
    type = xsu_read(x.xs, XBT_NULL, "%s/type", d->be_path);
    params = xsu_read(x.xs, XBT_NULL, "%s/params", d->be_path);
    if (!fe_path || strcmp(fe_path, want))
        snprintf(err, sizeof(err), "frontend must be %s", want);
    else if (xsu_read_uint(x.xs, XBT_NULL, 0x7FF0, &fid, "%s/frontend-id", d->be_path) || fid != fe_domid)
        snprintf(err, sizeof(err), "frontend-id must be %u", fe_domid);
    else if (!type || !*type || strchr(type, ','))
        snprintf(err, sizeof(err), "no device type");
    else if (asprintf(&text, "%s%s%s", type, params && *params ? "," : "", params ? params : "") < 0)
        text = NULL, snprintf(err, sizeof(err), "out of memory");
    else if (spec_parse(&d->spec, text, &dummy, err, sizeof(err)) == 0)
        d->model = make_model(d, err, sizeof(err));
    strcpy(d->fe_path, want);
    free(fe_path);
    free(type);
    free(params);
    free(text);
    x.devs[i] = d;
    if (i >= x.devs_hi)
        x.devs_hi = i + 1;
    snprintf(path, sizeof(path), "%s/state", d->fe_path);
    xs_watch(x.xs, path, "fe");
    d->state = xsu_state(x.xs, d->be_path);
    if (!d->model) {
        LOG("dom%u/%u: %s", fe_domid, devid, err);
        xsu_write(x.xs, XBT_NULL, err, "%s/error", d->be_path);
        set_state(d, VMSG_XB_CLOSED);
        return;
    }
    snprintf(path, sizeof(path), "%s/max-msg-size", d->be_path);
    xsu_printf(x.xs, XBT_NULL, path, "%u", VMSG_XEN_MAX_MSG);
    snprintf(path, sizeof(path), "%s/virtio-device-id", d->be_path);
    xsu_printf(x.xs, XBT_NULL, path, "%u", d->model->desc.device_id);
    snprintf(path, sizeof(path), "%s/error", d->be_path);
    xs_rm(x.xs, XBT_NULL, path);
    if (x.env->verbose)
        LOG("dom%u/%u: %s device '%s'", fe_domid, devid, d->spec.type, d->spec.text);
    d->state = -1;
    set_state(d, xsu_state(x.xs, d->fe_path) == VMSG_XB_CONNECTED ? VMSG_XB_CLOSED
                                                                  : VMSG_XB_INITWAIT);
}

static struct xdev *find(uint32_t fe_domid, uint32_t devid)
{
    int i;

    for (i = 0; i < MAX_XDEV; i++)
        if (x.devs[i] && x.devs[i]->fe_domid == fe_domid && x.devs[i]->devid == devid)
            return x.devs[i];
    return NULL;
}

/* Is domain @domid still there?  (libxl removes /local/domain/<id>.) */
static bool domain_alive(uint32_t domid)
{
    char path[48];
    unsigned int len;
    char *v;

    snprintf(path, sizeof(path), "/local/domain/%u", domid);
    v = xs_read(x.xs, XBT_NULL, path, &len);
    free(v);
    return v != NULL && xs_is_domain_introduced(x.xs, domid);
}

/* Re-read our backend directory: add new devices, drop vanished ones,
 * clean up after dead domains, step every device. */
static void rescan(bool release)
{
    unsigned int nd, nv, i, j;
    char **doms, **ids, path[160];
    int k;

    for (k = 0; k < MAX_XDEV; k++)
        if (x.devs[k])
            x.devs[k]->seen = false;
    doms = xs_directory(x.xs, XBT_NULL, x.root, &nd);
    for (i = 0; doms && i < nd; i++) {
        uint32_t fe;

        if (xsu_parse_uint(doms[i], 0x7FF0, &fe))
            continue;
        if (release && !domain_alive(fe)) {
            snprintf(path, sizeof(path), "%s/%u", x.root, fe);
            LOG("dom%u is gone: removing its devices", fe);
            xs_rm(x.xs, XBT_NULL, path);
            continue;                /* its devices are unseen: freed below */
        }
        snprintf(path, sizeof(path), "%s/%u", x.root, fe);
        ids = xs_directory(x.xs, XBT_NULL, path, &nv);
        for (j = 0; ids && j < nv; j++) {
            uint32_t id;
            struct xdev *d;

            if (xsu_parse_uint(ids[j], 0x7FFFFFFF, &id))
                continue;
            if ((d = find(fe, id)))
                d->seen = true;
            else
                xdev_add(fe, id);
        }
        free(ids);
    }
    free(doms);
    for (k = 0; k < MAX_XDEV; k++) {
        struct xdev *d = x.devs[k];
        if (!d)
            continue;
        if (!d->seen) {
            if (x.env->verbose)
                LOG("dom%u/%u removed", d->fe_domid, d->devid);
            x.devs[k] = NULL;
            xdev_free(d);
            continue;
        }
        if (d->model)
            step(d);
    }
}

static void on_xenstore(void *opaque)
{
    bool any = false, release = false;
    char **w;

    (void)opaque;
    while ((w = xs_check_watch(x.xs))) {
        any = true;
        release |= !strcmp(w[XS_WATCH_TOKEN], "rel");
        free(w);
    }
    if (any)
        rescan(release);
}

/* Serve @d's ring (after its event, or found pending by the poller); a
 * broken ring closes the device.  As on the host bus (backend/main.c
 * conn_serve), a ring left non-empty is served again before the loop
 * sleeps. */
static void serve(struct xdev *d)
{
    vmsg_dev_serve_later(&d->dev);   /* queues left from its last turn */
    if (vmsg_ring_ep_serve(&d->be.ep) < 0 || d->be.ep.dead) {
        disconnect(d, "frontend broke the ring protocol");
        xsu_write(x.xs, XBT_NULL, "frontend broke the ring protocol", "%s/error", d->be_path);
        set_state(d, VMSG_XB_CLOSED);
        return;
    }
    x.backlog |= vmsg_ring_ep_pending(&d->be.ep) || vmsg_dev_has_later(&d->dev);
}

static void on_event(void *opaque)
{
    xenevtchn_port_or_error_t port;
    int k;

    (void)opaque;
    port = xenevtchn_pending(x.xce);
    if (port < 0)
        return;
    xenevtchn_unmask(x.xce, (evtchn_port_t)port);
    for (k = 0; k < x.devs_hi; k++) {
        struct xdev *d = x.devs[k];
        if (d && d->connected && d->be.port == port) {
            serve(d);
            return;
        }
    }
}

/* spin_pass() over @d's device; a queue left for a later turn makes the
 * backlog, as in serve(). */
static bool dev_spin(struct xdev *d, enum spin_pass pass)
{
    struct vmsg_dev *dev = &d->dev;
    bool any = spin_pass(&d->be.ep, &dev, 1, pass);

    x.backlog |= any && vmsg_dev_has_later(&d->dev);
    return any;
}

bool xen_backend_set_polling(bool on)
{
    bool any = false;
    int k;

    x.polling = on;
    for (k = 0; k < x.devs_hi; k++)
        if (x.devs[k] && x.devs[k]->connected)
            any |= dev_spin(x.devs[k], on ? SPIN_START : SPIN_END);
    return any;
}

void xen_backend_hold_tick(int64_t now_us, bool force)
{
    int k;

    for (k = 0; k < x.devs_hi; k++)
        if (x.devs[k] && x.devs[k]->connected)
            vmsg_dev_hold_tick(&x.devs[k]->dev, now_us, force);
}

bool xen_backend_backlog(void)
{
    return x.backlog;
}

bool xen_backend_poll(void)
{
    bool any = false;
    int k;

    x.backlog = false;
    for (k = 0; k < x.devs_hi; k++) {
        struct xdev *d = x.devs[k];

        if (d && d->connected &&
            (vmsg_ring_ep_pending(&d->be.ep) || vmsg_dev_has_later(&d->dev))) {
            serve(d);
            any = true;
        }
        /* Requests added while we spin come with no EVENT_AVAIL. */
        if (d && d->connected && dev_spin(d, SPIN_LOOK))
            any = true;
    }
    return any;
}

void xen_backend_status(void)
{
    uint64_t held = 0;
    int k, n = 0, conn = 0, ports = 0;

    if (!x.xs)
        return;
    for (k = 0; k < MAX_XDEV; k++) {
        struct xdev *d = x.devs[k];
        if (!d)
            continue;
        n++;
        conn += d->connected;
        ports += d->be.port >= 0 && d->connected;
        held += d->connected ? vmsg_xen_be_held(&d->be) : 0;
    }
    LOG("xen status: %d device(s), %d connected, %llu grant mapping(s) held, "
        "%d event channel(s) bound", n, conn, (unsigned long long)held, ports);
}

int xen_backend_start(const struct xen_backend_env *env, char *err, size_t errlen)
{
    x.env = env;
    x.xs = xs_open(0);
    if (!x.xs) {
        snprintf(err, errlen, "cannot open xenstore: %s", strerror(errno));
        return -errno;
    }
    x.xce = xenevtchn_open(NULL, 0);
    x.xgt = xengnttab_open(NULL, 0);
    if (!x.xce || !x.xgt) {
        snprintf(err, errlen, "cannot open %s: %s", x.xce ? "/dev/xen/gntdev" : "/dev/xen/evtchn",
                 strerror(errno));
        xen_backend_stop();
        return -ENODEV;
    }
    /* Room for many persistent mappings (the default is 128 pages). */
    xengnttab_set_max_grants(x.xgt, 65536);
    if (xsu_read_uint(x.xs, XBT_NULL, 0x7FF0, &x.domid, "domid"))
        x.domid = 0;
    snprintf(x.root, sizeof(x.root), "/local/domain/%u/backend/%s", x.domid, VMSG_XEN_KIND);
    if (!xs_watch(x.xs, x.root, "be") || !xs_watch(x.xs, "@releaseDomain", "rel")) {
        snprintf(err, errlen, "cannot watch %s: %s", x.root, strerror(errno));
        xen_backend_stop();
        return -EIO;
    }
    if (env->watch(NULL, xs_fileno(x.xs), on_xenstore, NULL) ||
        env->watch(NULL, xenevtchn_fd(x.xce), on_event, NULL)) {
        snprintf(err, errlen, "cannot watch the Xen file descriptors");
        xen_backend_stop();
        return -EIO;
    }
    LOG("serving %s (dom%u)", x.root, x.domid);
    rescan(true);
    return 0;
}

void xen_backend_stop(void)
{
    int k;

    for (k = 0; k < MAX_XDEV; k++)
        if (x.devs[k]) {
            struct xdev *d = x.devs[k];
            x.devs[k] = NULL;
            if (d->connected) {
                disconnect(d, "backend exiting");
                set_state(d, VMSG_XB_CLOSED);
            }
            xdev_free(d);
        }
    if (x.xs) {
        if (x.env && x.env->unwatch)
            x.env->unwatch(NULL, xs_fileno(x.xs));
        xs_unwatch(x.xs, x.root, "be");
        xs_unwatch(x.xs, "@releaseDomain", "rel");
        xs_close(x.xs);
    }
    if (x.xce) {
        if (x.env && x.env->unwatch)
            x.env->unwatch(NULL, xenevtchn_fd(x.xce));
        xenevtchn_close(x.xce);
    }
    if (x.xgt)
        xengnttab_close(x.xgt);
    memset(&x, 0, sizeof(x));
}
#endif
