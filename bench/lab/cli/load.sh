#!/bin/sh
# docker load of the same images, from no images.
B=${DTBENCH:-/tmp/dtbench}
"$(dirname "$0")/rmi.sh" || exit 1
exec docker load -q -i "$B/saved.tar"
