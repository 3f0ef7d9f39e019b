#!/usr/bin/env bash
# One command, a whole load test: builds the release binaries it runs (the bundled target server
# and the two-scenario `hello` example), starts the server on a free port, runs `hello` against
# it, prints the summary and stops the server. The exit code is the load test's.
#   scripts/demo.sh            # 10 workers for 5 seconds
#   scripts/demo.sh -w 50 -d 10
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null 2>&1 || fail "cargo is needed: install Rust from https://rustup.rs"
mkdir -p target
echo "demo: building the target server and the hello example (release; the first build compiles for a few minutes)"
cargo build --release -p molotov-target --bin molotov-target -p molotov --example hello

server_out=target/demo-target.out
: > "$server_out"
target/release/molotov-target --port 0 > "$server_out" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 100); do
    # The server prints one line, `molotov-target listening on http://127.0.0.1:PORT`, once it
    # accepts connections.
    url=$(grep -o 'http://[^ ]*' "$server_out" || true)
    [ -n "$url" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$url" ]; then
    cat "$server_out" >&2
    fail "the target server did not start (see its output above)"
fi
echo "demo: target server at $url"
if [ "$#" -eq 0 ]; then set -- -w 10 -d 5; fi
echo "demo: running: hello $*"
status=0
MOLOTOV_TARGET="$url" target/release/examples/hello "$@" || status=$?
exit "$status"
