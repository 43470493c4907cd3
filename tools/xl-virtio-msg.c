/* SPDX-License-Identifier: MIT */
/*
 * xl-virtio-msg: virtio-msg devices for Xen 4.17 domains.
 *
 * Xen 4.17's xl has no virtio device type and ignores unknown config keys,
 * so this tool reads  virtio_msg = [ "type=blk,target=/img", ... ]  from
 * the same domain config file with libxlutil (xl's own parser) and writes
 * the xenstore nodes that libxl would write for a device it knew:
 *   create <cfg> [key=value...]  xl create -p, attach every entry, unpause
 *   attach <domain> <entry>      hot-add one device; prints its devid
 *   detach <domain> <devid>      online=0 + Closing, wait for Closed, remove
 *   list [<domain>]              what is attached, with both states
 *   check <cfg> [key=value...]   parse and validate only (no Xen needed)
 * The backend (virtio-msg-backend --xen in the backend domain) must reach
 * InitWait within 10 s, as libxl requires of any backend.
 */
#include <errno.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libxlutil.h>
#include <xenstore.h>

#include "virtio-msg/xen.h"
#include "xl_entry.h"
#include "xs_util.h"

#define INIT_TIMEOUT_MS    10000     /* LIBXL_INIT_TIMEOUT */
#define DESTROY_TIMEOUT_MS 10000     /* LIBXL_DESTROY_TIMEOUT */
#define MAX_ENTRIES        64

extern char **environ;

