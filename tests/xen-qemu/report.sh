# Sourced by run.sh and run-arm64.sh: what a Xen-in-QEMU boot's serial log
# says.  report NAME LOG TAP_PREFIX prints the log without Xen's and the
# kernels' lines, the TAP lines (TAP_PREFIX before each), the benchmark
# figures (not pass/fail: the virtio-msg disk vs Xen's blkfront, same
# image, same boot) and last "N passed, N failed"; status 0 if all passed.
# rows PREFIX [NAME_A NAME_B]: the "PREFIX: pair" lines as a table (the
# disks named virtio-msg and blkfront unless said), then the backend's CPU.
rows() {
    grep "^$1: pair " "$log" | awk -v na="${2:-virtio-msg}" -v nb="${3:-blkfront}" '{ r = $3 ~ /^randread/; u = r ? "IOPS" : "MB/s"; a = r ? $6 : $4; b = r ? $7 : $5
        printf "  %-10s %s %8.1f %s  %s %8.1f %s  ratio %.2fx  (totals %.2fx; %d chunk pairs, %.2f-%.2fx)\n", $3, na, a, u, nb, b, u, $8, (b > 0 ? a / b : 0), $11, $9, $10 }'
    grep "^$1: cpu " "$log" | awk '$4 > 0 { printf "  backend CPU over these runs (both disks'"'"' chunks): %.0f%% of one dom0 vCPU\n", $3 / $4 }'
    sed -n "s/^$1: spin /  backend spin: /p" "$log"
    grep "^$1: gstat " "$log" | awk '{ printf "  %-10s per request in the guest: CPU %s us, %s interrupts (steal %s%%) on virtio-msg; CPU %s us, %s interrupts (steal %s%%) on blkfront\n", $3, $4, $6, $8, $5, $7, $9 }'
}
bench_rows() {
    local log=$1
    if grep -q '^XB: pair ' "$log"; then
        echo "$2 bench (TCG, 1 vCPU guest; ratio = virtio-msg / blkfront: the median of the ratios of pairs of chunks run alternately on both disks, 500 ms each unless vmsg_chunk= says; totals: the ratio of the whole runs):"
        rows XB
    fi
    if grep -q '^XBP: pair ' "$log"; then
        echo "$2 bench, the backend in polling mode ($(sed -n 's/.*started with \(--poll-max [0-9]* --hold-us [0-9a-z:]*\), files intact.*/\1/p' "$log" | head -n 1): spins while requests come within that of its last work, holds a due answer that long while it spins), same boot:"
        rows XBP
    fi
    if grep -q '^XPK: pair ' "$log"; then
        echo "$2: packed virtqueues vs split, two virtio-msg disks of the Linux guest on the default backend, same boot (ratio = packed / split):"
        rows XPK packed split
    fi
}

report() {
    local name=$1 log=$2 pass fail
    grep -vE '^\(XEN\)|^\[ *[0-9]+\.[0-9]+\]' "$log" | grep -v '^XT: ' | tail -n 400 | sed 's/^/  | /'
    grep '^XT: ' "$log" | sed "s/^XT: /$3/"
    bench_rows "$log" "$name"
    pass=$(grep -c "^XT: ok " "$log" 2>/dev/null); pass=${pass:-0}
    fail=$(grep -c '^XT: not ok ' "$log" 2>/dev/null); fail=${fail:-0}
    grep -q '^XT-DONE' "$log" || { echo "$name: the test script did not finish"; fail=$((fail + 1)); }
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
