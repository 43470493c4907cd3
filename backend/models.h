/* SPDX-License-Identifier: MIT */
/*
 * Backend device models.  A model is transport-independent: it gets a
 * struct vmsg_dev to serve (queues, config events) and never sees the bus.
 * Each model type has a create() that parses its options and fills a
 * device description and ops; destroy() releases everything.
 */
#ifndef VMSG_BACKEND_MODELS_H
#define VMSG_BACKEND_MODELS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio-msg/device.h"

#define MODEL_MAX_OPTS 16

struct model_opts {
    int n;
    char *key[MODEL_MAX_OPTS];
    char *val[MODEL_MAX_OPTS];
};

/* Value of @key, or NULL. */
const char *opt_get(const struct model_opts *o, const char *key);
/* Parse "on/off/yes/no/1/0"; -1 if it is something else. */
int opt_bool(const char *v);
/* Option @key as a decimal in [min, max] into *@out (left alone when the
 * option is absent): 0, or -EINVAL with a message in @err. */
int opt_uint(const struct model_opts *o, const char *key, unsigned long min,
             unsigned long max, unsigned long *out, char *err, size_t errlen);

/* How a model registers file descriptors with the daemon's event loop. */
struct model_env {
    int (*watch)(void *loop, int fd, void (*cb)(void *opaque), void *opaque);
    void (*unwatch)(void *loop, int fd);
    void *loop;
    const char *label;               /* "dom1/dev0" for messages */
};

/* Start or stop watching @fd, tracking the state in *@watching. */
void model_watch(const struct model_env *env, int fd, bool *watching, bool on,
                 void (*cb)(void *opaque), void *opaque);

struct model {
    const char *type;
    struct vmsg_dev_desc desc;
    const struct vmsg_dev_ops *ops;
    void *state;
    void (*destroy)(void *state);
    struct vmsg_dev *dev;            /* set once the device exists */
};

/* Check a spec's options and resources without creating anything. 0 or
 * -errno with a message in @err. */
int model_create(struct model *m, const char *type, const struct model_opts *o,
                 const struct model_env *env, char *err, size_t errlen);
void model_destroy(struct model *m);

/* Per-type constructors (0 or -errno, message in @err). */
int blk_create(struct model *m, const struct model_opts *o,
               const struct model_env *env, char *err, size_t errlen);
int rng_create(struct model *m, const struct model_opts *o,
               const struct model_env *env, char *err, size_t errlen);
int net_create(struct model *m, const struct model_opts *o,
               const struct model_env *env, char *err, size_t errlen);
int console_create(struct model *m, const struct model_opts *o,
                   const struct model_env *env, char *err, size_t errlen);

/* ---- iovec helpers for request parsing ---- */
/* Copy @len bytes starting @off bytes into the iovec; returns bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf,
                  size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off,
                    const void *buf, size_t len);
/* Describe bytes [off, off+len) of @iov as a new iovec in @out (max @cap);
 * returns the count, or -1 if it does not fit. */
int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len,
              struct iovec *out, unsigned cap);

#endif
