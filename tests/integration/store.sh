#!/bin/bash
# The host key-value store with watches (the xenstore stand-in the backend
# serves next to its bus socket) and device hot-add/removal through it,
# as xl does through xenstore on Xen.  Host bus, TAP.
b=${top_builddir:-.}
be=$b/virtio-msg-backend
fe=$b/virtio-msg-front
tmp=$(mktemp -d)
trap 'kill $bepid $wpid 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
S() { "$b/virtio-msg-store" --store "$tmp/s.store" "$@"; }
R=backend/virtio_msg
wait_file() {  # wait_file FILE TEXT: up to 5 s for TEXT in FILE
    for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    return 1
}

truncate -s 16M "$tmp/d.img"
"$be" --socket "$tmp/s" --verbose -d rng </dev/null 2>"$tmp/be.log" &
bepid=$!
for _ in $(seq 100); do [ -S "$tmp/s.store" ] && break; sleep 0.05; done

# ---- the store itself ----
S write a/b/c "hello world" && [ "$(S read a/b/c)" = "hello world" ]
ok "write then read returns the value" $?
S write a/b/d 2 && S write a/e 3 && S ls a > "$tmp/ls" &&
    grep -q '^a/b/c = "hello world"$' "$tmp/ls" && grep -q '^a/b/d = "2"$' "$tmp/ls" && grep -q '^a/e = "3"$' "$tmp/ls"
ok "ls lists the subtree as path = value" $?
S rm a/b && ! S read a/b/c 2>"$tmp/err" && grep -q "No such file" "$tmp/err" && [ "$(S read a/e)" = 3 ]
ok "rm removes a node and everything below it, nothing else" $?
S read ../etc/passwd 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "bad path" "$tmp/err"; ok "a bad path is refused with a clear error (exit 2)" $?
S write x "$(head -c 3000 /dev/zero | tr '\0' v)" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "Invalid argument" "$tmp/err" && ! S read x 2>/dev/null
ok "a value over 2048 bytes is refused and not stored" $?

S watch w 3 5000 > "$tmp/watch.out" 2>&1 &
wpid=$!
wait_file "$tmp/watch.out" '^w$'           # fired once when set
S write w/x 1; S write w/x 1; S write w/y 2  # the second write changes nothing
wait $wpid; rc=$?
[ $rc -eq 0 ] && [ "$(tr '\n' ' ' < "$tmp/watch.out")" = "w w/x w/y " ]
ok "a watch fires when set and once per real change below it ($(tr '\n' ' ' < "$tmp/watch.out"))" $?
S watch w/y 2 5000 > "$tmp/watch2.out" 2>&1 &
wpid=$!
wait_file "$tmp/watch2.out" '^w/y$'
S rm w
wait $wpid; rc=$?
[ $rc -eq 0 ] && tail -n 1 "$tmp/watch2.out" | grep -qx w
ok "removing a parent fires a watch set below it" $?
S watch nothing 1 300 > /dev/null 2>&1 &
wpid=$!
wait $wpid
S watch nothing 2 300 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "1 of 2 events before the timeout" "$tmp/err"
ok "watch with a time limit ends with a clear message" $?

# ---- devices through the store ----
S write $R/2/1/spec rng                    # domid 2 exists once it has a device
wait_file "$tmp/be.log" "1 added"
"$fe" --socket "$tmp/s" --domid 2 --wait 5000 watch 4000 > "$tmp/fw.out" 2>&1 &
wpid=$!
wait_file "$tmp/be.log" "dom2 connected"
S write $R/2/7/spec "blk,file=$tmp/d.img,serial=fromstore"
wait_file "$tmp/fw.out" "device 7 added: blk"
ok "writing a spec hot-adds the device: the connected frontend hears READY" $?
[ "$(S read $R/2/7/state)" = 4 ]; ok "the device's state node says Connected (4)" $?
S write $R/2/9/spec "blk,file=$tmp/missing.img"
S write $R/2/10/spec "rng,domid=5"
S write $R/x/1/spec "rng"
sleep 0.3
S read $R/2/9/error | grep -q "missing.img: No such file"
ok "a spec whose image is missing gets an error node saying so" $?
S read $R/2/10/error | grep -q "must not set domid"; ok "a spec that sets its own domid is refused" $?
S read $R/x/error | grep -q "not a domain id"; ok "a non-numeric domain gets an error node" $?
S rm $R/2/7
wait_file "$tmp/fw.out" "device 7 removed: blk"
ok "removing the spec hot-removes the device: REMOVED" $?
wait $wpid
S write $R/3/0/spec "blk,file=$tmp/d.img"
sleep 0.3
"$fe" --socket "$tmp/s" --domid 3 --wait 5000 blk verify 11 200 | grep -q "all sectors match"
ok "a store-added disk carries data (200 random writes verified)" $?
[ "$(S read $R/3/0/state)" = 2 ]; ok "its state is back to waiting (2) once the frontend left" $?
"$fe" --socket "$tmp/s" --wait 5000 rng 16 | grep -Eq '^[0-9a-f]{32}$'
ok "the command-line rng still serves domid 1" $?

status > /dev/null; sleep 0.1
line=$(grep "store:" "$tmp/be.log" | tail -n 1); echo "# $line"
echo "$line" | grep -q "0 watch(es), 0 client(s)"
ok "clients gone: the store holds no watch and no client" $?
kill $bepid; wait $bepid; rc=$?
[ $rc -eq 0 ] && [ ! -e "$tmp/s.store" ]; ok "backend exits 0 and removes the store socket" $?
tap_done
