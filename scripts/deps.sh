#!/bin/sh
# Install the Debian 12 packages the build and tests need (root or sudo).
# Skips apt entirely when everything is already there.
set -eu
pkgs="build-essential autoconf automake libtool pkg-config check libsubunit-dev
      clang valgrind libxen-dev liburing-dev iproute2
      xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils linux-image-amd64
      busybox-static cpio qemu-system-x86 linux-headers-amd64 e2fsprogs"
      # the last two lines: Xen-in-QEMU tests and the Linux guest module
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
