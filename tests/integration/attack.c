/* SPDX-License-Identifier: MIT */
/*
 * attack NAME PATH DOMID: one hostile-frontend attack against a running
 * backend on the host bus whose device 0 for DOMID is a virtio-blk;
 * attack NAME --xen DEVID: the same from a domU against the Xen backend's
 * device/virtio_msg/DEVID (a virtio-blk).  Both buses share the ring and
 * grant-DMA code, so every attack means the same on either.  Exit 0 if
 * the backend answered as the spec says: the connection cut for ring
 * protocol violations, the message dropped (and the next valid request
 * answered) for malformed or illegal messages, DEVICE_NEEDS_RESET for a
 * broken virtqueue.  `attack list` prints every attack name.
 * hostile.sh (and Xen-in-QEMU's dom0-tests.sh) run each while another
 * frontend keeps verifying its data.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "virtio-msg/host.h"
#include "virtio-msg/msg.h"
#include "virtio-msg/virtio.h"
#ifdef HAVE_XEN
#include "virtio-msg/xen.h"
#endif

#define NR  VIRTIO_STATUS_DEVICE_NEEDS_RESET
#define QS  16u                      /* our queue size */
#define F_NEXT 1u
#define F_WRITE 2u
#define F_INDIRECT 4u

/* The connection, whichever bus: its endpoint, ring pages and pool. */
static struct vmsg_host_fe hfe;
#ifdef HAVE_XEN
static struct vmsg_xen_fe xfe;
#endif
static struct vmsg_ring_ep *ep;
static uint8_t *ring_mem;
static volatile struct vmsg_ring_ctl *ctl;   /* frontend -> backend */
static uint8_t *(*pool_ptr)(uint64_t addr);  /* our view of a DMA address */
static uint8_t *qmem;                        /* one granted page: the queue */
static uint64_t qaddr;
static uint16_t avail_idx;

/* ---- helpers ---- */

static void kick_be(void)
{
    ep->prims->notify(ep->ctx);
}

/* Host bus: a grant ref is the index of the page in the pool. */
static uint8_t *host_pool_ptr(uint64_t addr)
{
    return hfe.pool.mem + (size_t)((addr & ~VMSG_GDMA_FLAG) >> 12) * 4096;
}

#ifdef HAVE_XEN
/* Xen: find the pool page that carries the grant ref. */
static uint8_t *xen_pool_ptr(uint64_t addr)
{
    uint32_t ref = (uint32_t)((addr & ~VMSG_GDMA_FLAG) >> 12), i;

    for (i = 0; i < xfe.pool.npages; i++)
        if (xfe.pool.refs[i] == ref)
            return xfe.pool.mem + (size_t)i * 4096 + (addr & 4095);
    return NULL;
}
#endif

static int hangup(void)
{
    int i;

    for (i = 0; i < 30; i++)
        if (vmsg_ring_ep_poll(ep, 100) == -EPIPE || ep->dead)
            return 0;
    return 1;
}

/* Send @m; 0 and *r filled if answered, -ETIMEDOUT if dropped. */
static int xfer(struct vmsg *m, struct vmsg *r, int timeout_ms)
{
    uint8_t buf[VMSG_DEFAULT_MAX_SIZE], resp[VMSG_DEFAULT_MAX_SIZE];
    size_t rlen;
    int n = vmsg_encode(m, buf, sizeof(buf)), rc;

    if (n < 0)
        return -EINVAL;
    ep->timeout_ms = timeout_ms;
    rc = ep->bus.ops->transfer(&ep->bus, buf, (size_t)n, resp, sizeof(resp), &rlen);
    if (rc == 0 && r && vmsg_decode(resp, rlen, 0, r))
        rc = -EPROTO;
    return rc;
}

static int dropped(struct vmsg *m)
{
    return xfer(m, NULL, 300) == -ETIMEDOUT ? 0 : 1;
}

