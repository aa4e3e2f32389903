#!/usr/bin/env bash
# The serving recipes' wrapper: notes this process's id under STATE_DIR as
# NAME.pid, then becomes the server (exec keeps the id), so that `just stop`
# can end what an earlier part of the workshop left running.
#
#   scripts/serve.sh STATE_DIR NAME PROGRAM [ARGS...]
set -euo pipefail
state=$1 name=$2
shift 2
mkdir -p "$state"
echo $$ > "$state/$name.pid"
exec "$@"
