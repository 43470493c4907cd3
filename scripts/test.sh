#!/bin/sh
# The test command (README): install deps if missing, build in build/, run
# every test program (make check), print "N passed, N failed".
# Exit status: 0 only if all passed.
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
