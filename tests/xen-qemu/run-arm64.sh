#!/bin/bash
# The Xen-in-QEMU tests on Arm64: our programs cross-built for arm64, Debian
# 12's arm64 Xen 4.17, kernel, busybox and Xen tools, booted in
# qemu-system-aarch64 (TCG, -machine virt,virtualization=on,gic-version=3;
# Xen loads dom0's kernel and initramfs from -device guest-loader), then
# the same dom0-tests.sh as on x86 with PVH domUs (the Arm guest type):
# the reference frontend in one, Debian's arm64 kernel with our module
# (cross-built here) in the other.
#   run-arm64.sh [BUILD_DIR]   (default: build-arm64/ at the top of the tree;
#                               configured and built here for arm64)
# Env: TIMEOUT (s, default 1200), KEEP=1 keeps the work dir,
#      VMSG_DOM0_ARGS (default: none, every part: userspace, hostile and
#      the Linux guest; vmsg_only=userspace+hostile runs two of them),
#      PKGS=DIR reuses unpacked packages.
# Needs (scripts/deps.sh installs them): dpkg --add-architecture arm64,
#   gcc-aarch64-linux-gnu, liburing-dev:arm64, the Xen runtime libraries
#   for arm64 (libxenmisc4.17:arm64 ...), qemu-system-arm, cpio.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build-arm64}
work=${WORK:-$(mktemp -d /tmp/xen-arm64.XXXXXX)}
mkdir -p "$work"
log=$work/serial.log
fail() { echo "xen-arm64: $*"; echo "0 passed, 1 failed"; exit 1; }

for f in /usr/bin/qemu-system-aarch64 /usr/bin/aarch64-linux-gnu-gcc /usr/bin/cpio \
         /usr/lib/aarch64-linux-gnu/pkgconfig/liburing.pc /usr/lib/aarch64-linux-gnu/libxenlight.so.4.17; do
    [ -e "$f" ] || fail "missing $f (scripts/deps.sh installs it)"
done

