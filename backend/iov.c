/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "models.h"

/* Copy between @buf and bytes [off, off+len) of the iovec, either way. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t off,
                       void *buf, size_t len, bool to_iov)
{
    size_t done = 0;
    unsigned i;

    for (i = 0; i < n && done < len; i++) {
        size_t l = iov[i].iov_len, c;
        char *p;

        if (off >= l) {
            off -= l;
            continue;
        }
        p = (char *)iov[i].iov_base + off;
        c = l - off < len - done ? l - off : len - done;
        if (to_iov)
            memcpy(p, (char *)buf + done, c);
        else
            memcpy((char *)buf + done, p, c);
        done += c;
        off = 0;
    }
    return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf,
                  size_t len)
{
    return iov_copy(iov, n, off, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off,
                    const void *buf, size_t len)
{
    return iov_copy(iov, n, off, (void *)(uintptr_t)buf, len, true);
}

int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len,
              struct iovec *out, unsigned cap)
{
    unsigned i, k = 0;

    for (i = 0; i < n && len; i++) {
        size_t l = iov[i].iov_len, c;
        if (off >= l) {
            off -= l;
            continue;
        }
        if (k == cap)
            return -1;
        c = l - off < len ? l - off : len;
        out[k].iov_base = (char *)iov[i].iov_base + off;
        out[k].iov_len = c;
        k++;
        len -= c;
        off = 0;
    }
    return len ? -1 : (int)k;
}