static void raw(const void *msg, size_t n)
{
    ep->bus.ops->send(&ep->bus, msg, n);
}

static long get_status(void)
{
    struct vmsg m, r;

    vmsg_init_request(&m, false, VMSG_GET_DEVICE_STATUS, 0);
    return xfer(&m, &r, 2000) ? -1 : (long)r.u.status;
}

static int set_status(uint32_t st)
{
    struct vmsg m, r;

    vmsg_init_request(&m, false, VMSG_SET_DEVICE_STATUS, 0);
    m.u.status = st;
    return xfer(&m, &r, 2000);
}

/* The backend still answers us: the attack message was only dropped. */
static int answered(void)
{
    return get_status() >= 0 ? 0 : 1;
}

static int features(uint32_t lo, uint32_t hi)
{
    uint8_t blocks[8];
    struct vmsg m, r;

    vmsg_put_le32(blocks, lo);
    vmsg_put_le32(blocks + 4, hi);
    vmsg_init_request(&m, false, VMSG_SET_DRIVER_FEATURES, 0);
    m.u.features.num_blocks = 2;
    m.u.features.blocks = blocks;
    return xfer(&m, &r, 2000);
}

static int set_vq(uint32_t size, uint64_t d, uint64_t a, uint64_t u, int timeout)
{
    struct vmsg m;

    vmsg_init_request(&m, false, VMSG_SET_VQUEUE, 0);
    m.u.vqueue = (struct vmsg_vqueue){ 0, 0, size, d, a, u };
    return xfer(&m, NULL, timeout);
}

/* Reset, negotiate VERSION_1, FEATURES_OK. */
static int to_features_ok(void)
{
    if (set_status(0) || set_status(VIRTIO_STATUS_ACKNOWLEDGE) ||
        set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER) ||
        features(0, 1u) ||            /* VIRTIO_F_VERSION_1 is bit 32 */
        set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                   VIRTIO_STATUS_FEATURES_OK))
        return -1;
    return (get_status() & VIRTIO_STATUS_FEATURES_OK) ? 0 : -1;
}

/* A live queue 0 of QS entries on one granted page, DRIVER_OK. */
static int live_queue(void)
{
    if (to_features_ok())
        return -1;
    qmem = ep->bus.ops->dma_alloc(&ep->bus, 4096, &qaddr);
    if (!qmem || set_vq(QS, qaddr, qaddr + 256, qaddr + 512, 2000))
        return -1;
    avail_idx = 0;
    return set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static void put_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *d = qmem + 16 * i;

    vmsg_put_le64(d, addr);
    vmsg_put_le32(d + 8, len);
    vmsg_put_le16(d + 12, flags);
    vmsg_put_le16(d + 14, next);
}

/* Put head @head in the avail ring (unpublished), advancing by @jump. */
static void avail_put(uint16_t head, uint16_t jump)
{
    vmsg_put_le16(qmem + 256 + 4 + 2 * (avail_idx % QS), head);
    avail_idx = (uint16_t)(avail_idx + jump);
}

/* Make what avail_put() put visible to the device. */
static void avail_publish(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vmsg_put_le16(qmem + 256 + 2, avail_idx);
}

/* Offer head @head (or an avail index jump of @jump) and kick. */
static void kick(uint16_t head, uint16_t jump)
{
    struct vmsg m;

    avail_put(head, jump ? jump : 1);
    avail_publish();
    vmsg_init_request(&m, false, VMSG_EVENT_AVAIL, 0);
    m.u.event_avail.next_offset = avail_idx;
    {
        uint8_t buf[32];
        int n = vmsg_encode(&m, buf, sizeof(buf));
        raw(buf, (size_t)n);
    }
}

