# Sourced by scripts/up.sh and scripts/workshop.sh: servers run together from
# one terminal. `prefixed NAME COMMAND...` starts one in the background, each
# line of its log prefixed `[NAME] `; `until_one_ends SCRIPT` then waits.
# One Ctrl-C stops them all with exit 0; one server ending stops the others,
# and the script exits with the status of the one that ended first: a server
# that could not start (a port taken, a bad setting) is a failed start, not a
# quiet part of one.

pids=()

stop() {
    trap - INT TERM EXIT
    # Each server shuts down gracefully on SIGTERM; a Ctrl-C in the terminal
    # has already sent them SIGINT, and a second signal changes nothing.
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait
}
# Ctrl-C is how these scripts are meant to end: every server stopped, exit 0.
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

# Waits for the first server to end, stops the others, and exits with its
# status; SCRIPT names the script in the message.
until_one_ends() {
    local script=$1 status=0
    wait -n "${pids[@]}" || status=$?
    if (( status != 0 )); then
        echo "$script: a server stopped (exit $status), so the others are stopped too" >&2
    fi
    stop
    exit "$status"
}
