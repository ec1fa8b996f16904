#!/usr/bin/env bash
# Readies the whole-process benchmark of the lab bundle on this machine's
# own Docker (the dockerd of /var/run/docker.sock, which reads
# /etc/docker/daemon.json): a docker-registry on 127.0.0.1:5055 holding
# the stand-in alpine and an image of MB MiB of random bytes under Docker
# Hub names (dtbench/…), which the daemon pulls through it as its mirror
# for the moment of the setup; a course pack pinning both; the bundle
# `dockertutor prepare --bundle` writes of them and the tar `docker save`
# writes of them. Then, each side a whole process from no images:
#
#   farm-bench -n 21 --vs bench/lab/cli/load.sh -- bench/lab/cli/from.sh
#   bench/lab/cli/teardown.sh
#
# (Writing the bundle against docker save: go run ./bench/lab.)
#
# Needs root, docker-registry and a machine whose daemon.json has no
# registry-mirrors of its own (the setup refuses otherwise). Makes only
# dtbench/* images and the folder $DTBENCH (default /tmp/dtbench).
#
#   bench/lab/cli/setup.sh [MB]
set -euo pipefail
MB=${1:-150}
B=${DTBENCH:-/tmp/dtbench}
PORT=5055
CONFIG=/etc/docker/daemon.json
cd "$(dirname "$0")/../../.."
if [ -e "$CONFIG" ] && grep -q registry-mirrors "$CONFIG"; then
  echo "$CONFIG sets registry-mirrors already: the setup would change them" >&2
  exit 1
fi
mkdir -p "$B"
go build -o "$B/dockertutor" ./cmd/dockertutor
go run ./exercises/dockertest/standins

pkill -f "docker-registry serve $B/registry.yml" || true
cat > "$B/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $B/registry
http:
  addr: 127.0.0.1:$PORT
YML
nohup docker-registry serve "$B/registry.yml" > "$B/registry.log" 2>&1 &
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/v2/" > /dev/null && break; sleep 0.1; done

R=127.0.0.1:$PORT/dtbench
mkdir -p "$B/big"
printf 'FROM alpine:3.22\nRUN head -c %d /dev/urandom > /big\n' $((MB << 20)) > "$B/big/Dockerfile"
docker build -q -t "$R/big:1" "$B/big" > /dev/null
docker tag alpine:3.22 "$R/alpine:3.22"
docker push -q "$R/alpine:3.22" > /dev/null
docker push -q "$R/big:1" > /dev/null
docker rmi "$R/alpine:3.22" "$R/big:1" > /dev/null

# Docker Hub names, through the registry as the daemon's mirror: the way a
# class's images come.
had_config=false
[ -e "$CONFIG" ] && had_config=true && cp -p "$CONFIG" "$B/daemon.json.orig"
mirror() {
  if [ "$1" = on ]; then
    echo "{\"registry-mirrors\": [\"http://127.0.0.1:$PORT\"]}" > "$CONFIG"
  else
    echo '{"registry-mirrors": []}' > "$CONFIG"
  fi
  kill -HUP "$(cat /var/run/docker.pid)"
  sleep 1
}
restore() {
  mirror off
  if $had_config; then cp -p "$B/daemon.json.orig" "$CONFIG"; else rm -f "$CONFIG"; fi
  kill -HUP "$(cat /var/run/docker.pid)"
}
trap restore EXIT
mirror on
docker pull -q dtbench/alpine:3.22 > /dev/null
docker pull -q dtbench/big:1 > /dev/null
da=$(docker inspect --format '{{index .RepoDigests 0}}' dtbench/alpine:3.22 | cut -d@ -f2)
db=$(docker inspect --format '{{index .RepoDigests 0}}' dtbench/big:1 | cut -d@ -f2)

rm -rf "$B/course" && cp -r lessons/course "$B/course"
python3 - "$B/course/course.yaml" "$da" "$db" <<'PY'
import sys
p, da, db = sys.argv[1:]
s = open(p).read()
start, end = s.index('images:\n'), s.index('releases:')
s = (s[:start] + "images:\n"
     f"  - ref: dtbench/alpine:3.22\n    digest: {da}\n    why: the benchmark's stand-in\n"
     f"  - ref: dtbench/big:1\n    digest: {db}\n    why: the benchmark's large image\n" + s[end:])
open(p, 'w').write(s.replace('id: image-security', 'id: dtbench-course'))
PY
rm -f "$B/lab.bundle" "$B/saved.tar"
"$B/dockertutor" --course "$B/course" prepare --bundle "$B/lab.bundle"
docker save -o "$B/saved.tar" dtbench/alpine:3.22 dtbench/big:1
ls -l "$B/lab.bundle" "$B/saved.tar"