/* The device refused the queue: NEEDS_RESET, and nothing was completed. */
static int needs_reset(void)
{
    long st = -1;
    int i;

    for (i = 0; i < 20 && !(st >= 0 && (st & NR)); i++) {
        st = get_status();
        if (!(st >= 0 && (st & NR)))
            poll(NULL, 0, 50);
    }
    return st >= 0 && (st & NR) ? 0 : 1;
}

/*
 * A grant-DMA address the backend may not map.  On the host bus: memory
 * freed back to the pool.  On Xen: a page granted to another domain (our
 * own), held until we exit.  An ended grant was used before, but its
 * reference goes back to the guest kernel's LIFO free list, and the
 * victim frontend's next connection in the same domain can take it at
 * once, a valid grant to the backend again (seen once in about 20 runs).
 */
#ifdef HAVE_XEN
static struct gnt_share denied;
#endif

static int revoked_addr(uint64_t *a)
{
    void *p;

#ifdef HAVE_XEN
    if (ep == &xfe.ep) {
        if (!denied.mem && gnt_share_pages(&denied, xfe.domid, 1))
            return -1;
        *a = vmsg_gdma_addr(denied.refs[0], 0);
        return 0;
    }
#endif
    if (!(p = ep->bus.ops->dma_alloc(&ep->bus, 4096, a)))
        return -1;
    ep->bus.ops->dma_free(&ep->bus, p, 4096, *a);
    return 0;
}

/* A granted page to point descriptors at. */
static uint64_t data_page(void)
{
    static uint64_t a;

    if (!a && !ep->bus.ops->dma_alloc(&ep->bus, 4096, &a))
        return 0;
    return a;
}

/* ---- the attacks ---- */

static int a_ring_overrun(void)
{
    ctl->prod = htole32(le32toh(ctl->prod) + 3 * VMSG_RING_DATA);
    kick_be();
    return hangup();
}

static void record_hdr(uint16_t len)
{
    volatile uint8_t *data = ring_mem + VMSG_RING_PAGE_SIZE;
    uint32_t p = le32toh(ctl->prod);

    data[p % VMSG_RING_DATA] = (uint8_t)len;
    data[(p + 1) % VMSG_RING_DATA] = (uint8_t)(len >> 8);
    data[(p + 2) % VMSG_RING_DATA] = 0;
    data[(p + 3) % VMSG_RING_DATA] = 0;
}

static int a_record_too_long(void)
{
    record_hdr(0xFFFF);
    ctl->prod = htole32(le32toh(ctl->prod) + 64);
    kick_be();
    return hangup();
}

static int a_record_too_short(void)
{
    record_hdr(4);
    ctl->prod = htole32(le32toh(ctl->prod) + 8);
    kick_be();
    return hangup();
}

static int a_prod_backwards(void)
{
    ctl->prod = htole32(le32toh(ctl->prod) - 4);
    kick_be();
    return hangup();
}

static int a_prod_misaligned(void)
{
    record_hdr(12);
    ctl->prod = htole32(le32toh(ctl->prod) + 6);
    kick_be();
    return hangup();
}

static int a_garbage(void)
{
    uint8_t junk[64];
    int i;

    for (i = 0; i < 500; i++) {
        size_t n = 8 + (size_t)(i % 50);
        memset(junk, i * 7, sizeof(junk));
        vmsg_put_le16(junk + 6, (uint16_t)(i % 3 ? n : 4000));
        raw(junk, n);
    }
    return answered();
}

static int a_msg_size_lies(void)
{
    uint8_t b[16] = { 0, VMSG_GET_DEVICE_STATUS };

    vmsg_put_le16(b + 6, 60000);     /* claims far more than was sent */
    raw(b, sizeof(b));
    vmsg_put_le16(b + 6, 4);         /* and less than a header */
    raw(b, sizeof(b));
    return answered();
}

static int a_truncated(void)
{
    uint8_t b[12] = { 0, VMSG_SET_DEVICE_STATUS };   /* needs 12, says 10 */

    vmsg_put_le16(b + 6, 10);
    raw(b, 10);
    return answered();
}

