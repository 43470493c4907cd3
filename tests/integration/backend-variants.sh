#!/bin/bash
# The backend's optional modes under attack: the hostile-frontend suite on
# disks whose file I/O runs on worker threads (iothreads=4, the victim
# writing at queue depth 8), on disks without io_uring batches (uring=off:
# one preadv/pwritev per request, as where io_uring is missing) and on a
# busy-polling backend (--poll), and
# the kill-a-frontend-mid-I/O loop on pooled disks at queue depth 32 over
# 4 queues.  Host bus; one TAP stream made of the scripts' tests.
d=$(dirname "$0")
{
    HOSTILE_BLK_OPTS=",queues=2,iothreads=4" HOSTILE_QD=8 bash "$d/hostile.sh" |
        sed 's/^\(\(not \)\{0,1\}ok [0-9]* \)/\1[iothreads] /'
    HOSTILE_BLK_OPTS=",uring=off" HOSTILE_QD=8 bash "$d/hostile.sh" |
        sed 's/^\(\(not \)\{0,1\}ok [0-9]* \)/\1[uring=off] /'
    HOSTILE_BE_ARGS="--poll 1000" HOSTILE_QD=4 bash "$d/hostile.sh" |
        sed 's/^\(\(not \)\{0,1\}ok [0-9]* \)/\1[poll] /'
    KILL_BLK_OPTS=",queues=4,iothreads=4" KILL_QD=32 KILL_ROUNDS=${KILL_ROUNDS:-50} \
        bash "$d/kill-frontend.sh" | sed 's/^\(\(not \)\{0,1\}ok [0-9]* \)/\1[iothreads] /'
} | awk '/^(not )?ok [0-9]+ /{ n++; sub(/ok [0-9]+ /, "ok " n " "); print; next }
         /^1\.\.[0-9]+$/ { next } { print } END { print "1.." n }'
