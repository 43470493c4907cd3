/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the parser of virtio_msg = [...] entries (an operator's config is
 * not trusted to be well formed).  Properties: it accepts or refuses with
 * a message; what it accepts has a known type, a NUL-terminated params
 * string without spaces or quotes, and a devid in range.
 */
#include <string.h>

#include "fuzz.h"
#include "../../tools/xl_entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[2048], err[256];
    struct xl_entry e;
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;

    memcpy(text, data, n);
    text[n] = '\0';
    err[0] = '\0';
    if (xl_entry_parse(text, &e, err, sizeof(err)) == 0) {
        FUZZ_CHECK(!strcmp(e.type, "blk") || !strcmp(e.type, "console") ||
                   !strcmp(e.type, "rng") || !strcmp(e.type, "net"));
        FUZZ_CHECK(memchr(e.params, '\0', sizeof(e.params)) != NULL);
        FUZZ_CHECK(!strpbrk(e.params, " \"'\\"));
        FUZZ_CHECK(e.devid >= -1 && e.devid <= 65535);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }
    return 0;
}
