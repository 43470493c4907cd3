/* SPDX-License-Identifier: MIT */
/*
 * virtio-msg-store: read, write, list and watch the key-value store, the
 * same commands on either provider: the host store a backend serves
 * (--store PATH, default the backend's default socket + ".store") or
 * xenstore (--xen).  Exit 0, 1 on a store error, 2 on bad usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "virtio-msg/host.h"
#include "virtio-msg/store.h"

static void usage(FILE *o)
{
    fputs("usage: virtio-msg-store [--store PATH | --xen] COMMAND\n"
          "  read PATH                 print the value\n"
          "  write PATH VALUE          create or replace\n"
          "  rm PATH                   remove PATH and everything below it\n"
          "  ls PATH                   everything below PATH, as path = value\n"
          "  watch PATH [N [MS]]       print N change events (default 1), at\n"
          "                            most MS milliseconds (default: no limit)\n", o);
}

static int fail(const char *what, const char *path, int rc)
{
    fprintf(stderr, "virtio-msg-store: %s %s: %s\n", what, path, strerror(-rc));
    return 1;
}

static int ls(struct vmsg_store *st, const char *path, int depth)
{
    char val[VMSG_STORE_MAX_VALUE + 1], names[8192], child[VMSG_STORE_MAX_PATH + 2];
    int n, i, rc = 0;
    size_t off = 0;

    if (depth > 32)
        return 0;
    if ((n = st->ops->read(st, path, val, sizeof(val))) >= 0 && n > 0)
        printf("%s = \"%s\"\n", path, val);
    n = st->ops->dir(st, path, names, sizeof(names));
    if (n < 0)
        return n == -ENOENT && depth ? 0 : n;
    for (i = 0; i < n && rc == 0; i++) {
        if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, names + off) < sizeof(child))
            rc = ls(st, child, depth + 1);
        off += strlen(names + off) + 1;
    }
    return rc;
}

static long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

static int watch(struct vmsg_store *st, const char *path, long count, long ms)
{
    char p[VMSG_STORE_MAX_PATH + 1], tok[VMSG_STORE_MAX_TOKEN + 1];
    long seen = 0, end = ms > 0 ? now_ms() + ms : 0;
    int rc = st->ops->watch(st, path, "cli");

    if (rc)
        return fail("watch", path, rc);
    while (count <= 0 || seen < count) {
        struct pollfd pf = { st->ops->fd(st), POLLIN, 0 };
        long left = end ? end - now_ms() : -1;

        while ((rc = st->ops->event(st, p, sizeof(p), tok, sizeof(tok))) == 1) {
            printf("%s\n", p);
            fflush(stdout);
            if (count > 0 && ++seen >= count)
                return 0;
        }
        if (rc < 0)
            return fail("watch", path, rc);
        if (end && left <= 0) {
            fprintf(stderr, "virtio-msg-store: watch %s: %ld of %ld events before the timeout\n",
                    path, seen, count);
            return 1;
        }
        poll(&pf, 1, left < 0 ? -1 : (int)left);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *where = VMSG_HOST_DEFAULT_SOCKET ".store";
    struct vmsg_store *st;
    bool xen = false;
    int rc = 2, i = 1;
    char val[VMSG_STORE_MAX_VALUE + 1];

    if (argc > 2 && !strcmp(argv[1], "--store")) {
        where = argv[2];
        i = 3;
    } else if (argc > 1 && !strcmp(argv[1], "--xen")) {
        xen = true;
        i = 2;
    }
    if (argc - i < 2 || !strcmp(argv[1], "--help")) {
        usage(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr);
        return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    if (!vmsg_store_path_ok(argv[i + 1], strlen(argv[i + 1]))) {
        fprintf(stderr, "virtio-msg-store: bad path '%s': components of [A-Za-z0-9_.:@-] "
                "separated by single '/', relative, at most %d bytes\n", argv[i + 1],
                VMSG_STORE_MAX_PATH);
        return 2;
    }
    st = xen ? vmsg_store_open_xen() : vmsg_store_open_host(where);
    if (!st) {
        fprintf(stderr, "virtio-msg-store: cannot open %s: %s\n", xen ? "xenstore" : where,
                strerror(errno));
        return 1;
    }
    if (!strcmp(argv[i], "read") && argc - i == 2) {
        rc = st->ops->read(st, argv[i + 1], val, sizeof(val));
        rc = rc < 0 ? fail("read", argv[i + 1], rc) : (printf("%s\n", val), 0);
    } else if (!strcmp(argv[i], "write") && argc - i == 3) {
        rc = st->ops->write(st, argv[i + 1], argv[i + 2]);
        rc = rc ? fail("write", argv[i + 1], rc) : 0;
    } else if (!strcmp(argv[i], "rm") && argc - i == 2) {
        rc = st->ops->rm(st, argv[i + 1]);
        rc = rc ? fail("rm", argv[i + 1], rc) : 0;
    } else if (!strcmp(argv[i], "ls") && argc - i == 2) {
        rc = ls(st, argv[i + 1], 0);
        rc = rc ? fail("ls", argv[i + 1], rc) : 0;
    } else if (!strcmp(argv[i], "watch") && argc - i >= 2 && argc - i <= 4) {
        rc = watch(st, argv[i + 1], argc - i > 2 ? atol(argv[i + 2]) : 1,
                   argc - i > 3 ? atol(argv[i + 3]) : 0);
    } else {
        usage(stderr);
    }
    st->ops->close(st);
    return rc;
}
