#!/bin/sh
# dom0: start the Xen daemons and our backend, create the guest with
# xl-virtio-msg, then drive the tests; the domU agent runs the frontend.
# Results are TAP lines prefixed "XT: " on the serial console.
t() { cut -d' ' -f1 /proc/uptime; }
# karg NAME: the value of NAME=VALUE on dom0's command line (VMSG_DOM0_ARGS).
karg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
n=0; fails=0
ok() { n=$((n + 1)); echo "XT: ok $n - $*"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "XT: not ok $n - $*"; }
res() { if [ "$1" -eq 0 ]; then shift; ok "$@"; else shift; nok "$@"; fi; }
finish() {
    echo "XT: 1..$n"
    echo "---- backend log ----"; cat /var/log/vmsg-backend.log
    for f in /var/log/xen/console/guest-*.log; do echo "---- $f ----"; grep -v ACPI "$f"; done
    echo "XT-DONE $n tests, $fails failed, at $(t)s"
    poweroff -f
}

echo "dom0: up at $(t)s"
xenstored --pid-file /var/run/xen/xenstored.pid
xen-init-dom0 >/dev/null
xenconsoled --pid-file=/var/run/xen/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
echo "dom0: xenstored and xenconsoled up at $(t)s"

# vmsg_poll_max=US on the kernel command line: the backend's --poll-max.
poll_max=$(karg vmsg_poll_max)
# vmsg_copy_max=BYTES: the backend's --grant-copy-max (A/B runs).
copy_max=$(karg vmsg_copy_max)
# vmsg_poll=US: the backend's --poll (a fixed spin: polling mode).
poll=$(karg vmsg_poll)
start_backend() {  # start_backend [ARGS...]
    ${be_cpu:+taskset -c $be_cpu} virtio-msg-backend --xen --verbose ${poll_max:+--poll-max $poll_max} \
        ${copy_max:+--grant-copy-max $copy_max} ${poll:+--poll $poll} "$@" 2>>/var/log/vmsg-backend.log &
    BE=$!
}
dd if=/dev/zero of=/root/disk.img bs=1M count=16 2>/dev/null
start_backend
sleep 1

wait_for() {  # wait_for FILE TEXT SECONDS: until TEXT is in FILE
    local i=0
    while [ $i -lt $(($3 * 5)) ]; do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.2; i=$((i + 1)); done
    return 1
}
SEQ=0
rpc() {  # rpc SECONDS COMMAND: run COMMAND in the domU; $OUT, exit status
    local to=$1 i=0 r=""; shift
    SEQ=$((SEQ + 1))
    xenstore-write /local/domain/$D/data/cmd "$SEQ $*"
    while [ $i -lt $((to * 5)) ]; do
        r=$(xenstore-read /local/domain/$D/data/result 2>/dev/null)
        [ "${r%% *}" = "$SEQ" ] && break
        sleep 0.2; i=$((i + 1))
    done
    OUT=$(xenstore-read /local/domain/$D/data/out 2>/dev/null)
    echo "$OUT" | sed 's/^/    domU| /'
    [ "${r%% *}" = "$SEQ" ] || { echo "    (no answer in ${to}s)"; return 124; }
    return "${r#* }"
}
FRONT="virtio-msg-front --wait 30000 --xen"

