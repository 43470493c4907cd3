/* SPDX-License-Identifier: MIT */
/*
 * The message ring both our buses (host and Xen) use: three shared pages
 * granted by the frontend.  Page 0 holds the two control blocks (at 0 for
 * frontend->backend, at 256 for backend->frontend) and, in its last word,
 * the layout's magic; page 1 carries frontend->backend messages, page 2
 * backend->frontend.
 *
 * A control block gives each counter a cache line of its own, and the
 * consumer's flags a third: the consumer writes cons for every message
 * and the flags only when it starts or stops spinning, while the producer
 * reads the flags for every message (to know whether to kick), so a
 * shared line would move between the CPUs at every message.  Layout 2
 * (layout 1 had the flags next to cons); a backend refuses a ring without
 * its magic, so a frontend of another layout fails to connect instead of
 * misreading the flags (or, since layout 3, racing a header written
 * first).
 *
 * Each direction is a single-producer single-consumer byte ring of
 * free-running 32-bit counters; a record is le16 length, le16 zero, the
 * message, zero padding to 4 bytes.
 *
 * Layout 3: the producer writes a record's message and padding first and
 * its 4-byte header last (one aligned store, release), then prod; the
 * consumer zeroes every record it has copied out before it moves cons.
 * So the consumer may find a record by its header alone: a nonzero word
 * at cons is a whole record.  A spinning consumer then waits on the cache
 * line the record itself is in, and takes it in one transfer between
 * CPUs instead of two (prod's line, then the record's): 14% of a
 * polling round trip here.  Prod is still written (a consumer may
 * sleep on it, or read it as layout 2 did) and still checked: the
 * consumer reads it at every get and breaks the ring if it is
 * misaligned, more than a ring ahead of cons, behind the start of the
 * last record taken (the only place an honest prod can lag to), or shows
 * a record whose header is zero.  Every record length is checked against
 * the bus maximum, and each message is copied out before anyone looks at
 * it.  A peer that breaks these rules makes vmsg_ring_get() return
 * -EPROTO forever after.
 */
#ifndef VMSG_MSG_RING_H
#define VMSG_MSG_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <endian.h>

#define VMSG_RING_PAGES     3u
#define VMSG_RING_PAGE_SIZE 4096u
#define VMSG_RING_DATA      4096u     /* bytes per direction, power of 2 */
#define VMSG_RING_CTL_B2F   256u      /* offset of the backend->frontend control block */
#define VMSG_RING_LAYOUT_OFF 4092u    /* le32 magic in page 0 */
#define VMSG_RING_LAYOUT    0x33524d56u /* "VMR3": layout 3 */
#define VMSG_RING_LAYOUT_VERSION 3

struct vmsg_ring_ctl {
    uint32_t prod;                   /* le32, written by the producer */
    uint32_t pad0[15];
    uint32_t cons;                   /* le32, written by the consumer */
    uint32_t pad1[15];
    uint32_t cons_flags;             /* le32, written by the consumer */
    uint32_t pad2[15];
};

/* cons_flags: the consumer is spinning on prod, so the producer need not
 * kick its event channel (the idea of VRING_USED_F_NO_NOTIFY).  Only the
 * side that sets it loses if it lies. */
#define VMSG_RING_F_POLLING 1u

/* One direction, as seen by one side. */
struct vmsg_ring {
    volatile struct vmsg_ring_ctl *ctl;
    volatile uint8_t *data;
    uint32_t max_msg;                /* bus maximum message size */
    uint32_t local;                  /* our counter (prod or cons) */
    uint32_t seen_cons;              /* producer: the consumer's counter when last read */
    uint32_t last_start;             /* consumer: where the last record taken began */
    bool broken;
};

/* Zero a fresh ring area and write the layout's magic (frontend, before
 * granting it). */
void vmsg_ring_format(void *pages);

/* Backend: does the ring area carry our layout's magic? */
bool vmsg_ring_layout_ok(const void *pages);

/* Attach to direction @to_backend of the ring area at @pages. */
void vmsg_ring_attach(struct vmsg_ring *r, void *pages, bool to_backend,
                      bool producer, uint32_t max_msg);

/* Producer: 0, -EAGAIN if no room now, -EMSGSIZE, -EPROTO (broken). */
int vmsg_ring_put(struct vmsg_ring *r, const void *msg, size_t len);

/* Consumer: message length copied into @buf (cap >= max_msg), 0 if the
 * ring is empty, -EPROTO if the producer broke the protocol. */
int vmsg_ring_get(struct vmsg_ring *r, void *buf, size_t cap);

/* In a spin loop: let the sibling hyperthread (or the host) run. */
static inline void vmsg_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* The header word of the record at @pos (zero: none there yet). */
static inline volatile uint32_t *vmsg_ring_hdr(const struct vmsg_ring *r, uint32_t pos)
{
    return (volatile uint32_t *)(r->data + (pos & (VMSG_RING_DATA - 1)));
}

/* Consumer: is a record waiting (a cheap look at its header, no checks;
 * layout 3)? */
static inline bool vmsg_ring_pending(const struct vmsg_ring *r)
{
    return *vmsg_ring_hdr(r, r->local) != 0;
}

/* Consumer: say whether we poll.  Ordered before any later look at the ring:
 * after turning it off, look once more before sleeping. */
void vmsg_ring_set_polling(struct vmsg_ring *r, bool on);

/* Producer, after a put: does the consumer poll (no kick needed)?  Ordered
 * after the put's index store. */
bool vmsg_ring_peer_polls(const struct vmsg_ring *r);

/* Grant-based DMA addresses (shared/spec/DECISIONS.md 6). */
#define VMSG_GDMA_FLAG (1ull << 63)

static inline uint64_t vmsg_gdma_addr(uint32_t gref, uint32_t offset)
{
    return VMSG_GDMA_FLAG | ((uint64_t)gref << 12) | (offset & 0xFFFu);
}

static inline bool vmsg_gdma_split(uint64_t addr, uint32_t *gref,
                                   uint32_t *offset)
{
    uint64_t g = (addr & ~VMSG_GDMA_FLAG) >> 12;

    if (!(addr & VMSG_GDMA_FLAG) || g > UINT32_MAX)
        return false;
    *gref = (uint32_t)g;
    *offset = (uint32_t)(addr & 0xFFFu);
    return true;
}

#endif
