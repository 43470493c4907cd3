#!/bin/sh
# make bench: every benchmark, each with its baseline from the same run.
set -u
b=${top_builddir:-.}
echo "== host bus ($(nproc) cores, $(uname -r))"
VMSG_BACKEND=$b/virtio-msg-backend "$b/bench/bench_host" || exit 1
if command -v valgrind >/dev/null; then
    ins() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$b/bench/bench_codec" "$1" 2>&1 |
            sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'; }
    a=$(ins 1000); c=$(ins 11000)
    echo "== codec: encode + validate + decode, instructions per message (callgrind)"
    echo "$a $c" | awk '{ printf "%-34s %12.1f %12s %-6s %8s  %s\n", "per message (10 kinds, mean)", ($2 - $1) / 100000, "-", "instr", "-", "<= 100" }'
fi
