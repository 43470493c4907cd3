#!/bin/bash
# xl-virtio-msg check: the example configs parse with libxlutil, and bad
# virtio_msg entries are refused with a message naming the problem (TAP).
b=${top_builddir:-.}
src=${srcdir:-.}
x=$b/xl-virtio-msg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

for f in "$src"/xl-config/*.cfg; do
    "$x" check "$f" >"$tmp/out" 2>&1
    ok "example $(basename "$f") parses" $?
done
"$x" check "$src/xl-config/guest-driver-domain.cfg" >"$tmp/out" 2>&1
grep -q "type=net backend=storage-dd devid=auto params=bridge=xenbr0,mac=52:54:00:12:34:56" "$tmp/out"
ok "net entry: backend domain and model options carried through" $?
printf 'name = "g"\nvirtio_msg = [ "type=blk,target=/x.img,packed=on", "type=rng,packed=on" ]\n' >"$tmp/pk.cfg"
"$x" check "$tmp/pk.cfg" >"$tmp/out" 2>&1 &&
    grep -q "params=file=/x.img,packed=on" "$tmp/out" && grep -q "type=rng .*params=packed=on" "$tmp/out"
ok "packed=on is taken for any type and reaches the backend's spec" $?

bad() {  # bad ENTRY EXPECTED-TEXT
    printf 'name = "g"\nvirtio_msg = [ "%s" ]\n' "$1" >"$tmp/bad.cfg"
    "$x" check "$tmp/bad.cfg" >"$tmp/out" 2>&1
    local rc=$?
    [ $rc -eq 1 ] && grep -q -- "$2" "$tmp/out"
    ok "refused: '${1:0:40}' ($2)" $?
}
bad "type=blk" "needs target="
bad "type=floppy" "unknown type"
bad "target=/x.img" "no type="
bad "type=blk,type=rng,target=/x" "type given twice"
bad "type=blk,target=disk.img" "absolute path"
bad "type=rng,target=/x.img" "unknown key for type=rng"
bad "type=rng,devid=70000" "expected 0..65535"
bad "type=rng,devid=-1" "expected 0..65535"
bad "type=rng,devid=" "expected key=value"
bad "type=rng,,devid=1" "expected key=value"
bad "type=console,io=unix:/a b" "spaces, quotes or control"
bad "type=rng,backend=$(printf 'd%.0s' {1..80})" "name too long"
bad "type=blk,target=/$(printf 'a%.0s' {1..1100})" "longer than"

printf 'name = "g"\nvirtio_msg = "type=rng"\n' >"$tmp/bad.cfg"
"$x" check "$tmp/bad.cfg" >"$tmp/out" 2>&1; [ $? -eq 1 ] && grep -q "must be a list" "$tmp/out"
ok "refused: virtio_msg that is not a list" $?
printf 'virtio_msg = [ "type=rng",\n' >"$tmp/bad.cfg"
"$x" check "$tmp/bad.cfg" >"$tmp/out" 2>&1; [ $? -eq 1 ] && grep -q "syntax error" "$tmp/out"
ok "refused: a config with a syntax error" $?
"$x" check "$tmp/none.cfg" >"$tmp/out" 2>&1; [ $? -eq 1 ] && grep -q "no such file" "$tmp/out"
ok "refused: a missing config file" $?
printf 'name = "g"\nvirtio_msg = [ "type=rng" ]\n' >"$tmp/ok.cfg"
"$x" check "$tmp/ok.cfg" 'virtio_msg=["type=blk,target=/o.img"]' >"$tmp/out" 2>&1
grep -q "params=file=/o.img" "$tmp/out"
ok "key=value overrides on the command line apply, as with xl create" $?
tap_done
