#!/bin/bash
# The blk model's event-loop paths: file I/O batched through io_uring (the
# default) and one request at a time with preadv/pwritev (uring=off, also
# what runs where io_uring is missing).  Both keep the ring's order for
# overlapping writes in flight together (io_uring runs page-cache writes
# in order anyway; the batch also splits where requests overlap, for the
# writes it would hand to its workers) and verify random writes at queue
# depth 32 over 2 queues.  Host bus, TAP.
b=${top_builddir:-.}
tmp=$(mktemp -d)
trap 'kill $bepid 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
front() { "$b/virtio-msg-front" --socket "$tmp/s" --wait 5000 "$@"; }

truncate -s 32M "$tmp/d.img"
for mode in on off; do
    rm -f "$tmp/s"
    "$b/virtio-msg-backend" --socket "$tmp/s" -d "blk,file=$tmp/d.img,queues=2,uring=$mode" \
        </dev/null 2>"$tmp/be.log" &
    bepid=$!
    front info >/dev/null 2>&1
    if [ $mode = on ]; then
        grep -q "io_uring batches\|io_uring unavailable" "$tmp/be.log"
        ok "uring=on: the backend says how it does file I/O" $?
        grep "blk on" "$tmp/be.log" | sed 's/^/# /'
    else
        ! grep -q "io_uring" "$tmp/be.log"; ok "uring=off: no io_uring" $?
    fi
    front blk overlap 32 >"$tmp/o" 2>&1; rc=$?
    sed 's/^/# /' "$tmp/o"
    [ $rc -eq 0 ] && grep -q "the last one won" "$tmp/o"
    ok "uring=$mode: 32 overlapping writes in flight: the last one wins" $?
    front blk read 8 8 | cmp -s - <(head -c 4096 /dev/zero | tr '\0' '\137')
    ok "uring=$mode: the overlapped sectors read back through blk read" $?
    front blk verify $RANDOM 400 32 >"$tmp/v" 2>&1; rc=$?
    sed 's/^/# /' "$tmp/v"
    [ $rc -eq 0 ] && grep -q "all sectors match" "$tmp/v"
    ok "uring=$mode: 400 random writes at QD32 over 2 queues read back intact" $?
    kill $bepid; wait $bepid 2>/dev/null
done
"$b/virtio-msg-backend" --socket "$tmp/s" -d "blk,file=$tmp/d.img,uring=maybe" \
    </dev/null >"$tmp/bad.log" 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q "uring=maybe: expected on or off" "$tmp/bad.log"
ok "uring=maybe is refused with a message" $?
tap_done
