#!/usr/bin/env bash
# `just workshop`: every server of the workshop with its request inspector
# on (INSPECT), and the side-by-side page on http://127.0.0.1:4001, which
# the apps let frame their pages (WORKSHOP_ORIGIN). One terminal, each log
# line prefixed with its server's name, all stopped by one Ctrl-C (or by
# `just stop`); one server ending ends the others, with its exit status.
#
# WORKSHOP_BIN_DIR names the folder holding the servers' binaries (the
# recipe's build); the argument is the page's own.
#
#   scripts/workshop.sh PAGE_BINARY
set -euo pipefail

page_bin=${1:?the binary of the workshop page}
bin_dir=${WORKSHOP_BIN_DIR:?the folder of the built binaries}
port=${WORKSHOP_PORT:-4001}
export INSPECT=true WORKSHOP_ORIGIN="http://127.0.0.1:$port" WORKSHOP_PORT="$port"
# Each server on its own default port: the page frames and asks exactly those.
unset PORT API_PORT ATTACKER_PORT

source "$(dirname "${BASH_SOURCE[0]}")/lib/together.sh"

prefixed session "$bin_dir/session-app"
# EdDSA: the resource server verifies jwt-app's tokens with its public key.
JWT_ALG=EdDSA prefixed jwt "$bin_dir/jwt-app"
prefixed attacker "$bin_dir/attacker"
prefixed page "$page_bin"
# The resource server fetches jwt-app's keys at start: a moment for jwt-app.
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:3000/health" >/dev/null 2>&1 && break
    sleep 0.1
done
prefixed api "$bin_dir/resource-server" --upstream-stats

echo "the workshop: http://127.0.0.1:$port/ (Ctrl-C or just stop ends every server)"
until_one_ends workshop
