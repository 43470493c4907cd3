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
# The backend's notification hold (--hold-us) against none, for a frontend
# that sleeps for every answer (--poll-max 0: each needs an EVENT_USED), at
# depth 16 and 1: a verify run's time, the median of 3 interleaved rounds.
# A fixed hold must match the driver's pace; `auto` learns it.
hold_rows() {
    t=$(mktemp -d) || return 1
    truncate -s 64M "$t/a.img"
    for h in 0 auto 1000; do
        "$b/virtio-msg-backend" --socket "$t/s$h" --poll-max 5000 --hold-us $h \
            -d "blk,file=$t/a.img" </dev/null 2>/dev/null &
        echo $! >>"$t/pids"
    done
    for r in 1 2 3; do for qd in 16 1; do for h in 0 auto 1000; do
        s=$(date +%s%N)
        "$b/virtio-msg-front" --socket "$t/s$h" --wait 5000 --poll-max 0 blk verify $r 1500 $qd \
            >/dev/null 2>&1 || echo "hold bench: verify failed (--hold-us $h, depth $qd)" >&2
        echo "$qd $h $(( ($(date +%s%N) - s) / 1000000 ))" >>"$t/times"
    done; done; done
    kill $(cat "$t/pids") 2>/dev/null; wait
    awk '{ v[$1 " " $2, ++n[$1 " " $2]] = $3 }
         function med(k,  a, b, c) { a = v[k, 1]; b = v[k, 2]; c = v[k, 3]
             return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b)) }
         END { split("16 1", q, " "); split("auto 1000", h, " ")
             for (i = 1; i <= 2; i++) for (j = 1; j <= 2; j++) {
                 o = med(q[i] " " h[j]); z = med(q[i] " 0")
                 printf "%-34s %12.1f %12.1f %-6s %7.2fx  %s\n", "hold " h[j] " vs none, QD" q[i] " (ms)", o, z, "ms", o / z, "-" } }' "$t/times"
    rm -rf "$t"
}
echo "== backend --hold-us vs no hold, a sleeping frontend's verify run (median of 3)"
hold_rows

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
