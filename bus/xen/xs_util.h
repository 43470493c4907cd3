/* SPDX-License-Identifier: MIT */
/* Small xenstore helpers: printf-style paths, decimal values, states. */
#ifndef VMSG_XS_UTIL_H
#define VMSG_XS_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>

/* The value at the formatted path (malloc'ed, NUL-terminated) or NULL. */
char *xsu_read(struct xs_handle *xs, xs_transaction_t t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * A decimal value no greater than @max: 0, -ENOENT if absent, -EINVAL if
 * it is not a plain decimal number in range (values are hostile input).
 */
int xsu_read_uint(struct xs_handle *xs, xs_transaction_t t, uint32_t max,
                  uint32_t *v, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int xsu_write(struct xs_handle *xs, xs_transaction_t t, const char *val,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int xsu_printf(struct xs_handle *xs, xs_transaction_t t, const char *path,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A XenbusState at @path/state; Unknown (0) if absent or invalid. */
int xsu_state(struct xs_handle *xs, const char *path);
int xsu_set_state(struct xs_handle *xs, const char *path, int state);
/* Parse a plain decimal string into *v (<= max). */
int xsu_parse_uint(const char *s, uint32_t max, uint32_t *v);

#endif
