/* SPDX-License-Identifier: MIT */
/* The host store: see store_core.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store_core.h"
#include "store_proto.h"

struct node {
    char *path;
    char *val;
};

struct watch {
    int client;
    char *path;
    char *token;
};

struct store_core {
    struct store_core_cbs cbs;
    struct node nodes[STORE_MAX_NODES];
    unsigned nnodes;
    struct watch watches[STORE_MAX_WATCHES];
    unsigned nwatches;
};

static bool comp_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '@' || c == '-';
}

int vmsg_store_path_ok(const char *p, size_t len)
{
    size_t i, start = 0;

    if (len == 0 || len > VMSG_STORE_MAX_PATH)
        return 0;
    for (i = 0; i <= len; i++) {
        if (i == len || p[i] == '/') {
            size_t n = i - start;
            /* no empty, "." or ".." component */
            if (n == 0 || (n == 1 && p[start] == '.') ||
                (n == 2 && p[start] == '.' && p[start + 1] == '.'))
                return 0;
            start = i + 1;
        } else if (!comp_char(p[i])) {
            return 0;
        }
    }
    return 1;
}

/* @p is @base or below it. */
static bool at_or_below(const char *p, const char *base)
{
    size_t n = strlen(base);

    return !strncmp(p, base, n) && (p[n] == 0 || p[n] == '/');
}

static int find(const struct store_core *s, const char *path)
{
    unsigned i;

    for (i = 0; i < s->nnodes; i++)
        if (!strcmp(s->nodes[i].path, path))
            return (int)i;
    return -1;
}

/* A path exists as a node or as the parent of one. */
static bool exists(const struct store_core *s, const char *path)
{
    unsigned i;

    for (i = 0; i < s->nnodes; i++)
        if (at_or_below(s->nodes[i].path, path))
            return true;
    return false;
}

static void send_event(struct store_core *s, const struct watch *w, const char *path)
{
    uint8_t buf[sizeof(struct vhs_hdr) + VMSG_STORE_MAX_PATH + VMSG_STORE_MAX_TOKEN];
    struct vhs_hdr h = { .op = VHS_EVENT };
    size_t pl = strlen(path), tl = strlen(w->token);

    h.plen = (uint16_t)pl;
    h.vlen = (uint32_t)tl;
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), path, pl);
    memcpy(buf + sizeof(h) + pl, w->token, tl);
    s->cbs.send(s->cbs.ctx, w->client, buf, sizeof(h) + pl + tl);
}

/* @path changed (written, created or removed with what was below it). */
static void fire(struct store_core *s, const char *path)
{
    unsigned i;

    for (i = 0; i < s->nwatches; i++) {
        struct watch *w = &s->watches[i];
        if (at_or_below(path, w->path) || at_or_below(w->path, path))
            send_event(s, w, path);
    }
    if (s->cbs.changed)
        s->cbs.changed(s->cbs.ctx, path);
}

int store_core_read(struct store_core *s, const char *path, char *buf, size_t cap)
{
    int i;
    size_t n;

    if (!vmsg_store_path_ok(path, strlen(path)))
        return -EINVAL;
    i = find(s, path);
    if (i < 0) {
        if (!exists(s, path))
            return -ENOENT;
        if (cap)
            buf[0] = 0;              /* a directory: empty value */
        return cap ? 0 : -ENOSPC;
    }
    n = strlen(s->nodes[i].val);
    if (n + 1 > cap)
        return -ENOSPC;
    memcpy(buf, s->nodes[i].val, n + 1);
    return (int)n;
}

