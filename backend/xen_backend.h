/* SPDX-License-Identifier: MIT */
/* The backend daemon's Xen side: devices from xenstore (see xen_backend.c). */
#ifndef VMSG_XEN_BACKEND_H
#define VMSG_XEN_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xen_backend_env {
    int (*watch)(void *loop, int fd, void (*cb)(void *opaque), void *opaque);
    void (*unwatch)(void *loop, int fd);
    void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
    bool verbose;
    unsigned grant_copy_max;         /* --grant-copy-max */
    unsigned hold_us;                /* --hold-us: vmsg_dev_set_hold() */
    bool hold_adaptive;              /* --hold-us auto: vmsg_dev_set_hold_adaptive() */
};

/* Open the Xen handles, take every device under our backend/virtio_msg
 * and watch for more.  0, or -ENOTSUP (built without Xen) / -errno with
 * @err set. */
int xen_backend_start(const struct xen_backend_env *env, char *err, size_t errlen);
/* Disconnect every frontend and drop our watches (nodes stay: a restarted
 * backend takes the devices over again). */
void xen_backend_stop(void);
/* Log devices, connections, grant mappings and event channels held. */
void xen_backend_status(void);
/* Busy-polling (--poll): say on every connected ring whether we spin on
 * it (frontends then do not kick us) and on the devices' queues
 * (vmsg_dev_set_polled(): true if turning it off served one), and serve
 * the rings with a request waiting and the quieted queues with requests
 * (true if there was one). */
bool xen_backend_set_polling(bool on);
bool xen_backend_poll(void);
/* vmsg_dev_hold_tick() on every connected device. */
void xen_backend_hold_tick(int64_t now_us, bool force);
/* A ring was left non-empty by a serve (its batch bound, or a request put
 * while it said "no kick needed"): call xen_backend_poll() before sleeping. */
bool xen_backend_backlog(void);

#endif
