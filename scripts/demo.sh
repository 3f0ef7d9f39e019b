#!/usr/bin/env bash
# One command, a whole load test: builds the release binaries, starts the bundled target server
# on a free port, runs the two-scenario `hello` example against it, and stops the server.
#   scripts/demo.sh            # 10 workers for 5 seconds
#   scripts/demo.sh -w 50 -d 10
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p molotov-target -p molotov --example hello
target/release/molotov-target --port 0 > target/demo-target.out &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    [ -s target/demo-target.out ] && break
    sleep 0.1
done
url=$(awk '{print $NF}' target/demo-target.out)
echo "target server: $url"
if [ "$#" -eq 0 ]; then set -- -w 10 -d 5; fi
MOLOTOV_TARGET="$url" target/release/examples/hello "$@"