static int a_unknown_id(void)
{
    uint8_t b[8] = { 0, 0x3F };

    vmsg_put_le16(b + 6, 8);
    raw(b, 8);
    return answered();
}

static int a_response_to_device(void)
{
    uint8_t b[12] = { VMSG_TYPE_RESPONSE, VMSG_GET_DEVICE_STATUS };

    vmsg_put_le16(b + 6, 12);
    raw(b, 12);
    return answered();
}

static int a_bus_msg_dev_num(void)
{
    uint8_t b[12] = { VMSG_TYPE_BUS, VMSG_BUS_PING };

    vmsg_put_le16(b + 2, 5);         /* bus messages carry dev_num 0 */
    vmsg_put_le16(b + 6, 12);
    raw(b, 12);
    return answered();
}

static int a_absent_device(void)
{
    struct vmsg m;

    vmsg_init_request(&m, false, VMSG_GET_DEVICE_STATUS, 9);
    return dropped(&m) || answered();
}

static int a_event_wrong_way(void)
{
    struct vmsg m;
    uint8_t b[16];
    int n;

    vmsg_init_request(&m, false, VMSG_EVENT_USED, 0);
    n = vmsg_encode(&m, b, sizeof(b));
    raw(b, (size_t)n);
    return answered();
}

static int a_flood(void)
{
    uint8_t b[8] = { 0, VMSG_GET_DEVICE_STATUS };
    int i;

    vmsg_put_le16(b + 6, 8);
    for (i = 0; i < 20000 && !ep->dead; i++)
        raw(b, 8);                   /* never reading the answers */
    /* Either we are cut off as a frontend that stops reading, or served. */
    return hangup() == 0 || answered() == 0 ? 0 : 1;
}

/*
 * 300 requests for an absent device (dropped unanswered, B13) put on the
 * ring with one kick at the end: more than the backend serves in one round
 * (256, for fairness), so it must come back for the rest by itself.  Not
 * hostile, only a frontend that batches; nothing else kicks meanwhile.
 */
static int a_burst_one_kick(void)
{
    uint8_t b[8] = { 0, VMSG_GET_DEVICE_STATUS };
    int i;

    vmsg_put_le16(b + 2, 9);
    vmsg_put_le16(b + 6, 8);
    for (i = 0; i < 300; i++)
        if (vmsg_ring_put(&ep->tx, b, sizeof(b)))
            return 1;
    kick_be();
    for (i = 0; i < 300; i++) {      /* consumed: cons caught up with prod */
        if (le32toh(ep->tx.ctl->cons) == ep->tx.local)
            return answered();
        poll(NULL, 0, 10);
    }
    fprintf(stderr, "attack: %u bytes of the burst never consumed\n",
            ep->tx.local - le32toh(ep->tx.ctl->cons));
    return 1;
}

static int a_event_storm(void)
{
    int i;

    for (i = 0; i < 200000; i++)
        kick_be();
    return answered();
}

static int a_status_out_of_order(void)
{
    set_status(0);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
    return (get_status() & NR) ? 0 : 1;
}

static int a_status_clears_bits(void)
{
    set_status(0);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE);
    return (get_status() & NR) ? 0 : 1;
}

static int a_features_not_offered(void)
{
    long st;

    set_status(0);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    features(0xFFFFFFFFu, 0xFFFFFFFFu);
    set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    st = get_status();
    return st >= 0 && !(st & VIRTIO_STATUS_FEATURES_OK) ? 0 : 1;
}

static int a_config_write_out_of_range(void)
{
    static const uint8_t d[4] = { 1, 2, 3, 4 };
    struct vmsg m, r;
    int rc;

    vmsg_init_request(&m, false, VMSG_SET_CONFIG, 0);
    m.u.config = (typeof(m.u.config)){ 0, 4096, 4, 4, d };
    rc = xfer(&m, &r, 300);
    return rc == -ETIMEDOUT || (rc == 0 && r.u.config.length == 0) ? answered() : 1;
}

