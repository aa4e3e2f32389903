#!/usr/bin/env bash
# `just up`: session-app and jwt-app together in one terminal, each line of
# their logs prefixed with its server's name, both stopped by one Ctrl-C.
#
# Started from one folder, the two share its data/ (the users' SQLite file):
# an account registered on one logs in on the other. Settings come from the
# environment and apply to both (`SESSION_STORE=db just up`).
#
# UP_BIN_DIR names a folder holding both binaries already built (a test's, or
# target/release); without it they are built here first, so that a Ctrl-C
# reaches the servers themselves, not a `cargo run` in between.
set -euo pipefail

bin_dir=${UP_BIN_DIR:-}
if [[ -z $bin_dir ]]; then
    cargo build -p session-app -p jwt-app
    bin_dir="${CARGO_TARGET_DIR:-target}/debug"
fi

pids=()

stop() {
    trap - INT TERM EXIT
    # Each server shuts down gracefully on SIGTERM; a Ctrl-C in the terminal
    # has already sent them SIGINT, and a second signal changes nothing.
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait
}
# Ctrl-C is how `just up` is meant to end: both servers stopped, exit 0.
trap 'stop; exit 0' INT TERM
trap stop EXIT

# The prefixing sed ignores SIGINT so that it passes on the servers' last
# lines after a Ctrl-C; it ends when its server closes the pipe.
prefixed() {
    local name=$1
    shift
    "$@" > >(trap '' INT; exec sed -u "s/^/[$name] /") \
        2> >(trap '' INT; exec sed -u "s/^/[$name] /" >&2) &
    pids+=("$!")
}

prefixed session "$bin_dir/session-app"
prefixed jwt "$bin_dir/jwt-app"

# Either one ending (a port taken, a bad setting) ends the other too, and
# the script exits with the status of the one that ended first: a server that
# could not start is a failed `just up`, not a quiet half of one.
status=0
wait -n "${pids[@]}" || status=$?
if (( status != 0 )); then
    echo "up: a server stopped (exit $status), so the other one is stopped too" >&2
fi
stop
exit "$status"
