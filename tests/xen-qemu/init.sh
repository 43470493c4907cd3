#!/bin/sh
# /init of both images: mount, load the Xen device modules, run the role.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run; mkdir -p /run/xen /var/run/xen
for m in xen-evtchn xen-gntdev xen-privcmd xenfs tun llc stp bridge loop xen-blkback; do
    [ -e /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko
done
insmod /lib/modules/xen-gntalloc.ko limit=65536   # our DMA pool is granted up front
mount -t xenfs xenfs /proc/xen
if grep -q control_d /proc/xen/capabilities; then exec /bin/sh /etc/init-dom0; fi
exec /bin/sh /etc/init-domU
