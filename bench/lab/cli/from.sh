#!/bin/sh
# One lab machine readied from the bundle, from no images: what the
# benchmark times against load.sh.
B=${DTBENCH:-/tmp/dtbench}
"$(dirname "$0")/rmi.sh" || exit 1
XDG_DATA_HOME=$B/data XDG_STATE_HOME=$B/state exec "$B/dockertutor" --course "$B/course" prepare --from "$B/lab.bundle"
