# Sourced by the integration scripts: TAP output helpers.
n=0
ok() {  # ok DESCRIPTION STATUS
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}
tap_done() { echo "1..$n"; }
status() {  # the backend's SIGUSR1 status line ($bepid, $tmp/be.log)
    local before after
    before=$(grep -c "status:" "$tmp/be.log")
    kill -USR1 $bepid
    for _ in $(seq 100); do
        after=$(grep -c "status:" "$tmp/be.log"); [ "$after" -gt "$before" ] && break; sleep 0.05
    done
    grep "status:" "$tmp/be.log" | tail -n 1
}