userspace_tests() {
# ---- xl integration: create attaches every virtio_msg entry ----
T0=$(t)
xl-virtio-msg create /root/guest.cfg > /tmp/create.out 2>&1
rc=$?; cat /tmp/create.out
res $rc "xl-virtio-msg create: guest created with its virtio_msg devices ($T0 -> $(t)s)"
D=$(xl domid guest 2>/dev/null)
[ -n "$D" ] || { nok "guest exists"; return; }
xl-virtio-msg list guest | tee /tmp/list.out
[ "$(grep -c guest /tmp/list.out)" -eq 3 ]; res $? "xl-virtio-msg list: 3 devices (blk, console, rng)"


# The guest boots; its agent answers.
rpc 120 "echo agent-ready"; res $? "domU boots and its agent answers (at $(t)s)"

# ---- the devices through Xen ----
rpc 90 "$FRONT 0 info"
echo "$OUT" | grep -q "blk"; res $? "domU: blk device enumerated over the Xen bus (grants + evtchn + xenstore)"
xl-virtio-msg list guest | grep -q "Connected.*Connected" 2>/dev/null || true
T0=$(t)
rpc 300 "$FRONT 0 blk verify 42 64"
res $? "blk: 64 random writes read back with checksums ($T0 -> $(t)s)"
# last_close MARK: the backend's last "disconnected" line for device 0 since
# log line MARK; count_in WHAT: the count before WHAT in it ($line).
last_close() { tail -n +"$1" /var/log/vmsg-backend.log | grep "/0 disconnected" | tail -n 1; }
count_in() { echo "$line" | sed -n "s/.* \([0-9]*\) $1.*/\1/p"; }
# Without persistent grants (a frontend's choice) the backend copies a
# request whose device-writable part is small (grant copy in, and back)
# and maps a large read with one call per direction, releasing everything
# before it answers: data intact through both, nothing held afterwards.
# The random writes (up to 128 KiB) and 512-byte reads back are copied;
# then 1 MiB read in 128 KiB requests is mapped and compared with the image.
mark=$(wc -l < /var/log/vmsg-backend.log)
rpc 300 "VMSG_XEN_PERSISTENT=0 $FRONT 0 blk verify 43 64 8"; rc=$?
line=$(last_close $mark); echo "  $line"
copies=$(count_in "requests copied")
[ $rc -eq 0 ] && [ "${copies:-0}" -ge 128 ] && echo "$line" | grep -q " 0 still held"
res $? "blk without persistent grants: 64 random writes at queue depth 8 read back, ${copies:-?} requests copied, none held after"
mark=$(wc -l < /var/log/vmsg-backend.log)
rpc 120 "VMSG_XEN_PERSISTENT=0 $FRONT 0 blk read 0 2048 | md5sum"; rc=$?
want=$(dd if=/root/disk.img bs=512 count=2048 2>/dev/null | md5sum | cut -d' ' -f1)
line=$(last_close $mark); echo "  $line"
maps=$(count_in "grant maps")
copies=$(count_in "requests copied")
[ $rc -eq 0 ] && echo "$OUT" | grep -q "$want" && [ "${copies:-1}" -eq 0 ] && [ "${maps:-0}" -ge 16 ] &&
    echo "$line" | grep -q " 0 still held"
res $? "blk without persistent grants: 1 MiB read in 128 KiB requests, mapped (${maps:-?} grant maps), matches the image, none held after"
rpc 120 "head -c 8192 /dev/urandom > /tmp/p && $FRONT 0 blk write 4096 < /tmp/p && $FRONT 0 blk flush && md5sum < /tmp/p"
rc=$?
want=$(echo "$OUT" | tail -n 1 | cut -d' ' -f1)
got=$(dd if=/root/disk.img bs=512 skip=4096 count=16 2>/dev/null | md5sum | cut -d' ' -f1)
[ $rc -eq 0 ] && [ "$want" = "$got" ]; res $? "blk: written and flushed data is in dom0's image ($got)"
rpc 60 "$FRONT 0 blk id"
echo "$OUT" | grep -q xenqemu; res $? "blk: GET_ID returns the serial"

unix-chat /run/vmsg-con0.sock "ping-from-dom0" 60000 > /tmp/chat.out 2>&1 &
CHAT=$!
rpc 60 "$FRONT 1 console read 4000"
echo "$OUT" | grep -q ping-from-dom0; res $? "console: dom0 input reaches the domU"
rpc 60 "$FRONT 1 console write pong-from-domU"
wait_for /tmp/chat.out pong-from-domU 30; res $? "console: domU output reaches dom0"
kill $CHAT 2>/dev/null; wait $CHAT 2>/dev/null

rpc 60 "$FRONT 2 rng 32"
rc=$?
echo "$OUT" | grep -qE '^[0-9a-f]{64}$'; r2=$?
[ $rc -eq 0 ] && [ $r2 -eq 0 ]; res $? "rng: 32 random bytes through Xen"

# ---- the store interface's Xen provider (the same tool as on the host) ----
virtio-msg-store --xen ls backend/virtio_msg/$D > /tmp/xs.out 2>&1; rc=$?
head -n 12 /tmp/xs.out
# (the reference frontend connects per command: between commands the
# backend's state is Closed, 6, until the next one starts over)
[ $rc -eq 0 ] && grep -q "^backend/virtio_msg/$D/0/type = \"blk\"$" /tmp/xs.out &&
    grep -Eq "^backend/virtio_msg/$D/0/state = \"[1-6]\"$" /tmp/xs.out
res $? "virtio-msg-store --xen ls: our xenstore nodes (type blk, a XenbusState)"
virtio-msg-store --xen watch backend/virtio_msg/$D/5 2 30000 > /tmp/xsw.out 2>&1 &
XSW=$!
sleep 1

# ---- hot-add and removal while the domU runs ----
xl-virtio-msg attach guest "type=rng,devid=5"; res $? "attach: rng as devid 5 while the guest runs"
wait $XSW; rc=$?; cat /tmp/xsw.out
[ $rc -eq 0 ] && grep -q "backend/virtio_msg/$D/5" /tmp/xsw.out
res $? "virtio-msg-store --xen watch: fires when xl-virtio-msg adds devid 5"
rpc 60 "$FRONT 5 rng 16"; res $? "attach: the new device works in the domU"
xl-virtio-msg detach guest 5; res $? "detach: devid 5 removed (backend reached Closed)"
[ -z "$(xenstore-ls /local/domain/0/backend/virtio_msg/$D/5 2>/dev/null)" ] &&
    [ -z "$(xenstore-ls /local/domain/$D/device/virtio_msg/5 2>/dev/null)" ]
res $? "detach: no xenstore node of devid 5 is left"
rpc 30 "virtio-msg-front --wait 2000 --xen 5 info"; rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ]; res $? "detach: the domU gets a clear error for the removed device"
xl-virtio-msg attach guest "type=blk,target=/nonexistent.img" > /tmp/bad.out 2>&1; rc=$?
cat /tmp/bad.out
[ $rc -ne 0 ] && grep -q "nonexistent" /tmp/bad.out; res $? "attach: a missing image is refused with the backend's error"
xl-virtio-msg attach guest "type=blk,target=relative.img" > /tmp/bad.out 2>&1; rc=$?
cat /tmp/bad.out
[ $rc -ne 0 ]; res $? "attach: a bad entry is refused before touching xenstore"