int store_core_write(struct store_core *s, const char *path, const char *value)
{
    int i;
    char *v;

    if (!vmsg_store_path_ok(path, strlen(path)) || strlen(value) > VMSG_STORE_MAX_VALUE)
        return -EINVAL;
    i = find(s, path);
    if (i >= 0 && !strcmp(s->nodes[i].val, value))
        return 0;                    /* no change, no event */
    if (i < 0 && s->nnodes == STORE_MAX_NODES)
        return -ENOSPC;
    v = strdup(value);
    if (!v)
        return -ENOMEM;
    if (i >= 0) {
        free(s->nodes[i].val);
        s->nodes[i].val = v;
    } else {
        char *p = strdup(path);
        if (!p) {
            free(v);
            return -ENOMEM;
        }
        s->nodes[s->nnodes++] = (struct node){ p, v };
    }
    fire(s, path);
    return 0;
}

int store_core_rm(struct store_core *s, const char *path)
{
    unsigned i = 0;
    bool any = false;

    if (!vmsg_store_path_ok(path, strlen(path)))
        return -EINVAL;
    while (i < s->nnodes) {
        if (at_or_below(s->nodes[i].path, path)) {
            free(s->nodes[i].path);
            free(s->nodes[i].val);
            s->nodes[i] = s->nodes[--s->nnodes];
            any = true;
        } else {
            i++;
        }
    }
    if (!any)
        return -ENOENT;
    fire(s, path);
    return 0;
}

int store_core_dir(struct store_core *s, const char *path, char *buf, size_t cap)
{
    size_t used = 0, pl = strlen(path);
    unsigned i;
    int count = 0;

    if (!vmsg_store_path_ok(path, pl))
        return -EINVAL;
    if (!exists(s, path))
        return -ENOENT;
    for (i = 0; i < s->nnodes; i++) {
        const char *p = s->nodes[i].path, *name, *end;
        size_t n, k;
        bool dup = false;

        if (strncmp(p, path, pl) || p[pl] != '/')
            continue;
        name = p + pl + 1;
        end = strchr(name, '/');
        n = end ? (size_t)(end - name) : strlen(name);
        for (k = 0; k < used && !dup; k += strlen(buf + k) + 1)   /* listed already? */
            dup = strlen(buf + k) == n && !strncmp(buf + k, name, n);
        if (dup)
            continue;
        if (used + n + 1 > cap)
            return -E2BIG;
        memcpy(buf + used, name, n);
        buf[used + n] = 0;
        used += n + 1;
        count++;
    }
    return count;
}

static int add_watch(struct store_core *s, int client, const char *path, const char *token)
{
    unsigned i, mine = 0;

    for (i = 0; i < s->nwatches; i++) {
        if (s->watches[i].client != client)
            continue;
        if (!strcmp(s->watches[i].path, path) && !strcmp(s->watches[i].token, token))
            return -EEXIST;
        mine++;
    }
    if (mine == STORE_MAX_CLIENT_WATCH || s->nwatches == STORE_MAX_WATCHES)
        return -ENOSPC;
    s->watches[s->nwatches] = (struct watch){ client, strdup(path), strdup(token) };
    if (!s->watches[s->nwatches].path || !s->watches[s->nwatches].token) {
        free(s->watches[s->nwatches].path);
        free(s->watches[s->nwatches].token);
        return -ENOMEM;
    }
    s->nwatches++;
    return 0;
}

static void del_watch_at(struct store_core *s, unsigned i)
{
    free(s->watches[i].path);
    free(s->watches[i].token);
    s->watches[i] = s->watches[--s->nwatches];
}

static int rm_watch(struct store_core *s, int client, const char *path, const char *token)
{
    unsigned i;

    for (i = 0; i < s->nwatches; i++)
        if (s->watches[i].client == client && !strcmp(s->watches[i].path, path) &&
            !strcmp(s->watches[i].token, token)) {
            del_watch_at(s, i);
            return 0;
        }
    return -ENOENT;
}

void store_core_drop_client(struct store_core *s, int client)
{
    unsigned i = 0;

    while (i < s->nwatches)
        if (s->watches[i].client == client)
            del_watch_at(s, i);
        else
            i++;
}

