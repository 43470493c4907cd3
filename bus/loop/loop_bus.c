/* SPDX-License-Identifier: MIT */
/* The in-process loopback bus (see include/virtio-msg/loop.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio-msg/loop.h"
#include "virtio-msg/msg.h"

#define PAGE 4096u

static struct vmsg_loop *loop_of(struct vmsg_bus *bus)
{
    return bus->priv;
}

static int loop_caps(struct vmsg_bus *bus, struct vmsg_bus_caps *caps)
{
    return vmsg_bus_caps_rev1(caps, loop_of(bus)->max_msg_size);
}

/* Device side sends: a response for the waiting transfer, or an event. */
static int loop_dev_send(struct vmsg_bus *bus, const void *msg, size_t len)
{
    struct vmsg_loop *l = loop_of(bus);
    const uint8_t *b = msg;

    if (len < VMSG_HDR_SIZE || len > l->max_msg_size)
        return -EMSGSIZE;
    if (b[0] & VMSG_TYPE_RESPONSE) {
        /* Exactly one response per request (B26): extras are dropped. */
        if (!l->waiting || l->resp_len || l->drop_responses ||
            vmsg_get_le16(b + 4) != l->token) {
            l->stray_responses++;
            return 0;
        }
        memcpy(l->resp, msg, len);
        l->resp_len = len;
        return 0;
    }
    l->events_to_driver++;
    vmsg_bus_deliver(&l->drv, msg, len);
    return 0;
}

/* Driver side sends an event (EVENT_AVAIL) or any one-way message. */
static int loop_drv_send(struct vmsg_bus *bus, const void *msg, size_t len)
{
    struct vmsg_loop *l = loop_of(bus);

    if (len < VMSG_HDR_SIZE || len > l->max_msg_size)
        return -EMSGSIZE;
    l->events_to_device++;
    vmsg_bus_deliver(&l->dev, msg, len);
    return 0;
}

static int loop_transfer(struct vmsg_bus *bus, const void *req, size_t req_len,
                         void *resp, size_t resp_cap, size_t *resp_len)
{
    struct vmsg_loop *l = loop_of(bus);
    uint8_t *copy;
    uint16_t driver_token;

    if (req_len < VMSG_HDR_SIZE || req_len > l->max_msg_size)
        return -EMSGSIZE;
    if (l->waiting)
        return -EBUSY;
    copy = malloc(req_len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, req, req_len);
    driver_token = vmsg_get_le16(copy + 4);
    if (++l->token == 0)
        l->token = 1;
    vmsg_put_le16(copy + 4, l->token);   /* the bus owns the token */
    l->waiting = true;
    l->resp_len = 0;
    l->transfers++;
    vmsg_bus_deliver(&l->dev, copy, req_len);
    l->waiting = false;
    free(copy);
    if (l->resp_len == 0)
        return -ETIMEDOUT;
    if (l->resp_len > resp_cap)
        return -EMSGSIZE;
    memcpy(resp, l->resp, l->resp_len);
    vmsg_put_le16((uint8_t *)resp + 4,
                  l->corrupt_token ? (uint16_t)(driver_token + 1)
                                   : driver_token);
    *resp_len = l->resp_len;
    return 0;
}

static void *loop_dma_alloc(struct vmsg_bus *bus, size_t size, uint64_t *addr)
{
    struct vmsg_loop *l = loop_of(bus);
    unsigned i;

    for (i = 0; i < VMSG_LOOP_MAX_REGIONS; i++) {
        struct vmsg_loop_region *r = &l->regions[i];
        if (r->mem)
            continue;
        if (posix_memalign((void **)&r->mem, PAGE, size ? size : 1))
            return r->mem = NULL;
        memset(r->mem, 0, size);
        r->addr = l->next_addr;
        r->size = size;
        /* leave an unmapped page between regions */
        l->next_addr += ((size + PAGE - 1) & ~(uint64_t)(PAGE - 1)) + PAGE;
        *addr = r->addr;
        return r->mem;
    }
    errno = ENOMEM;
    return NULL;
}

static void loop_dma_free(struct vmsg_bus *bus, void *ptr, size_t size,
                          uint64_t addr)
{
    struct vmsg_loop *l = loop_of(bus);
    unsigned i;

    (void)size;
    for (i = 0; i < VMSG_LOOP_MAX_REGIONS; i++) {
        if (l->regions[i].mem == ptr && l->regions[i].addr == addr) {
            free(ptr);
            memset(&l->regions[i], 0, sizeof(l->regions[i]));
            return;
        }
    }
}

void *vmsg_loop_ptr(struct vmsg_loop *l, uint64_t addr, size_t len)
{
    unsigned i;

    for (i = 0; i < VMSG_LOOP_MAX_REGIONS; i++) {
        const struct vmsg_loop_region *r = &l->regions[i];
        if (r->mem && addr >= r->addr && addr - r->addr <= r->size &&
            len <= r->size - (addr - r->addr))
            return r->mem + (addr - r->addr);
    }
    return NULL;
}

static void *loop_dma_map(struct vmsg_bus *bus, uint64_t addr, size_t *len,
                          bool write)
{
    struct vmsg_loop *l = loop_of(bus);
    size_t want = *len;
    void *p;

    (void)write;
    if (l->split_pages) {
        size_t to_page_end = PAGE - (size_t)(addr % PAGE);
        if (want > to_page_end)
            want = to_page_end;
    }
    p = vmsg_loop_ptr(l, addr, want);
    if (!p) {
        l->map_failures++;
        errno = EFAULT;
        return NULL;
    }
    l->maps++;
    *len = want;
    return p;
}

static void loop_dma_unmap(struct vmsg_bus *bus, void *ptr, size_t len)
{
    (void)ptr;
    (void)len;
    loop_of(bus)->unmaps++;
}

static const struct vmsg_bus_ops loop_drv_ops = {
    .name = "loop-driver",
    .get_caps = loop_caps,
    .send = loop_drv_send,
    .transfer = loop_transfer,
    .dma_alloc = loop_dma_alloc,
    .dma_free = loop_dma_free,
};

static const struct vmsg_bus_ops loop_dev_ops = {
    .name = "loop-device",
    .get_caps = loop_caps,
    .send = loop_dev_send,
    .dma_map = loop_dma_map,
    .dma_unmap = loop_dma_unmap,
};

int vmsg_loop_init(struct vmsg_loop *l, uint32_t max_msg_size)
{
    int rc;

    memset(l, 0, sizeof(*l));
    l->max_msg_size = max_msg_size;
    l->next_addr = VMSG_LOOP_BASE;
    l->resp = malloc(max_msg_size ? max_msg_size : 1);
    if (!l->resp)
        return -ENOMEM;
    rc = vmsg_bus_init(&l->drv, &loop_drv_ops, l, VMSG_ROLE_DRIVER);
    if (rc == 0)
        rc = vmsg_bus_init(&l->dev, &loop_dev_ops, l, VMSG_ROLE_DEVICE);
    if (rc) {
        free(l->resp);
        l->resp = NULL;
    }
    return rc;
}

void vmsg_loop_destroy(struct vmsg_loop *l)
{
    unsigned i;

    for (i = 0; i < VMSG_LOOP_MAX_REGIONS; i++)
        free(l->regions[i].mem);
    free(l->resp);
    memset(l, 0, sizeof(*l));
}
