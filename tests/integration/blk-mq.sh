#!/bin/bash
# Multi-queue virtio-blk (queues=4, VIRTIO_BLK_F_MQ): the frontend spreads
# requests over every queue and the data verifies; blk bench runs (its
# figures are printed, not checked).  Host bus, TAP.
b=${top_builddir:-.}
tmp=$(mktemp -d)
trap 'kill $bepid 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
front() { "$b/virtio-msg-front" --socket "$tmp/s" --wait 5000 "$@"; }

truncate -s 32M "$tmp/d.img"
"$b/virtio-msg-backend" --socket "$tmp/s" -d "blk,file=$tmp/d.img,queues=4" </dev/null 2>"$tmp/be.log" &
bepid=$!
front info >"$tmp/info" 2>&1
grep -q "blk .* 4 queue(s)" "$tmp/info"; ok "the device offers 4 queues" $?
front blk verify 5 60 >"$tmp/v" 2>&1; rc=$?
sed 's/^/# /' "$tmp/v"
[ $rc -eq 0 ] && grep -q "all sectors match" "$tmp/v"; ok "random writes over 4 queues read back intact" $?
grep -qE "4 split queue\(s\) used: [1-9][0-9]* [1-9][0-9]* [1-9][0-9]* [1-9][0-9]* requests" "$tmp/v"
ok "every queue carried requests" $?
front blk bench 0.5 >"$tmp/bench" 2>&1; rc=$?
sed 's/^/# /' "$tmp/bench"
[ $rc -eq 0 ] && grep -q "MB/s" "$tmp/bench"; ok "blk bench runs" $?
tap_done
