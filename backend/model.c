/* SPDX-License-Identifier: MIT */
/* Model registry and option helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "models.h"

const char *opt_get(const struct model_opts *o, const char *key)
{
    int i;

    for (i = 0; i < o->n; i++)
        if (!strcmp(o->key[i], key))
            return o->val[i];
    return NULL;
}

int opt_bool(const char *v)
{
    if (!strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcmp(v, "1") ||
        !strcasecmp(v, "true"))
        return 1;
    if (!strcasecmp(v, "off") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
        !strcasecmp(v, "false"))
        return 0;
    return -1;
}

int opt_uint(const struct model_opts *o, const char *key, unsigned long min,
             unsigned long max, unsigned long *out, char *err, size_t errlen)
{
    const char *v = opt_get(o, key);
    unsigned long x;
    char *end;

    if (!v)
        return 0;
    errno = 0;
    x = strtoul(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || x < min || x > max) {
        snprintf(err, errlen, "%s=%s: expected a number in %lu..%lu", key, v, min, max);
        return -EINVAL;
    }
    *out = x;
    return 0;
}

void model_watch(const struct model_env *env, int fd, bool *watching, bool on,
                 void (*cb)(void *opaque), void *opaque)
{
    if (fd < 0 || on == *watching)
        return;
    if (on) {
        *watching = env->watch(env->loop, fd, cb, opaque) == 0;
    } else {
        env->unwatch(env->loop, fd);
        *watching = false;
    }
}

static const struct {
    const char *type;
    int (*create)(struct model *, const struct model_opts *,
                  const struct model_env *, char *, size_t);
} types[] = {
    { "blk", blk_create },
    { "rng", rng_create },
    { "console", console_create },
    { "net", net_create },
};

int model_create(struct model *m, const char *type, const struct model_opts *o,
                 const struct model_env *env, char *err, size_t errlen)
{
    const char *v = opt_get(o, "packed");
    int packed = v ? opt_bool(v) : 0, rc;
    unsigned i;

    memset(m, 0, sizeof(*m));
    /* packed=on, any device: offer VIRTIO_F_RING_PACKED too (the driver
     * chooses; lib/virtq_packed.c serves such queues). */
    if (packed < 0) {
        snprintf(err, errlen, "packed=%s: expected on or off", v);
        return -EINVAL;
    }
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(types[i].type, type))
            continue;
        m->type = types[i].type;
        rc = types[i].create(m, o, env, err, errlen);
        if (rc == 0 && packed)
            m->desc.features |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
        return rc;
    }
    snprintf(err, errlen, "unknown device type '%s' (blk, console, net, rng)", type);
    return -EINVAL;
}

void model_destroy(struct model *m)
{
    if (m->destroy && m->state)
        m->destroy(m->state);
    m->state = NULL;
}
