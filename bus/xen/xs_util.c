/* SPDX-License-Identifier: MIT */
/* Small xenstore helpers (see xs_util.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_util.h"

#define PATHMAX 256

static int vpath(char *buf, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static int vpath(char *buf, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, PATHMAX, fmt, ap);

    return n < 0 || n >= PATHMAX ? -ENAMETOOLONG : 0;
}

static char *vread(struct xs_handle *xs, xs_transaction_t t, unsigned int *len,
                   const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static char *vread(struct xs_handle *xs, xs_transaction_t t, unsigned int *len,
                   const char *fmt, va_list ap)
{
    char path[PATHMAX];

    return vpath(path, fmt, ap) ? NULL : xs_read(xs, t, path, len);
}

char *xsu_read(struct xs_handle *xs, xs_transaction_t t, const char *fmt, ...)
{
    unsigned int len;
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = vread(xs, t, &len, fmt, ap);
    va_end(ap);
    return s;
}

int xsu_parse_uint(const char *s, uint32_t max, uint32_t *v)
{
    unsigned long long x = 0;
    const char *c = s;

    if (!*c || strlen(c) > 10)
        return -EINVAL;
    for (; *c; c++) {
        if (*c < '0' || *c > '9')
            return -EINVAL;
        x = x * 10 + (unsigned)(*c - '0');
    }
    if (x > max)
        return -EINVAL;
    *v = (uint32_t)x;
    return 0;
}

int xsu_read_uint(struct xs_handle *xs, xs_transaction_t t, uint32_t max,
                  uint32_t *v, const char *fmt, ...)
{
    unsigned int len;
    va_list ap;
    char *s;
    int rc;

    va_start(ap, fmt);
    s = vread(xs, t, &len, fmt, ap);
    va_end(ap);
    if (!s)
        return -ENOENT;
    rc = strlen(s) == len ? xsu_parse_uint(s, max, v) : -EINVAL;
    free(s);
    return rc;
}

int xsu_write(struct xs_handle *xs, xs_transaction_t t, const char *val,
              const char *fmt, ...)
{
    char path[PATHMAX];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vpath(path, fmt, ap);
    va_end(ap);
    if (rc)
        return rc;
    return xs_write(xs, t, path, val, (unsigned)strlen(val)) ? 0 : -(errno ? errno : EIO);
}

int xsu_printf(struct xs_handle *xs, xs_transaction_t t, const char *path,
               const char *fmt, ...)
{
    char val[PATHMAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof(val))
        return -EINVAL;
    return xsu_write(xs, t, val, "%s", path);
}

int xsu_state(struct xs_handle *xs, const char *path)
{
    uint32_t v;

    if (xsu_read_uint(xs, XBT_NULL, 8, &v, "%s/state", path))
        return 0;
    return (int)v;
}

int xsu_set_state(struct xs_handle *xs, const char *path, int state)
{
    char val[4];

    snprintf(val, sizeof(val), "%d", state);
    return xsu_write(xs, XBT_NULL, val, "%s/state", path);
}
