/* SPDX-License-Identifier: MIT */
/*
 * The host store's request handler against hostile clients: the input is
 * a sequence of [client byte][le16 length][packet] records from up to four
 * clients, with clients dropping in between.  Properties: nothing crashes
 * or leaks, every reply and event is well formed, the limits hold.
 */
#include <string.h>

#include "fuzz.h"
#include "../../bus/host/store_core.h"
#include "../../bus/host/store_proto.h"

static void check_send(void *ctx, int client, const void *buf, size_t len)
{
    struct vhs_hdr h;

    (void)ctx;
    FUZZ_CHECK(client >= 0 && client < 4);
    FUZZ_CHECK(len >= sizeof(h));
    memcpy(&h, buf, sizeof(h));
    FUZZ_CHECK(h.op == VHS_REPLY || h.op == VHS_EVENT);
    FUZZ_CHECK(len == sizeof(h) + h.plen + h.vlen);
    FUZZ_CHECK(h.plen <= VMSG_STORE_MAX_PATH);
    FUZZ_CHECK(h.err <= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct store_core_cbs cbs = { check_send, NULL, NULL };
    struct store_core *s = store_core_new(&cbs);
    size_t off = 0;

    if (!s)
        return 0;
    while (off + 3 <= size) {
        int client = data[off] & 3;
        size_t len = data[off + 1] | (size_t)data[off + 2] << 8;

        off += 3;
        if (data[off - 3] & 0x80) {  /* the client hangs up first */
            store_core_drop_client(s, client);
            continue;
        }
        if (len > size - off)
            len = size - off;
        store_core_handle(s, client, data + off, len);
        off += len;
        FUZZ_CHECK(store_core_nodes(s) <= STORE_MAX_NODES);
        FUZZ_CHECK(store_core_watches(s) <= STORE_MAX_WATCHES);
    }
    store_core_free(s);
    return 0;
}
