#!/bin/bash
# Kill a frontend mid-I/O (SIGKILL) 100 times in a row; afterwards the
# backend holds no connection, grant mapping or extra file descriptor, and
# still serves a new frontend correct data.  BACKEND_WRAPPER runs the
# backend under a checker (CI: valgrind, which must also report no leak);
# KILL_BLK_OPTS adds options to the disk (",queues=4,iothreads=4") and
# KILL_QD sets the frontend's writes in flight.  Host bus, TAP.
b=${top_builddir:-.}
be=$b/virtio-msg-backend
fe=$b/virtio-msg-front
rounds=${KILL_ROUNDS:-100}
tmp=$(mktemp -d)
trap 'kill $bepid 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

truncate -s 16M "$tmp/d.img"
${BACKEND_WRAPPER:-} "$be" --socket "$tmp/s" -d "blk,file=$tmp/d.img${KILL_BLK_OPTS:-}" -d rng --verbose </dev/null 2>"$tmp/be.log" &
bepid=$!
"$fe" --socket "$tmp/s" --wait 20000 info >/dev/null 2>&1
base=$(status | sed -n 's/.* \([0-9]*\) open fd(s).*/\1/p')
killed=0
for i in $(seq "$rounds"); do
    "$fe" --socket "$tmp/s" --wait 20000 blk verify "$i" 100000 "${KILL_QD:-1}" >/dev/null 2>&1 &
    p=$!
    sleep "0.$(( (i * 37) % 9 + 1 ))"      # 0.1 .. 0.9 s: during set-up or I/O
    kill -9 $p 2>/dev/null && killed=$((killed + 1))
    wait $p 2>/dev/null
done
echo "# killed $killed of $rounds frontends mid-run"
sleep 0.5
line=$(status)
echo "# $line"
echo "$line" | grep -q "status: 0 host frontend(s), 0 host grant mapping(s)"
ok "after $rounds killed frontends: no connection, no grant mapping held" $?
now=$(echo "$line" | sed -n 's/.* \([0-9]*\) open fd(s).*/\1/p')
[ -n "$now" ] && [ "$now" = "$base" ]
ok "after $rounds killed frontends: open fds back to $base (now ${now:-?})" $?
"$fe" --socket "$tmp/s" --wait 5000 blk verify 4242 50 "${KILL_QD:-1}" >"$tmp/v.out" 2>&1
ok "the backend still serves correct data to a new frontend" $?
ndisc=$(grep -c "disconnected" "$tmp/be.log")
grep "disconnected" "$tmp/be.log" | grep -v " 0 still held" | head -n 3 | sed 's/^/# /'
! grep "disconnected" "$tmp/be.log" | grep -vq " 0 still held"
ok "every one of $ndisc disconnects released its grant mappings" $?
kill $bepid; wait $bepid; rc=$?
[ $rc -eq 0 ]; ok "backend exits with status 0 (no checker error)" $?
tap_done
