#!/bin/bash
# Build the dom0 and domU initramfs images for the Xen-in-QEMU tests from
# the host's Debian 12 packages and our build tree.
#   build-images.sh BUILD_DIR OUT_DIR
# Needs: xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils
#        linux-image-amd64 busybox-static cpio (scripts/deps.sh --xen-qemu)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
out=$2
kver=${KVER:-$(ls /lib/modules | grep -E 'amd64$' | sort -V | tail -n 1)}
xenbin=/usr/lib/xen-4.17/bin
rm -rf "$out"; mkdir -p "$out"

for f in virtio-msg-backend virtio-msg-front xl-virtio-msg tests/integration/unix-chat \
         tests/integration/attack; do
    [ -x "$build/$f" ] || { echo "build-images: $build/$f missing (configure found no Xen?)" >&2; exit 1; }
done
zcat /boot/xen-4.17-amd64.gz > "$out/xen"      # QEMU -kernel wants the ELF
cp "/boot/vmlinuz-$kver" "$out/vmlinuz"

copy_bin() {  # copy_bin ROOT FILE... : files and the shared libraries they need
    local root=$1 f lib; shift
    for f in "$@"; do
        mkdir -p "$root$(dirname "$f")"
        cp -L "$f" "$root$f"
        for lib in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*'); do
            mkdir -p "$root$(dirname "$lib")"
            [ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
        done
    done
}

base() {  # base ROOT: busybox, Xen device modules, xenstore tools, /init
    local r=$1 m
    mkdir -p "$r"/{bin,sbin,etc,dev,proc,sys,tmp,root,run,var/run,var/lib,var/log,lib/modules,usr/bin,usr/sbin}
    cp /bin/busybox "$r/bin/busybox"
    for a in $(/bin/busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
    for m in xen/xen-evtchn xen/xen-gntdev xen/xen-gntalloc xen/xen-privcmd xen/xenfs/xenfs \
             net/tun net/bridge/bridge net/802/stp net/llc/llc \
             block/loop block/xen-blkback/xen-blkback; do
        f=/lib/modules/$kver/kernel/drivers/$m.ko
        [ -e "$f" ] || f=/lib/modules/$kver/kernel/$m.ko
        [ -e "$f" ] && cp "$f" "$r/lib/modules/"
    done
    copy_bin "$r" /usr/bin/xenstore
    cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$r/lib/x86_64-linux-gnu/"
    for c in read write ls list rm exists chmod; do ln -sf xenstore "$r/usr/bin/xenstore-$c"; done
    install -m 755 "$here/init.sh" "$r/init"
}

# domU: the reference frontend, the attack program and the agent that
# runs what dom0 asks.
d=$out/domU; base "$d"
copy_bin "$d" "$build/virtio-msg-front" "$build/tests/integration/attack"
mv "$d$build/virtio-msg-front" "$d$build/tests/integration/attack" "$d/usr/bin/"
install -m 755 "$here/domU-agent.sh" "$d/etc/init-domU"
(cd "$d" && find . | cpio -H newc -o --quiet | gzip -1 > "$out/domU.cpio.gz")

# domU-linux: Debian's own kernel with only our module added: the kernel's
# unmodified virtio drivers, ext4 and e2fsprogs for the filesystem tests.
if [ -n "${VMX_KO:-}" ]; then
    d=$out/domU-linux; base "$d"
    km=$d/lib/modules/$kver/kernel; mkdir -p "$km"
    for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/block/virtio_blk \
             drivers/char/virtio_console drivers/char/hw_random/virtio-rng \
             lib/crc16 fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4 crypto/crc32c_generic \
             drivers/block/xen-blkfront net/core/failover drivers/net/net_failover \
             drivers/net/virtio_net; do
        cp "/lib/modules/$kver/kernel/$m.ko" "$d/lib/modules/"
    done
    cp "$VMX_KO" "$d/lib/modules/virtio_msg_xen.ko"
    gcc -O2 -Wall -o "$out/blkbench" "$here/blkbench.c"
    copy_bin "$d" /usr/sbin/mkfs.ext4 /usr/sbin/e2fsck "$out/blkbench"
    mv "$d$out/blkbench" "$d/usr/bin/blkbench"
    install -m 755 "$here/domU-agent.sh" "$d/etc/init-domU"
    (cd "$d" && find . | cpio -H newc -o --quiet | gzip -1 > "$out/domU-linux.cpio.gz")
fi

# dom0: Xen tools, our backend and xl integration, the test script.
r=$out/dom0; base "$r"
copy_bin "$r" $xenbin/xl $xenbin/xenstored $xenbin/xenconsoled $xenbin/xen-init-dom0 \
    "$build/virtio-msg-backend" "$build/xl-virtio-msg" "$build/tests/integration/unix-chat" \
    "$build/tests/integration/attack" "$build/virtio-msg-store"
for f in virtio-msg-backend xl-virtio-msg tests/integration/unix-chat tests/integration/attack \
         virtio-msg-store; do
    mv "$r$build/$f" "$r/usr/bin/"
done
mkdir -p "$r/etc/xen" "$r/var/lib/xen" "$r/var/lib/xenstored" "$r/var/log/xen/console"
cp /etc/xen/xl.conf "$r/etc/xen/"
cp -a /etc/xen/scripts "$r/etc/xen/"
cp "$out/vmlinuz" "$r/root/vmlinuz"
cp "$out/domU.cpio.gz" "$r/root/domU.cpio.gz"
[ -e "$out/domU-linux.cpio.gz" ] && cp "$out/domU-linux.cpio.gz" "$r/root/"
install -m 755 "$here/dom0-tests.sh" "$r/etc/init-dom0"
install -m 755 "$here/vbd-loop.sh" "$r/etc/xen/scripts/vbd-loop"
cp "$here/guest.cfg" "$here/guest-linux.cfg" "$r/root/"
(cd "$r" && find . | cpio -H newc -o --quiet | gzip -1 > "$out/dom0.cpio.gz")
ls -la "$out"/*.gz "$out/xen" "$out/vmlinuz" | awk '{print "build-images:", $5, $9}'
