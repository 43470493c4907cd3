/* SPDX-License-Identifier: MIT */
/* The Xen provider of vmsg_store: libxenstore, relative to our domain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "virtio-msg/store.h"

struct xs_store {
    struct vmsg_store st;
    struct xs_handle *xs;
};

#define XS(st) (((struct xs_store *)(st))->xs)

static int xst_read(struct vmsg_store *st, const char *path, char *buf, size_t cap)
{
    unsigned int len;
    char *v;

    if (!vmsg_store_path_ok(path, strlen(path)))
        return -EINVAL;
    v = xs_read(XS(st), XBT_NULL, path, &len);
    if (!v)
        return -errno;
    if (len + 1 > cap || memchr(v, 0, len)) {
        free(v);
        return len + 1 > cap ? -ENOSPC : -EPROTO;
    }
    memcpy(buf, v, len);
    buf[len] = 0;
    free(v);
    return (int)len;
}

static int xst_write(struct vmsg_store *st, const char *path, const char *value)
{
    if (!vmsg_store_path_ok(path, strlen(path)) || strlen(value) > VMSG_STORE_MAX_VALUE)
        return -EINVAL;
    return xs_write(XS(st), XBT_NULL, path, value, (unsigned)strlen(value)) ? 0 : -errno;
}

static int xst_rm(struct vmsg_store *st, const char *path)
{
    if (!vmsg_store_path_ok(path, strlen(path)))
        return -EINVAL;
    return xs_rm(XS(st), XBT_NULL, path) ? 0 : -errno;
}

static int xst_dir(struct vmsg_store *st, const char *path, char *buf, size_t cap)
{
    unsigned int n, i;
    size_t used = 0;
    char **names;

    if (!vmsg_store_path_ok(path, strlen(path)))
        return -EINVAL;
    names = xs_directory(XS(st), XBT_NULL, path, &n);
    if (!names)
        return -errno;
    for (i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        if (used + l + 1 > cap) {
            free(names);
            return -E2BIG;
        }
        memcpy(buf + used, names[i], l + 1);
        used += l + 1;
    }
    free(names);
    return (int)n;
}

static int xst_watch(struct vmsg_store *st, const char *path, const char *token)
{
    if (!vmsg_store_path_ok(path, strlen(path)) || !*token)
        return -EINVAL;
    return xs_watch(XS(st), path, token) ? 0 : -errno;
}

static int xst_unwatch(struct vmsg_store *st, const char *path, const char *token)
{
    return xs_unwatch(XS(st), path, token) ? 0 : -errno;
}

static int xst_fd(struct vmsg_store *st)
{
    return xs_fileno(XS(st));
}

static int xst_event(struct vmsg_store *st, char *path, size_t pcap, char *token, size_t tcap)
{
    char **w = xs_check_watch(XS(st));
    int rc = 1;

    if (!w)
        return errno == EAGAIN ? 0 : -errno;
    if (strlen(w[XS_WATCH_PATH]) + 1 > pcap || strlen(w[XS_WATCH_TOKEN]) + 1 > tcap)
        rc = -ENOSPC;
    else {
        strcpy(path, w[XS_WATCH_PATH]);
        strcpy(token, w[XS_WATCH_TOKEN]);
    }
    free(w);
    return rc;
}

static void xst_close(struct vmsg_store *st)
{
    if (st) {
        xs_close(XS(st));
        free(st);
    }
}

static const struct vmsg_store_ops xs_store_ops = {
    .name = "xenstore",
    .read = xst_read,
    .write = xst_write,
    .rm = xst_rm,
    .dir = xst_dir,
    .watch = xst_watch,
    .unwatch = xst_unwatch,
    .fd = xst_fd,
    .event = xst_event,
    .close = xst_close,
};

struct vmsg_store *vmsg_store_open_xen(void)
{
    struct xs_store *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->xs = xs_open(0);
    if (!s->xs) {
        int e = errno;
        free(s);
        errno = e;
        return NULL;
    }
    s->st.ops = &xs_store_ops;
    return &s->st;
}
