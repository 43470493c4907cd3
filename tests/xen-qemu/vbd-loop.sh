#!/bin/sh
# Block hotplug script for the test dom0 (busybox sh; Xen's own `block`
# script needs bash and util-linux): put the image on a loop device and
# tell blkback which device it is, as the real script does.
# libxl runs it as  vbd-loop add|remove  with XENBUS_PATH set.
case "$1" in
add)
    f=$(xenstore-read "$XENBUS_PATH/params") || exit 1
    dev=$(losetup -f) && losetup "$dev" "$f" || {
        xenstore-write "$XENBUS_PATH/hotplug-status" error; exit 1; }
    xenstore-write "$XENBUS_PATH/physical-device" "$(stat -L -c '%t:%T' "$dev")" \
        "$XENBUS_PATH/physical-device-path" "$dev" \
        "$XENBUS_PATH/hotplug-status" connected
    ;;
remove)
    dev=$(xenstore-read "$XENBUS_PATH/physical-device-path" 2>/dev/null) && losetup -d "$dev"
    exit 0
    ;;
esac
