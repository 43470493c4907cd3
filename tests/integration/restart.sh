#!/bin/bash
# Kill the backend (SIGKILL) under a write load and start it again: the
# frontend reconnects as a new driver and every write the device had
# acknowledged reads back (blk soak).  Host bus, TAP.
b=${top_builddir:-.}
be=$b/virtio-msg-backend
fe=$b/virtio-msg-front
tmp=$(mktemp -d)
trap 'kill $bepid $fepid 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

truncate -s 8M "$tmp/d.img"
start() { "$be" --socket "$tmp/s" -d "blk,file=$tmp/d.img" </dev/null 2>>"$tmp/be.log" & bepid=$!; }
start
"$fe" --socket "$tmp/s" --wait 5000 soak 6 11 >"$tmp/soak.out" 2>&1 &
fepid=$!
for round in 1 2; do
    sleep 1.5
    kill -9 $bepid; wait $bepid 2>/dev/null
    sleep 0.3
    start
done
wait $fepid; rc=$?
cat "$tmp/soak.out" | sed 's/^/# /'
[ $rc -eq 0 ]; ok "soak survives two backend kills (exit status)" $?
grep -qE "soak: [0-9]+ writes, [0-9]+ flushes, 2 reconnects" "$tmp/soak.out"
ok "the frontend reconnected once per kill" $?
grep -q " 0 lost or corrupted" "$tmp/soak.out"; ok "no acknowledged write lost or corrupted" $?
tap_done
