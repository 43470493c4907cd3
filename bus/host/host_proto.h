/* SPDX-License-Identifier: MIT */
/*
 * Host bus connection set-up, the stand-in for the Xen xenstore handshake:
 * the frontend grants the ring pages and sends HELLO with its pool, grant
 * table and two event-channel eventfds over a Unix SOCK_SEQPACKET socket;
 * the backend validates everything, maps the ring and answers WELCOME.
 * The socket then stays open: its closing is the disconnect signal.
 */
#ifndef VMSG_HOST_PROTO_H
#define VMSG_HOST_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define VH_MAGIC   0x31584856u       /* "VHX1" */
#define VH_VERSION 1u
#define VH_NFDS    4                 /* pool, grant table, evt->be, evt->fe */

struct vh_hello {
    uint32_t magic, version;
    uint32_t domid;                  /* who the frontend claims to be */
    uint32_t ring_gref;              /* first of VMSG_RING_PAGES grants */
    uint32_t max_msg;                /* largest message it will handle */
    uint32_t reserved;
};

struct vh_welcome {
    uint32_t magic;
    int32_t status;                  /* 0, or a negative errno */
    uint32_t max_msg;                /* agreed maximum */
    uint32_t reserved;
};

/* Send @len bytes with @nfds descriptors attached. 0 or -errno. */
int vh_send(int sock, const void *buf, size_t len, const int *fds, int nfds);

/*
 * Receive one packet of exactly @len bytes and exactly @want_fds
 * descriptors (fds[] filled, others closed).  -EBADMSG for anything else,
 * -EPIPE on an orderly close, -errno otherwise.
 */
int vh_recv(int sock, void *buf, size_t len, int *fds, int want_fds);

/* eventfd helpers: the event channel of the host bus. */
int vh_notify(int evfd);
int vh_ack(int evfd);                 /* drain; 1 if it was signalled */

#endif