# ---- backend restart under load: the frontend reconnects, no acked write lost ----
rpc 10 "($FRONT 0 soak 40 7; echo \$? > /tmp/soak.rc) > /tmp/soak.out 2>&1 &"
sleep 12
kill -9 $BE; wait $BE 2>/dev/null
echo "dom0: backend killed at $(t)s"
sleep 1
start_backend
echo "dom0: backend restarted at $(t)s"
rpc 200 "while [ ! -e /tmp/soak.rc ]; do sleep 1; done; cat /tmp/soak.out; exit \$(cat /tmp/soak.rc)"
rc=$?
echo "$OUT" | grep -qE "[1-9][0-9]* reconnects" && echo "$OUT" | grep -q " 0 lost or corrupted"
r2=$?
[ $rc -eq 0 ] && [ $r2 -eq 0 ]; res $? "backend killed and restarted under load: frontend reconnected, every acknowledged write intact"

# ---- polling mode on Xen: the backend spins on the rings, nobody kicks ----
kill $BE; wait $BE 2>/dev/null
start_backend --poll 2000
rpc 180 "virtio-msg-front --wait 30000 --poll 2000 --xen 0 blk verify 21 48 4 && virtio-msg-front --wait 30000 --xen 0 blk verify 22 24 && $FRONT 2 rng 16"
res $? "polling: a polling and a sleeping frontend against a polling backend: data intact, rng"
sleep 2
c0=$(awk '{ print $14 + $15 }' /proc/$BE/stat); sleep 2; c1=$(awk '{ print $14 + $15 }' /proc/$BE/stat)
echo "dom0: polling backend idle: $((c1 - c0)) ticks in 2 s"
[ $((c1 - c0)) -lt 40 ]; res $? "polling: the backend stops spinning once idle ($((c1 - c0)) ticks in 2 s)"
kill $BE; wait $BE 2>/dev/null
start_backend

# ---- xl destroy with I/O in flight: the backend releases everything ----
rpc 10 "($FRONT 0 soak 120 9 > /tmp/soak2.out 2>&1 &)"
sleep 8
xl destroy guest; res $? "xl destroy of the domU with blk I/O in flight"
# The backend learns of it from @releaseDomain; then ask what it holds.
wait_for /var/log/vmsg-backend.log "dom$D is gone" 30
n0=$(grep -c "xen status" /var/log/vmsg-backend.log)
kill -USR1 $BE
i=0
while [ "$(grep -c "xen status" /var/log/vmsg-backend.log)" -le "$n0" ] && [ $i -lt 100 ]; do
    sleep 0.2; i=$((i + 1))
done
grep "xen status" /var/log/vmsg-backend.log | tail -n 1
grep "xen status" /var/log/vmsg-backend.log | tail -n 1 |
    grep -q "0 connected, 0 grant mapping(s) held, 0 event channel(s) bound"
res $? "after xl destroy: backend holds no grant mapping or event channel"
[ -z "$(xenstore-ls /local/domain/0/backend/virtio_msg/$D 2>/dev/null)" ]
res $? "after xl destroy: the backend removed its xenstore nodes for the domain"
grep "disconnected" /var/log/vmsg-backend.log | tail -n 3
! grep "disconnected" /var/log/vmsg-backend.log | grep -vq " 0 still held"
res $? "every disconnect released all grant mappings (backend log)"
}

