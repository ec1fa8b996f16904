#!/bin/sh
# Takes the benchmark's images off the daemon whole (every name, the
# tag and the digest), so that the next load brings
# every layer again; the stand-in keeps its alpine:3.22 tag. It also
# removes the course pack prepare --from installed.
B=${DTBENCH:-/tmp/dtbench}
big=$(docker image inspect --format '{{.Id}}' dtbench/big:1 2>/dev/null)
docker rmi dtbench/alpine:3.22 > /dev/null 2>&1
[ -n "$big" ] && docker rmi -f "$big" > /dev/null 2>&1
docker image inspect dtbench/big:1 > /dev/null 2>&1 && { echo "dtbench/big:1 is still there" >&2; exit 1; }
rm -rf "$B/data" "$B/state"
exit 0
