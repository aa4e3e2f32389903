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

source "$(dirname "${BASH_SOURCE[0]}")/lib/together.sh"

prefixed session "$bin_dir/session-app"
prefixed jwt "$bin_dir/jwt-app"

until_one_ends up
