/* SPDX-License-Identifier: MIT */
/* JSON rendering of decoded messages for virtio-msg-decode. */
#include <inttypes.h>

#include "msg_json.h"

static void field(FILE *o, const char *name, uint64_t v)
{
    fprintf(o, ",\"%s\":%" PRIu64, name, v);
}

static void hex_field(FILE *o, const char *name, const uint8_t *p, uint32_t n)
{
    uint32_t i;

    fprintf(o, ",\"%s\":\"", name);
    for (i = 0; i < n && p; i++)
        fprintf(o, "%02x", p[i]);
    fputc('"', o);
}

static void features(FILE *o, const struct vmsg *m)
{
    uint32_t i;

    field(o, "block_index", m->u.features.block_index);
    field(o, "num_blocks", m->u.features.num_blocks);
    if (!m->u.features.blocks)
        return;
    fputs(",\"features\":[", o);
    for (i = 0; i < m->u.features.num_blocks; i++)
        fprintf(o, "%s%" PRIu32, i ? "," : "", vmsg_feature_block(m, i));
    fputc(']', o);
}

static void config(FILE *o, const struct vmsg *m, bool has_gen)
{
    if (has_gen)
        field(o, "generation", m->u.config.generation);
    field(o, "offset", m->u.config.offset);
    field(o, "length", m->u.config.length);
    if (has_gen && (m->u.config.data_len || m->msg_id == VMSG_GET_CONFIG ||
                    !vmsg_is_response(m)))
        hex_field(o, "data", m->u.config.data, m->u.config.data_len);
}

static void vqueue(FILE *o, const struct vmsg *m, bool resp)
{
    const struct vmsg_vqueue *q = &m->u.vqueue;

    field(o, "index", q->index);
    if (resp) {
        field(o, "max_size", q->max_size);
        field(o, "cur_size", q->size);
    } else {
        field(o, "size", q->size);
    }
    field(o, "desc_addr", q->desc_addr);
    field(o, "driver_addr", q->driver_addr);
    field(o, "device_addr", q->device_addr);
}

static void devices(FILE *o, const struct vmsg *m, bool resp)
{
    uint32_t i;
    bool first = true;

    field(o, "offset", m->u.devices.offset);
    field(o, "count", m->u.devices.count);
    if (!resp)
        return;
    field(o, "next_offset", m->u.devices.next_offset);
    hex_field(o, "bitmap", m->u.devices.bitmap, m->u.devices.count / 8u);
    fputs(",\"devices\":[", o);
    for (i = 0; i < m->u.devices.count; i++) {
        if (!(m->u.devices.bitmap[i / 8] & (1u << (i % 8))))
            continue;
        fprintf(o, "%s%" PRIu32, first ? "" : ",", m->u.devices.offset + i);
        first = false;
    }
    fputc(']', o);
}

static void bus_payload(FILE *o, const struct vmsg *m, bool resp)
{
    switch (m->msg_id) {
    case VMSG_BUS_GET_DEVICES:
        devices(o, m, resp);
        break;
    case VMSG_BUS_PING:
        field(o, "data", m->u.ping);
        break;
    case VMSG_BUS_EVENT_DEVICE:
        field(o, "device_number", m->u.event_device.device_number);
        field(o, "device_bus_state", m->u.event_device.device_bus_state);
        break;
    }
}

static void transport_payload(FILE *o, const struct vmsg *m, bool resp)
{
    const struct vmsg_device_info *d = &m->u.dev_info;

    switch (m->msg_id) {
    case VMSG_GET_DEVICE_INFO:
        if (!resp)
            break;
        field(o, "device_id", d->device_id);
        field(o, "vendor_id", d->vendor_id);
        field(o, "num_feature_bits", d->num_feature_bits);
        field(o, "config_size", d->config_size);
        field(o, "max_virtqueues", d->max_virtqueues);
        field(o, "admin_vq_start", d->admin_vq_start);
        field(o, "admin_vq_count", d->admin_vq_count);
        break;
    case VMSG_GET_DEVICE_FEATURES:
    case VMSG_SET_DRIVER_FEATURES:
        if (!(resp && m->msg_id == VMSG_SET_DRIVER_FEATURES))
            features(o, m);
        break;
    case VMSG_GET_CONFIG:
        config(o, m, resp);
        break;
    case VMSG_SET_CONFIG:
        config(o, m, true);
        break;
    case VMSG_GET_DEVICE_STATUS:
    case VMSG_SET_DEVICE_STATUS:
        if (resp || m->msg_id == VMSG_SET_DEVICE_STATUS)
            field(o, "status", m->u.status);
        break;
    case VMSG_GET_VQUEUE:
        if (resp)
            vqueue(o, m, true);
        else
            field(o, "index", m->u.index);
        break;
    case VMSG_SET_VQUEUE:
        if (!resp)
            vqueue(o, m, false);
        break;
    case VMSG_RESET_VQUEUE:
        if (!resp)
            field(o, "index", m->u.index);
        break;
    case VMSG_GET_SHM:
        if (resp) {
            field(o, "index", m->u.shm.index);
            field(o, "length", m->u.shm.length);
            field(o, "address", m->u.shm.address);
        } else {
            field(o, "index", m->u.index);
        }
        break;
    case VMSG_EVENT_CONFIG:
        field(o, "device_status", m->u.event_config.device_status);
        field(o, "generation", m->u.event_config.generation);
        field(o, "offset", m->u.event_config.offset);
        field(o, "length", m->u.event_config.length);
        hex_field(o, "data", m->u.event_config.data, m->u.event_config.length);
        break;
    case VMSG_EVENT_AVAIL:
        field(o, "vq_index", m->u.event_avail.vq_index);
        field(o, "next_offset", m->u.event_avail.next_offset);
        break;
    case VMSG_EVENT_USED:
        field(o, "vq_index", m->u.vq_index);
        break;
    }
}

void vmsg_print_json(FILE *o, const struct vmsg *m)
{
    bool resp = vmsg_is_response(m), bus = vmsg_is_bus(m);
    const char *kind = resp ? "response"
                            : vmsg_id_is_event(m->msg_id) ? "event" : "request";

    fprintf(o, "{\"kind\":\"%s\",\"class\":\"%s\",\"name\":\"%s\"", kind,
            bus ? "bus" : "transport", vmsg_name(bus, m->msg_id));
    field(o, "msg_id", m->msg_id);
    field(o, "dev_num", m->dev_num);
    field(o, "token", m->token);
    field(o, "msg_size", m->msg_size);
    if (bus)
        bus_payload(o, m, resp);
    else
        transport_payload(o, m, resp);
    fputs("}\n", o);
}

void vmsg_print_json_error(FILE *o, const char *reason)
{
    const char *p;

    fputs("{\"error\":\"", o);
    for (p = reason; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', o);
        if ((unsigned char)*p < 0x20)
            fprintf(o, "\\u%04x", (unsigned char)*p);
        else
            fputc(*p, o);
    }
    fputs("\"}\n", o);
}
