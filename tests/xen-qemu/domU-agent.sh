#!/bin/sh
# domU: run the commands dom0 writes to data/cmd ("SEQ command...") and
# answer in data/result ("SEQ RC") with the output's tail in data/out.
echo "domU: up at $(cut -d' ' -f1 /proc/uptime)s, domid $(xenstore-read domid)"
last=""
while :; do
    c=$(xenstore-read data/cmd 2>/dev/null)
    seq=${c%% *}
    if [ -n "$c" ] && [ "$seq" != "$last" ]; then
        last=$seq
        sh -c "${c#* }" > /tmp/out 2>&1
        rc=$?
        xenstore-write data/out "$(tail -c 1500 /tmp/out)"
        xenstore-write data/result "$seq $rc"
    fi
    sleep 0.1
done
