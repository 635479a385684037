#!/usr/bin/env bash
# Runs every check and every test: what CI runs (.ci/run calls this script).
# Any failing step fails the script. To add a step, append a `log "..."` line and its commands
# before the final `log "all checks passed"`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Browser tests (`cargo test --target wasm32-unknown-unknown ...`) run through
# wasm-bindgen-test-runner in headless Chromium. The runner reads `webdriver.json` from its
# working directory, which cargo sets to each crate's own directory: point it at the one file at
# the workspace root (Chromium's flags for root, no GPU and a closed network) for every crate
# (.cargo/config.toml does the same for `cargo test` run by hand).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER:-wasm-bindgen-test-runner}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="${WASM_BINDGEN_TEST_WEBDRIVER_JSON:-$PWD/webdriver.json}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"

# Prints a step's title with the seconds elapsed since the script started.
log() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }

bash scripts/setup.sh

log "format"
cargo fmt --all --check

log "clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

# The browser-only and dual-target tests, which native clippy never compiles. Benches are
# native-only (criterion, allocation counting) and are linted by the step above.
log "clippy (wasm32) of registry-core and its tests"
cargo clippy -p registry-core --lib --tests --all-features --target wasm32-unknown-unknown -- -D warnings

# The demo's browser entry point (`start`, Leptos's `csr` feature) compiles only for wasm32.
log "clippy (wasm32) of the workspaces demo"
cargo clippy -p workspaces-demo --all-targets --target wasm32-unknown-unknown -- -D warnings

# The server-rendered example's browser side (`hydrate`) compiles only for wasm32.
log "clippy (wasm32) of the ssr example's browser side"
cargo clippy -p ssr-example --lib --target wasm32-unknown-unknown -- -D warnings

log "native tests (unit, integration, doc)"
cargo test --workspace --all-features

log "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps

# Packs registry-core and registry-leptos as the crates registry would receive them and builds each from
# its .crate (registry-leptos against the packed registry-core, through a temporary local
# registry). `publish --dry-run` is `cargo package` plus cargo's pre-upload checks (each
# package's `publish` setting allows the crates registry; a warning if the version is already there);
# it uploads nothing and needs no token. `--locked` fails if Cargo.lock is out of date.
# `--allow-dirty` packs uncommitted edits too, so that the script runs on a work tree in
# progress; CI's fresh clone has none.
log "packaging (cargo package of the published crates)"
# Cargo verifies registry-leptos against the packed registry-core through a temporary registry,
# and treats registry crates as immutable: it reuses the sources it unpacked
# (~/.cargo/registry/src/-<hash>/) and the artifacts it built (target/debug, found by their
# dep-info files naming those sources) for the same name and version in an earlier run, even
# when the crate changed since. Remove both, so that this run verifies this code.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/registry-core-* \
  "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/registry-leptos-*
for dep_info in target/debug/deps/registry_core-*.d target/debug/deps/registry_leptos-*.d; do
  [ -e "$dep_info" ] && grep -q '/registry/src/-' "$dep_info" || continue
  hash=${dep_info##*-}
  hash=${hash%.d}
  rm -rf target/debug/deps/*registry_core-"$hash".* target/debug/deps/*registry_leptos-"$hash".* \
    target/debug/.fingerprint/registry-core-"$hash" target/debug/.fingerprint/registry-leptos-"$hash"
done
cargo publish --dry-run --locked --allow-dirty -p registry-core -p registry-leptos

log "wasm32 build of registry-core"
cargo build --target wasm32-unknown-unknown -p registry-core

log "registry-core in headless Chromium"
cargo test --target wasm32-unknown-unknown -p registry-core

# registry-leptos's browser side (src/client.rs, tests/browser.rs) compiles only for wasm32.
log "registry-leptos: clippy (wasm32), then its components in headless Chromium"
cargo clippy -p registry-leptos --all-targets --target wasm32-unknown-unknown -- -D warnings
cargo test --target wasm32-unknown-unknown -p registry-leptos

log "the demo and the ssr example in headless Chromium (e2e: trunk build, ssr build, node --test)"
bash e2e/run.sh

log "all checks passed"
