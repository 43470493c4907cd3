#!/bin/bash
# First step of the Arm64 port of the Xen-in-QEMU tests (not run by CI
# yet): boot Debian 12's arm64 Xen 4.17 and an arm64 dom0 kernel under
# qemu-system-aarch64 (TCG, -machine virt,virtualization=on,gic-version=3,
# -cpu max), dom0 and its busybox initramfs loaded by -device guest-loader,
# and check that dom0 runs on Xen.  What is left for the full suite: our
# programs cross-built for arm64 (gcc-aarch64-linux-gnu against
# libxen-dev:arm64), xen-utils-4.17:arm64 in the dom0 image, and the
# module built against linux-headers-*-arm64.
# Needs: dpkg --add-architecture arm64; apt-get update; qemu-system-arm
set -euo pipefail
work=${WORK:-$(mktemp -d /tmp/xen-arm64.XXXXXX)}
cd "$work"
apt-get download xen-hypervisor-4.17-arm64:arm64 linux-image-arm64:arm64 busybox-static:arm64 >/dev/null 2>&1 || {
    echo "arm64: cannot download the arm64 packages (dpkg --add-architecture arm64 && apt-get update)"; exit 1; }
img=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9].*-arm64\).*/\1/p' | head -n 1)
[ -n "$img" ] && apt-get download "$img:arm64" >/dev/null 2>&1
for f in *.deb; do dpkg-deb -x "$f" root; done
mkdir -p init/{bin,proc,sys,dev}
cp root/bin/busybox init/bin/
for a in sh mount cat uname poweroff ls; do ln -sf busybox init/bin/$a; done
cat > init/init <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
echo "ARM64-DOM0-UP $(uname -m) hypervisor=$(cat /sys/hypervisor/type) uptime=$(cut -d' ' -f1 /proc/uptime)s"
poweroff -f
INIT
chmod +x init/init
(cd init && find . | cpio -H newc -o --quiet | gzip -1 > ../dom0.cpio.gz)
start=$(date +%s)
timeout 300 qemu-system-aarch64 -machine virt,virtualization=on,gic-version=3 -cpu max -m 2G -smp 2 \
    -nographic -no-reboot -monitor none -serial stdio -nic none \
    -kernel root/boot/xen-4.17-arm64 \
    -append "console=dtuart dtuart=/pl011@9000000 dom0_mem=512M dom0_max_vcpus=1" \
    -device guest-loader,addr=0x49000000,kernel="$(ls root/boot/vmlinuz-*-arm64)",bootargs="console=hvc0 earlycon=xen quiet" \
    -device guest-loader,addr=0x50000000,initrd=dom0.cpio.gz </dev/null 2>&1 | tr -d '\r' > boot.log || true
grep -E '^\(XEN\) Xen version|ARM64-DOM0-UP' boot.log
echo "arm64: QEMU ran $(( $(date +%s) - start )) s"
grep -q 'ARM64-DOM0-UP aarch64 hypervisor=xen' boot.log