# ---- hostile frontends and faults on Xen (issue 7's suite, on this bus) ----
# The backend's view of a process: open fds and threads.
be_fds() { ls /proc/$BE/fd 2>/dev/null | wc -l; }
be_settle() {  # wait (10 s at most) until the backend's fd count holds for 1 s
    local a b i=0
    a=$(be_fds)
    while [ $i -lt 10 ]; do sleep 1; b=$(be_fds); [ "$a" = "$b" ] && return; a=$b; i=$((i + 1)); done
}
be_threads() { sed -n 's/^Threads:[[:space:]]*//p' /proc/$BE/status; }
be_status() {  # ask the backend what it holds; the line in $LINE
    local n0 i=0
    n0=$(grep -c "xen status" /var/log/vmsg-backend.log)
    kill -USR1 $BE
    while [ "$(grep -c "xen status" /var/log/vmsg-backend.log)" -le "$n0" ] && [ $i -lt 100 ]; do
        sleep 0.2; i=$((i + 1))
    done
    LINE=$(grep "xen status" /var/log/vmsg-backend.log | tail -n 1)
    echo "    $LINE"
}
holds_nothing() { echo "$LINE" | grep -q " 0 connected, 0 grant mapping(s) held, 0 event channel(s) bound"; }

hostile_tests() {
xl-virtio-msg create /root/guest.cfg > /tmp/create.out 2>&1
res $? "hostile: guest created"
D=$(xl domid guest 2>/dev/null)
[ -n "$D" ] || return
rpc 120 "echo agent-ready"; res $? "hostile: domU agent answers"
dd if=/dev/zero of=/root/attacker.img bs=1M count=16 2>/dev/null
xl-virtio-msg attach guest "type=blk,target=/root/attacker.img,devid=6"
res $? "hostile: a second disk (devid 6) attached for the attacker"
mark=$(wc -l < /var/log/vmsg-backend.log)
# The victim: write-and-verify rounds on devid 0 until told to stop.
rpc 10 "rm -f /tmp/stop /tmp/victim.*; (i=0; while [ ! -e /tmp/stop ]; do i=\$((i + 1)); $FRONT 0 blk verify \$i 8 > /tmp/victim.last 2>&1 || { echo round \$i failed >> /tmp/victim.fail; cat /tmp/victim.last >> /tmp/victim.fail; }; echo \$i > /tmp/victim.rounds; done; touch /tmp/victim.done) > /dev/null 2>&1 &"
count=0
for a in $(attack list); do
    rpc 120 "attack $a --xen 6"; rc=$?
    [ $rc -eq 0 ] && kill -0 $BE 2>/dev/null
    res $? "xen attack $a: rejected as the spec says, backend alive"
    count=$((count + 1))
done
# The buffer attacks again with feature-persistent=0: the backend's
# per-request batch mapping (one gntdev map for a whole chain) gets them.
for a in desc-gref-out-of-range desc-not-grant-address desc-length-overflows desc-revoked-grant \
         indirect-bad-length indirect-nested desc-loop desc-chain-too-long; do
    rpc 120 "VMSG_XEN_PERSISTENT=0 attack $a --xen 6"; rc=$?
    [ $rc -eq 0 ] && kill -0 $BE 2>/dev/null
    res $? "xen attack $a without persistent grants: rejected, backend alive"
    count=$((count + 1))
done
rpc 120 "touch /tmp/stop; while [ ! -e /tmp/victim.done ]; do sleep 0.5; done; cat /tmp/victim.fail 2>/dev/null; echo rounds \$(cat /tmp/victim.rounds); [ ! -e /tmp/victim.fail ]"
rc=$?
rounds=$(echo "$OUT" | sed -n 's/^rounds //p')
[ $rc -eq 0 ] && [ "${rounds:-0}" -gt 1 ]
res $? "xen attacks: the victim (devid 0) made $rounds write-and-verify rounds during $count attacks, all intact"
be_status; holds_nothing
res $? "xen attacks: afterwards the backend holds no connection, grant mapping or event channel"
tail -n +$mark /var/log/vmsg-backend.log | grep "dom$D/6 disconnected" | tail -n 3
! tail -n +$mark /var/log/vmsg-backend.log | grep "disconnected" | grep -vq " 0 still held"
res $? "xen attacks: every disconnect released all grant mappings"
rpc 120 "$FRONT 6 blk verify 77 16"; res $? "xen attacks: the attacked device still serves correct data"
echo "XT-COUNT xen attacks: $count"

# Kill the frontend process mid-I/O 100 times (SIGKILL: no Closing, no
# unshare; the backend finds a stale session at the next connect).  The
# killed processes' grants come back to the domU's free list in pieces, so
# this also proves a frontend copes with fragmented grant references.
rounds=${XEN_KILL_ROUNDS:-100}
be_settle
fds0=$(be_fds); thr0=$(be_threads)
mark=$(wc -l < /var/log/vmsg-backend.log)
T0=$(t)
rpc 1200 "k=0; for i in \$(seq $rounds); do $FRONT 0 blk verify \$i 100000 > /tmp/k.out 2>&1 & p=\$!; sleep 0.\$(( (i * 37) % 9 + 1 )); sleep 0.5; if kill -9 \$p 2>/dev/null; then k=\$((k + 1)); else cat /tmp/k.out; fi; wait \$p 2>/dev/null; done; echo killed \$k"
killed=$(echo "$OUT" | sed -n 's/^killed //p')
[ "${killed:-0}" -eq "$rounds" ]
res $? "xen: $rounds frontends SIGKILLed mid-run, ${killed:-0} of them still working when killed ($T0 -> $(t)s)"
rpc 120 "$FRONT 0 blk verify 4242 32"; res $? "xen: after $rounds kills a new frontend gets correct data"
be_status; holds_nothing
res $? "xen: after $rounds kills the backend holds no connection, grant mapping or event channel"
fds1=$(be_fds); thr1=$(be_threads)
# A leak is more than before; fewer is a teardown of the previous guest
# that was still finishing when the baseline was read.
[ "$fds1" -le "$fds0" ] && [ "$thr1" -le "$thr0" ]
res $? "xen: after $rounds kills the backend's fds ($fds0 -> $fds1) and threads ($thr0 -> $thr1) are back"
ndisc=$(tail -n +$mark /var/log/vmsg-backend.log | grep -c "disconnected")
! tail -n +$mark /var/log/vmsg-backend.log | grep "disconnected" | grep -vq " 0 still held"
res $? "xen: every one of $ndisc disconnects after the kills released its grant mappings"
echo "XT-COUNT xen frontend kills: $rounds"
xl destroy guest
wait_for /var/log/vmsg-backend.log "dom$D is gone" 30
be_settle                            # the previous guest's teardown is over

# xl destroy with I/O in flight, again and again.
drounds=${XEN_DESTROY_ROUNDS:-5}
fds0=$(be_fds); thr0=$(be_threads)
okd=0
for i in $(seq $drounds); do
    xl-virtio-msg create /root/guest.cfg > /tmp/create.out 2>&1 || { cat /tmp/create.out; break; }
    D=$(xl domid guest 2>/dev/null)
    rpc 120 "($FRONT 0 soak 120 $i > /tmp/soak.out 2>&1 &)" || break
    sleep 3
    xl destroy guest || break
    wait_for /var/log/vmsg-backend.log "dom$D is gone" 30 || break
    okd=$((okd + 1))
done
[ $okd -eq $drounds ]; res $? "xen: $okd of $drounds domUs destroyed with blk I/O in flight"
be_status; holds_nothing
res $? "xen: after $drounds xl destroys the backend holds no connection, grant mapping or event channel"
fds1=$(be_fds); thr1=$(be_threads)
[ "$fds1" -le "$fds0" ] && [ "$thr1" -le "$thr0" ] && [ -z "$(xenstore-ls /local/domain/0/backend/virtio_msg 2>/dev/null)" ]
res $? "xen: after $drounds xl destroys fds ($fds0 -> $fds1), threads ($thr0 -> $thr1) back and no backend node left"
echo "XT-COUNT xen domains destroyed mid-I/O: $drounds"
}

