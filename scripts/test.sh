#!/bin/sh
# The test command (README): install deps if missing, build in build/, run
# every test program (make check), then the Xen-in-QEMU tests (Xen 4.17 +
# PV dom0 + PV domU under QEMU/TCG) and their Arm64 run (our programs
# cross-built, Xen 4.17 + dom0 + PVH domU under qemu-system-aarch64;
# VMSG_SKIP_XEN_QEMU=1 skips both, VMSG_SKIP_ARM64=1 the Arm64 run), and
# print "N passed, N failed" for all of them.  Exit status 0 only if all passed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
make -j"$(nproc)" check >check.out 2>&1 || true
pass=$(sed -n 's/^# PASS: *//p' check.out | tail -n 1)
fail=$(sed -n 's/^# FAIL: *//p' check.out | tail -n 1)
err=$(sed -n 's/^# ERROR: *//p' check.out | tail -n 1)
pass=${pass:-0}; fail=$(( ${fail:-0} + ${err:-0} ))
[ -n "$(sed -n 's/^# TOTAL: *//p' check.out)" ] || { tail -n 40 check.out; fail=$((fail + 1)); }
grep -E '^(FAIL|ERROR):' check.out || true
[ "$fail" -eq 0 ] || "$top/scripts/failed-diag.sh" tests
echo "make check: $pass passed, $fail failed"
# suite NAME OUT: count a Xen-in-QEMU run's "N passed, N failed" (its last
# line in OUT; none counts as one failure).
suite() {
    grep -E '^(arm64: )?(ok|not ok) ' "$2" || tail -n 30 "$2"
    last=$(tail -n 1 "$2")
    xp=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    xf=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    echo "$1: ${xp:-0} passed, ${xf:-1} failed (log: build/$(basename "$2"))"
    pass=$((pass + ${xp:-0})); fail=$((fail + ${xf:-1}))
}
if [ "${VMSG_SKIP_XEN_QEMU:-0}" != 1 ]; then
    "$top/tests/xen-qemu/run.sh" "$top/build" >xen-qemu.out 2>&1 || true
    suite xen-qemu xen-qemu.out
    if [ "${VMSG_SKIP_ARM64:-0}" != 1 ]; then
        VMSG_DOM0_ARGS=${VMSG_ARM64_ARGS:-} \
            "$top/tests/xen-qemu/run-arm64.sh" "$top/build-arm64" >xen-arm64.out 2>&1 || true
        suite xen-arm64 xen-arm64.out
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
