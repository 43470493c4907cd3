# Sourced by the integration scripts: TAP output helpers.
n=0
ok() {  # ok DESCRIPTION STATUS
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}
tap_done() { echo "1..$n"; }
