/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "front_net.h"
#include "virtio-msg/virtio.h"

#define NET_F_MAC 5
#define HDR       12                 /* virtio_net_hdr, num_buffers included */
#define BUFSZ     2048
#define NRX       8
enum { RXQ = 0, TXQ = 1 };

struct net {
    struct vf *vf;
    struct vf_dev *d;
    uint8_t mac[6];
    struct vf_buf rx[NRX], tx;
};

static int post_rx(struct net *n, int i)
{
    struct vmsg_sg sg = { n->rx[i].addr, BUFSZ };

    return vf_submit(n->d, RXQ, &sg, 0, 1, &n->rx[i]);
}

static int send_frame(struct net *n, const uint8_t *frame, size_t len)
{
    struct vmsg_sg sg = { n->tx.addr, (uint32_t)(HDR + len) };
    uint32_t got;
    int err = 0;

    memset(n->tx.p, 0, HDR);
    memcpy(n->tx.p + HDR, frame, len);
    err = vf_submit(n->d, TXQ, &sg, 1, 0, &n->tx);
    if (err == 0 && !vf_wait(n->d, TXQ, &got, VMSG_HOST_TIMEOUT_MS, &err))
        return err;
    return err;
}

/* Next received frame within @ms: copies it to @out, returns its length. */
static int recv_frame(struct net *n, uint8_t *out, int ms)
{
    struct vf_buf *b;
    uint32_t got;
    int err, len;

    b = vf_wait(n->d, RXQ, &got, ms, &err);
    if (!b)
        return err;
    /* An untrusted length: at most the buffer, at least a header. */
    if (got < HDR || got > BUFSZ) {
        len = -EIO;
    } else {
        len = (int)(got - HDR);
        memcpy(out, b->p + HDR, (size_t)len);
    }
    err = post_rx(n, (int)(b - n->rx));
    return err ? err : len;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    size_t i;

    for (i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static int arp_resolve(struct net *n, uint32_t src, uint32_t dst, uint8_t *mac)
{
    uint8_t f[60] = { 0 }, r[BUFSZ];
    int tries, len;

    memset(f, 0xFF, 6);
    memcpy(f + 6, n->mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);                /* Ethernet */
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, 1);                /* request */
    memcpy(f + 22, n->mac, 6);
    memcpy(f + 28, &src, 4);
    memcpy(f + 38, &dst, 4);
    for (tries = 0; tries < 3; tries++) {
        int rc = send_frame(n, f, sizeof(f));
        if (rc)
            return rc;
        while ((len = recv_frame(n, r, 1000)) >= 0) {
            if (len >= 42 && r[12] == 0x08 && r[13] == 0x06 && r[21] == 2 &&
                !memcmp(r + 28, &dst, 4)) {
                memcpy(mac, r + 22, 6);
                return 0;
            }
        }
        if (len != -ETIMEDOUT)
            return len;
    }
    return -EHOSTUNREACH;
}

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int echo(struct net *n, const uint8_t *dmac, uint32_t src, uint32_t dst,
                uint16_t seq)
{
    uint8_t f[14 + 20 + 8 + 32] = { 0 }, r[BUFSZ];
    uint8_t *ip = f + 14, *icmp = ip + 20;
    double t0 = now_ms();
    int len, rc;

    memcpy(f, dmac, 6);
    memcpy(f + 6, n->mac, 6);
    put16(f + 12, 0x0800);
    ip[0] = 0x45;
    put16(ip + 2, 20 + 8 + 32);
    put16(ip + 4, seq);
    ip[8] = 64;
    ip[9] = 1;                       /* ICMP */
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    put16(ip + 10, csum(ip, 20));
    icmp[0] = 8;                     /* echo request */
    put16(icmp + 4, 0x564d);
    put16(icmp + 6, seq);
    memset(icmp + 8, 'v', 32);
    put16(icmp + 2, csum(icmp, 40));
    rc = send_frame(n, f, sizeof(f));
    if (rc)
        return rc;
    while ((len = recv_frame(n, r, 2000)) >= 0) {
        if (len >= 42 && r[12] == 0x08 && r[13] == 0x00 && r[23] == 1 &&
            r[34] == 0 && !memcmp(r + 26, &dst, 4) &&
            r[38] == 0x56 && r[39] == 0x4d && (r[40] << 8 | r[41]) == seq) {
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &dst, a, sizeof(a));
            printf("reply from %s: icmp_seq=%u ttl=%u time=%.3f ms\n", a, seq,
                   r[22], now_ms() - t0);
            return 0;
        }
    }
    return len;
}

int vf_net_ping(struct vf *vf, uint32_t src, uint32_t dst, int count)
{
    struct net n = { .vf = vf };
    uint8_t dmac[6];
    int i, rc, replies = 0;

    n.d = vf_find(vf, VIRTIO_ID_NET);
    if (!n.d)
        return -ENODEV;
    rc = vf_dev_start(n.d, VIRTIO_BIT(NET_F_MAC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX), 2, 16);
    if (rc == 0)
        rc = vmsg_drv_config_read(&n.d->drv, 0, n.mac, 6);
    for (i = 0; i < NRX && rc == 0; i++) {
        rc = vf_buf_alloc(vf, &n.rx[i], BUFSZ);
        if (rc == 0)
            rc = post_rx(&n, i);
    }
    if (rc == 0)
        rc = vf_buf_alloc(vf, &n.tx, BUFSZ);
    if (rc == 0)
        rc = arp_resolve(&n, src, dst, dmac);
    for (i = 0; i < count && rc == 0; i++) {
        rc = echo(&n, dmac, src, dst, (uint16_t)(i + 1));
        if (rc == 0)
            replies++;
        else if (rc == -ETIMEDOUT)
            rc = 0;
    }
    vf_dev_stop(n.d);
    for (i = 0; i < NRX; i++)
        vf_buf_free(vf, &n.rx[i]);
    vf_buf_free(vf, &n.tx);
    return rc ? rc : replies;
}
