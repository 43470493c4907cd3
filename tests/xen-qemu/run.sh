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
grep -vE '^\(XEN\)|^\[ *[0-9]+\.[0-9]+\]' "$log" | grep -v '^XT: ' | tail -n 400 | sed 's/^/  | /'
grep '^XT: ' "$log" | sed 's/^XT: //'
# Benchmark figures (not pass/fail): the virtio-msg disk vs Xen's blkfront,
# same image, same boot.
# rows PREFIX: the "PREFIX: pair" lines as a table, then the backend's CPU.
rows() {
    grep "^$1: pair " "$log" | awk '{ u = $3 == "randread" ? "IOPS" : "MB/s"; a = $3 == "randread" ? $6 : $4; b = $3 == "randread" ? $7 : $5
        printf "  %-9s virtio-msg %8.1f %s  blkfront %8.1f %s  ratio %.2fx  (totals %.2fx; %d chunk pairs, %.2f-%.2fx)\n", $3, a, u, b, u, $8, (b > 0 ? a / b : 0), $11, $9, $10 }'
    grep "^$1: cpu " "$log" | awk '$4 > 0 { printf "  backend CPU over these runs (both disks'"'"' chunks): %.0f%% of one dom0 vCPU\n", $3 / $4 }'
    sed -n "s/^$1: spin /  backend spin: /p" "$log"
}
if grep -q '^XB: pair ' "$log"; then
    echo "xen-qemu bench (TCG, 1 vCPU guest; ratio = virtio-msg / blkfront: the median of the ratios of pairs of chunks run alternately on both disks, 500 ms each unless vmsg_chunk= says; totals: the ratio of the whole runs):"
    rows XB
fi
if grep -q '^XBP: pair ' "$log"; then
    echo "xen-qemu bench, the backend in polling mode (--poll-max $(sed -n 's/.*--poll-max \([0-9]*\), files intact.*/\1/p' "$log" | head -n 1): spins while requests come within that of its last work), same boot:"
    rows XBP
fi
pass=$(grep -c '^XT: ok ' "$log")
fail=$(grep -c '^XT: not ok ' "$log")
grep -q '^XT-DONE' "$log" || { echo "xen-qemu: the test script did not finish"; fail=$((fail + 1)); }
[ "${KEEP:-0}" = 1 ] || rm -rf "$work/img"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
