/* SPDX-License-Identifier: MIT */
/*
 * virtio-msg-decode: print raw virtio-msg messages as JSON, one object per
 * message.
 *
 *   virtio-msg-decode [--hex] [--max-size N] < input
 *
 * Binary input is a stream of messages, each delimited by its own msg_size.
 * With --hex, each non-empty line (# starts a comment) is one message in
 * hex; whitespace and ':' between bytes are ignored.  A malformed message
 * prints {"error":"..."} and decoding goes on with the next one; in binary
 * mode a msg_size that cannot delimit a message (below 8, or past the end
 * of input) ends the stream, since no next message can be found.
 *
 * Exit status: 0 all messages valid, 1 some were not, 2 usage or I/O error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg_json.h"

#define MAX_INPUT (64u << 20)

static void usage(FILE *o)
{
    fputs("usage: virtio-msg-decode [--hex] [--max-size N] < messages\n"
          "  Prints one JSON object per virtio-msg message read on stdin.\n"
          "  --hex         one message per line in hex (default: binary)\n"
          "  --max-size N  also reject messages larger than N bytes\n",
          o);
}

/* Decode one message buffer and print it; returns 0 if valid. */
static int show(const uint8_t *buf, size_t len, size_t max, bool exact)
{
    struct vmsg m;
    char why[96];
    int rc = vmsg_decode(buf, len, max, &m);

    if (rc == 0 && exact && m.msg_size != len) {
        snprintf(why, sizeof(why), "%zu trailing byte(s) after msg_size %u",
                 len - m.msg_size, m.msg_size);
        vmsg_print_json_error(stdout, why);
        return 1;
    }
    if (rc) {
        vmsg_print_json_error(stdout, vmsg_strerror(rc));
        return 1;
    }
    vmsg_print_json(stdout, &m);
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse one hex line into @out; returns bytes or -1 with *why set. */
static long parse_hex(const char *s, uint8_t *out, size_t cap,
                      const char **why)
{
    size_t n = 0;
    int hi = -1;

    for (; *s && *s != '#'; s++) {
        int v;

        if (isspace((unsigned char)*s) || *s == ':')
            continue;
        v = hexval((unsigned char)*s);
        if (v < 0) {
            *why = "not a hex digit";
            return -1;
        }
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n == cap) {
            *why = "message longer than 65535 bytes";
            return -1;
        }
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (hi >= 0) {
        *why = "odd number of hex digits";
        return -1;
    }
    return (long)n;
}

static int run_hex(size_t max)
{
    static uint8_t buf[VMSG_ABS_MAX_SIZE];
    char *line = NULL;
    size_t cap = 0;
    int bad = 0;

    while (getline(&line, &cap, stdin) >= 0) {
        const char *why = NULL;
        const char *p = line;
        long n;

        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        n = parse_hex(p, buf, sizeof(buf), &why);
        if (n < 0) {
            vmsg_print_json_error(stdout, why);
            bad = 1;
            continue;
        }
        bad |= show(buf, (size_t)n, max, true);
    }
    free(line);
    if (ferror(stdin)) {
        fprintf(stderr, "virtio-msg-decode: read error: %s\n", strerror(errno));
        return 2;
    }
    return bad;
}

static int run_binary(size_t max)
{
    size_t len = 0, cap = 1 << 16, off = 0;
    uint8_t *buf = malloc(cap);
    int bad = 0;

    if (!buf)
        return 2;
    for (;;) {
        size_t got;

        if (len == cap) {
            uint8_t *nb;
            if (cap >= MAX_INPUT) {
                fprintf(stderr, "virtio-msg-decode: input over %u MiB\n",
                        MAX_INPUT >> 20);
                free(buf);
                return 2;
            }
            nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return 2;
            }
            buf = nb;
            cap *= 2;
        }
        got = fread(buf + len, 1, cap - len, stdin);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(stdin)) {
        fprintf(stderr, "virtio-msg-decode: read error\n");
        free(buf);
        return 2;
    }
    while (off < len) {
        size_t left = len - off;
        uint16_t size;

        if (left < VMSG_HDR_SIZE) {
            vmsg_print_json_error(stdout, "truncated header at end of input");
            bad = 1;
            break;
        }
        size = vmsg_get_le16(buf + off + 6);
        if (size < VMSG_HDR_SIZE || size > left) {
            vmsg_print_json_error(stdout, size < VMSG_HDR_SIZE
                                              ? "msg_size out of bounds"
                                              : "truncated message at end of input");
            bad = 1;
            break;
        }
        bad |= show(buf + off, size, max, true);
        off += size;
    }
    free(buf);
    return bad;
}

int main(int argc, char **argv)
{
    bool hex = false;
    size_t max = 0;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--hex")) {
            hex = true;
        } else if (!strcmp(argv[i], "--max-size") && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 0);
            if (*end || v < VMSG_HDR_SIZE || v > VMSG_ABS_MAX_SIZE) {
                fprintf(stderr, "virtio-msg-decode: --max-size must be 8..65535\n");
                return 2;
            }
            max = v;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "virtio-msg-decode: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    return hex ? run_hex(max) : run_binary(max);
}
