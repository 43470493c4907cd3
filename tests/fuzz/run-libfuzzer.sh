#!/bin/sh
# Build every fuzz harness with clang's libFuzzer + ASan + UBSan and run each
# for FUZZ_SECONDS (default 60) from its seed corpus.  New inputs go to
# $FUZZ_WORK/<name>; pass FUZZ_MERGE=1 to merge them into the repo corpus.
# Prints "fuzz <name>: N execs" per harness; exits non-zero on a crash.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
work=${FUZZ_WORK:-${TMPDIR:-/tmp}/vmsg-fuzz}
secs=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
mkdir -p "$work"
libsrc="$src/lib/msg_kinds.c $src/lib/msg_codec.c $src/lib/bus.c $src/lib/bus_serve.c
  $src/lib/bus_msgs.c $src/lib/driver.c $src/lib/driver_config.c $src/lib/device.c
  $src/lib/virtq_dev.c $src/lib/virtq_packed.c $src/lib/vring_drv.c $src/lib/vring_packed.c $src/lib/poll_window.c $src/bus/loop/loop_bus.c $src/tools/msg_json.c
  $src/bus/common/msg_ring.c $src/bus/common/ring_ep.c $src/bus/common/grant_pool.c $src/bus/common/page_index.c
  $src/tools/xl_entry.c $src/bus/host/store_core.c"
# The xenstore-input harness needs the Xen headers (not the libraries).
default="decode virtq device ring xlentry store"
[ -e /usr/include/xenstore.h ] && default="$default xsconnect"
status=0
for name in ${FUZZ_TARGETS:-$default}; do
    extra=""
    [ "$name" = xsconnect ] && extra="-I$src/bus/xen $src/bus/xen/xen_be.c $src/bus/xen/xs_util.c $src/tests/fake_xen.c"
    bin="$work/fuzz_$name"
    if ! $cc -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -I"$src/include" -I"$src/lib" -o "$bin" "$src/tests/fuzz/fuzz_$name.c" $libsrc $extra; then
        echo "fuzz $name: the harness does not build"; status=1; continue
    fi
    mkdir -p "$work/$name"
    log="$work/$name.log"
    if "$bin" -max_total_time="$secs" -print_final_stats=1 "$work/$name" \
        "$src/tests/fuzz/corpus/$name" >"$log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz $name: ${execs:-?} execs in ${secs}s, no crash"
    else
        echo "fuzz $name: CRASH (see $log)"; tail -30 "$log"; status=1
    fi
    if [ "${FUZZ_MERGE:-0}" = 1 ]; then
        "$bin" -merge=1 "$src/tests/fuzz/corpus/$name" "$work/$name" >/dev/null 2>&1 || true
    fi
done
exit $status
