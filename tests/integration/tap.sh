# Sourced by the integration scripts: TAP output helpers.
n=0
ok() {  # ok DESCRIPTION STATUS
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}
tap_done() { echo "1..$n"; }
status() {  # status [PID LOG]: a backend's SIGUSR1 status line ($bepid, $tmp/be.log)
    local pid=${1:-$bepid} log=${2:-$tmp/be.log} before after
    before=$(grep -c "status:" "$log")
    kill -USR1 "$pid"
    for _ in $(seq 100); do
        after=$(grep -c "status:" "$log"); [ "$after" -gt "$before" ] && break; sleep 0.05
    done
    grep "status:" "$log" | tail -n 1
}
