#!/bin/bash
# Build the dom0 and domU initramfs images for the Xen-in-QEMU tests from
# Debian 12 packages and our build tree.
#   build-images.sh BUILD_DIR OUT_DIR
# amd64 (default) takes everything from the host's own packages.  Needs:
#   xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils linux-image-amd64
#   busybox-static cpio (scripts/deps.sh installs them)
# ARCH=arm64 PKGROOT=DIR takes Xen, the kernel, busybox and the Xen tools
# from arm64 packages unpacked into DIR (run-arm64.sh fetches them), the
# libraries from DIR and the host's arm64 multiarch libraries, and our
# programs from a cross build (BUILD_DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
out=$2
arch=${ARCH:-amd64}
case $arch in
    amd64) pkgroot=""; triplet=x86_64-linux-gnu ;;
    arm64) pkgroot=$(cd "${PKGROOT:?ARCH=arm64 needs PKGROOT}" && pwd); triplet=aarch64-linux-gnu ;;
    *) echo "build-images: ARCH=$arch: amd64 or arm64" >&2; exit 1 ;;
esac
kver=${KVER:-$(ls "$pkgroot/lib/modules" | grep -E "$arch\$" | sort -V | tail -n 1)}
xenbin=$pkgroot/usr/lib/xen-4.17/bin
rm -rf "$out"; mkdir -p "$out"

for f in virtio-msg-backend virtio-msg-front xl-virtio-msg tests/integration/unix-chat \
         tests/integration/attack; do
    [ -x "$build/$f" ] || { echo "build-images: $build/$f missing (configure found no Xen?)" >&2; exit 1; }
done
if [ "$arch" = amd64 ]; then
    zcat /boot/xen-4.17-amd64.gz > "$out/xen"  # QEMU -kernel wants the ELF
else
    cp "$pkgroot/boot/xen-4.17-arm64" "$out/xen"
fi
cp "$pkgroot/boot/vmlinuz-$kver" "$out/vmlinuz"

# cross_libs FILE: the shared libraries an arm64 FILE needs, found by
# their NEEDED entries (ldd cannot run it) in the unpacked packages and
# the host's arm64 multiarch directories, then the dynamic loader.
cross_libs() {
    local queue=$1 found="" f n d
    while [ -n "$queue" ]; do
        set -- $queue; f=$1; shift; queue="$*"
        for n in $(aarch64-linux-gnu-readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            for d in "$pkgroot/usr/lib/$triplet" "$pkgroot/lib/$triplet" "/usr/lib/$triplet" "/lib/$triplet"; do
                [ -e "$d/$n" ] || continue
                case " $found " in *" $d/$n "*) ;; *) found="$found $d/$n"; queue="$queue $d/$n" ;; esac
                break
            done
        done
    done
    echo $found /lib/ld-linux-aarch64.so.1
}
libs_of() {
    if [ "$arch" = amd64 ]; then ldd "$1" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*'; else cross_libs "$1"; fi
}

copy_bin() {  # copy_bin ROOT FILE... : files and the shared libraries they need
    local root=$1 f lib dst; shift
    for f in "$@"; do
        dst=${f#"$pkgroot"}              # a packaged file goes where its package puts it
        mkdir -p "$root$(dirname "$dst")"
        cp -L "$f" "$root$dst"
        for lib in $(libs_of "$f"); do
            dst=${lib#"$pkgroot"}
            mkdir -p "$root$(dirname "$dst")"
            [ -e "$root$dst" ] || cp -L "$lib" "$root$dst"
        done
    done
}

base() {  # base ROOT: busybox, Xen device modules, xenstore tools, /init
    local r=$1 m
    mkdir -p "$r"/{bin,sbin,etc,dev,proc,sys,tmp,root,run,var/run,var/lib,var/log,lib/modules,usr/bin,usr/sbin}
    cp "$pkgroot/bin/busybox" "$r/bin/busybox"
    # The applets by the host's busybox's list (arm64's cannot run here;
    # Debian 12 has the same version for both).
    for a in $(/bin/busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
    for m in xen/xen-evtchn xen/xen-gntdev xen/xen-gntalloc xen/xen-privcmd xen/xenfs/xenfs \
             net/tun net/bridge/bridge net/802/stp net/llc/llc \
             block/loop block/xen-blkback/xen-blkback; do
        f=$pkgroot/lib/modules/$kver/kernel/drivers/$m.ko
        [ -e "$f" ] || f=$pkgroot/lib/modules/$kver/kernel/$m.ko
        [ -e "$f" ] && cp "$f" "$r/lib/modules/"
    done
    copy_bin "$r" "$pkgroot/usr/bin/xenstore"
    mkdir -p "$r/lib/$triplet"
    cp -L "/lib/$triplet/libgcc_s.so.1" "$r/lib/$triplet/"  # pthread_exit dlopen()s it
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
        f=$pkgroot/lib/modules/$kver/kernel/$m.ko
        # (virtio and virtio_ring are built into Debian's arm64 kernel)
        if [ -e "$f" ]; then cp "$f" "$d/lib/modules/"; elif [ "$arch" = amd64 ]; then
            echo "build-images: $f missing" >&2; exit 1; fi
    done
    cp "$VMX_KO" "$d/lib/modules/virtio_msg_xen.ko"
    if [ "$arch" = amd64 ]; then cc=gcc; else cc=$triplet-gcc; fi
    $cc -O2 -Wall -o "$out/blkbench" "$here/blkbench.c"
    copy_bin "$d" "$pkgroot/sbin/mkfs.ext4" "$pkgroot/sbin/e2fsck" "$out/blkbench"
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
# An Arm guest is PVH, the only kind Xen on Arm has (same kernel, same devices).
[ "$arch" = arm64 ] && sed -i 's/^type = "pv"$/type = "pvh"/' "$r/root/guest.cfg" "$r/root/guest-linux.cfg"
(cd "$r" && find . | cpio -H newc -o --quiet | gzip -1 > "$out/dom0.cpio.gz")
ls -la "$out"/*.gz "$out/xen" "$out/vmlinuz" | awk '{print "build-images:", $5, $9}'
