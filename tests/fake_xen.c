/* SPDX-License-Identifier: MIT */
/* Fakes of the Xen libraries' calls that bus/xen/xen_be.c makes (fake_xen.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "fake_xen.h"

static struct { char key[32]; char val[64]; } kv[FAKE_XS_MAX];
static int nkv;
int fake_maps;
unsigned fake_copy_calls;
uint8_t fake_gnt_page[FAKE_GNT_PAGES][4096];
int fake_gnt_perm[FAKE_GNT_PAGES];

void fake_xs_clear(void)
{
    nkv = 0;
}

int fake_xs_set(const char *key, const char *val)
{
    if (nkv == FAKE_XS_MAX || strlen(key) >= sizeof(kv[0].key) || strlen(val) >= sizeof(kv[0].val))
        return -1;
    strcpy(kv[nkv].key, key);
    strcpy(kv[nkv].val, val);
    nkv++;
    return 0;
}

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
    uint8_t *p;
    uint32_t i;

    (void)xgt, (void)domid;
    if (count == 0 || count > 1024) {
        errno = EINVAL;
        return NULL;
    }
    for (i = 0; i < count; i++)      /* gntdev maps all or nothing */
        if (refs[i] < FAKE_GNT_PAGES && (fake_gnt_perm[refs[i]] == FAKE_GNT_NONE ||
                                         ((prot & PROT_WRITE) && fake_gnt_perm[refs[i]] != FAKE_GNT_RW))) {
            errno = EFAULT;
            return NULL;
        }
    if (!(p = aligned_alloc(4096, (size_t)count * 4096)))   /* as mmap: page-aligned */
        return NULL;
    memset(p, 0, (size_t)count * 4096);
    for (i = 0; i < count; i++)
        if (refs[i] < FAKE_GNT_PAGES)
            memcpy(p + (size_t)i * 4096, fake_gnt_page[refs[i]], 4096);
    fake_maps++;
    return p;
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    (void)xgt, (void)count;
    fake_maps--;
    free(start_address);
    return 0;
}

/* The page behind a foreign pointer of a copy segment, or NULL with the
 * status the hypervisor would give. */
static uint8_t *gnt_page(uint32_t ref, uint16_t offset, uint16_t len, bool write, int16_t *st)
{
    if (ref >= FAKE_GNT_PAGES || (uint32_t)offset + len > 4096) {
        *st = GNTST_bad_gntref;
        return NULL;
    }
    if (fake_gnt_perm[ref] == FAKE_GNT_NONE || (write && fake_gnt_perm[ref] != FAKE_GNT_RW)) {
        *st = GNTST_permission_denied;
        return NULL;
    }
    return fake_gnt_page[ref] + offset;
}

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
                         xengnttab_grant_copy_segment_t *segs)
{
    uint32_t i;

    (void)xgt;
    fake_copy_calls++;
    for (i = 0; i < count; i++) {
        xengnttab_grant_copy_segment_t *s = &segs[i];
        uint8_t *p;

        s->status = GNTST_okay;
        if (s->flags == GNTCOPY_source_gref) {
            p = gnt_page(s->source.foreign.ref, s->source.foreign.offset, s->len, false,
                         &s->status);
            if (p)
                memcpy(s->dest.virt, p, s->len);
        } else if (s->flags == GNTCOPY_dest_gref) {
            p = gnt_page(s->dest.foreign.ref, s->dest.foreign.offset, s->len, true, &s->status);
            if (p)
                memcpy(p, s->source.virt, s->len);
        } else {
            s->status = GNTST_general_error;
        }
    }
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
