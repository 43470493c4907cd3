#!/bin/sh
# The test command (README): install deps if missing, build in build/, run
# every test program (make check), then the Xen-in-QEMU tests (Xen 4.17 +
# PV dom0 + PV domU under QEMU/TCG; VMSG_SKIP_XEN_QEMU=1 skips them), and
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
echo "make check: $pass passed, $fail failed"
if [ "${VMSG_SKIP_XEN_QEMU:-0}" != 1 ]; then
    "$top/tests/xen-qemu/run.sh" "$top/build" >xen-qemu.out 2>&1 || true
    grep -E '^(ok|not ok) ' xen-qemu.out || tail -n 30 xen-qemu.out
    last=$(tail -n 1 xen-qemu.out)
    xp=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    xf=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    echo "xen-qemu: ${xp:-0} passed, ${xf:-1} failed (log: build/xen-qemu.out)"
    pass=$((pass + ${xp:-0})); fail=$((fail + ${xf:-1}))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
