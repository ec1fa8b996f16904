#!/usr/bin/env bash
# Startup time of `dockertutor list` (median of N runs) and the binary size.
# Usage: bench/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
bin=$(mktemp -d)/dockertutor
go build -o "$bin" ./cmd/dockertutor
ws=$(mktemp -d); state=$(mktemp -d)
export XDG_STATE_HOME=$state
"$bin" --workspace "$ws" list >/dev/null # first run creates the progress file
times=()
for _ in $(seq "$runs"); do
  s=$(date +%s%N)
  "$bin" --workspace "$ws" list >/dev/null
  e=$(date +%s%N)
  times+=($(( (e - s) / 1000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
median=${sorted[$((runs / 2))]}
printf 'dockertutor list: median %d.%03d ms over %d runs (min %d.%03d, max %d.%03d)\n' \
  $((median / 1000)) $((median % 1000)) "$runs" \
  $((sorted[0] / 1000)) $((sorted[0] % 1000)) $((sorted[runs-1] / 1000)) $((sorted[runs-1] % 1000))
size=$(stat -c %s "$bin")
printf 'binary: %d bytes (%.1f MB), %s\n' "$size" "$(echo "$size / 1000000" | bc -l)" "$(go env GOOS)/$(go env GOARCH)"
rm -rf "$ws" "$state" "$(dirname "$bin")"
