/* SPDX-License-Identifier: MIT */
/*
 * virtio-console device model (virtio 1.2 §5.3), single port: queue 0
 * (receiveq) carries input to the driver, queue 1 (transmitq) its output.
 * Options: io=stdio (default) | pty | unix:PATH (a listening socket; one
 * client at a time).  Input waits in the source until the driver offers
 * receive buffers, so nothing is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "models.h"
#include "virtio-msg/virtio.h"

#define CONSOLE_CONFIG_SIZE 12
enum { RXQ = 0, TXQ = 1 };

struct console {
    struct vmsg_dev *dev;
    struct model_env env;
    struct vmsg_vq_elem *elem;
    int in_fd, out_fd;               /* current source and sink */
    int listen_fd;                   /* unix: mode */
    bool watching;                   /* in_fd is in the event loop */
    bool own_fds;
    uint8_t config[CONSOLE_CONFIG_SIZE];
    uint64_t bytes_in, bytes_out;
};

static void console_config_read(void *s, uint32_t off, void *buf, uint32_t len)
{
    memcpy(buf, ((struct console *)s)->config + off, len);
}

static void drop_client(struct console *c);
static void input_ready(void *opaque);

static void watch_input(struct console *c, bool on)
{
    model_watch(&c->env, c->in_fd, &c->watching, on, input_ready, c);
}

/* Move pending input into receive buffers while both exist. */
static void input_ready(void *opaque)
{
    struct console *c = opaque;
    struct vmsg_vq *vq = c->dev ? vmsg_dev_queue(c->dev, RXQ) : NULL;
    int rc;

    if (!vq) {
        watch_input(c, false);       /* nowhere to put it yet */
        return;
    }
    rc = vmsg_vq_pop(vq, c->elem);
    if (rc <= 0) {
        watch_input(c, false);       /* resumes on the driver's next kick */
        if (rc < 0)
            vmsg_dev_needs_reset(c->dev);
        return;
    }
    {
        ssize_t n = readv(c->in_fd, c->elem->iov + c->elem->out_num, c->elem->in_num);
        if (n <= 0) {
            vmsg_vq_push(vq, c->elem, 0);
            if (n == 0 || (errno != EAGAIN && errno != EINTR))
                drop_client(c);      /* EOF: the source is gone */
        } else {
            c->bytes_in += (uint64_t)n;
            vmsg_vq_push(vq, c->elem, (uint32_t)n);
        }
    }
    vmsg_dev_notify_used(c->dev, RXQ);
}

static void drain_tx(struct console *c, struct vmsg_vq *vq)
{
    int rc;

    while ((rc = vmsg_vq_pop(vq, c->elem)) == 1) {
        unsigned i;
        for (i = 0; i < c->elem->out_num && c->out_fd >= 0; i++) {
            const char *p = c->elem->iov[i].iov_base;
            size_t left = c->elem->iov[i].iov_len;
            while (left) {
                ssize_t n = write(c->out_fd, p, left);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    break;           /* sink gone: output is discarded */
                p += n;
                left -= (size_t)n;
                c->bytes_out += (uint64_t)n;
            }
        }
        vmsg_vq_push(vq, c->elem, 0);
    }
    if (rc < 0)
        vmsg_dev_needs_reset(c->dev);
}

static void console_notify(void *s, uint32_t qi)
{
    struct console *c = s;
    struct vmsg_vq *vq = vmsg_dev_queue(c->dev, qi);

    if (!vq)
        return;
    if (qi == TXQ) {
        drain_tx(c, vq);
        vmsg_dev_notify_used(c->dev, TXQ);
    } else {
        watch_input(c, true);        /* new receive buffers */
    }
}

static int console_start(void *s, struct vmsg_dev *dev)
{
    struct console *c = s;

    c->dev = dev;
    watch_input(c, true);
    return 0;
}

static void console_reset(void *s)
{
    struct console *c = s;

    watch_input(c, false);
    c->dev = NULL;                   /* until the next DRIVER_OK */
}

static const struct vmsg_dev_ops console_ops = {
    .config_read = console_config_read,
    .start = console_start,
    .reset = console_reset,
    .queue_notify = console_notify,
};

static void accept_client(void *opaque)
{
    struct console *c = opaque;
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0)
        return;
    if (c->in_fd >= 0) {             /* one client at a time */
        close(fd);
        return;
    }
    c->in_fd = c->out_fd = fd;
    if (c->dev)
        watch_input(c, true);
}

static void drop_client(struct console *c)
{
    watch_input(c, false);
    if (c->listen_fd >= 0 && c->in_fd >= 0) {
        close(c->in_fd);
        c->in_fd = c->out_fd = -1;
    } else {
        c->in_fd = -1;               /* stdio/pty EOF: output still works */
    }
}

static void console_destroy(void *s)
{
    struct console *c = s;

    watch_input(c, false);
    if (c->listen_fd >= 0) {
        c->env.unwatch(c->env.loop, c->listen_fd);
        close(c->listen_fd);
        if (c->in_fd >= 0)
            close(c->in_fd);
    } else if (c->own_fds && c->in_fd >= 0) {
        close(c->in_fd);
    }
    free(c->elem);
    free(c);
}

static int open_unix(struct console *c, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "console socket path too long");
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
        listen(c->listen_fd, 1) ||
        c->env.watch(c->env.loop, c->listen_fd, accept_client, c)) {
        int e = errno;
        snprintf(err, errlen, "console socket %s: %s", path, strerror(e));
        return -e;
    }
    return 0;
}

int console_create(struct model *m, const struct model_opts *o,
                   const struct model_env *env, char *err, size_t errlen)
{
    const char *io = opt_get(o, "io");
    struct console *c = calloc(1, sizeof(*c));
    int rc = 0;

    if (!c || !(c->elem = malloc(sizeof(*c->elem)))) {
        free(c);
        return -ENOMEM;
    }
    c->env = *env;
    c->in_fd = c->out_fd = c->listen_fd = -1;
    if (!io || !strcmp(io, "stdio")) {
        c->in_fd = STDIN_FILENO;
        c->out_fd = STDOUT_FILENO;
    } else if (!strcmp(io, "pty")) {
        int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || grantpt(fd) || unlockpt(fd)) {
            rc = -errno;
            snprintf(err, errlen, "pty: %s", strerror(errno));
        } else {
            c->in_fd = c->out_fd = fd;
            c->own_fds = true;
            fprintf(stderr, "virtio-msg-backend: %s console on %s\n", env->label,
                    ptsname(fd));
        }
    } else if (!strncmp(io, "unix:", 5)) {
        rc = open_unix(c, io + 5, err, errlen);
    } else {
        snprintf(err, errlen, "io=%s: expected stdio, pty or unix:PATH", io);
        rc = -EINVAL;
    }
    if (rc) {
        console_destroy(c);
        return rc;
    }
    vmsg_put_le16(c->config, 80);    /* cols */
    vmsg_put_le16(c->config + 2, 25);
    vmsg_put_le32(c->config + 4, 1); /* max_nr_ports */
    m->desc = (struct vmsg_dev_desc){
        .device_id = VIRTIO_ID_CONSOLE,
        .vendor_id = 0x564D5347,
        .features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                    VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC),
        .config_size = CONSOLE_CONFIG_SIZE,
        .num_queues = 2,
        .queue_max_size = 64,
    };
    m->ops = &console_ops;
    m->state = c;
    m->destroy = console_destroy;
    return 0;
}
