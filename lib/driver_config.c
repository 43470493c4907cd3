/* SPDX-License-Identifier: MIT */
/*
 * Driver-side config space: chunked to the bus maximum, generation-checked
 * (spec §4.4, D5/D6/D17/D20/D21/D45/D46, DECISIONS.md 4).
 */
#include <errno.h>
#include <string.h>

#include "driver_priv.h"

static uint32_t chunk_max(const struct vmsg_drv *d)
{
    return d->bus->caps.max_msg_size - VMSG_HDR_SIZE -
           (uint32_t)sizeof(struct vmsg_wire_config);
}

static bool range_ok(const struct vmsg_drv *d, uint32_t off, uint32_t len)
{
    return (uint64_t)off + len <= d->info.config_size;
}

/* One GET_CONFIG; copies into @buf (may be NULL for len 0). */
static int get_chunk(struct vmsg_drv *d, uint32_t off, void *buf, uint32_t len,
                     uint32_t *gen)
{
    struct vmsg req, resp;
    int rc;

    vmsg_init_request(&req, false, VMSG_GET_CONFIG, d->dev_num);
    req.u.config.offset = off;
    req.u.config.length = len;
    rc = vmsg_drv_call(d, &req, &resp);
    if (rc)
        return rc;
    if (resp.u.config.offset != off || resp.u.config.length != len)
        return vmsg_drv_fail(d, -EPROTO);
    if (len)
        memcpy(buf, resp.u.config.data, len);
    *gen = resp.u.config.generation;
    return 0;
}

int vmsg_drv_generation(struct vmsg_drv *d, uint32_t *gen)
{
    int rc = get_chunk(d, 0, NULL, 0, gen);

    if (rc == 0)
        d->generation = *gen;
    return rc;
}

int vmsg_drv_config_read(struct vmsg_drv *d, uint32_t off, void *buf,
                         uint32_t len)
{
    uint32_t max = chunk_max(d), attempt;

    if (!range_ok(d, off, len))
        return -EINVAL;              /* D17, D20, D45 */
    for (attempt = 0; attempt < VMSG_DRV_CONFIG_RETRIES; attempt++) {
        uint32_t done = 0, first = 0, gen;
        bool settled = true;
        int rc;

        do {
            uint32_t n = len - done < max ? len - done : max;

            rc = get_chunk(d, off + done, (uint8_t *)buf + done, n, &gen);
            if (rc)
                return rc;
            if (done == 0)
                first = gen;
            else if (gen != first)
                settled = false;     /* changed under us: read again */
            done += n;
        } while (done < len && settled);
        /* A multi-chunk read is only consistent if the generation held;
         * one more zero-length read closes the window after the last. */
        if (settled && len > max) {
            rc = get_chunk(d, 0, NULL, 0, &gen);
            if (rc)
                return rc;
            settled = gen == first;
        }
        if (settled) {
            d->generation = first;
            return 0;
        }
    }
    return -EAGAIN;
}

/* One SET_CONFIG with our latest generation; 1 if applied, 0 if rejected. */
static int set_chunk(struct vmsg_drv *d, uint32_t off, const void *buf,
                     uint32_t len)
{
    struct vmsg req, resp;
    int rc;

    vmsg_init_request(&req, false, VMSG_SET_CONFIG, d->dev_num);
    req.u.config.generation = d->generation;
    req.u.config.offset = off;
    req.u.config.length = len;
    req.u.config.data = buf;
    rc = vmsg_drv_call(d, &req, &resp);
    if (rc)
        return rc;
    if (resp.u.config.offset != off)
        return vmsg_drv_fail(d, -EPROTO);
    if (resp.u.config.length == 0)
        return 0;
    if (resp.u.config.length != len)  /* partial: not allowed */
        return vmsg_drv_fail(d, -EPROTO);
    d->generation = resp.u.config.generation;
    return 1;
}

int vmsg_drv_config_write(struct vmsg_drv *d, uint32_t off, const void *buf,
                          uint32_t len)
{
    uint32_t max = chunk_max(d), done = 0;

    if (len == 0 || !range_ok(d, off, len))
        return -EINVAL;              /* D46; never a zero-length write */
    while (done < len) {
        uint32_t n = len - done < max ? len - done : max, attempt;
        int rc = 0;

        for (attempt = 0; attempt < VMSG_DRV_CONFIG_RETRIES; attempt++) {
            uint32_t before = d->generation, gen;

            rc = set_chunk(d, off + done, (const uint8_t *)buf + done, n);
            if (rc != 0)
                break;
            /* D6/D21: rejected; learn the current generation and retry,
             * unless it did not move (the device refuses this write). */
            rc = vmsg_drv_generation(d, &gen);
            if (rc)
                return rc;
            if (gen == before)
                return -EPERM;
        }
        if (rc < 0)
            return rc;
        if (rc == 0)
            return -EAGAIN;
        done += n;
    }
    return 0;
}
