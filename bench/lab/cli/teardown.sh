#!/bin/sh
# Removes everything setup.sh made: the dtbench images, the registry and
# the folder.
B=${DTBENCH:-/tmp/dtbench}
"$(dirname "$0")/rmi.sh"
pkill -f "docker-registry serve $B/registry.yml"
rm -rf "$B"
