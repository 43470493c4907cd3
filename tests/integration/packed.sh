#!/bin/bash
# Packed virtqueues end to end on the host bus (TAP): devices offered with
# packed=on serve frontends that choose packed rings (--packed) and those
# that keep split ones, on the event loop's io_uring batches, on I/O
# threads and on a busy-polling backend; the data verifies and nothing
# stays mapped.
b=${top_builddir:-.}
be=$b/virtio-msg-backend
fe=$b/virtio-msg-front
tmp=$(mktemp -d)
trap 'kill $bepid $bepid2 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
front() { "$fe" --socket "$tmp/s" --wait 5000 "$@"; }

truncate -s 32M "$tmp/d1.img" "$tmp/d2.img" "$tmp/d3.img"
"$be" --socket "$tmp/s" --verbose \
    -d "blk,domid=1,file=$tmp/d1.img,queues=2,packed=on" -d "rng,domid=1,packed=on" \
    -d "blk,domid=2,file=$tmp/d2.img,iothreads=2,packed=on" \
    </dev/null 2>"$tmp/be.log" &
bepid=$!

front --packed blk verify 11 3000 32 >"$tmp/v1" 2>&1
grep -q "all sectors match" "$tmp/v1" && grep -q "2 packed queue(s) used" "$tmp/v1"
rc=$?
ok "packed rings: 3000 writes at depth 32 over 2 queues read back intact" $rc
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/v1"
front blk verify 12 1000 8 >"$tmp/v2" 2>&1
grep -q "all sectors match" "$tmp/v2" && grep -q "2 split queue(s) used" "$tmp/v2"
ok "the same device with a frontend that keeps split rings" $?
"$fe" --socket "$tmp/s" --domid 2 --wait 5000 --packed blk verify 13 2000 16 >"$tmp/v3" 2>&1
grep -q "all sectors match" "$tmp/v3" && grep -q "1 packed queue(s) used" "$tmp/v3"
ok "packed rings on a disk served by I/O threads (answers out of order)" $?
[ "$(front --packed rng 4096 | tr -d '\n' | wc -c)" -eq 8192 ]
ok "packed rings: rng returns 4096 bytes" $?
# Two packed frontends at once on one backend.
front --packed blk verify 14 1000 32 >"$tmp/v4" 2>&1 &
p4=$!
"$fe" --socket "$tmp/s" --domid 2 --wait 5000 --packed blk verify 15 1000 32 >"$tmp/v5" 2>&1
wait $p4
grep -q "all sectors match" "$tmp/v4" && grep -q "all sectors match" "$tmp/v5"
ok "two packed frontends at once, both intact" $?
sleep 0.2
line=$(status); echo "# $line"
echo "$line" | grep -q "0 host frontend(s), 0 host grant mapping(s)"
ok "after them: no frontend connected, no mapping held" $?

# A busy-polling backend: the spin serves packed queues it finds requests in.
"$be" --socket "$tmp/s2" --verbose --poll 2000 \
    -d "blk,domid=1,file=$tmp/d3.img,packed=on" </dev/null 2>"$tmp/be2.log" &
bepid2=$!
"$fe" --socket "$tmp/s2" --wait 5000 --packed blk verify 16 3000 16 >"$tmp/v6" 2>&1
grep -q "all sectors match" "$tmp/v6" && grep -q "1 packed queue(s) used" "$tmp/v6"
ok "packed rings on a polling backend, intact" $?
kill $bepid2; wait $bepid2
ok "the polling backend exits cleanly" $?
grep "disconnected" "$tmp/be2.log" | tail -n 1 | sed 's/^/# /'

kill $bepid; wait $bepid
ok "backend exits cleanly (status 0)" $?
tap_done
