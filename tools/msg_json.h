/* SPDX-License-Identifier: MIT */
/* One decoded message as one JSON object (spec field names). */
#ifndef VMSG_MSG_JSON_H
#define VMSG_MSG_JSON_H

#include <stdio.h>

#include "virtio-msg/msg.h"

/* Print @m as one JSON object followed by a newline. */
void vmsg_print_json(FILE *out, const struct vmsg *m);

/* Print {"error":"<reason>"} (reason JSON-escaped) and a newline. */
void vmsg_print_json_error(FILE *out, const char *reason);

#endif
