/* SPDX-License-Identifier: MIT */
/*
 * Link-time fakes of libxenstore, libxengnttab and libxenevtchn, so tests
 * and fuzzers run the Xen backend's real code (bus/xen/xen_be.c) without
 * Xen, as blktap's mockatests do.
 *
 * xenstore: xs_read() of any path answers by its last component from a
 * table of "key=value" pairs.  Grants: the frontend's pages are
 * fake_gnt_page[]; grant copy honours fake_gnt_perm[] (a ref out of range
 * or without access fails with GNTST_bad_gntref / GNTST_permission_denied),
 * and a map returns fresh memory holding a copy of those pages (zeros for
 * refs past them; what is written there does not go back) and counts it
 * (fake_maps: mappings held), or fails as a whole (EFAULT) if a ref of
 * fake_gnt_page[] is not granted, or granted read-only and the map asks
 * for writing.
 */
#ifndef VMSG_FAKE_XEN_H
#define VMSG_FAKE_XEN_H

#include <stdint.h>

#define FAKE_XS_MAX 16
#define FAKE_GNT_PAGES 64

enum { FAKE_GNT_NONE, FAKE_GNT_RO, FAKE_GNT_RW };

void fake_xs_clear(void);
/* -1 if the table is full or the pair too long (the pair is then left out). */
int fake_xs_set(const char *key, const char *val);

extern int fake_maps;                /* gntdev mappings held */
extern unsigned fake_copy_calls;     /* grant-copy calls made */
extern uint8_t fake_gnt_page[FAKE_GNT_PAGES][4096];
extern int fake_gnt_perm[FAKE_GNT_PAGES];

#endif
