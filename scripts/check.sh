#!/usr/bin/env bash
# The project's test command: formatting, lints, every test, docs. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest"
    cargo install --locked cargo-nextest
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

step "all checks passed"
