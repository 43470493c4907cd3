/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host_proto.h"

int vh_send(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int) * VH_NFDS)];
    } c;
    struct iovec iov = { (void *)(uintptr_t)buf, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (nfds < 0 || nfds > VH_NFDS)
        return -EINVAL;
    if (nfds) {
        memset(&c, 0, sizeof(c));
        mh.msg_control = c.b;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        c.h.cmsg_level = SOL_SOCKET;
        c.h.cmsg_type = SCM_RIGHTS;
        c.h.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(&c.h), fds, sizeof(int) * (size_t)nfds);
    }
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EIO;
}

int vh_recv(int sock, void *buf, size_t len, int *fds, int want_fds)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int) * 16)];
    } c;
    struct iovec iov = { buf, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = c.b, .msg_controllen = sizeof(c.b) };
    struct cmsghdr *cm;
    int got = 0, i, rc = 0;
    ssize_t n;

    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EPIPE;
    for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        int k, cnt;
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        cnt = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (k = 0; k < cnt; k++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + sizeof(int) * (size_t)k, sizeof(fd));
            if (got < want_fds)
                fds[got] = fd;
            else
                close(fd);          /* never keep what we did not ask for */
            got++;
        }
    }
    if ((size_t)n != len || got != want_fds || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
        rc = -EBADMSG;
    if (rc)
        for (i = 0; i < got && i < want_fds; i++)
            close(fds[i]);
    return rc;
}

int vh_notify(int evfd)
{
    uint64_t one = 1;

    if (write(evfd, &one, sizeof(one)) == sizeof(one) || errno == EAGAIN)
        return 0;
    return -errno;
}

int vh_ack(int evfd)
{
    uint64_t v;

    return read(evfd, &v, sizeof(v)) == sizeof(v) ? 1 : 0;
}
