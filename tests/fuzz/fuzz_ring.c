/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the message ring consumer against a hostile producer: the input is
 * a script of "set prod", "write bytes into the data page" and "consume"
 * steps on shared memory.  Properties: a message handed out is never
 * longer than the bus maximum; once the ring is broken it stays broken;
 * the consumer never reads outside the ring (ASan) and never loops.
 */
#include <string.h>

#include "fuzz.h"
#include "../../bus/common/msg_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ring;
    uint8_t buf[1024];
    struct vmsg_ring r;
    uint32_t max = 48 + (size ? data[0] % 200 : 0);
    size_t i = 1;
    int steps = 0;
    bool broken = false;

    if (!ring)
        ring = malloc(VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE);
    vmsg_ring_format(ring);
    vmsg_ring_attach(&r, ring, true, false, max);
    while (i < size && steps++ < 512) {
        uint8_t op = data[i++];
        volatile struct vmsg_ring_ctl *ctl = (volatile struct vmsg_ring_ctl *)ring;
        uint8_t *page = ring + VMSG_RING_PAGE_SIZE;
        int n;

        switch (op % 3) {
        case 0:                      /* producer index: anything */
            if (i + 4 <= size) {
                uint32_t p;
                memcpy(&p, data + i, 4);
                ctl->prod = p;
                i += 4;
            }
            break;
        case 1: {                    /* bytes at an offset of the data page */
            uint16_t off = 0;
            uint8_t len;
            if (i + 3 > size)
                break;
            memcpy(&off, data + i, 2);
            len = data[i + 2];
            i += 3;
            off %= VMSG_RING_DATA;
            if (len > size - i)
                len = (uint8_t)(size - i);
            if (len > VMSG_RING_DATA - off)
                len = (uint8_t)(VMSG_RING_DATA - off);
            memcpy(page + off, data + i, len);
            i += len;
            break;
        }
        default:
            n = vmsg_ring_get(&r, buf, sizeof(buf));
            FUZZ_CHECK(n <= (int)max);
            if (broken)
                FUZZ_CHECK(n < 0);
            broken = n < 0;
            break;
        }
    }
    return 0;
}
