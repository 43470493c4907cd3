/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the message decoder and the JSON printer.  Property: whatever
 * decodes re-encodes to the same bytes (reserved type bits cleared), and
 * nothing is read outside the input.
 */
#include <string.h>

#include "fuzz.h"
#include "../../tools/msg_json.h"
#include "virtio-msg/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    uint8_t *copy, out[VMSG_ABS_MAX_SIZE];
    size_t max = size ? data[0] % 4 == 0 ? 48 : 0 : 0;
    struct vmsg m;
    int n;

    if (!null)
        null = fopen("/dev/null", "w");
    /* An exactly sized private copy: any over-read is caught by ASan. */
    copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    if (vmsg_decode(copy, size, max, &m) == 0) {
        vmsg_print_json(null, &m);
        n = vmsg_encode(&m, out, sizeof(out));
        FUZZ_CHECK(n == m.msg_size);
        FUZZ_CHECK(out[0] == (copy[0] & VMSG_TYPE_KNOWN_MASK));
        FUZZ_CHECK(memcmp(out + 1, copy + 1, (size_t)n - 1) == 0);
    }
    free(copy);
    return 0;
}
