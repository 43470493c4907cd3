#!/bin/bash
# The Xen-in-QEMU tests: build the images, boot Debian 12's Xen 4.17 with a
# PV dom0 in QEMU (TCG: no KVM needed, about 35 s to a running domU), run
# dom0-tests.sh, print its TAP lines and "N passed, N failed".
#   run.sh [BUILD_DIR]     (default: build/ at the top of the tree)
# Env: TIMEOUT (s, default 1200), KEEP=1 keeps the work dir,
#      VMSG_DOM0_ARGS=vmsg_only=linux runs only the Linux guest tests.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
work=${WORK:-$(mktemp -d /tmp/xen-qemu.XXXXXX)}
mkdir -p "$work"
log=$work/serial.log
missing=""
for f in /boot/xen-4.17-amd64.gz /usr/bin/qemu-system-x86_64 /bin/busybox /usr/bin/cpio; do
    [ -e "$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
    echo "xen-qemu: missing$missing (scripts/deps.sh --xen-qemu installs them)"
    echo "0 passed, 1 failed"
    exit 1
fi
# The Linux guest module, built with the kernel's own kbuild.
# One kernel for the guests and the module: the newest with both the image
# and the headers installed.
for k in $(ls /lib/modules 2>/dev/null | grep -E 'amd64$' | sort -rV); do
    [ -e "/boot/vmlinuz-$k" ] && [ -d "/usr/src/linux-headers-$k" ] && { export KVER=$k; break; }
done
[ -n "${KVER:-}" ] || export KVER=$(ls /lib/modules | grep -E 'amd64$' | sort -V | tail -n 1)
kdir=/usr/src/linux-headers-$KVER
if [ -d "$kdir" ]; then
    rm -rf "$work/vmx"; cp -r "$top/frontend-linux" "$work/vmx"; mkdir -p "$work/include"
    cp -r "$top/include/virtio-msg" "$work/include/"
    if make -s -C "$work/vmx" KDIR="$kdir" >"$work/vmx.log" 2>&1; then
        export VMX_KO=$work/vmx/virtio_msg_xen.ko
    else
        echo "xen-qemu: the Linux module did not build:"; cat "$work/vmx.log"
    fi
else
    echo "xen-qemu: no $kdir: the Linux module tests fail (install linux-headers-amd64)"
fi
"$here/build-images.sh" "$build" "$work/img" || { echo "0 passed, 1 failed"; exit 1; }
start=$(date +%s)
timeout --foreground "${TIMEOUT:-1200}" qemu-system-x86_64 \
    -machine q35 -accel tcg -cpu qemu64 -m 3G -smp 2 \
    -nographic -no-reboot -monitor none -serial stdio -nic none \
    -kernel "$work/img/xen" \
    -append "console=com1 com1=115200 dom0_mem=1536M,max:1536M dom0_max_vcpus=2 loglvl=warning guest_loglvl=warning" \
    -initrd "$work/img/vmlinuz console=hvc0 quiet ${VMSG_DOM0_ARGS:-},$work/img/dom0.cpio.gz" \
    </dev/null 2>&1 | tr -d '\r' > "$log"
echo "xen-qemu: QEMU ran $(( $(date +%s) - start )) s; serial log $log"
# The log's TAP lines, benchmark figures and count (report.sh).
. "$here/report.sh"
report xen-qemu "$log" ""
status=$?
[ "${KEEP:-0}" = 1 ] || rm -rf "$work/img"
exit $status
