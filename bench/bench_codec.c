/* SPDX-License-Identifier: MIT */
/*
 * bench_codec ITER [KIND]: encode + validate + decode of every message kind
 * (or only kind number KIND), ITER times each.  bench/run.sh runs it under
 * callgrind collecting only inside vmsg_encode and vmsg_decode, so
 * instructions per message = collected / messages.
 */
#include <stdio.h>
#include <stdlib.h>

#include "virtio-msg/msg.h"

static const uint8_t data[16];

int main(int argc, char **argv)
{
    static const struct vmsg ms[] = {
        { .type = 0, .msg_id = VMSG_GET_DEVICE_STATUS, .dev_num = 1 },
        { .type = 1, .msg_id = VMSG_GET_DEVICE_STATUS, .dev_num = 1, .u.status = 15 },
        { .type = 0, .msg_id = VMSG_SET_DEVICE_STATUS, .u.status = 3 },
        { .type = 0, .msg_id = VMSG_GET_CONFIG, .u.config = { .offset = 0, .length = 8 } },
        { .type = 1, .msg_id = VMSG_GET_CONFIG, .u.config = { 1, 0, 8, 8, data } },
        { .type = 0, .msg_id = VMSG_SET_VQUEUE, .u.vqueue = { 0, 0, 256, 0x1000, 0x2000, 0x3000 } },
        { .type = 1, .msg_id = VMSG_GET_VQUEUE, .u.vqueue = { 0, 256, 0, 0, 0, 0 } },
        { .type = 0, .msg_id = VMSG_EVENT_AVAIL, .u.event_avail = { 0, 0 } },
        { .type = 0, .msg_id = VMSG_EVENT_USED, .u.vq_index = 0 },
        { .type = 1, .msg_id = VMSG_GET_DEVICE_INFO, .u.dev_info = { 2, 0, 64, 60, 1, 0, 0 } },
    };
    long iter = argc > 1 ? atol(argv[1]) : 1000, i;
    unsigned k, k0 = 0, n = sizeof(ms) / sizeof(ms[0]);
    uint8_t buf[64];
    uint64_t sum = 0;

    if (argc > 2) {                  /* one kind only */
        k0 = (unsigned)atoi(argv[2]);
        if (k0 >= n)
            return 2;
        n = k0 + 1;
    }
    for (i = 0; i < iter; i++) {
        for (k = k0; k < n; k++) {
            struct vmsg in = ms[k], out;
            int len = vmsg_encode(&in, buf, sizeof(buf));
            if (len < 0 || vmsg_decode(buf, (size_t)len, 276, &out))
                return 1;
            sum += out.msg_size;
        }
    }
    printf("%u kinds x %ld: %llu bytes\n", n - k0, iter, (unsigned long long)sum);
    return 0;
}