static void reply(struct store_core *s, int client, uint32_t rid, int err,
                  const char *data, size_t n)
{
    static uint8_t buf[sizeof(struct vhs_hdr) + STORE_MAX_DIR];
    struct vhs_hdr h = { .op = VHS_REPLY, .rid = rid, .err = err, .vlen = (uint32_t)n };

    memcpy(buf, &h, sizeof(h));
    if (n)
        memcpy(buf + sizeof(h), data, n);
    s->cbs.send(s->cbs.ctx, client, buf, sizeof(h) + n);
}

int store_core_handle(struct store_core *s, int client, const uint8_t *pkt, size_t len)
{
    char path[VMSG_STORE_MAX_PATH + 1], value[VMSG_STORE_MAX_VALUE + 1];
    static char out[STORE_MAX_DIR];
    struct vhs_hdr h;
    int rc;

    /* Copy the header out, then check every size against what arrived. */
    if (len < sizeof(h))
        return -EPROTO;
    memcpy(&h, pkt, sizeof(h));
    if (h.plen > VMSG_STORE_MAX_PATH || h.vlen > VMSG_STORE_MAX_VALUE ||
        len != sizeof(h) + h.plen + h.vlen)
        return -EPROTO;
    memcpy(path, pkt + sizeof(h), h.plen);
    path[h.plen] = 0;
    memcpy(value, pkt + sizeof(h) + h.plen, h.vlen);
    value[h.vlen] = 0;
    if (memchr(path, 0, h.plen) || memchr(value, 0, h.vlen)) {
        reply(s, client, h.rid, -EINVAL, NULL, 0);
        return 0;
    }
    if (!vmsg_store_path_ok(path, h.plen)) {
        reply(s, client, h.rid, -EINVAL, NULL, 0);
        return 0;
    }
    switch (h.op) {
    case VHS_READ:
        rc = store_core_read(s, path, out, VMSG_STORE_MAX_VALUE + 1);
        reply(s, client, h.rid, rc < 0 ? rc : 0, out, rc < 0 ? 0 : (size_t)rc);
        return 0;
    case VHS_WRITE:
        rc = store_core_write(s, path, value);
        break;
    case VHS_RM:
        rc = store_core_rm(s, path);
        break;
    case VHS_DIR: {
        size_t n = 0;
        int k;
        rc = store_core_dir(s, path, out, sizeof(out));
        for (k = 0; k < rc; k++)
            n += strlen(out + n) + 1;
        reply(s, client, h.rid, rc < 0 ? rc : 0, out, rc < 0 ? 0 : n);
        return 0;
    }
    case VHS_WATCH:
        if (h.vlen == 0 || h.vlen > VMSG_STORE_MAX_TOKEN) {
            rc = -EINVAL;
            break;
        }
        rc = add_watch(s, client, path, value);
        reply(s, client, h.rid, rc, NULL, 0);
        if (rc == 0)                 /* fires once when set (as xenstore) */
            send_event(s, &s->watches[s->nwatches - 1], path);
        return 0;
    case VHS_UNWATCH:
        rc = rm_watch(s, client, path, value);
        break;
    default:
        rc = -EOPNOTSUPP;
        break;
    }
    reply(s, client, h.rid, rc, NULL, 0);
    return 0;
}

struct store_core *store_core_new(const struct store_core_cbs *cbs)
{
    struct store_core *s = calloc(1, sizeof(*s));

    if (s)
        s->cbs = *cbs;
    return s;
}

void store_core_free(struct store_core *s)
{
    unsigned i;

    if (!s)
        return;
    for (i = 0; i < s->nnodes; i++) {
        free(s->nodes[i].path);
        free(s->nodes[i].val);
    }
    while (s->nwatches)
        del_watch_at(s, 0);
    free(s);
}

unsigned store_core_nodes(const struct store_core *s)
{
    return s->nnodes;
}

unsigned store_core_watches(const struct store_core *s)
{
    return s->nwatches;
}
