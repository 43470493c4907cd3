#!/bin/sh
# make bench: every benchmark, each with its baseline from the same run.
set -u
b=${top_builddir:-.}
echo "== host bus ($(nproc) cores, $(uname -r))"
VMSG_BACKEND=$b/virtio-msg-backend "$b/bench/bench_host" || exit 1
if command -v valgrind >/dev/null; then
    # Instructions inside vmsg_encode + vmsg_decode only (callgrind toggles).
    ins() { valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect=vmsg_encode \
            --toggle-collect=vmsg_decode "$b/bench/bench_codec" 10000 "$@" 2>&1 |
            sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'; }
    echo "== codec: encode + validate + decode, instructions per message (callgrind)"
    echo "$(ins) $(ins 7) $(ins 8)" | awk '{
        printf "%-34s %12.1f %12s %-6s %8s  %s\n", "mean of 10 kinds", $1 / 100000, "-", "instr", "-", "<= 100"
        printf "%-34s %12.1f %12s %-6s %8s  %s\n", "EVENT_AVAIL (per kick)", $2 / 10000, "-", "instr", "-", "<= 100"
        printf "%-34s %12.1f %12s %-6s %8s  %s\n", "EVENT_USED (per interrupt)", $3 / 10000, "-", "instr", "-", "<= 100" }'
fi
# Xen in QEMU: the virtio-msg disk (Linux guest, our module) against Xen's
# own blkfront/blkback on the same image in the same boot.  Slow (a Xen
# boot under TCG): BENCH_XEN=0 skips it.
if [ "${BENCH_XEN:-1}" = 1 ] && [ -e /boot/xen-4.17-amd64.gz ] && command -v qemu-system-x86_64 >/dev/null; then
    echo "== Xen 4.17 in QEMU/TCG: virtio-msg blk vs PV blkfront, same image, same boot (target >= 1.0x)"
    src=$(cd "$(dirname "$0")/.." && pwd)
    VMSG_DOM0_ARGS=vmsg_only=linux "$src/tests/xen-qemu/run.sh" "$(cd "$b" && pwd)" >"$b/bench-xen.out" 2>&1
    grep -E '^xen-qemu bench|^  (seq|rand|backend CPU|backend spin)' "$b/bench-xen.out" || { echo "xen bench did not run (see $b/bench-xen.out)"; exit 1; }
fi
# The same on Arm64 (our programs and module cross-built, qemu-system-aarch64;
# tests/xen-qemu/run-arm64.sh, about 3 minutes): BENCH_ARM64=0 skips it.
if [ "${BENCH_XEN:-1}" = 1 ] && [ "${BENCH_ARM64:-1}" = 1 ] && command -v qemu-system-aarch64 >/dev/null &&
   command -v aarch64-linux-gnu-gcc >/dev/null; then
    echo "== Xen 4.17 on Arm64 in QEMU/TCG: virtio-msg blk vs PV blkfront, same image, same boot (target >= 1.0x)"
    src=$(cd "$(dirname "$0")/.." && pwd)
    VMSG_DOM0_ARGS=vmsg_only=linux "$src/tests/xen-qemu/run-arm64.sh" "$src/build-arm64" >"$b/bench-xen-arm64.out" 2>&1
    grep -E '^xen-arm64 bench|^  (seq|rand|backend CPU|backend spin)' "$b/bench-xen-arm64.out" ||
        { echo "xen arm64 bench did not run (see $b/bench-xen-arm64.out)"; exit 1; }
fi
