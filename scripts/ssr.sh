#!/usr/bin/env bash
# Builds and serves the server-rendered example (examples/ssr) on 127.0.0.1 at the port in
# PORT (default 3000), printing its URL. Installs what it needs first (scripts/setup.sh).
#
# No cargo-leptos: the browser's side is `cargo build --lib --target wasm32-unknown-unknown`
# plus `wasm-bindgen --target web` into target/ssr-site/pkg, which the server serves; the
# server is `cargo build -p ssr-example`. `SSR_BUILD_ONLY=1` builds both and stops there (the
# end-to-end tests start the server themselves). `STORE_DELAY_MS` (default 300) is how long
# each store takes to load on the server.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

if [ "${SSR_SKIP_SETUP:-}" != 1 ]; then
  bash scripts/setup.sh
fi

export SITE_ROOT="${SITE_ROOT:-$PWD/target/ssr-site}"

log "ssr example: the browser's side (wasm32, hydrate) into $SITE_ROOT/pkg"
cargo build --release -p ssr-example --lib --target wasm32-unknown-unknown
rm -rf "$SITE_ROOT/pkg"
mkdir -p "$SITE_ROOT/pkg"
wasm-bindgen --target web --no-typescript --out-name ssr_example --out-dir "$SITE_ROOT/pkg" \
  target/wasm32-unknown-unknown/release/ssr_example.wasm

log "ssr example: the server"
cargo build --release -p ssr-example --bin ssr-example

if [ "${SSR_BUILD_ONLY:-}" = 1 ]; then
  exit 0
fi

export PORT="${PORT:-3000}"
log "ssr example: serving (Ctrl-C stops it)"
exec target/release/ssr-example
