/* SPDX-License-Identifier: MIT */
/*
 * virtio-net device model (virtio 1.2 §5.1) on a Linux tap device: one
 * receive queue (0) and one transmit queue (1), no control queue, no
 * offloads.  Options:  tap=NAME (default vmsg%d)  mac=xx:xx:xx:xx:xx:xx
 * bridge=BR (bring the tap up and add it to that bridge)
 * Frames the driver sends go to the tap after their virtio_net_hdr; frames
 * the tap delivers wait in the kernel until the driver posts receive
 * buffers, so nothing is read that cannot be delivered.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "models.h"
#include "virtio-msg/virtio.h"

#define VIRTIO_NET_F_MTU    3
#define VIRTIO_NET_F_MAC    5
#define VIRTIO_NET_F_STATUS 16
#define NET_HDR             12       /* virtio_net_hdr with num_buffers */
#define NET_CONFIG_SIZE     12
#define MAX_FRAME           (1514 + 4)
enum { RXQ = 0, TXQ = 1 };

struct net {
    struct vmsg_dev *dev;
    struct model_env env;
    struct vmsg_vq_elem *elem;
    int tap;
    bool watching;
    char ifname[IFNAMSIZ];
    uint8_t config[NET_CONFIG_SIZE];
    uint8_t frame[65536];
    uint64_t tx_frames, rx_frames, tx_dropped;
};

static void net_config_read(void *s, uint32_t off, void *buf, uint32_t len)
{
    memcpy(buf, ((struct net *)s)->config + off, len);
}

static void tap_ready(void *opaque);

static void watch_tap(struct net *n, bool on)
{
    model_watch(&n->env, n->tap, &n->watching, on, tap_ready, n);
}

/* A frame is waiting on the tap: deliver it into one receive buffer. */
static void tap_ready(void *opaque)
{
    struct net *n = opaque;
    struct vmsg_vq *vq = n->dev ? vmsg_dev_queue(n->dev, RXQ) : NULL;
    uint8_t hdr[NET_HDR] = { 0 };
    ssize_t len;
    int rc;

    if (!vq) {
        watch_tap(n, false);
        return;
    }
    rc = vmsg_vq_pop(vq, n->elem);
    if (rc <= 0) {
        watch_tap(n, false);         /* resumes when buffers are posted */
        if (rc < 0)
            vmsg_dev_needs_reset(n->dev);
        return;
    }
    len = read(n->tap, n->frame, sizeof(n->frame));
    if (len <= 0 || n->elem->in_len < NET_HDR + (uint64_t)len) {
        /* Nothing there, or a buffer too small for it: drop the frame. */
        vmsg_vq_push(vq, n->elem, 0);
    } else {
        vmsg_put_le16(hdr + 10, 1);  /* num_buffers */
        iov_from_buf(n->elem->iov + n->elem->out_num, n->elem->in_num, 0, hdr, NET_HDR);
        iov_from_buf(n->elem->iov + n->elem->out_num, n->elem->in_num, NET_HDR,
                     n->frame, (size_t)len);
        n->rx_frames++;
        vmsg_vq_push(vq, n->elem, (uint32_t)(NET_HDR + len));
    }
    vmsg_dev_notify_used(n->dev, RXQ);
}

static void drain_tx(struct net *n, struct vmsg_vq *vq)
{
    int rc;

    while ((rc = vmsg_vq_pop(vq, n->elem)) == 1) {
        size_t len = n->elem->out_len > NET_HDR ? (size_t)n->elem->out_len - NET_HDR : 0;

        if (len == 0 || len > sizeof(n->frame)) {
            n->tx_dropped++;
        } else {
            iov_to_buf(n->elem->iov, n->elem->out_num, NET_HDR, n->frame, len);
            if (write(n->tap, n->frame, len) != (ssize_t)len)
                n->tx_dropped++;
            else
                n->tx_frames++;
        }
        vmsg_vq_push(vq, n->elem, 0);
    }
    if (rc < 0)
        vmsg_dev_needs_reset(n->dev);
}

static void net_notify(void *s, uint32_t qi)
{
    struct net *n = s;
    struct vmsg_vq *vq = vmsg_dev_queue(n->dev, qi);

    if (!vq)
        return;
    if (qi == TXQ) {
        drain_tx(n, vq);
        vmsg_dev_notify_used(n->dev, TXQ);
    } else {
        watch_tap(n, true);
    }
}

