#!/bin/sh
# Install dependencies if missing, configure build/ once, build the given
# make targets (default: all).  Shared by demo.sh and test.sh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q >/dev/null
make -s -j"$(nproc)" "$@" >/dev/null
