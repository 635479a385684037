#!/usr/bin/env bash
# Builds the workspaces demo and the server-rendered example, and runs the real-browser tests
# against them (Debian's Chromium, driven by playwright-core under `node --test`). Needs trunk,
# wasm-bindgen-cli and chromium (scripts/setup.sh installs them) and Node.js 20 or later with
# npm.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

export DEMO_DIST="$PWD/target/e2e-dist"
# Trunk checks for its own updates on start: skip it (the network may be closed).
export TRUNK_SKIP_VERSION_CHECK=true

node_major=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\).*/\1/p')
if [ -z "$node_major" ] || [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null; then
  echo "e2e: needs Node.js 20 or later and npm (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

log "e2e: npm ci"
(cd e2e && npm ci --no-audit --no-fund --silent)

log "e2e: trunk build (the demo, into $DEMO_DIST)"
trunk build --dist "$DEMO_DIST"

log "e2e: the server-rendered example (release builds of its server and its wasm)"
SSR_SKIP_SETUP=1 SSR_BUILD_ONLY=1 bash scripts/ssr.sh

log "e2e: node --test (headless Chromium)"
(cd e2e && node --test --test-concurrency=1 --test-reporter=spec tests/*.test.mjs)