static const char *state_name(int s)
{
    static const char *const n[] = { "Unknown", "Initialising", "InitWait", "Initialised",
                                      "Connected", "Closing", "Closed" };

    return s >= 0 && s <= 6 ? n[s] : "?";
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int die(const char *what, int rc)
{
    fprintf(stderr, "xl-virtio-msg: %s\n", what);
    return rc;
}

/* A domain name or id -> domid, from xenstore (as xl's own lookup). */
static int resolve(struct xs_handle *xs, const char *dom, uint32_t *domid)
{
    unsigned int n, i;
    char **ids;
    int found = -ENOENT;

    if (xsu_parse_uint(dom, 0x7FF0, domid) == 0) {
        char *v = xsu_read(xs, XBT_NULL, "/local/domain/%u/domid", *domid);
        free(v);
        return v ? 0 : -ENOENT;
    }
    ids = xs_directory(xs, XBT_NULL, "/local/domain", &n);
    for (i = 0; ids && i < n && found; i++) {
        char *name = xsu_read(xs, XBT_NULL, "/local/domain/%s/name", ids[i]);
        if (name && !strcmp(name, dom) && xsu_parse_uint(ids[i], 0x7FF0, domid) == 0)
            found = 0;
        free(name);
    }
    free(ids);
    return found;
}

static bool devid_used(struct xs_handle *xs, uint32_t fe, uint32_t be, uint32_t id)
{
    char *a = xsu_read(xs, XBT_NULL, "/local/domain/%u/device/%s/%u/backend", fe, VMSG_XEN_KIND, id);
    char *b = xsu_read(xs, XBT_NULL, "/local/domain/%u/backend/%s/%u/%u/frontend", be,
                       VMSG_XEN_KIND, fe, id);
    bool used = a || b;

    free(a);
    free(b);
    return used;
}

static int set_perms(struct xs_handle *xs, xs_transaction_t t, const char *path,
                     uint32_t owner, uint32_t reader)
{
    struct xs_permissions p[2] = { { owner, XS_PERM_NONE }, { reader, XS_PERM_READ } };

    return xs_set_permissions(xs, t, path, p, owner == reader ? 1 : 2) ? 0 : -errno;
}

static int write_nodes(struct xs_handle *xs, uint32_t fe, uint32_t be,
                       const struct xl_entry *e, const char *fep, const char *bep,
                       const char *lp)
{
    int tries, rc = 0;
    char v[16];

    for (tries = 0; tries < 20; tries++) {
        xs_transaction_t t = xs_transaction_start(xs);

        if (t == XBT_NULL)
            return -errno;
#define W(val, ...) do { if (!rc) rc = xsu_write(xs, t, val, __VA_ARGS__); } while (0)
        /* Backend directory, owned by the backend, readable by the frontend. */
        W("", "%s", bep);
        if (!rc)
            rc = set_perms(xs, t, bep, be, fe);
        W(fep, "%s/frontend", bep);
        snprintf(v, sizeof(v), "%u", fe);
        W(v, "%s/frontend-id", bep);
        W("1", "%s/online", bep);
        W(e->type, "%s/type", bep);
        W(e->params, "%s/params", bep);
        W("1", "%s/state", bep);
        /* Frontend directory, owned by the frontend, readable by the backend. */
        W("", "%s", fep);
        if (!rc)
            rc = set_perms(xs, t, fep, fe, be);
        W(bep, "%s/backend", fep);
        snprintf(v, sizeof(v), "%u", be);
        W(v, "%s/backend-id", fep);
        W("1", "%s/state", fep);
        /* The toolstack's own trustworthy copy. */
        W(fep, "%s/frontend", lp);
        W(bep, "%s/backend", lp);
        W(e->type, "%s/type", lp);
        W(e->params, "%s/params", lp);
#undef W
        if (rc) {
            xs_transaction_end(xs, t, true);
            return rc;
        }
        if (xs_transaction_end(xs, t, false))
            return 0;
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

static void remove_nodes(struct xs_handle *xs, const char *fep, const char *bep, const char *lp)
{
    xs_rm(xs, XBT_NULL, fep);
    xs_rm(xs, XBT_NULL, bep);
    xs_rm(xs, XBT_NULL, lp);
}

static void paths(uint32_t fe, uint32_t be, uint32_t id, char *fep, char *bep, char *lp)
{
    snprintf(fep, 128, "/local/domain/%u/device/%s/%u", fe, VMSG_XEN_KIND, id);
    snprintf(bep, 128, "/local/domain/%u/backend/%s/%u/%u", be, VMSG_XEN_KIND, fe, id);
    snprintf(lp, 128, "/libxl/%u/device/%s/%u", fe, VMSG_XEN_KIND, id);
}

/* Attach one entry to domain @fe; prints the devid.  0 or -errno. */
static int attach(struct xs_handle *xs, uint32_t fe, const struct xl_entry *e)
{
    char fep[128], bep[128], lp[128], msg[256];
    uint32_t be, id;
    int64_t end;
    int rc, st = 0;

    rc = resolve(xs, e->backend, &be);
    if (rc) {
        snprintf(msg, sizeof(msg), "backend=%s: no such domain", e->backend);
        return die(msg, rc);
    }
    if (e->devid >= 0) {
        id = (uint32_t)e->devid;
        if (devid_used(xs, fe, be, id)) {
            snprintf(msg, sizeof(msg), "devid=%u is already attached to dom%u", id, fe);
            return die(msg, -EEXIST);
        }
    } else {
        for (id = 0; id < 65536 && devid_used(xs, fe, be, id); id++)
            ;
    }
    paths(fe, be, id, fep, bep, lp);
    rc = write_nodes(xs, fe, be, e, fep, bep, lp);
    if (rc) {
        snprintf(msg, sizeof(msg), "cannot write xenstore nodes: %s", strerror(-rc));
        remove_nodes(xs, fep, bep, lp);
        return die(msg, rc);
    }
    /* Like libxl: the backend must reach InitWait within 10 s. */
    end = now_ms() + INIT_TIMEOUT_MS;
    while (now_ms() < end) {
        char *err;
        st = xsu_state(xs, bep);
        if (st == VMSG_XB_INITWAIT || st == VMSG_XB_CONNECTED)
            break;
        err = xsu_read(xs, XBT_NULL, "%s/error", bep);
        if (err) {
            snprintf(msg, sizeof(msg), "dom%u devid %u (%s): backend refused it: %s", fe, id,
                     e->type, err);
            free(err);
            remove_nodes(xs, fep, bep, lp);
            return die(msg, -EINVAL);
        }
        poll(NULL, 0, 20);
    }
    if (st != VMSG_XB_INITWAIT && st != VMSG_XB_CONNECTED) {
        snprintf(msg, sizeof(msg), "dom%u devid %u (%s): the backend in dom%u did not reach "
                 "InitWait in %d s (is virtio-msg-backend --xen running there?)",
                 fe, id, e->type, be, INIT_TIMEOUT_MS / 1000);
        remove_nodes(xs, fep, bep, lp);
        return die(msg, -ETIMEDOUT);
    }
    printf("dom%u: virtio_msg devid %u: type=%s backend=dom%u %s\n", fe, id, e->type, be,
           e->params);
    return 0;
}

/* Find the backend path of device @id of @fe (from the frontend's node). */
static char *backend_of(struct xs_handle *xs, uint32_t fe, uint32_t id)
{
    char *b = xsu_read(xs, XBT_NULL, "/local/domain/%u/device/%s/%u/backend", fe,
                       VMSG_XEN_KIND, id);

    if (!b)
        b = xsu_read(xs, XBT_NULL, "/libxl/%u/device/%s/%u/backend", fe, VMSG_XEN_KIND, id);
    return b;
}

static int detach(struct xs_handle *xs, uint32_t fe, uint32_t id)
{
    char fep[128], lp[128], msg[200], *bep = backend_of(xs, fe, id);
    int64_t end;
    int st = 0;

    snprintf(fep, sizeof(fep), "/local/domain/%u/device/%s/%u", fe, VMSG_XEN_KIND, id);
    snprintf(lp, sizeof(lp), "/libxl/%u/device/%s/%u", fe, VMSG_XEN_KIND, id);
    if (!bep || strncmp(bep, "/local/domain/", 14)) {
        free(bep);
        snprintf(msg, sizeof(msg), "dom%u has no virtio_msg devid %u", fe, id);
        return die(msg, -ENOENT);
    }
    /* libxl's removal: online=0, Closing; the backend answers Closed. */
    xsu_write(xs, XBT_NULL, "0", "%s/online", bep);
    xsu_set_state(xs, bep, VMSG_XB_CLOSING);
    end = now_ms() + DESTROY_TIMEOUT_MS;
    while (now_ms() < end && (st = xsu_state(xs, bep)) != VMSG_XB_CLOSED && st != VMSG_XB_UNKNOWN)
        poll(NULL, 0, 20);
    if (st != VMSG_XB_CLOSED && st != VMSG_XB_UNKNOWN) {
        fprintf(stderr, "xl-virtio-msg: dom%u devid %u: backend did not close in %d s; "
                "removing it anyway\n", fe, id, DESTROY_TIMEOUT_MS / 1000);
    }
    remove_nodes(xs, fep, bep, lp);
    printf("dom%u: virtio_msg devid %u detached\n", fe, id);
    free(bep);
    return 0;
}

static void list_dom(struct xs_handle *xs, uint32_t fe, const char *name)
{
    unsigned int n, i;
    char **ids, path[128];

    snprintf(path, sizeof(path), "/local/domain/%u/device/%s", fe, VMSG_XEN_KIND);
    ids = xs_directory(xs, XBT_NULL, path, &n);
    for (i = 0; ids && i < n; i++) {
        uint32_t id;
        char fep[160], *bep, *type, *params, *err;
        int fs, bs;

        if (xsu_parse_uint(ids[i], 0x7FFFFFFF, &id))
            continue;
        snprintf(fep, sizeof(fep), "%s/%u", path, id);
        bep = backend_of(xs, fe, id);
        fs = xsu_state(xs, fep);
        bs = bep ? xsu_state(xs, bep) : 0;
        type = bep ? xsu_read(xs, XBT_NULL, "%s/type", bep) : NULL;
        params = bep ? xsu_read(xs, XBT_NULL, "%s/params", bep) : NULL;
        err = bep ? xsu_read(xs, XBT_NULL, "%s/error", bep) : NULL;
        printf("%-12s %5u %5u  %-8s %-13s %-13s %s%s%s\n", name, fe, id, type ? type : "?",
               state_name(fs), state_name(bs), params ? params : "",
               err ? "  error: " : "", err ? err : "");
        free(bep);
        free(type);
        free(params);
        free(err);
    }
    free(ids);
}

static int list(struct xs_handle *xs, const char *dom)
{
    unsigned int n, i;
    char **doms;
    uint32_t fe;

    printf("%-12s %5s %5s  %-8s %-13s %-13s %s\n", "Name", "Dom", "DevId", "Type",
           "FE-state", "BE-state", "Params");
    if (dom) {
        char *name;
        if (resolve(xs, dom, &fe))
            return die("no such domain", 1);
        name = xsu_read(xs, XBT_NULL, "/local/domain/%u/name", fe);
        list_dom(xs, fe, name ? name : "?");
        free(name);
        return 0;
    }
    doms = xs_directory(xs, XBT_NULL, "/local/domain", &n);
    for (i = 0; doms && i < n; i++) {
        char *name;
        if (xsu_parse_uint(doms[i], 0x7FF0, &fe))
            continue;
        name = xsu_read(xs, XBT_NULL, "/local/domain/%u/name", fe);
        list_dom(xs, fe, name ? name : "?");
        free(name);
    }
    free(doms);
    return 0;
}

/* ---- config files ---- */

struct cfg {
    XLU_Config *xlu;
    const char *name;
    struct xl_entry e[MAX_ENTRIES];
    int n;
};

static int load_cfg_(struct cfg *c, const char *file, int nextra, char **extra)
{
    XLU_ConfigList *l;
    char msg[600];
    int i, count = 0, rc;

    c->xlu = xlu_cfg_init(stderr, file);
    if (!c->xlu)
        return die("out of memory", 1);
    rc = xlu_cfg_readfile(c->xlu, file);
    if (rc) {
        snprintf(msg, sizeof(msg), "%s: %s", file, rc == ENOENT ? "no such file" :
                 rc == EINVAL ? "syntax error (see above)" : strerror(rc));
        return die(msg, 1);
    }
    for (i = 0; i < nextra; i++)      /* xl create's key=value overrides */
        if (xlu_cfg_readdata(c->xlu, extra[i], (int)strlen(extra[i]))) {
            snprintf(msg, sizeof(msg), "bad override '%s'", extra[i]);
            return die(msg, 1);
        }
    xlu_cfg_get_string(c->xlu, "name", &c->name, 1);
    rc = xlu_cfg_get_list(c->xlu, "virtio_msg", &l, &count, 0);
    if (rc == ESRCH)
        return 0;                    /* no virtio_msg devices: fine */
    if (rc) {
        snprintf(msg, sizeof(msg), "%s: virtio_msg must be a list of strings", file);
        return die(msg, 1);
    }
    if (count > MAX_ENTRIES)
        return die("virtio_msg: too many entries", 1);
    for (i = 0; i < count; i++) {
        const char *s = xlu_cfg_get_listitem(l, i);
        char err[400];
        if (!s) {
            snprintf(msg, sizeof(msg), "%s: virtio_msg entry %d is not a string", file, i + 1);
            return die(msg, 1);
        }
        if (xl_entry_parse(s, &c->e[i], err, sizeof(err))) {
            snprintf(msg, sizeof(msg), "%s: virtio_msg entry %d: %s", file, i + 1, err);
            return die(msg, 1);
        }
    }
    c->n = count;
    return 0;
}

/* Parse @file (plus xl-style overrides); on failure nothing is left allocated. */
static int load_cfg(struct cfg *c, const char *file, int nextra, char **extra)
{
    int rc;

    memset(c, 0, sizeof(*c));
    rc = load_cfg_(c, file, nextra, extra);
    if (rc && c->xlu) {
        xlu_cfg_destroy(c->xlu);
        c->xlu = NULL;
    }
    return rc;
}

static int run(char *const argv[])
{
    pid_t pid;
    int st;

    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ)) {
        fprintf(stderr, "xl-virtio-msg: cannot run %s\n", argv[0]);
        return -1;
    }
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static int cmd_create(struct xs_handle *xs, const char *file, int nextra, char **extra)
{
    struct cfg c;
    const char *xl = getenv("XL") ? getenv("XL") : "xl";
    char *argv[64], dom[16];
    uint32_t fe;
    int i, n = 0;

    if (load_cfg(&c, file, nextra, extra))
        return 1;
    if (!c.name) {
        xlu_cfg_destroy(c.xlu);
        return die("the config has no name=", 1);
    }
    argv[n++] = (char *)xl;
    argv[n++] = "create";
    argv[n++] = "-p";
    argv[n++] = (char *)file;
    for (i = 0; i < nextra && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    if (run(argv) != 0 || resolve(xs, c.name, &fe)) {
        xlu_cfg_destroy(c.xlu);
        return die("xl create -p failed (or the new domain is not in xenstore)", 1);
    }
    snprintf(dom, sizeof(dom), "%u", fe);
    for (i = 0; i < c.n; i++)
        if (attach(xs, fe, &c.e[i])) {
            char *d[] = { (char *)xl, "destroy", dom, NULL };
            fprintf(stderr, "xl-virtio-msg: destroying dom%u\n", fe);
            run(d);
            xlu_cfg_destroy(c.xlu);
            return 1;
        }
    {
        char *u[] = { (char *)xl, "unpause", dom, NULL };
        if (run(u) != 0) {
            xlu_cfg_destroy(c.xlu);
            return die("xl unpause failed", 1);
        }
    }
    printf("dom%u (%s) created with %d virtio_msg device(s)\n", fe, c.name, c.n);
    xlu_cfg_destroy(c.xlu);
    return 0;
}

static int cmd_check(const char *file, int nextra, char **extra)
{
    struct cfg c;
    int i;

    if (load_cfg(&c, file, nextra, extra))
        return 1;
    for (i = 0; i < c.n; i++) {
        printf("type=%s backend=%s devid=", c.e[i].type, c.e[i].backend);
        if (c.e[i].devid < 0)
            printf("auto");
        else
            printf("%lld", (long long)c.e[i].devid);
        printf(" params=%s\n", c.e[i].params);
    }
    printf("%s: %d virtio_msg device(s)\n", c.name ? c.name : "(no name)", c.n);
    xlu_cfg_destroy(c.xlu);
    return 0;
}

static void usage(FILE *o)
{
    fputs("usage: xl-virtio-msg create <cfg> [key=value...]\n"
          "       xl-virtio-msg attach <domain> <entry>\n"
          "       xl-virtio-msg detach <domain> <devid>\n"
          "       xl-virtio-msg list [<domain>]\n"
          "       xl-virtio-msg check <cfg> [key=value...]\n"
          "entry: type=blk,target=/path/disk.img[,backend=DOM][,devid=N][,readonly=on]\n"
          "       type=console[,io=pty|unix:PATH]   type=rng   type=net[,bridge=BR][,mac=MAC]\n", o);
}

int main(int argc, char **argv)
{
    struct xs_handle *xs;
    int rc;

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "check")) {
        if (argc < 3) {
            usage(stderr);
            return 2;
        }
        return cmd_check(argv[2], argc - 3, argv + 3);
    }
    if (strcmp(argv[1], "create") && strcmp(argv[1], "attach") && strcmp(argv[1], "detach") &&
        strcmp(argv[1], "list")) {
        usage(stderr);
        return 2;
    }
    xs = xs_open(0);
    if (!xs)
        return die("cannot open xenstore (not in a Xen control domain?)", 1);
    if (!strcmp(argv[1], "create") && argc >= 3) {
        rc = cmd_create(xs, argv[2], argc - 3, argv + 3);
    } else if (!strcmp(argv[1], "attach") && argc == 4) {
        struct xl_entry e;
        char err[400];
        uint32_t fe;
        if (xl_entry_parse(argv[3], &e, err, sizeof(err)))
            rc = die(err, 1);
        else if (resolve(xs, argv[2], &fe))
            rc = die("no such domain", 1);
        else
            rc = attach(xs, fe, &e) ? 1 : 0;
    } else if (!strcmp(argv[1], "detach") && argc == 4) {
        uint32_t fe, id;
        if (resolve(xs, argv[2], &fe))
            rc = die("no such domain", 1);
        else if (xsu_parse_uint(argv[3], 65535, &id))
            rc = die("devid: expected a number", 1);
        else
            rc = detach(xs, fe, id) ? 1 : 0;
    } else if (!strcmp(argv[1], "list") && argc <= 3) {
        rc = list(xs, argc == 3 ? argv[2] : NULL);
    } else {
        usage(stderr);
        rc = 2;
    }
    xs_close(xs);
    return rc;
}
