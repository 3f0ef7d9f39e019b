#!/usr/bin/env bash
# The project's test command: formatting, lints, every Rust test, docs, then the Python package
# built with `pip install .` into a fresh virtualenv and its pytest suite, then the README's
# commands as a new user runs them (the quickstart included). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest"
    cargo install --locked cargo-nextest
fi

# The dashboard tests run molotov in a real terminal (a tmux pane); the report tests open the
# HTML report and the live page in a real headless browser (Debian's Chromium); the metrics
# tests push to and are scraped by a real Prometheus server (Debian's).
missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (pedantic, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "tests"
cargo nextest run --workspace --no-fail-fast

step "doc tests"
cargo test --doc --workspace

step "docs (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace

step "python package: pip install . into a fresh virtualenv"
venv="$PWD/target/check-venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet . pytest uvloop mypy junitparser kubernetes-validate \
    opentelemetry-proto hypercorn

step "python tests (pytest python/tests)"
# A missing browser fails the report tests here instead of skipping them.
MOLOTOV_REQUIRE_BROWSER=1 MOLOTOV_REQUIRE_PROMETHEUS=1 "$venv/bin/python" -m pytest python/tests -q

step "type stubs match the extension (mypy stubtest)"
"$venv/bin/python" -m mypy.stubtest molotov._molotov --allowlist python/stubtest-allowlist.txt

step "the README's commands, as written (scripts/readme.py)"
python3 scripts/readme.py

step "all checks passed"
