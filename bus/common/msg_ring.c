/* SPDX-License-Identifier: MIT */
/* The shared message ring (see msg_ring.h). */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "msg_ring.h"

#define MASK (VMSG_RING_DATA - 1)

_Static_assert(sizeof(struct vmsg_ring_ctl) == 192, "ctl is three cache lines");
_Static_assert((VMSG_RING_DATA & MASK) == 0, "ring size is a power of two");

_Static_assert(VMSG_RING_CTL_B2F >= sizeof(struct vmsg_ring_ctl) &&
               VMSG_RING_CTL_B2F + sizeof(struct vmsg_ring_ctl) <= VMSG_RING_LAYOUT_OFF,
               "control blocks and magic fit page 0");

void vmsg_ring_format(void *pages)
{
    uint32_t magic = htole32(VMSG_RING_LAYOUT);

    memset(pages, 0, VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE);
    memcpy((uint8_t *)pages + VMSG_RING_LAYOUT_OFF, &magic, 4);
}

bool vmsg_ring_layout_ok(const void *pages)
{
    uint32_t magic;

    memcpy(&magic, (const uint8_t *)pages + VMSG_RING_LAYOUT_OFF, 4);
    return le32toh(magic) == VMSG_RING_LAYOUT;
}

void vmsg_ring_attach(struct vmsg_ring *r, void *pages, bool to_backend,
                      bool producer, uint32_t max_msg)
{
    uint8_t *p = pages;

    memset(r, 0, sizeof(*r));
    r->ctl = (volatile struct vmsg_ring_ctl *)(p + (to_backend ? 0 : VMSG_RING_CTL_B2F));
    r->data = p + VMSG_RING_PAGE_SIZE * (to_backend ? 1 : 2);
    r->max_msg = max_msg;
    r->local = le32toh(producer ? r->ctl->prod : r->ctl->cons);
    r->seen_cons = le32toh(r->ctl->cons);
    r->last_start = r->local;
    if (r->local % 4)
        r->broken = true;            /* a header word would be misaligned */
}

static uint32_t rec_size(size_t len)
{
    return (uint32_t)((4 + len + 3) & ~(size_t)3);
}

/* Of @n bytes at ring position @pos, how many come before the end. */
static size_t before_end(uint32_t pos, size_t n)
{
    size_t room = VMSG_RING_DATA - (pos & MASK);

    return n < room ? n : room;
}

/* Copy between a linear buffer and the ring, or zero a stretch of it,
 * wrapping at the end. */
static void ring_write(struct vmsg_ring *r, uint32_t pos, const void *src,
                       size_t n)
{
    size_t first = before_end(pos, n);

    memcpy((uint8_t *)r->data + (pos & MASK), src, first);
    memcpy((uint8_t *)r->data, (const uint8_t *)src + first, n - first);
}

static void ring_read(struct vmsg_ring *r, uint32_t pos, void *dst, size_t n)
{
    size_t first = before_end(pos, n);

    memcpy(dst, (const uint8_t *)r->data + (pos & MASK), first);
    memcpy((uint8_t *)dst + first, (const uint8_t *)r->data, n - first);
}

static void ring_zero(struct vmsg_ring *r, uint32_t pos, size_t n)
{
    size_t first = before_end(pos, n);

    memset((uint8_t *)r->data + (pos & MASK), 0, first);
    memset((uint8_t *)r->data, 0, n - first);
}

int vmsg_ring_put(struct vmsg_ring *r, const void *msg, size_t len)
{
    static const uint8_t zeros[4];
    uint32_t cons, used, need = rec_size(len);

    if (r->broken)
        return -EPROTO;
    if (len < 8 || len > r->max_msg)
        return -EMSGSIZE;
    /* The consumer's counter is read only when the space it last left is
     * not enough (the consumer only moves it forward, so the old value
     * never shows more room than there is): its cache line then stays
     * with the consumer, which writes it for every message -- one
     * transfer between CPUs less per message. */
    used = r->local - r->seen_cons;
    if (used > VMSG_RING_DATA || VMSG_RING_DATA - used < need) {
        cons = le32toh(r->ctl->cons);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        used = r->local - cons;
        if (used > VMSG_RING_DATA) {
            r->broken = true;        /* consumer ran past us */
            return -EPROTO;
        }
        r->seen_cons = cons;
        if (VMSG_RING_DATA - used < need)
            return -EAGAIN;
    }
    ring_write(r, r->local + 4, msg, len);
    ring_write(r, r->local + 4 + (uint32_t)len, zeros, need - 4 - len);
    /* The message before the header that makes it a record (layout 3),
     * the header before the index that publishes it. */
    __atomic_store_n(vmsg_ring_hdr(r, r->local), htole32((uint32_t)len), __ATOMIC_RELEASE);
    r->local += need;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    r->ctl->prod = htole32(r->local);
    return 0;
}

int vmsg_ring_get(struct vmsg_ring *r, void *buf, size_t cap)
{
    uint32_t word, prod, ahead, len, need;

    if (r->broken)
        return -EPROTO;
    /* Both loads at once (the record's line and prod's), then the fence
     * that orders them before the reads of the record. */
    word = *vmsg_ring_hdr(r, r->local);
    prod = le32toh(r->ctl->prod);    /* read once */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    ahead = prod - r->local;
    if (prod % 4 || (ahead > VMSG_RING_DATA && prod != r->last_start))
        goto bad;
    if (!word) {
        if (ahead == 0 || ahead > VMSG_RING_DATA)
            return 0;
        /* Prod shows a record: its header was written before prod, so a
         * second look must find it. */
        word = *vmsg_ring_hdr(r, r->local);
        if (!word)
            goto bad;
    }
    len = le32toh(word);             /* le16 length, le16 zero */
    need = rec_size(len);
    if (len < 8 || len > r->max_msg || len > cap ||
        (ahead <= VMSG_RING_DATA && ahead != 0 && need > ahead))
        goto bad;
    ring_read(r, r->local + 4, buf, len);
    /* Zeroed, so that only a new header shows a record here again. */
    ring_zero(r, r->local, need);
    r->last_start = r->local;
    r->local += need;
    /* Our copy and zeroes are done before the producer may reuse the
     * space. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    r->ctl->cons = htole32(r->local);
    return (int)len;
bad:
    r->broken = true;
    return -EPROTO;
}

void vmsg_ring_set_polling(struct vmsg_ring *r, bool on)
{
    r->ctl->cons_flags = htole32(on ? VMSG_RING_F_POLLING : 0);
    /* Dekker with vmsg_ring_peer_polls(): our flag store before our next
     * look at the ring (a header, prod), as the producer's header and prod
     * stores are before its flag read. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool vmsg_ring_peer_polls(const struct vmsg_ring *r)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return le32toh(r->ctl->cons_flags) & VMSG_RING_F_POLLING;
}
