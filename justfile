# auth-compare: server-side sessions vs JWTs, measured.
# `just` lists the recipes.

default:
    @just --list

# Every binary of the workshop comes from one cargo invocation, `cargo servers`
# (.cargo/config.toml): cargo unifies features over the packages it builds
# together, so building them one by one (`cargo run -p jwt-app`, then
# `-p attacker`, ...) would compile the shared dependencies once per
# selection. After one `just build` every recipe starts at once, and a Ctrl-C
# reaches the server itself, not a cargo in between.
target := env_var_or_default("CARGO_TARGET_DIR", justfile_directory() / "target")

# One build for the room, in release mode: the harness's numbers are the
# point, and a server the room uses should cost what it costs in production
# (a login at bcrypt cost 12 takes about a second in a debug build).
# `WORKSHOP_PROFILE=dev` builds and runs the debug binaries instead.
profile := env_var_or_default("WORKSHOP_PROFILE", "release")
profile_dir := if profile == "dev" { "debug" } else { profile }

# For tests, not for the room: PREBUILT_BIN_DIR names a folder that already
# holds every binary the recipes start, and then no recipe builds. The
# workshop script's test (compare/tests/workshop.rs) runs inside `cargo test
# --workspace`, which has built them all; a `cargo servers` there would
# unify features over other packages than the test build and compile the
# dependencies a second time, minutes per CI run.
prebuilt := env_var_or_default("PREBUILT_BIN_DIR", "")
bin := if prebuilt == "" { target / profile_dir } else { prebuilt }
# `true` ignores the flags that follow it.
cargo_servers := if prebuilt == "" { "cargo servers" } else { "true" }

# Where the serving recipes note their process ids, for `just stop`.
state := env_var_or_default("WORKSHOP_STATE_DIR", target / "workshop")
serve := "scripts/serve.sh " + quote(state)

# build everything the workshop runs, once, before the room arrives (minutes; later starts are instant)
build:
    {{cargo_servers}} --profile {{profile}}

[private]
servers:
    {{cargo_servers}} --quiet --profile {{profile}}

# stop every server the workshop's recipes started (between parts; nothing running is fine)
stop:
    scripts/stop.sh {{quote(state)}}

# session-app on http://127.0.0.1:3001 (memory store unless SESSION_STORE says otherwise)
run-session *ARGS: servers
    {{serve}} session-app {{bin}}/session-app {{ARGS}}

# jwt-app on http://127.0.0.1:3000
run-jwt *ARGS: servers
    {{serve}} jwt-app {{bin}}/jwt-app {{ARGS}}

# jwt-app on http://127.0.0.1:3000 with its tokens in HttpOnly cookies (TOKEN_TRANSPORT=cookie), behind the CSRF check
run-jwt-cookie *ARGS: servers
    {{serve}} jwt-app {{bin}}/jwt-app --token-transport cookie {{ARGS}}

# the resource server on http://127.0.0.1:3002 (counters at /debug/upstream): in front of jwt-app on :3000 (run it with --jwt-alg EdDSA), or of session-app on :3001 with --mode session
run-api *ARGS: servers
    {{serve}} resource-server {{bin}}/resource-server --upstream-stats {{ARGS}}

# the attacker's page on http://127.0.0.1:4000 (same site as the servers) and http://localhost:4000 (another site)
run-attacker *ARGS: servers
    {{serve}} attacker {{bin}}/attacker {{ARGS}}

# a single-page app on http://localhost:5173 (another site than the servers) and http://127.0.0.1:5173 (the same site): ?credential=session|bearer|cookie&api=http://127.0.0.1:3001; start the server with ALLOWED_ORIGINS=http://localhost:5173,http://127.0.0.1:5173 (and COOKIE_SAMESITE=none for its cookie across sites)
run-spa *ARGS: servers
    {{serve}} spa {{bin}}/spa {{ARGS}}

# both servers in this terminal (session-app :3001, jwt-app :3000), sharing data/; one Ctrl-C stops both
up: servers
    UP_BIN_DIR={{bin}} {{serve}} up scripts/up.sh

# the side-by-side page on http://127.0.0.1:4001: both apps' pages in frames, one control for both, and live what each server (resource server and attacker page too) received; every server started with INSPECT
workshop: servers
    WORKSHOP_BIN_DIR={{bin}} {{serve}} workshop scripts/workshop.sh {{bin}}/workshop

# give an account a role with the servers' own binary (same settings, same database): just set-role ada@example.com admin
set-role EMAIL ROLE *ARGS: servers
    {{bin}}/session-app {{ARGS}} set-role {{EMAIL}} {{ROLE}}

# the measured side-by-side table (builds the harness and both servers in release mode)
compare *ARGS: servers
    {{bin}}/compare {{ARGS}}

# the measured comparison as one HTML page with charts (a full run unless --quick): writes target/report.html (or REPORT_FILE) and opens it (unless COMPARE_NO_OPEN is set)
report *ARGS: servers
    #!/usr/bin/env bash
    set -uo pipefail
    out="${REPORT_FILE:-{{target}}/report.html}"
    rm -f "$out"
    # Exit 1 means cells differ from the contract: the page says which, so it is opened all the same.
    "{{bin}}/compare" --format html --out "$out" {{ARGS}}
    status=$?
    [ -f "$out" ] || exit "$status"
    if [ -n "${COMPARE_NO_OPEN:-}" ]; then
        :
    elif command -v xdg-open >/dev/null && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
        xdg-open "$out" >/dev/null 2>&1 &
    elif [ "$(uname)" = Darwin ]; then
        open "$out"
    fi
    echo "the report: $out"
    exit "$status"

# speed near the floor: every column and bare servers doing the same library work on GET /protected, in rounds, with ratios; then the login flood and the memory per signed-in user (release build). ARGS: --quick, --wrk, --only NAME, --format markdown|json, --out FILE, --charts DIR, --from-json FILE, --no-memory
bench *ARGS: servers
    {{bin}}/compare bench {{ARGS}}

# the criterion micro-benchmarks: JWT sign/verify, session load and denylist check per store, bcrypt 10-12
micro *ARGS:
    cargo bench -p jwt-app -p session-app -p auth-core --bench tokens --bench stores --bench bcrypt -- {{ARGS}}

# what CI runs: formatting, lints, then every test
test:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo test --workspace

# regenerate docs/openapi/*.json from the servers' code (each server serves its own at GET /openapi.json); commit the result
openapi:
    UPDATE_OPENAPI=1 cargo test -p session-app -p jwt-app -p resource-server --test api openapi::the_committed

# start a local Redis on 6379 for the Redis stores, if none answers there
redis:
    #!/usr/bin/env bash
    set -euo pipefail
    if redis-cli -p 6379 ping >/dev/null 2>&1; then echo "Redis already answers on 127.0.0.1:6379"; exit 0; fi
    if ! command -v redis-server >/dev/null; then
        echo "redis-server is not installed: 'sudo apt-get install redis-server' (Debian/Ubuntu) or 'brew install redis' (macOS)" >&2
        exit 1
    fi
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    echo "Redis started on 127.0.0.1:6379 (stop it with: redis-cli -p 6379 shutdown nosave)"
