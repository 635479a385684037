#!/usr/bin/env bash
# Builds and serves the workspaces demo at http://127.0.0.1:8080 (Ctrl-C stops it).
# On a fresh Debian machine with rustup: installs what it needs first (scripts/setup.sh, Trunk).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

trunk_version=0.21.14

bash scripts/setup.sh

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$trunk_version" ]; then
  log "trunk $trunk_version"
  cargo install trunk --version "$trunk_version" --locked
fi

# Trunk checks for its own updates on start: skip it (the network may be closed).
export TRUNK_SKIP_VERSION_CHECK=true

log "serving the demo at http://127.0.0.1:8080/ (first build takes a few minutes)"
exec trunk serve  # address and port: Trunk.toml
