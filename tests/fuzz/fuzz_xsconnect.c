/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the backend's reading of a frontend's xenstore nodes (Xen bus):
 * the input is "key=value" lines standing for what a hostile guest wrote
 * under device/virtio_msg/<id>/ (ring-pages, ring-ref0.., event-channel,
 * msg-size, feature-persistent).  libxenstore, libxengnttab and
 * libxenevtchn are replaced at link time by fakes (as blktap's mockatests
 * do), so vmsg_xen_be_connect() runs its real validation.  Properties: it
 * accepts or refuses with a message; what it accepts has an agreed message
 * size in 48..1024; after close no mapping is left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "fuzz.h"
#include "virtio-msg/xen.h"

#define MAXKV 16
static struct { char key[32]; char val[64]; } kv[MAXKV];
static int nkv, maps;

/* ---- fakes ---- */
void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len)
{
    const char *leaf = strrchr(path, '/');
    int i;

    (void)h;
    (void)t;
    leaf = leaf ? leaf + 1 : path;
    for (i = 0; i < nkv; i++)
        if (!strcmp(kv[i].key, leaf)) {
            *len = (unsigned)strlen(kv[i].val);
            return strdup(kv[i].val);
        }
    errno = ENOENT;
    return NULL;
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned int len)
{
    (void)h, (void)t, (void)path, (void)data, (void)len;
    return true;
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot)
{
    (void)xgt, (void)domid, (void)refs, (void)prot;
    if (count == 0 || count > 256)
        return NULL;
    maps++;
    return calloc(count, 4096);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    (void)xgt, (void)count;
    maps--;
    free(start_address);
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    (void)xce, (void)domid;
    return remote_port == 0 ? -1 : 7;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce, (void)port;
    return 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce, (void)port;
    return 0;
}

/* ---- harness ---- */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1024], err[160], *line, *rest;
    struct vmsg_xen_be be;
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;

    memcpy(text, data, n);
    text[n] = '\0';
    nkv = 0;
    for (rest = text; (line = strsep(&rest, "\n")) && nkv < MAXKV;) {
        char *eq = strchr(line, '=');
        if (!eq || eq - line >= 32 || strlen(eq + 1) >= 64)
            continue;
        memcpy(kv[nkv].key, line, (size_t)(eq - line));
        kv[nkv].key[eq - line] = '\0';
        strcpy(kv[nkv].val, eq + 1);
        nkv++;
    }
    maps = 0;
    err[0] = '\0';
    if (vmsg_xen_be_connect(&be, (struct xs_handle *)1, (struct xenevtchn_handle *)1,
                            (struct xengntdev_handle *)1, 1, "/local/domain/1/device/virtio_msg/0",
                            VMSG_XEN_MAX_MSG, err, sizeof(err)) == 0) {
        FUZZ_CHECK(be.ep.max_msg >= 48 && be.ep.max_msg <= VMSG_XEN_MAX_MSG);
        vmsg_xen_be_close(&be);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }
    FUZZ_CHECK(maps == 0);
    return 0;
}