static int a_config_read_out_of_range(void)
{
    struct vmsg m;

    vmsg_init_request(&m, false, VMSG_GET_CONFIG, 0);
    m.u.config.offset = 0xFFFFFFF0u;
    m.u.config.length = 8;
    return dropped(&m) || answered();
}

static int a_vqueue_before_features(void)
{
    uint64_t a;

    set_status(0);
    if (!ep->bus.ops->dma_alloc(&ep->bus, 4096, &a))
        return 1;
    return set_vq(QS, a, a + 256, a + 512, 300) == -ETIMEDOUT ? answered() : 1;
}

static int a_vqueue_bad_size(void)
{
    uint64_t a;

    if (to_features_ok() || !ep->bus.ops->dma_alloc(&ep->bus, 4096, &a))
        return 1;
    return set_vq(3, a, a + 256, a + 512, 300) == -ETIMEDOUT &&
           set_vq(4096, a, a + 256, a + 512, 300) == -ETIMEDOUT ? answered() : 1;
}

static int a_vqueue_while_live(void)
{
    if (live_queue())
        return 1;
    return set_vq(QS, qaddr, qaddr + 256, qaddr + 512, 300) == -ETIMEDOUT ? answered() : 1;
}

static int a_avail_before_driver_ok(void)
{
    if (to_features_ok())
        return 1;
    qmem = ep->bus.ops->dma_alloc(&ep->bus, 4096, &qaddr);
    if (!qmem || set_vq(QS, qaddr, qaddr + 256, qaddr + 512, 2000))
        return 1;
    put_desc(0, 0, 0, 0, 0);
    kick(0, 0);                      /* ignored: no I/O before DRIVER_OK */
    return get_status() & NR ? 1 : answered();
}

static int a_avail_absent_queue(void)
{
    struct vmsg m;
    uint8_t b[16];
    int n;

    if (live_queue())
        return 1;
    vmsg_init_request(&m, false, VMSG_EVENT_AVAIL, 0);
    m.u.event_avail.vq_index = 99;
    n = vmsg_encode(&m, b, sizeof(b));
    raw(b, (size_t)n);
    return get_status() & NR ? 1 : answered();
}

static int a_queue_not_grant_address(void)
{
    if (to_features_ok())
        return 1;
    return set_vq(QS, 0x1000, 0x2000, 0x3000, 300) == -ETIMEDOUT ? answered() : 1;
}

static int a_queue_gref_out_of_range(void)
{
    uint64_t a = vmsg_gdma_addr(0xFFFFFu, 0);

    if (to_features_ok())
        return 1;
    return set_vq(QS, a, a + 256, a + 512, 300) == -ETIMEDOUT ? answered() : 1;
}

static int a_queue_revoked(void)
{
    uint64_t a;

    if (to_features_ok() || revoked_addr(&a))
        return 1;
    return set_vq(QS, a, a + 256, a + 512, 300) == -ETIMEDOUT ? answered() : 1;
}

static int a_queue_address_wraps(void)
{
    if (to_features_ok())
        return 1;
    return set_vq(QS, ~0ull - 8, ~0ull - 8, ~0ull - 8, 300) == -ETIMEDOUT ? answered() : 1;
}

static int a_desc_loop(void)
{
    if (live_queue())
        return 1;
    put_desc(0, data_page(), 16, F_NEXT, 1);
    put_desc(1, data_page(), 16, F_NEXT, 0);     /* 0 -> 1 -> 0 ... */
    kick(0, 0);
    return needs_reset();
}

