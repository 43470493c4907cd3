#!/bin/sh
# The main job (README): a backend serving a virtio-blk disk (a temporary
# 64 MiB image), a virtio-console and a virtio-rng over the host bus to the
# reference frontend, which writes, reads back and verifies data.
# No Xen needed.  Installs the build dependencies if missing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" virtio-msg-backend virtio-msg-front
cd "$top/build"

tmp=$(mktemp -d)
trap 'kill $be 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
truncate -s 64M "$tmp/disk.img"
sock="$tmp/bus.sock"
echo "== backend: blk ($tmp/disk.img), rng, console (on this terminal)"
./virtio-msg-backend --socket "$sock" --once --verbose \
    -d "blk,file=$tmp/disk.img,serial=demo-disk" -d rng \
    -d console </dev/null &
be=$!
echo "== frontend (domid 1): enumerate, initialise, use every device"
./virtio-msg-front --socket "$sock" --wait 5000 demo
wait $be
echo "== backend exited cleanly"
