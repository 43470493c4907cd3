/* SPDX-License-Identifier: MIT */
/* Parser of virtio_msg = [...] entries (see xl_entry.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_entry.h"

#define ENTRY_MAX 1024

struct key {
    const char *type;                /* NULL: every type */
    const char *name;
    const char *model;               /* the backend's option name, NULL: ours */
};

static const struct key keys[] = {
    { NULL, "type", NULL }, { NULL, "backend", NULL }, { NULL, "devid", NULL },
    { NULL, "packed", "packed" },
    { "blk", "target", "file" }, { "blk", "readonly", "readonly" },
    { "blk", "serial", "serial" }, { "blk", "queues", "queues" },
    { "console", "io", "io" },
    { "net", "bridge", "bridge" }, { "net", "tap", "tap" }, { "net", "mac", "mac" },
};

static const char *const types[] = { "blk", "console", "rng", "net" };

/* Values reach xenstore and a command line: printable, no quotes. */
static bool clean_value(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x21 || (unsigned char)*v > 0x7e || *v == '"' ||
            *v == '\'' || *v == '\\')
            return false;
    return true;
}

static const struct key *find_key(const char *type, const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!strcmp(keys[i].name, name) && (!keys[i].type || (type && !strcmp(keys[i].type, type))))
            return &keys[i];
    return NULL;
}

static int append(char *buf, const char *key, const char *val)
{
    size_t n = strlen(buf);
    int w = snprintf(buf + n, XLE_PARAMS_MAX - n, "%s%s=%s", n ? "," : "", key, val);

    return w < 0 || (size_t)w >= XLE_PARAMS_MAX - n ? -1 : 0;
}

int xl_entry_parse(const char *text, struct xl_entry *e, char *err, size_t errlen)
{
    char buf[ENTRY_MAX], *tok, *rest;
    const char *type = NULL;
    size_t i;
    bool have_target = false;

    memset(e, 0, sizeof(*e));
    e->devid = -1;
    strcpy(e->backend, "0");
    if (strlen(text) >= sizeof(buf)) {
        snprintf(err, errlen, "entry longer than %d characters", ENTRY_MAX - 1);
        return -EINVAL;
    }
    strcpy(buf, text);
    /* First pass: the type decides which keys are valid. */
    for (rest = buf; (tok = strsep(&rest, ","));)
        if (!strncmp(tok, "type=", 5)) {
            if (type) {
                snprintf(err, errlen, "'%s': type given twice", text);
                return -EINVAL;
            }
            type = text + (tok - buf) + 5;
        }
    if (!type) {
        snprintf(err, errlen, "'%s': no type= (blk, console, rng, net)", text);
        return -EINVAL;
    }
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t n = strlen(types[i]);
        if (!strncmp(type, types[i], n) && (type[n] == ',' || !type[n])) {
            strcpy(e->type, types[i]);
            break;
        }
    }
    if (!e->type[0]) {
        snprintf(err, errlen, "'%s': unknown type (blk, console, rng, net)", text);
        return -EINVAL;
    }
    strcpy(buf, text);
    for (rest = buf; (tok = strsep(&rest, ","));) {
        char *eq = strchr(tok, '=');
        const struct key *k;

        if (!eq || eq == tok || !eq[1]) {
            snprintf(err, errlen, "'%s': expected key=value", tok);
            return -EINVAL;
        }
        *eq = '\0';
        if (!(k = find_key(e->type, tok))) {
            snprintf(err, errlen, "'%s': unknown key for type=%s", tok, e->type);
            return -EINVAL;
        }
        if (!clean_value(eq + 1)) {
            snprintf(err, errlen, "%s=: value has spaces, quotes or control characters", tok);
            return -EINVAL;
        }
        if (!strcmp(tok, "type"))
            continue;
        if (!strcmp(tok, "backend")) {
            if (strlen(eq + 1) >= sizeof(e->backend)) {
                snprintf(err, errlen, "backend=: name too long");
                return -EINVAL;
            }
            strcpy(e->backend, eq + 1);
        } else if (!strcmp(tok, "devid")) {
            char *end;
            long v = strtol(eq + 1, &end, 10);
            if (*end || v < 0 || v > 65535 || eq[1] < '0' || eq[1] > '9') {
                snprintf(err, errlen, "devid=%s: expected 0..65535", eq + 1);
                return -EINVAL;
            }
            e->devid = v;
        } else {
            if (!strcmp(tok, "target")) {
                if (eq[1] != '/') {
                    snprintf(err, errlen, "target=%s: an absolute path is needed", eq + 1);
                    return -EINVAL;
                }
                have_target = true;
            }
            if (append(e->params, k->model, eq + 1)) {
                snprintf(err, errlen, "'%s': options too long", text);
                return -EINVAL;
            }
        }
    }
    if (!strcmp(e->type, "blk") && !have_target) {
        snprintf(err, errlen, "'%s': type=blk needs target=/path/to/image", text);
        return -EINVAL;
    }
    return 0;
}