# Debian's arm64 packages, unpacked (not installed: they would replace
# the host's amd64 Xen tools).
pkgs=${PKGS:-$work/pkgs}
if [ ! -e "$pkgs/root/usr/lib/xen-4.17/bin/xl" ]; then
    mkdir -p "$pkgs" && cd "$pkgs" || fail "cannot make $pkgs"
    kimg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
           sed -n 's/.*Depends: \(linux-image-[0-9].*-arm64\).*/\1/p' | head -n 1)
    [ -n "$kimg" ] || fail "apt knows no linux-image-arm64:arm64 (dpkg --add-architecture arm64; apt-get update)"
    kv=${kimg#linux-image-}
    # e2fsprogs and its libraries: mkfs.ext4 and e2fsck for the Linux guest
    apt-get download xen-hypervisor-4.17-arm64:arm64 "$kimg:arm64" busybox-static:arm64 \
        xen-utils-4.17:arm64 xenstore-utils:arm64 "linux-headers-$kv:arm64" \
        "linux-headers-${kv%-arm64}-common" e2fsprogs:arm64 libext2fs2:arm64 \
        libcom-err2:arm64 libblkid1:arm64 libuuid1:arm64 libxen-dev:arm64 > download.log 2>&1 ||
        { cat download.log; fail "cannot download the arm64 packages"; }
    for f in *.deb; do dpkg-deb -x "$f" root || fail "cannot unpack $f"; done
    # libxen-dev:arm64 cannot be installed beside the host's libxen-dev
    # (they conflict): its headers, .pc files and .so links serve from the
    # unpacked tree, the libraries they name are the installed arm64
    # runtime packages (libxenmisc4.17:arm64 and the rest, multiarch).
    lib=root/usr/lib/aarch64-linux-gnu
    sed -i -E "s#^(prefix|includedir|libdir)=/usr#\1=$pkgs/root/usr#" "$lib"/pkgconfig/xen*.pc
    for l in "$lib"/*.so; do
        [ -e "$l" ] || ln -sfn "/usr/lib/aarch64-linux-gnu/$(readlink "$l")" "$l"
    done
    cd - > /dev/null || exit 1
fi

# Our programs for arm64.
if [ ! -f "$build/Makefile" ]; then
    mkdir -p "$build"
    (cd "$build" && PKG_CONFIG_LIBDIR=$pkgs/root/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
        "$top/configure" -q --host=aarch64-linux-gnu > configure.log 2>&1) ||
        { tail -n 20 "$build/configure.log"; fail "cannot configure the arm64 build"; }
fi
make -s -C "$build" -j2 virtio-msg-backend virtio-msg-front xl-virtio-msg virtio-msg-store \
    tests/integration/unix-chat tests/integration/attack > "$work/make.log" 2>&1 ||
    { tail -n 30 "$work/make.log"; fail "the arm64 build failed"; }
aarch64-linux-gnu-readelf -h "$build/virtio-msg-backend" 2>/dev/null | grep -q AArch64 ||
    fail "$build is not an arm64 build"

# The Linux guest module, cross-built against Debian's arm64 kernel
# headers (unpacked, their build tools the host's linux-kbuild of the same
# version): KVER is the arm64 kernel's.
export KVER=$(ls "$pkgs/root/lib/modules" | grep -E 'arm64$' | sort -V | tail -n 1)
hdr=$pkgs/root/usr/src/linux-headers-$KVER
common=$pkgs/root/usr/src/linux-headers-${KVER%-arm64}-common
kbuild=/usr/lib/linux-kbuild-$(echo "$KVER" | cut -d. -f1,2)
if [ -d "$hdr" ] && [ -d "$common" ] && [ -d "$kbuild" ]; then
    sed -i "s|^include /usr/src/|include $pkgs/root/usr/src/|" "$hdr/Makefile"
    for d in "$hdr" "$common"; do
        for l in scripts tools; do [ -L "$d/$l" ] && ln -sfn "$kbuild/$l" "$d/$l"; done
    done
    rm -rf "$work/vmx"; cp -r "$top/frontend-linux" "$work/vmx"; mkdir -p "$work/include"
    cp -r "$top/include/virtio-msg" "$work/include/"
    if make -s -C "$work/vmx" KDIR="$hdr" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
            > "$work/vmx.log" 2>&1; then
        export VMX_KO=$work/vmx/virtio_msg_xen.ko
    else
        echo "xen-arm64: the Linux module did not build:"; cat "$work/vmx.log"
    fi
else
    echo "xen-arm64: no arm64 kernel headers or no $kbuild: the Linux guest tests fail"
fi
ARCH=arm64 PKGROOT="$pkgs/root" "$here/build-images.sh" "$build" "$work/img" ||
    fail "cannot build the images"
# guest-loader places dom0's kernel and initramfs at fixed addresses in
# the first GiB of RAM (which starts at 1 GiB on virt): they must not
# overlap.
ksz=$(stat -c %s "$work/img/vmlinuz")
[ "$ksz" -lt $((0x07000000)) ] || fail "the kernel ($ksz bytes) overlaps the initramfs"
start=$(date +%s)
timeout --foreground "${TIMEOUT:-1200}" qemu-system-aarch64 \
    -machine virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -m 3G -smp 2 \
    -nographic -no-reboot -monitor none -serial stdio -nic none \
    -kernel "$work/img/xen" \
    -append "console=dtuart dtuart=/pl011@9000000 dom0_mem=1536M dom0_max_vcpus=2 loglvl=warning guest_loglvl=warning" \
    -device guest-loader,addr=0x49000000,kernel="$work/img/vmlinuz",bootargs="console=hvc0 quiet ${VMSG_DOM0_ARGS:-}" \
    -device guest-loader,addr=0x50000000,initrd="$work/img/dom0.cpio.gz" \
    </dev/null 2>&1 | tr -d '\r' > "$log"
echo "xen-arm64: QEMU ran $(( $(date +%s) - start )) s; serial log $log"
grep -m 1 '^(XEN) Xen version' "$log" | sed 's/^/  | /'
. "$here/report.sh"
report xen-arm64 "$log" "arm64: "
status=$?
# The images and the packages unpacked here (about 500 MB; a PKGS
# directory stays).
[ "${KEEP:-0}" = 1 ] || rm -rf "$work/img" "$work/pkgs"
exit $status
