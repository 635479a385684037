#!/usr/bin/env bash
# Runs every check and every test: what CI runs (.ci/run calls this script).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"

log() { printf '\n==> %s\n' "$*"; }

bash scripts/setup.sh

log "format"
cargo fmt --all --check

log "clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

log "native tests (unit, integration, doc)"
cargo test --workspace --all-features

log "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps

log "wasm32 build of registry-core"
cargo build --target wasm32-unknown-unknown -p registry-core

log "registry-core in headless Chromium"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --target wasm32-unknown-unknown -p registry-core

log "all checks passed"
