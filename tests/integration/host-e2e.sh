#!/bin/bash
# End-to-end tests on the host bus: a real backend process and real
# frontend processes (TAP).  Covers data integrity across frontend
# restarts, flush, two frontends at once, the console both ways, read-only
# disks, refused connections and frontends that break the protocol while
# others keep working, and a clean shutdown that leaves no grant mapped.
b=${top_builddir:-.}
be=$b/virtio-msg-backend
fe=$b/virtio-msg-front
tmp=$(mktemp -d)
trap 'kill $bepid 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
front() { "$fe" --socket "$tmp/bus.sock" --wait 5000 "$@"; }

truncate -s 32M "$tmp/d1.img" "$tmp/d2.img"
head -c 1048576 /dev/urandom > "$tmp/ro.img"
cat > "$tmp/backend.cfg" <<CFG
# domid 1: a full set; 2: its own disk; 3: read-only; 4: rng only
blk,file=$tmp/d1.img,serial=disk-one
rng
console,io=unix:$tmp/con.sock
blk,domid=2,file=$tmp/d2.img
blk,domid=3,file=$tmp/ro.img,readonly=on
rng,domid=4
CFG
"$be" --socket "$tmp/bus.sock" --config "$tmp/backend.cfg" --verbose \
    </dev/null >"$tmp/be.out" 2>"$tmp/be.log" &
bepid=$!

front demo >"$tmp/demo.out" 2>&1
grep -q "demo: all devices worked" "$tmp/demo.out"; ok "demo: blk, rng and console all work" $?

# Integrity across a frontend restart: one process writes, another reads.
head -c 1048576 /dev/urandom > "$tmp/data.bin"
front blk write 1000 < "$tmp/data.bin" && front blk flush
ok "blk: 1 MiB written and flushed by one frontend process" $?
front blk read 1000 2048 > "$tmp/back.bin"
cmp -s "$tmp/data.bin" "$tmp/back.bin"; ok "blk: a new frontend process reads back the same 1 MiB" $?
dd if="$tmp/d1.img" bs=512 skip=1000 count=2048 status=none | cmp -s - "$tmp/data.bin"
ok "blk: after flush the image file holds the data" $?

front blk id | grep -qx "disk-one"; ok "blk: GET_ID returns the serial" $?

# Two frontends at once, each verifying its own disk.
front blk verify 7 400 >"$tmp/v1.out" 2>&1 &
p1=$!
"$fe" --socket "$tmp/bus.sock" --domid 2 --wait 5000 blk verify 8 400 >"$tmp/v2.out" 2>&1
r2=$?
wait $p1; r1=$?
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && grep -q "all sectors match" "$tmp/v1.out" && \
    grep -q "all sectors match" "$tmp/v2.out"
ok "two frontends verify their own disks concurrently" $?

# Read-only disk: reads work, writes fail.
"$fe" --socket "$tmp/bus.sock" --domid 3 blk read 0 8 > "$tmp/ro.back" && \
    head -c 4096 "$tmp/ro.img" | cmp -s - "$tmp/ro.back"
ok "read-only disk: reads return the image" $?
echo x | "$fe" --socket "$tmp/bus.sock" --domid 3 blk write 0 2>/dev/null
[ $? -ne 0 ] && head -c 4096 "$tmp/ro.img" | cmp -s - "$tmp/ro.back"
ok "read-only disk: a write fails and changes nothing" $?

# Console both ways through a Unix socket.
"$b/tests/integration/unix-chat" "$tmp/con.sock" "ping-from-host" 3000 >"$tmp/chat.out" &
cp=$!
front console read 1500 >"$tmp/con.in" 2>&1
grep -q "ping-from-host" "$tmp/con.in"; ok "console: host input reaches the frontend" $?
front console write "pong-from-frontend"
wait $cp
grep -q "pong-from-frontend" "$tmp/chat.out"; ok "console: frontend output reaches the host" $?

# Refused connections.
front console read 2000 >/dev/null 2>&1 &
hold=$!
sleep 0.5
front info >/dev/null 2>"$tmp/dup.err"
r=$?
wait $hold
[ $r -ne 0 ] && grep -q "File exists" "$tmp/dup.err"; ok "a second frontend with the same domid is refused" $?
"$fe" --socket "$tmp/bus.sock" --domid 9 info >/dev/null 2>"$tmp/nodev.err"
[ $? -ne 0 ] && grep -q "No such device" "$tmp/nodev.err"; ok "a domid with no devices is refused" $?

# Hostile frontends are cut off; a well-behaved one keeps working meanwhile.
"$fe" --socket "$tmp/bus.sock" --domid 2 --wait 5000 blk verify 9 300 >"$tmp/v3.out" 2>&1 &
good=$!
"$b/tests/integration/attack" ring-overrun "$tmp/bus.sock" 4
ok "hostile: a producer index past the ring gets the frontend disconnected" $?
"$b/tests/integration/attack" record-too-long "$tmp/bus.sock" 4
ok "hostile: an oversized record gets the frontend disconnected" $?
"$b/tests/integration/attack" garbage "$tmp/bus.sock" 4
ok "hostile: 500 malformed messages are dropped, the next valid request is answered" $?
"$b/tests/integration/attack" queue-revoked-grant "$tmp/bus.sock" 4
ok "hostile: a queue on revoked grants is refused" $?
wait $good
[ $? -eq 0 ] && grep -q "all sectors match" "$tmp/v3.out"
ok "meanwhile another frontend's verify completed with correct data" $?
grep -q "dom4 disconnected: frontend broke the ring protocol" "$tmp/be.log"
ok "backend log names the protocol breaker" $?

front blk verify 10 100 | grep -q "all sectors match"; ok "backend still serves domid 1 afterwards" $?

# Clean shutdown: every grant mapping released.
kill -TERM $bepid; wait $bepid; r=$?
[ $r -eq 0 ]; ok "backend exits 0 on SIGTERM" $?
grep -q " 0 still held" "$tmp/be.log" && ! grep "still held" "$tmp/be.log" | grep -vq " 0 still held"
ok "no connection left a grant mapping held" $?

# Bad arguments get clear errors, not crashes.
"$be" -d blk,file=/nonexistent/disk.img 2>"$tmp/e1"; r=$?
[ $r -ne 0 ] && grep -q "No such file" "$tmp/e1"; ok "backend: missing image is a clear error" $?
"$be" -d frobnicator 2>"$tmp/e2"; r=$?
[ $r -ne 0 ] && grep -q "unknown device type" "$tmp/e2"; ok "backend: unknown device type is a clear error" $?
printf 'blk,file=%s\nrng,devid=x\n' "$tmp/d1.img" > "$tmp/bad.cfg"
"$be" --config "$tmp/bad.cfg" 2>"$tmp/e3"; r=$?
[ $r -ne 0 ] && grep -q "bad.cfg:2: devid=x" "$tmp/e3"; ok "backend: a bad config line names file and line" $?
"$be" 2>/dev/null; [ $? -eq 2 ]; ok "backend: no devices is a usage error" $?
"$fe" --socket "$tmp/none.sock" info 2>"$tmp/e4"; r=$?
[ $r -ne 0 ] && grep -q "No such file\|Connection refused" "$tmp/e4"; ok "frontend: no backend is a clear error" $?

tap_done
