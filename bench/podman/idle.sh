#!/usr/bin/env bash
# What an idle tutor costs a Podman machine: each build given is opened at
# the first step on Podman's Docker API (.ci/podman's private service),
# left alone for SECONDS (60), and measured: the CPU the Podman service
# spent, and the dpkg-query runs it started (Podman answers /version by
# asking the package manager about each component; process accounting
# counts them). Give two builds to compare them in the same run.
#   bench/podman/idle.sh BIN [OTHER_BIN]     as root; SECONDS_IDLE=30 to shorten
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${SECONDS_IDLE:-60}
command -v accton >/dev/null || { echo "needs process accounting: apt-get install acct" >&2; exit 1; }
sock=/run/dockertutor-podman.sock
.ci/podman >/dev/null 2>&1
service=$(cat /var/lib/dockertutor-podman/service.pid)
acct=$(mktemp)

cpu_ms() { awk '{print ($14 + $15) * 10}' "/proc/$1/stat"; } # clock ticks of 10 ms
# dpkg-query's runs and their CPU in ms (sa -l: user and system minutes).
runs() { sa -a -l "$acct" 2>/dev/null | awk '$NF == "dpkg-query" { printf "%d %d\n", $1, ($3 + $4) * 60000; found = 1 } END { if (!found) print "0 0" }'; }

for bin in "$@"; do
  state=$(mktemp -d) ws=$(mktemp -d) session=dtidle-$$
  accton "$acct" >/dev/null
  tmux new-session -d -s "$session" -x 120 -y 40 \
    "DOCKER_HOST=unix://$sock XDG_STATE_HOME=$state $bin --workspace $ws"
  sleep 5 # past the start, which asks once
  c0=$(cpu_ms "$service"); read -r r0 d0 < <(runs)
  sleep "$seconds"
  c1=$(cpu_ms "$service"); read -r r1 d1 < <(runs)
  engine=$(tmux capture-pane -p -t "$session" | grep -o 'Podman [0-9.]* · [A-Za-z]*' | head -1 || true)
  tmux kill-session -t "$session"
  accton off >/dev/null
  : >"$acct"
  rm -rf "$state" "$ws"
  echo "$bin (status line: ${engine:-no engine shown}): in ${seconds} s idle, the Podman service spent $((c1 - c0)) ms of CPU and ran dpkg-query $((r1 - r0)) times, $((d1 - d0)) ms of CPU"
done
rm -f "$acct"