static int a_desc_chain_too_long(void)
{
    uint64_t t, piece = data_page();
    uint8_t *tbl;
    unsigned i, n = 600;             /* more pieces than any request may have */

    if (live_queue() || !(tbl = ep->bus.ops->dma_alloc(&ep->bus, 16384, &t)))
        return 1;
    for (i = 0; i < n; i++) {
        vmsg_put_le64(tbl + 16 * i, piece);
        vmsg_put_le32(tbl + 16 * i + 8, 1);
        vmsg_put_le16(tbl + 16 * i + 12, i + 1 < n ? F_NEXT : 0);
        vmsg_put_le16(tbl + 16 * i + 14, (uint16_t)(i + 1));
    }
    put_desc(0, t, 16 * n, F_INDIRECT, 0);
    kick(0, 0);
    return needs_reset();
}

static int a_head_out_of_range(void)
{
    if (live_queue())
        return 1;
    kick(500, 0);
    return needs_reset();
}

static int a_avail_idx_races_ahead(void)
{
    if (live_queue())
        return 1;
    put_desc(0, data_page(), 16, 0, 0);
    kick(0, 1000);                   /* 1000 new entries in a 16-entry ring */
    return needs_reset();
}

static int a_desc_gref_out_of_range(void)
{
    if (live_queue())
        return 1;
    put_desc(0, vmsg_gdma_addr(0xFFFFFu, 0), 16, 0, 0);
    kick(0, 0);
    return needs_reset();
}

static int a_desc_not_grant_address(void)
{
    if (live_queue())
        return 1;
    put_desc(0, 0x7000, 16, 0, 0);
    kick(0, 0);
    return needs_reset();
}

static int a_desc_length_overflows(void)
{
    if (live_queue())
        return 1;
    put_desc(0, data_page() + 4000, 0xFFFFFFFFu, F_WRITE, 0);
    kick(0, 0);
    return needs_reset();
}

static int a_indirect_bad_length(void)
{
    if (live_queue())
        return 1;
    put_desc(0, data_page(), 17, F_INDIRECT, 0);  /* not a multiple of 16 */
    kick(0, 0);
    return needs_reset();
}

static int a_indirect_nested(void)
{
    uint64_t t = data_page();
    uint8_t *tbl = NULL;

    if (live_queue())
        return 1;
    /* The data page holds an indirect table whose entry is indirect again. */
    tbl = pool_ptr(t);
    if (!tbl)
        return 1;
    vmsg_put_le64(tbl, t);
    vmsg_put_le32(tbl + 8, 16);
    vmsg_put_le16(tbl + 12, F_INDIRECT);
    put_desc(0, t, 16, F_INDIRECT, 0);
    kick(0, 0);
    return needs_reset();
}

static int a_desc_revoked(void)
{
    uint64_t a;

    if (live_queue() || revoked_addr(&a))      /* revoked before the kick */
        return 1;
    put_desc(0, a, 16, 0, 0);
    kick(0, 0);
    return needs_reset();
}

/* A frontend that keeps its queue full: five 64 KiB reads (320 KiB, more
 * than one of the backend's batches) offered, then for QUEUE_HOG_MS each
 * answer put straight back, an EVENT_AVAIL only where the device asks, as
 * a greedy but correct driver would.  Served until the queue runs dry, it
 * would hold the backend's loop for as long as it likes; hostile.sh
 * checks that the victim's rounds go on meanwhile.  The backend must
 * still answer us afterwards.  Where hostile.sh names the victim's round
 * counter (HOG_VICTIM_ROUNDS) and the round to wait for (HOG_VICTIM_WANT)
 * the hog goes on past QUEUE_HOG_MS until the victim got there, up to
 * QUEUE_HOG_MAX_MS: a victim slowed by a loaded machine (sanitizers,
 * tests in parallel) then still passes, a starved one does not. */
#define QUEUE_HOG_MS 3000
#define QUEUE_HOG_MAX_MS 30000

