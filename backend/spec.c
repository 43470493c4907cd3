/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

static int parse_u32(const char *v, uint32_t max, uint32_t *out)
{
    char *end;
    unsigned long x;

    if (!*v || !isdigit((unsigned char)*v))
        return -1;
    errno = 0;
    x = strtoul(v, &end, 10);
    if (errno || *end || x > max)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

static int used_devnum(const struct spec_list *l, uint32_t domid, uint32_t n)
{
    int i;

    for (i = 0; i < l->n; i++)
        if (l->s[i].domid == domid && l->s[i].dev_num == n)
            return 1;
    return 0;
}

int spec_parse(struct dev_spec *s, const char *text, uint32_t *devid_out,
               char *err, size_t errlen)
{
    char *tok, *save = NULL;
    uint32_t devid = UINT32_MAX;
    int first = 1;

    memset(s, 0, sizeof(*s));
    s->domid = 1;
    s->text = strdup(text);
    s->buf = strdup(text);
    if (!s->text || !s->buf) {
        free(s->text);
        free(s->buf);
        return -ENOMEM;
    }
    for (tok = strtok_r(s->buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');

        while (isspace((unsigned char)*tok))
            tok++;
        if (first && !eq) {          /* "blk,..." shorthand for type=blk */
            s->type = tok;
            first = 0;
            continue;
        }
        first = 0;
        if (!eq || eq == tok) {
            snprintf(err, errlen, "'%s': expected key=value in '%s'", tok, text);
            goto bad;
        }
        *eq = '\0';
        if (!strcmp(tok, "type")) {
            s->type = eq + 1;
        } else if (!strcmp(tok, "domid") || !strcmp(tok, "backend_domid_for")) {
            if (parse_u32(eq + 1, 0x7FF0, &s->domid)) {
                snprintf(err, errlen, "domid=%s: expected a domain id", eq + 1);
                goto bad;
            }
        } else if (!strcmp(tok, "devid")) {
            if (parse_u32(eq + 1, 65535, &devid)) {
                snprintf(err, errlen, "devid=%s: expected 0..65535", eq + 1);
                goto bad;
            }
        } else if (s->opts.n == MODEL_MAX_OPTS) {
            snprintf(err, errlen, "too many options in '%s'", text);
            goto bad;
        } else {
            s->opts.key[s->opts.n] = tok;
            s->opts.val[s->opts.n++] = eq + 1;
        }
    }
    if (!s->type || !*s->type) {
        snprintf(err, errlen, "'%s': no device type (blk, console, net, rng)", text);
        goto bad;
    }
    *devid_out = devid;
    return 0;
bad:
    spec_clear(s);
    return -EINVAL;
}

void spec_clear(struct dev_spec *s)
{
    free(s->text);
    free(s->buf);
    memset(s, 0, sizeof(*s));
}

int spec_add(struct spec_list *l, const char *text, char *err, size_t errlen)
{
    struct dev_spec *s;
    uint32_t devid;
    int rc;

    if (l->n == SPEC_MAX) {
        snprintf(err, errlen, "too many devices (at most %d)", SPEC_MAX);
        return -EINVAL;
    }
    s = &l->s[l->n];
    rc = spec_parse(s, text, &devid, err, errlen);
    if (rc)
        return rc;
    if (devid == UINT32_MAX) {
        for (devid = 0; used_devnum(l, s->domid, devid); devid++)
            ;
    } else if (used_devnum(l, s->domid, devid)) {
        snprintf(err, errlen, "devid=%u used twice for domid %u", devid, s->domid);
        goto bad;
    }
    s->dev_num = (uint16_t)devid;
    l->n++;
    return 0;
bad:
    spec_clear(s);
    return -EINVAL;
}

int spec_load_file(struct spec_list *l, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, msg[256];
    size_t cap = 0;
    int lineno = 0, rc = 0;

    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -errno;
    }
    while (getline(&line, &cap, f) >= 0) {
        char *p = line, *e;
        lineno++;
        while (isspace((unsigned char)*p))
            p++;
        e = p + strlen(p);
        while (e > p && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (!*p || *p == '#')
            continue;
        rc = spec_add(l, p, msg, sizeof(msg));
        if (rc) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
            break;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

void spec_free(struct spec_list *l)
{
    int i;

    for (i = 0; i < l->n; i++) {
        free(l->s[i].text);
        free(l->s[i].buf);
    }
    l->n = 0;
}
