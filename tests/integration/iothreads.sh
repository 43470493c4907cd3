#!/bin/bash
# The blk I/O thread pool (iothreads=N): the hostile-frontend suite and the
# kill-a-frontend-mid-I/O loop again, on disks whose requests run on
# worker threads with many in flight (the frontends write at queue depth
# 8 and 32).  Host bus; one TAP stream made of the two scripts' tests.
d=$(dirname "$0")
{
    HOSTILE_BLK_OPTS=",queues=2,iothreads=4" HOSTILE_QD=8 bash "$d/hostile.sh"
    KILL_BLK_OPTS=",queues=4,iothreads=4" KILL_QD=32 KILL_ROUNDS=${KILL_ROUNDS:-50} \
        bash "$d/kill-frontend.sh"
} | awk '/^(not )?ok [0-9]+ /{ n++; sub(/ok [0-9]+ /, "ok " n " [iothreads] "); print; next }
         /^1\.\.[0-9]+$/ { next } { print } END { print "1.." n }'