static bool victim_reached(void)
{
    const char *path = getenv("HOG_VICTIM_ROUNDS"), *want = getenv("HOG_VICTIM_WANT");
    long n = -1;
    FILE *f;

    if (!path || !want)
        return true;
    if (!(f = fopen(path, "r")))
        return false;
    if (fscanf(f, "%ld", &n) != 1)   /* caught mid-write: look again */
        n = -1;
    fclose(f);
    return n >= atol(want);
}

static int a_queue_hog(void)
{
    uint64_t data, hdrs;
    uint8_t *h;
    uint16_t used_seen = 0, k;
    struct vmsg m;
    uint8_t buf[32];
    struct timespec t0, t;
    unsigned n = QS / 3, i, answers = 0;
    long ms = 0, looked = 0;
    bool reached = false;

    if (live_queue() || !ep->bus.ops->dma_alloc(&ep->bus, 65536, &data) ||
        !ep->bus.ops->dma_alloc(&ep->bus, 4096, &hdrs) || !(h = pool_ptr(hdrs)))
        return 1;
    for (i = 0; i < n; i++) {        /* header | 64 KiB | status, 32 bytes apart */
        vmsg_put_le32(h + 32 * i, 0);                /* VIRTIO_BLK_T_IN */
        vmsg_put_le32(h + 32 * i + 4, 0);
        vmsg_put_le64(h + 32 * i + 8, 128 * i);
        put_desc(3 * i, hdrs + 32 * i, 16, F_NEXT, (uint16_t)(3 * i + 1));
        put_desc(3 * i + 1, data, 65536, F_WRITE | F_NEXT, (uint16_t)(3 * i + 2));
        put_desc(3 * i + 2, hdrs + 32 * i + 16, 1, F_WRITE, 0);
        avail_put((uint16_t)(3 * i), 1);
    }
    avail_publish();
    vmsg_init_request(&m, false, VMSG_EVENT_AVAIL, 0);
    m.u.event_avail.next_offset = avail_idx;
    raw(buf, (size_t)vmsg_encode(&m, buf, sizeof(buf)));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        uint16_t used = vmsg_get_le16(qmem + 512 + 2);

        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        for (k = used_seen; k != used; k++, answers++)     /* straight back */
            avail_put((uint16_t)vmsg_get_le32(qmem + 512 + 4 + 8 * (k % QS)), 1);
        avail_publish();
        /* An EVENT_AVAIL where the device asks (VRING_USED_F_NO_NOTIFY
         * clear), so that it never stops. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (used != used_seen && !(vmsg_get_le16(qmem + 512) & 1)) {
            m.u.event_avail.next_offset = avail_idx;
            raw(buf, (size_t)vmsg_encode(&m, buf, sizeof(buf)));
        }
        used_seen = used;
        vmsg_ring_ep_poll(ep, 0);    /* read its EVENT_USEDs: we only hog */
        clock_gettime(CLOCK_MONOTONIC, &t);
        ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= QUEUE_HOG_MS && ms - looked >= 20) {   /* a file read per 20 ms */
            looked = ms;
            reached = victim_reached();
        }
    } while (ms < QUEUE_HOG_MS || (!reached && ms < QUEUE_HOG_MAX_MS));
    fprintf(stderr, "attack: %u answers in %ld ms%s\n", answers, ms,
            reached ? "" : "; the victim did not reach its round");
    return answers > 0 ? answered() : 1;
}

