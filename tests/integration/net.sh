#!/bin/bash
# virtio-net over a tap device, inside a network namespace this test makes
# (nothing leaves it): the reference frontend resolves the tap's address by
# ARP and pings it through virtio-msg (TAP).  Needs root for the namespace.
b=${top_builddir:-.}
ns=vmsg-test-$$
if [ "$(id -u)" -ne 0 ] || ! ip netns add "$ns" 2>/dev/null; then
    echo "1..0 # SKIP needs root and ip netns (network namespaces)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'kill $bepid 2>/dev/null; ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
in_ns() { ip netns exec "$ns" "$@"; }

in_ns ip link set lo up
ip netns exec "$ns" "$b/virtio-msg-backend" --socket "$tmp/s" --verbose \
    -d net,tap=vmsgtap0,mac=52:54:00:12:34:56 </dev/null 2>"$tmp/be.log" &
bepid=$!
for i in $(seq 50); do in_ns ip link show vmsgtap0 >/dev/null 2>&1 && break; sleep 0.1; done
in_ns ip addr add 10.203.77.1/24 dev vmsgtap0 && in_ns ip link set vmsgtap0 up
ok "backend created the tap device" $?

in_ns "$b/virtio-msg-front" --socket "$tmp/s" --wait 5000 net ping 10.203.77.2 10.203.77.1 10 \
    > "$tmp/ping.out" 2>&1
ok "10 pings through virtio-net, 10 replies" $?
grep -q "icmp_seq=10" "$tmp/ping.out"; ok "replies carry the sequence numbers" $?
in_ns ip neigh show dev vmsgtap0 | grep -qi "52:54:00:12:34:56"
ok "the host learned the frontend's MAC from the device config" $?
in_ns "$b/virtio-msg-front" --socket "$tmp/s" net ping 10.203.77.2 10.203.77.9 1 >/dev/null 2>&1
[ $? -ne 0 ]; ok "an address nobody has: no reply, a clean failure" $?
kill -TERM $bepid; wait $bepid
grep -q " 0 still held" "$tmp/be.log" && ! grep "still held" "$tmp/be.log" | grep -vq " 0 still held"
ok "no grant mapping left held" $?
tap_done
