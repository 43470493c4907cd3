#!/bin/sh
# Install the Debian 12 packages the build and tests need (root or sudo).
# Skips apt entirely when everything is already there.
set -eu
pkgs="build-essential autoconf automake libtool pkg-config check libsubunit-dev
      clang valgrind libxen-dev liburing-dev iproute2
      xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils linux-image-amd64
      busybox-static cpio qemu-system-x86 linux-headers-amd64 e2fsprogs
      gcc-aarch64-linux-gnu liburing-dev:arm64 qemu-system-arm
      libxenmisc4.17:arm64 libxenstore4:arm64 libxencall1:arm64 libxendevicemodel1:arm64
      libxenevtchn1:arm64 libxenforeignmemory1:arm64 libxengnttab1:arm64
      libxentoolcore1:arm64 libxentoollog1:arm64 libxenhypfs1:arm64"
      # the third and fourth lines: Xen-in-QEMU tests and the Linux guest
      # module; the rest: the same tests on Arm64 (a cross build and
      # qemu-system-aarch64; tests/xen-qemu/run-arm64.sh).  Not
      # libxen-dev:arm64, which conflicts with libxen-dev: run-arm64.sh
      # unpacks it.
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
