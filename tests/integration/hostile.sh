#!/bin/bash
# The hostile-frontend suite: every attack of tests/integration/attack.c,
# each its own test, run against one backend while another frontend keeps
# writing and verifying its data.  After each attack: the attack was
# rejected as the spec says (connection cut, message dropped with the next
# one answered, or DEVICE_NEEDS_RESET), the backend holds no mapping for
# the attacker, and the victim's data still verifies.  HOSTILE_BLK_OPTS
# adds options to both disks (",queues=4,iothreads=4"), HOSTILE_BE_ARGS
# to the backend ("--poll 1000").  Host bus, TAP.
b=${top_builddir:-.}
tmp=$(mktemp -d)
trap 'kill $bepid $vpid 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

truncate -s 16M "$tmp/victim.img" "$tmp/attacker.img"
"$b/virtio-msg-backend" --socket "$tmp/s" --verbose ${HOSTILE_BE_ARGS:-} \
    -d "blk,domid=1,file=$tmp/victim.img${HOSTILE_BLK_OPTS:-}" \
    -d "blk,domid=4,file=$tmp/attacker.img${HOSTILE_BLK_OPTS:-}" \
    </dev/null 2>"$tmp/be.log" &
bepid=$!
# The victim: write-and-verify rounds until told to stop (the count
# renamed into place, so that a reader never sees it half written).
( i=0; while [ ! -e "$tmp/stop" ]; do i=$((i + 1))
      "$b/virtio-msg-front" --socket "$tmp/s" --domid 1 --wait 5000 blk verify "$i" 20 "${HOSTILE_QD:-1}" \
          >"$tmp/victim.last" 2>&1 || { echo "round $i failed" >>"$tmp/victim.fail"; cat "$tmp/victim.last" >>"$tmp/victim.fail"; }
      echo "$i" >"$tmp/victim.next"; mv "$tmp/victim.next" "$tmp/victim.rounds"; done ) &
vpid=$!
# The attacks start once the victim has a round behind it (a loaded
# machine may need longer than a moment for the first).
for _ in $(seq 100); do [ -e "$tmp/victim.rounds" ] && break; sleep 0.1; done
count=0
for a in $("$b/tests/integration/attack" list); do
    before=$(cat "$tmp/victim.rounds" 2>/dev/null || echo 0)
    # A frontend that keeps its queue full must not starve the others:
    # the victim finishes a whole round while the queue is hogged (the
    # hog lasts 3 s, longer on a loaded machine until the victim got
    # there, 30 s at most).
    HOG_VICTIM_ROUNDS="$tmp/victim.rounds" HOG_VICTIM_WANT=$((before + 2)) \
        timeout 60 "$b/tests/integration/attack" "$a" "$tmp/s" 4 >"$tmp/a.out" 2>&1
    rc=$?
    after=$(cat "$tmp/victim.rounds" 2>/dev/null || echo 0)
    if [ "$a" = queue-hog ] && [ $rc -eq 0 ] && [ "${after:-0}" -lt $((before + 2)) ]; then
        echo "attack: the victim went from round $before to ${after:-?} while the queue was hogged" >>"$tmp/a.out"
        rc=1
    fi
    sleep 0.1
    line=$(status)
    # Between attacks the attacker is disconnected: nothing may stay mapped
    # for it (the victim may hold a connection of its own).
    held=$(echo "$line" | sed -n 's/.* \([0-9]*\) host grant mapping(s).*/\1/p')
    [ $rc -eq 0 ] && kill -0 $bepid 2>/dev/null && [ -e "$tmp/victim.rounds" ] && [ ! -e "$tmp/victim.fail" ]
    ok "attack $a: rejected as the spec says, backend alive, victim's data intact" $?
    [ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/a.out"
    count=$((count + 1))
done
touch "$tmp/stop"; wait $vpid
rounds=$(cat "$tmp/victim.rounds" 2>/dev/null || echo 0)
[ ! -e "$tmp/victim.fail" ] && [ "$rounds" -gt 1 ]
ok "victim: $rounds write-and-verify rounds during $count attacks, all intact" $?
[ -e "$tmp/victim.fail" ] && sed 's/^/# /' "$tmp/victim.fail" | head -n 20
sleep 0.3
line=$(status); echo "# $line"
echo "$line" | grep -q "status: 0 host frontend(s), 0 host grant mapping(s)"
ok "after the suite: no frontend connected, no grant mapping held" $?
echo "# attacks: $count"
tap_done