static int net_start(void *s, struct vmsg_dev *dev)
{
    struct net *n = s;

    n->dev = dev;
    watch_tap(n, true);
    return 0;
}

static void net_reset(void *s)
{
    struct net *n = s;

    watch_tap(n, false);
    n->dev = NULL;
}

static const struct vmsg_dev_ops net_ops = {
    .config_read = net_config_read,
    .start = net_start,
    .reset = net_reset,
    .queue_notify = net_notify,
};

static void net_destroy(void *s)
{
    struct net *n = s;

    watch_tap(n, false);
    if (n->tap >= 0)
        close(n->tap);
    free(n->elem);
    free(n);
}

static int parse_mac(const char *v, uint8_t *mac)
{
    unsigned b[6], i;
    char tail;

    if (sscanf(v, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &tail) != 6)
        return -1;
    for (i = 0; i < 6; i++) {
        if (b[i] > 255)
            return -1;
        mac[i] = (uint8_t)b[i];
    }
    return (mac[0] & 1) ? -1 : 0;    /* not a multicast address */
}

/* Bring the tap up and, with bridge=, enslave it (as Xen's vif-bridge does). */
static int tap_attach(const char *ifname, const char *bridge, char *err, size_t errlen)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0, idx;

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    if (s < 0 || ioctl(s, SIOCGIFINDEX, &ifr)) {
        rc = -errno;
        snprintf(err, errlen, "tap %s: %s", ifname, strerror(errno));
        goto out;
    }
    idx = ifr.ifr_ifindex;
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", bridge);
    ifr.ifr_ifindex = idx;
    if (ioctl(s, SIOCBRADDIF, &ifr)) {
        rc = -errno;
        snprintf(err, errlen, "bridge=%s: cannot add %s: %s", bridge, ifname, strerror(errno));
    }
out:
    if (s >= 0)
        close(s);
    return rc;
}

int net_create(struct model *m, const struct model_opts *o,
               const struct model_env *env, char *err, size_t errlen)
{
    const char *tap = opt_get(o, "tap"), *mac = opt_get(o, "mac"),
               *bridge = opt_get(o, "bridge");
    struct ifreq ifr;
    struct net *n = calloc(1, sizeof(*n));
    uint8_t addr[6] = { 0x52, 0x54, 0x00, 0x56, 0x4d, 0x01 };

    if (!n || !(n->elem = malloc(sizeof(*n->elem)))) {
        free(n);
        return -ENOMEM;
    }
    n->env = *env;
    n->tap = -1;
    if (mac && parse_mac(mac, addr)) {
        snprintf(err, errlen, "mac=%s: expected a unicast xx:xx:xx:xx:xx:xx", mac);
        net_destroy(n);
        return -EINVAL;
    }
    if ((tap && strlen(tap) >= IFNAMSIZ) || (bridge && strlen(bridge) >= IFNAMSIZ)) {
        snprintf(err, errlen, "%s=%s: name too long", tap ? "tap" : "bridge", tap ? tap : bridge);
        net_destroy(n);
        return -EINVAL;
    }
    n->tap = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", tap ? tap : "vmsg%d");
    if (n->tap < 0 || ioctl(n->tap, TUNSETIFF, &ifr)) {
        int e = errno;
        snprintf(err, errlen, "tap %s: %s", ifr.ifr_name, strerror(e));
        net_destroy(n);
        return -e;
    }
    memcpy(n->ifname, ifr.ifr_name, IFNAMSIZ);
    if (bridge) {
        int rc = tap_attach(n->ifname, bridge, err, errlen);
        if (rc) {
            net_destroy(n);
            return rc;
        }
    }
    memcpy(n->config, addr, 6);
    vmsg_put_le16(n->config + 6, 1);           /* status: link up */
    vmsg_put_le16(n->config + 8, 1);           /* max_virtqueue_pairs */
    vmsg_put_le16(n->config + 10, 1500);       /* mtu */
    fprintf(stderr, "virtio-msg-backend: %s net on tap %s\n", env->label, n->ifname);
    m->desc = (struct vmsg_dev_desc){
        .device_id = VIRTIO_ID_NET,
        .vendor_id = 0x564D5347,
        .features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                    VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
                    VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MTU),
        .config_size = NET_CONFIG_SIZE,
        .num_queues = 2,
        .queue_max_size = 256,
    };
    m->ops = &net_ops;
    m->state = n;
    m->destroy = net_destroy;
    return 0;
}
