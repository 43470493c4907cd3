/* SPDX-License-Identifier: MIT */
/* Device specs: "TYPE,key=value,..." from the command line or a file. */
#ifndef VMSG_BACKEND_SPEC_H
#define VMSG_BACKEND_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models.h"

#define SPEC_MAX 256

struct dev_spec {
    char *text;                      /* as given, for messages */
    char *type;
    uint32_t domid;                  /* frontend it belongs to (domid=, default 1) */
    uint16_t dev_num;                /* devid= or the next free number */
    struct model_opts opts;          /* the model's own options */
    char *buf;                       /* storage for the strings above */
    bool from_store;                 /* written to the host store */
};

struct spec_list {
    struct dev_spec s[SPEC_MAX];
    int n;
};

/* Parse one spec and append it.  0, or -EINVAL with a message in @err. */
/* Parse one spec into @s (devid= into *devid, UINT32_MAX if absent). */
int spec_parse(struct dev_spec *s, const char *text, uint32_t *devid,
               char *err, size_t errlen);
void spec_clear(struct dev_spec *s);
int spec_add(struct spec_list *l, const char *text, char *err, size_t errlen);
/* Parse a config file, one spec per line, # comments.  Messages name the
 * file and line. */
int spec_load_file(struct spec_list *l, const char *path, char *err, size_t errlen);
void spec_free(struct spec_list *l);

#endif
