#!/usr/bin/env bash
# `just stop`: ends every server a workshop recipe started (their ids are in
# STATE_DIR, noted by scripts/serve.sh), so that the next part starts from a
# known state: no server running, every port free. A process id now used by
# another program is left alone; nothing running is no error.
#
#   scripts/stop.sh STATE_DIR
set -euo pipefail
state=$1
[[ -d $state ]] || exit 0
ours='session-app|jwt-app|resource-server|attacker|workshop|up\.sh'
stopped=()
for file in "$state"/*.pid; do
    [[ -e $file ]] || continue
    pid=$(<"$file")
    name=$(basename "$file" .pid)
    rm -f "$file"
    cmdline=$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" || true)
    [[ -n $cmdline && $cmdline =~ $ours ]] || continue
    kill -TERM "$pid" 2>/dev/null || continue
    # A graceful stop lets requests in flight finish; a few seconds at most.
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    stopped+=("$name")
done
if (( ${#stopped[@]} )); then
    echo "stopped: ${stopped[*]}"
else
    echo "nothing was running"
fi