# bench_pairs PREFIX: both disks paired chunk by chunk (blkbench --pair),
# the lines printed as "PREFIX: pair ...", the guest's ring stats, the
# backend's spin line and the CPU time it used over the whole run
# ("PREFIX: cpu TICKS SECONDS", both disks' chunks included).
bench_pairs() {
    local c0 c1 t0 t1
    c0=$(awk '{ print $14 + $15 }' /proc/$BE/stat); t0=$(cut -d' ' -f1 /proc/uptime)
    rpc 300 "for m in seqread randread randread32; do blkbench --pair /dev/vda /dev/xvdb \$m 20 $CH 32; done; blkbench --pair /dev/vda /dev/xvdb seqwrite 20 $CH 8 40 50"
    c1=$(awk '{ print $14 + $15 }' /proc/$BE/stat); t1=$(cut -d' ' -f1 /proc/uptime)
    # pair: the figures; gstat: what a request cost the guest on each disk.
    echo "$OUT" | sed 's/\\n/\n/g' | grep -E '^(pair|gstat) ' | sed "s/^/$1: /"
    echo "$1: cpu $((c1 - c0)) $(awk "BEGIN { print $t1 - $t0 }")"
    rpc 30 "for d in /sys/bus/xen/devices/virtio_msg-*; do echo stats \${d##*/} \$(cat \$d/stats); done"
    echo "$OUT" | sed 's/\\n/\n/g' | grep -E '^stats ' | sed 's/^/  /'
    # The backend's spin: its maximum, the wake-up that set it, how many
    # requests it found without a wake-up (logged with the status, just
    # before its "xen status" line), as "PREFIX: spin ..." for run.sh.
    be_status
    grep "spin:" /var/log/vmsg-backend.log | tail -n 1 | sed "s/^.*spin: /$1: spin /"
}

