/* SPDX-License-Identifier: MIT */
/* The reference frontend on the Xen bus ("xen:DEVID"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

#ifdef HAVE_XEN
#include "virtio-msg/xen.h"
#include "../bus/xen/xs_util.h"

int vf_connect_xen(struct vf *vf, const char *devid, int wait_ms)
{
    const char *pool = getenv("VMSG_XEN_POOL_PAGES"), *pers = getenv("VMSG_XEN_PERSISTENT");
    uint32_t id, pages = VMSG_XEN_POOL_PAGES;
    unsigned flags = 0;
    int rc;

    if (xsu_parse_uint(devid, 0x7FFFFFFF, &id))
        return -EINVAL;
    if (pool && (xsu_parse_uint(pool, 65536, &pages) || pages == 0))
        return -EINVAL;
    if (pers && strcmp(pers, "0") && strcmp(pers, "1"))
        return -EINVAL;
    if (pers && !strcmp(pers, "0"))
        flags |= VMSG_XEN_FE_TRANSIENT;   /* the backend maps per request */
    vf->xen = calloc(1, sizeof(*vf->xen));
    if (!vf->xen)
        return -ENOMEM;
    rc = vmsg_xen_fe_connect(vf->xen, id, pages, flags, wait_ms);
    if (rc) {
        free(vf->xen);
        vf->xen = NULL;
        return rc == -ENOENT ? -ENODEV : rc;   /* not "retry": no such device */
    }
    vf->ep = &vf->xen->ep;
    return 0;
}

void vf_close_xen(struct vf *vf)
{
    vmsg_xen_fe_close(vf->xen);
    free(vf->xen);
    vf->xen = NULL;
}

#else

int vf_connect_xen(struct vf *vf, const char *devid, int wait_ms)
{
    (void)vf;
    (void)devid;
    (void)wait_ms;
    return -ENOTSUP;                 /* built without the Xen libraries */
}

void vf_close_xen(struct vf *vf)
{
    (void)vf;
}
#endif
