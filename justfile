# auth-compare: server-side sessions vs JWTs, measured.
# `just` lists the recipes.

default:
    @just --list

# session-app on http://127.0.0.1:3001 (memory store unless SESSION_STORE says otherwise)
run-session *ARGS:
    cargo run -p session-app -- {{ARGS}}

# jwt-app on http://127.0.0.1:3000
run-jwt *ARGS:
    cargo run -p jwt-app -- {{ARGS}}

# jwt-app on http://127.0.0.1:3000 with its tokens in HttpOnly cookies (TOKEN_TRANSPORT=cookie), behind the CSRF check
run-jwt-cookie *ARGS:
    cargo run -p jwt-app -- --token-transport cookie {{ARGS}}

# the attacker's page on http://127.0.0.1:4000 (same site as the servers) and http://localhost:4000 (another site)
run-attacker *ARGS:
    cargo run -p attacker -- {{ARGS}}

# both servers in this terminal (session-app :3001, jwt-app :3000), sharing data/; one Ctrl-C stops both
up:
    scripts/up.sh

# give an account a role with the servers' own binary (same settings, same database): just set-role ada@example.com admin
set-role EMAIL ROLE *ARGS:
    cargo run -q -p session-app -- {{ARGS}} set-role {{EMAIL}} {{ROLE}}

# the measured side-by-side table (builds both servers in release mode)
compare *ARGS:
    cargo compare {{ARGS}}

# speed near the floor: every column and bare servers doing the same library work on GET /protected, in rounds, with ratios; then the login flood (release build). ARGS: --quick, --wrk, --only NAME, --format markdown|json, --out FILE
bench *ARGS:
    cargo run --release --quiet -p compare -- bench {{ARGS}}

# the criterion micro-benchmarks: JWT sign/verify, session load and denylist check per store, bcrypt 10-12
micro *ARGS:
    cargo bench -p jwt-app -p session-app -p auth-core --bench tokens --bench stores --bench bcrypt -- {{ARGS}}

# what CI runs: formatting, lints, then every test
test:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo test --workspace

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