# pin_vcpus: the placement one gives a polling backend in a driver domain:
# dom0's vCPU 1 alone on pCPU 1, dom0's vCPU 0 and the guest on pCPU 0
# (blkback's threads run on either dom0 vCPU).
pin_vcpus() { xl vcpu-pin Domain-0 1 1 && xl vcpu-pin Domain-0 0 0 && xl vcpu-pin lguest 0 0; }

# ---- a stock Linux domU: Debian's kernel + our module, its own virtio drivers ----
linux_guest() {
    [ -e /root/domU-linux.cpio.gz ] || { nok "Linux guest: no image with the virtio_msg_xen module"; return; }
    dd if=/dev/zero of=/root/disk2.img bs=1M count=64 2>/dev/null
    xl-virtio-msg create /root/guest-linux.cfg; res $? "Linux guest: created with blk, console and rng"
    D=$(xl domid lguest 2>/dev/null)
    [ -n "$D" ] || return
    rpc 120 "echo agent-ready"; res $? "Linux guest: boots, agent answers"
    M=/lib/modules
    # vmsg_vmx=pool_pages=0 (colons for spaces; QEMU splits modules at commas)
    # module parameters for A/B runs.
    VMXP=$(karg vmsg_vmx | tr : ' ')
    rpc 60 "for m in virtio_ring virtio virtio_blk virtio_console virtio-rng crc16 mbcache jbd2 crc32c_generic ext4; do [ -e $M/\$m.ko ] || continue; insmod $M/\$m.ko || exit 1; done; echo base-modules-ok"
    res $? "Linux guest: the kernel's own virtio and ext4 modules load"
    rpc 60 "insmod $M/virtio_msg_xen.ko $VMXP && for t in \$(seq 60); do [ -e /dev/vda ] && [ -e /dev/hvc1 ] && grep -q virtio_rng /sys/class/misc/hw_random/rng_available && break; sleep 0.5; done; ls /dev/vd* && cat /sys/class/misc/hw_random/rng_available && ls /dev/hvc*; dmesg | grep -iE 'virtio|vd[a-z]' | tail -c 900"
    echo "$OUT" | grep -q "/dev/vda"; res $? "Linux guest: with only our module added, a virtio-msg disk appears as /dev/vda"
    grep "dom$D/0 connected" /var/log/vmsg-backend.log | tail -n 1
    grep "dom$D/0 connected" /var/log/vmsg-backend.log | tail -n 1 | grep -q "pool of 1024 pages mapped once"
    res $? "Linux guest: the backend maps the module's pool of 1024 pages whole, once, at connect"
    rpc 200 "mkfs.ext4 -q -F /dev/vda && mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && for i in 1 2 3 4; do dd if=/dev/urandom of=/mnt/f\$i bs=64k count=\$((i * 8)) 2>/dev/null; done && (cd /mnt && md5sum f1 f2 f3 f4 > /root/sums) && umount /mnt && e2fsck -fn /dev/vda && echo fs-ok"
    echo "$OUT" | grep -q fs-ok; res $? "Linux guest: mkfs.ext4, mount, write files with checksums, umount, fsck -n clean"
    rpc 100 "mount -t ext4 /dev/vda /mnt && cd /mnt && md5sum -c /root/sums && cd / && umount /mnt"
    res $? "Linux guest: remount and every checksum verifies"
    rpc 30 "grep -q virtio_rng /sys/class/misc/hw_random/rng_available && head -c 64 /dev/hwrng | md5sum"
    res $? "Linux guest: virtio_rng is in rng_available and /dev/hwrng delivers bytes"
    # The guest opens its port first: a tty drops input nobody has open.
    rpc 40 "H=\$(ls /dev/hvc* | grep -v hvc0 | head -n 1); echo using \$H; stty -F \$H raw -echo 2>/dev/null; (timeout 12 cat \$H > /tmp/hvc.in &); echo reading"
    unix-chat /run/vmsg-con2.sock "ping-from-dom0" 60000 > /tmp/chat2.out 2>&1 &
    CHAT=$!
    sleep 1
    rpc 30 "H=\$(ls /dev/hvc* | grep -v hvc0 | head -n 1); echo pong-from-linux > \$H; sleep 2; cat /tmp/hvc.in"
    echo "$OUT" | grep -q ping-from-dom0; res $? "Linux guest: virtio_console carries a line from dom0 to /dev/hvc*"
    wait_for /tmp/chat2.out pong-from-linux 30; res $? "Linux guest: a line written to /dev/hvc* reaches dom0"
    kill $CHAT 2>/dev/null; wait $CHAT 2>/dev/null
    # virtio_net: a tap in dom0, the kernel's own driver in the guest, ping both ways.
    MAC=52:54:00:12:34:56
    xl-virtio-msg attach lguest "type=net,tap=vmsgtap0,mac=$MAC,devid=3"; rc=$?
    ip addr add 10.99.0.1/24 dev vmsgtap0 && ip link set vmsgtap0 up
    res $rc "Linux guest: hot-add a virtio-net device on a dom0 tap"
    rpc 60 "for m in failover net_failover virtio_net; do insmod $M/\$m.ko; done; for t in \$(seq 60); do for i in /sys/class/net/*; do [ \"\$(cat \$i/address)\" = $MAC ] && IF=\${i##*/}; done; [ -n \"\$IF\" ] && break; sleep 0.5; done; echo if=\$IF; ip addr add 10.99.0.2/24 dev \$IF && ip link set \$IF up && sleep 1 && ping -c 3 -W 3 10.99.0.1"
    res $? "Linux guest: virtio_net binds, gets the MAC from config space, pings dom0 through the tap"
    ping -c 3 -W 3 10.99.0.2 > /tmp/ping.out 2>&1; rc=$?; tail -n 2 /tmp/ping.out
    res $rc "dom0 pings the Linux guest over virtio-msg net"
    # Packed virtqueues: a second disk offered with packed=on, which the
    # kernel's virtio_ring takes (feature bit 34 in the device's features);
    # data written and read back O_DIRECT, then 4 KiB random reads at depth
    # 32 on it and on /dev/vda (split) alternately ("XPK: pair" lines:
    # packed / split), then detached again.
    dd if=/dev/zero of=/root/disk3.img bs=1M count=64 2>/dev/null
    xl-virtio-msg attach lguest "type=blk,target=/root/disk3.img,packed=on,devid=4"
    res $? "Linux guest: hot-add a disk offered with packed virtqueues"
    rpc 90 "for t in \$(seq 60); do [ -e /dev/vdb ] && break; sleep 0.5; done; for v in /sys/bus/virtio/devices/virtio*; do [ -e \$v/block/vdb ] && echo bit34=\$(cut -c35 \$v/features); done; dd if=/dev/urandom of=/tmp/p.bin bs=1M count=8 2>/dev/null && dd if=/tmp/p.bin of=/dev/vdb bs=64k oflag=direct 2>/dev/null && A=\$(md5sum < /tmp/p.bin) && B=\$(dd if=/dev/vdb bs=64k count=128 iflag=direct 2>/dev/null | md5sum) && [ \"\$A\" = \"\$B\" ] && echo packed-data-ok"
    echo "$OUT" | grep -q "bit34=1" && echo "$OUT" | grep -q packed-data-ok
    res $? "Linux guest: virtio_blk runs the disk on packed rings; 8 MiB written and read back O_DIRECT intact"
    PCH=$(karg vmsg_chunk)
    rpc 120 "blkbench --pair /dev/vdb /dev/vda randread32 10 ${PCH:-500} 32 && blkbench --pair /dev/vdb /dev/vda seqread 6 ${PCH:-500} 32"
    echo "$OUT" | sed 's/\\n/\n/g' | grep -E '^pair ' | sed 's/^/XPK: /'
    xl-virtio-msg detach lguest 4; res $? "Linux guest: detach the packed disk while running"
    xl-virtio-msg detach lguest 2; res $? "Linux guest: detach the rng while running"
    rpc 40 "for t in \$(seq 60); do grep -q virtio_rng /sys/class/misc/hw_random/rng_available || break; sleep 0.5; done; cat /sys/class/misc/hw_random/rng_available; ls /sys/bus/virtio/devices"
    ! echo "$OUT" | grep -q virtio_rng; res $? "Linux guest: the rng is gone from rng_available"
    xl-virtio-msg attach lguest "type=rng,devid=2"; res $? "Linux guest: re-attach the rng while running"
    rpc 40 "for t in \$(seq 60); do grep -q virtio_rng /sys/class/misc/hw_random/rng_available && break; sleep 0.5; done; cat /sys/class/misc/hw_random/rng_available"
    echo "$OUT" | grep -q virtio_rng; res $? "Linux guest: the re-attached rng is back in rng_available"
    # Like xen-blkfront, the module is in use while devices are bound:
    # unbind them (each device closes cleanly), rmmod, insmod, rebind.
    rpc 90 "U=/sys/bus/xen/drivers/virtio_msg; for d in \$U/virtio_msg-*; do echo \${d##*/} > \$U/unbind; done; rmmod virtio_msg_xen && sleep 1 && ! ls /dev/vda 2>/dev/null && insmod $M/virtio_msg_xen.ko $VMXP && for t in \$(seq 60); do [ -e /dev/vda ] && break; sleep 0.5; done && sleep 1 && mount -t ext4 /dev/vda /mnt && cd /mnt && md5sum -c /root/sums && cd / && umount /mnt && echo reload-ok"
    echo "$OUT" | grep -q reload-ok; res $? "Linux guest: unbind, rmmod and insmod again: the disk comes back with its files"
    # Xen's own PV block path on the same image in the same boot: the
    # figures are printed for bench/ (XB: lines), only the data is checked.
    xl block-attach lguest "format=raw,vdev=xvdb,access=rw,script=vbd-loop,target=/root/disk2.img" > /tmp/ba.out 2>&1
    rc=$?; cat /tmp/ba.out
    res $rc "blkfront: xl block-attach of the same image (blkback in dom0)"
    rpc 60 "insmod $M/xen-blkfront.ko; for t in \$(seq 60); do [ -e /dev/xvdb ] && break; sleep 0.5; done; ls /dev/xvdb && echo 3 > /proc/sys/vm/drop_caches && A=\$(dd if=/dev/vda bs=1M count=16 2>/dev/null | md5sum) && B=\$(dd if=/dev/xvdb bs=1M count=16 2>/dev/null | md5sum) && echo \$A \$B && [ \"\$A\" = \"\$B\" ]"
    res $? "blkfront and the virtio-msg disk read the same 16 MiB of the same image"
    # Both disks in one process, in alternating 500 ms chunks for 20 s per
    # mode (the disk that goes first alternating too); run.sh reports the
    # median of the ratios of the chunk pairs.  The emulator's speed moves
    # by tens of percent from second to second here, so runs of seconds
    # taken one after the other measured its phases as much as the disks;
    # a chunk of 500 ms is still a throughput (150 or more 4 KiB reads),
    # where 100 ms chunks of 30 reads gave skewed ratios (0.84-0.99x by
    # their median when the totals said 1.00-1.14x).
    # vmsg_chunk=MS on dom0's command line changes the chunk length.
    CH=$(karg vmsg_chunk); CH=${CH:-500}
    # vmsg_pin=1: the default rows in the polling rows' placement too (A/B).
    [ "$(karg vmsg_pin)" = 1 ] && pin_vcpus && taskset -p -c 1 $BE
    bench_pairs XB
    # The same against a backend that spins after its work for as long as
    # requests keep coming within 5 ms (--poll-max 5000: adaptive, asleep
    # when the guest is idle), the polling mode of a driver domain with a
    # vCPU to spare, and holds a due answer up to 1 ms while it spins
    # (--hold-us 1000: a guest with many reads in flight takes one
    # interrupt for several).  The guest lets go of its devices while the
    # backend is restarted with it (unbind, rmmod), then takes them back.
    # vmsg_bench_poll=US changes the maximum, 0 skips this part;
    # vmsg_hold=US the hold, 0 none.
    PM=$(karg vmsg_bench_poll); PM=${PM:-5000}
    HU=$(karg vmsg_hold); HU=${HU:-1000}
    if [ "$PM" != 0 ]; then
        rpc 90 "U=/sys/bus/xen/drivers/virtio_msg; for d in \$U/virtio_msg-*; do echo \${d##*/} > \$U/unbind; done; rmmod virtio_msg_xen && echo unloaded"
        res $? "Linux guest: devices released for the polling backend"
        kill $BE; wait $BE 2>/dev/null
        # A spinning backend gets a physical CPU of its own (pin_vcpus), and
        # the backend runs on that vCPU.
        pin_vcpus
        res $? "xl vcpu-pin: dom0's vCPU 1 alone on pCPU 1 for the polling backend"
        be_cpu=1
        start_backend --poll-max $PM --hold-us $HU
        be_cpu=
        rpc 90 "insmod $M/virtio_msg_xen.ko $VMXP && for t in \$(seq 60); do [ -e /dev/vda ] && break; sleep 0.5; done && sleep 1 && mount -t ext4 /dev/vda /mnt && cd /mnt && md5sum -c /root/sums && cd / && umount /mnt && echo back-ok"
        echo "$OUT" | grep -q back-ok; res $? "Linux guest: the disk comes back from a backend started with --poll-max $PM --hold-us $HU, files intact"
        bench_pairs XBP
    fi
    rpc 30 "dmesg | grep -iE 'virtio|vd[a-z]|BUG|Oops|WARNING|still' | tail -c 1400; ! dmesg | grep -qE 'BUG|Oops|WARNING|still mapped|still in use'"
    res $? "Linux guest: no oops, warning or leaked grant in dmesg"
    rpc 30 "dmesg | grep -vE 'ACPI|PCI' > /dev/hvc0"
    xl destroy lguest
}
# vmsg_only=userspace|hostile|linux on the kernel command line runs one
# part, vmsg_only=userspace+hostile those two.
only=$(karg vmsg_only)
part() { [ -z "$only" ] || case "+$only+" in *"+$1+"*) true ;; *) false ;; esac; }
part userspace && userspace_tests
part hostile && hostile_tests
part linux && linux_guest

kill $BE; wait $BE; res $? "backend exits cleanly (status 0) on SIGTERM"
finish
