#!/bin/sh
# Print what the failed TAP tests said: each "not ok" line of the test logs
# under DIR (make check's *.log) with the "#" lines that follow it, at most
# 12 per failure, so that a CI log shows why and not only which.
dir=${1:-.}
find "$dir" -name '*.log' ! -name 'test-suite.log' -exec grep -l '^not ok' {} + 2>/dev/null |
while read -r log; do
    echo "--- ${log#"$dir"/}"
    awk '/^not ok/ { n = 12; print; next }
         n > 0 && /^#/ { n--; print; next }
         { n = 0 }' "$log"
done
