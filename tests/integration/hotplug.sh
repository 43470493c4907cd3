#!/bin/bash
# Device hot-add and removal with EVENT_DEVICE (backend SIGHUP reload) on
# the host bus (TAP).
b=${top_builddir:-.}
be=$b/virtio-msg-backend
fe=$b/virtio-msg-front
tmp=$(mktemp -d)
trap 'kill $bepid 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
front() { "$fe" --socket "$tmp/s" --wait 5000 "$@"; }
hup() { kill -HUP $bepid; sleep 0.4; }

truncate -s 16M "$tmp/d.img"
echo "rng,devid=0" > "$tmp/cfg"
"$be" --socket "$tmp/s" --config "$tmp/cfg" --verbose </dev/null 2>"$tmp/be.log" &
bepid=$!

front watch 3000 > "$tmp/watch.out" 2>&1 &
w=$!
sleep 0.8
printf 'rng,devid=0\nblk,devid=5,file=%s\n' "$tmp/d.img" > "$tmp/cfg"; hup
printf 'blk,devid=5,file=%s\n' "$tmp/d.img" > "$tmp/cfg"; hup
wait $w
grep -q "device 5 added: blk" "$tmp/watch.out"; ok "a connected frontend hears READY for a hot-added blk" $?
grep -q "device 0 removed: rng" "$tmp/watch.out"; ok "a connected frontend hears REMOVED for a removed rng" $?
grep -q "now 1 device(s)" "$tmp/watch.out"; ok "the frontend's device list follows" $?

front blk verify 3 100 | grep -q "all sectors match"; ok "the hot-added disk works" $?
front info | grep -q "^1 device(s)"; ok "a new frontend enumerates the current set" $?

# Remove the disk while a frontend is using it: the frontend fails cleanly,
# the backend releases everything and goes on serving.
printf 'blk,devid=5,file=%s\nrng,devid=1\n' "$tmp/d.img" > "$tmp/cfg"; hup
front blk verify 4 30000 > "$tmp/busy.out" 2>&1 &
busy=$!
sleep 1
printf 'rng,devid=1\n' > "$tmp/cfg"; hup
timeout 20 tail --pid=$busy -f /dev/null; wait $busy; r=$?
[ $r -ne 0 ] && [ $r -ne 124 ]; ok "removing a disk in use ends the frontend's I/O with an error, no hang" $?
front rng 16 | grep -Eq '^[0-9a-f]{32}$'; ok "the backend still serves the rng" $?

printf 'rng,devid=1\nblk,devid=zz\n' > "$tmp/cfg"; hup
grep -q "keeping the current devices" "$tmp/be.log"; ok "a bad config on reload keeps the current devices" $?
front rng 16 | grep -Eq '^[0-9a-f]{32}$'; ok "and they still work" $?

kill -TERM $bepid; wait $bepid
grep -q " 0 still held" "$tmp/be.log" && ! grep "still held" "$tmp/be.log" | grep -vq " 0 still held"; ok "no grant mapping left held" $?
tap_done
