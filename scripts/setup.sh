#!/usr/bin/env bash
# Installs everything the tests and the demo need, on a Debian machine with rustup.
# Idempotent: each step checks before it installs. Run as root (or with sudo for apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# The toolchain pinned in rust-toolchain.toml, with its components and the wasm target
# (RUSTUP_AUTO_INSTALL=0 on CI: nothing is installed implicitly).
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
log "rust $toolchain + wasm32-unknown-unknown"
rustup toolchain install "$toolchain" --profile minimal --component rustfmt,clippy --target wasm32-unknown-unknown

# Headless Chromium and its matching driver, for the wasm-bindgen tests.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "chromium + chromium-driver (Debian)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# wasm-bindgen-cli: exactly the wasm-bindgen version in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  log "wasm-bindgen-cli $wb_version"
  cargo install wasm-bindgen-cli --version "$wb_version"
fi
