/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the backend's reading of a frontend's xenstore nodes (Xen bus):
 * the input is "key=value" lines standing for what a hostile guest wrote
 * under device/virtio_msg/<id>/ (ring-pages, ring-ref0.., event-channel,
 * msg-size, feature-persistent, pool-ref, pool-pages; the last fake page
 * is not granted, so a pool over it cannot be mapped).  libxenstore, libxengnttab and
 * libxenevtchn are replaced at link time by fakes (tests/fake_xen.c), so
 * vmsg_xen_be_connect() runs its real validation.  Properties: it
 * accepts or refuses with a message; what it accepts has an agreed message
 * size in 48..1024; after close no mapping is left.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../fake_xen.h"
#include "virtio-msg/xen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1024], err[160], *line, *rest;
    struct vmsg_xen_be be;
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
    static uint8_t ring[VMSG_RING_PAGES * VMSG_RING_PAGE_SIZE];
    static bool formatted;
    int i;

    if (!formatted)
        vmsg_ring_format(ring);
    formatted = true;
    memcpy(text, data, n);
    text[n] = '\0';
    fake_xs_clear();
    for (rest = text; (line = strsep(&rest, "\n"));) {
        char *eq = strchr(line, '=');

        if (eq) {
            *eq = '\0';
            fake_xs_set(line, eq + 1);   /* too long or too many: left out */
        }
    }
    fake_maps = 0;
    for (i = 0; i < FAKE_GNT_PAGES; i++) {   /* any ring-ref0 holds the layout's magic */
        memcpy(fake_gnt_page[i], ring, sizeof(fake_gnt_page[i]));
        fake_gnt_perm[i] = i == FAKE_GNT_PAGES - 1 ? FAKE_GNT_NONE : FAKE_GNT_RW;
    }
    err[0] = '\0';
    if (vmsg_xen_be_connect(&be, (struct xs_handle *)1, (struct xenevtchn_handle *)1,
                            (struct xengntdev_handle *)1, 1, "/local/domain/1/device/virtio_msg/0",
                            VMSG_XEN_MAX_MSG, err, sizeof(err)) == 0) {
        FUZZ_CHECK(be.ep.max_msg >= 48 && be.ep.max_msg <= VMSG_XEN_MAX_MSG);
        FUZZ_CHECK(!be.pool || (be.cache && be.pool_pages >= 1 &&
                                be.pool_pages <= VMSG_XEN_POOL_MAP_MAX &&
                                be.pool_ref <= UINT32_MAX - be.pool_pages));
        vmsg_xen_be_close(&be);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }
    FUZZ_CHECK(fake_maps == 0);
    return 0;
}