static const struct {
    const char *name;
    int (*fn)(void);
} attacks[] = {
    { "ring-overrun", a_ring_overrun },
    { "record-too-long", a_record_too_long },
    { "record-too-short", a_record_too_short },
    { "prod-backwards", a_prod_backwards },
    { "prod-misaligned", a_prod_misaligned },
    { "garbage", a_garbage },
    { "msg-size-lies", a_msg_size_lies },
    { "truncated", a_truncated },
    { "unknown-id", a_unknown_id },
    { "response-to-device", a_response_to_device },
    { "bus-msg-dev-num", a_bus_msg_dev_num },
    { "absent-device", a_absent_device },
    { "event-wrong-way", a_event_wrong_way },
    { "flood", a_flood },
    { "event-storm", a_event_storm },
    { "burst-one-kick", a_burst_one_kick },
    { "status-out-of-order", a_status_out_of_order },
    { "status-clears-bits", a_status_clears_bits },
    { "features-not-offered", a_features_not_offered },
    { "config-write-out-of-range", a_config_write_out_of_range },
    { "config-read-out-of-range", a_config_read_out_of_range },
    { "vqueue-before-features", a_vqueue_before_features },
    { "vqueue-bad-size", a_vqueue_bad_size },
    { "vqueue-while-live", a_vqueue_while_live },
    { "avail-before-driver-ok", a_avail_before_driver_ok },
    { "avail-absent-queue", a_avail_absent_queue },
    { "queue-not-grant-address", a_queue_not_grant_address },
    { "queue-gref-out-of-range", a_queue_gref_out_of_range },
    { "queue-revoked-grant", a_queue_revoked },
    { "queue-address-wraps", a_queue_address_wraps },
    { "desc-loop", a_desc_loop },
    { "desc-chain-too-long", a_desc_chain_too_long },
    { "head-out-of-range", a_head_out_of_range },
    { "avail-idx-races-ahead", a_avail_idx_races_ahead },
    { "desc-gref-out-of-range", a_desc_gref_out_of_range },
    { "desc-not-grant-address", a_desc_not_grant_address },
    { "desc-length-overflows", a_desc_length_overflows },
    { "indirect-bad-length", a_indirect_bad_length },
    { "indirect-nested", a_indirect_nested },
    { "desc-revoked-grant", a_desc_revoked },
    { "queue-hog", a_queue_hog },
};

int main(int argc, char **argv)
{
    size_t i;
    int rc;

    if (argc == 2 && !strcmp(argv[1], "list")) {
        for (i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
            printf("%s\n", attacks[i].name);
        return 0;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: attack NAME PATH DOMID | attack NAME --xen DEVID | attack list\n");
        return 2;
    }
    for (i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
        if (!strcmp(attacks[i].name, argv[1]))
            break;
    if (i == sizeof(attacks) / sizeof(attacks[0])) {
        fprintf(stderr, "attack: unknown attack %s\n", argv[1]);
        return 2;
    }
    if (!strcmp(argv[2], "--xen")) {
#ifdef HAVE_XEN
        /* A small pool: the attacks need a few pages, not the default 2 MiB.
         * VMSG_XEN_PERSISTENT=0: attack the backend's per-request mapping. */
        const char *pers = getenv("VMSG_XEN_PERSISTENT");

        rc = vmsg_xen_fe_connect(&xfe, (uint32_t)atoi(argv[3]), 64,
                                 pers && !strcmp(pers, "0") ? VMSG_XEN_FE_TRANSIENT : 0, 30000);
        ep = &xfe.ep;
        ring_mem = xfe.ring;
        pool_ptr = xen_pool_ptr;
#else
        fprintf(stderr, "attack: built without the Xen libraries\n");
        return 2;
#endif
    } else {
        rc = vmsg_host_fe_connect(&hfe, argv[2], (uint32_t)atoi(argv[3]), 64);
        ep = &hfe.ep;
        ring_mem = hfe.ring_mem;
        pool_ptr = host_pool_ptr;
    }
    if (rc) {
        fprintf(stderr, "attack: connect: %s\n", strerror(-rc));
        return 1;
    }
    ctl = (volatile struct vmsg_ring_ctl *)ring_mem;
    rc = attacks[i].fn();
#ifdef HAVE_XEN
    if (denied.mem)
        gnt_unshare(&denied);
    if (ep == &xfe.ep)
        vmsg_xen_fe_close(&xfe);
    else
#endif
        vmsg_host_fe_close(&hfe);
    return rc;
}
