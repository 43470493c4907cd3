#!/bin/sh
# Install the Debian 12 packages the build and tests need (root or sudo).
# Skips apt entirely when everything is already there.
set -eu
pkgs="build-essential autoconf automake libtool pkg-config check libsubunit-dev
      clang valgrind libxen-dev liburing-dev iproute2
      xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils linux-image-amd64
      busybox-static cpio qemu-system-x86 linux-headers-amd64 e2fsprogs
      gcc-aarch64-linux-gnu libxen-dev:arm64 liburing-dev:arm64 qemu-system-arm"
      # the third and fourth lines: Xen-in-QEMU tests and the Linux guest
      # module; the last: the same tests on Arm64 (a cross build and
      # qemu-system-aarch64; tests/xen-qemu/run-arm64.sh)
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The arm64 packages (libraries for the cross build) need the architecture.
dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
$sudo apt-get update -q >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
