#!/usr/bin/env bash
# Benchmarks registry-core against the TypeScript original (LiveStore's StoreRegistry, the
# harness in ../shared/perf-anchor) on this machine, in one run, and prints one markdown report:
# workload, anchor, ours, ratio, floor, ours/floor; memory per entry; scaling to 1M entries; the
# same workloads in headless Chromium (the original bundled with esbuild beside ours in wasm32);
# the release wasm size registry-core adds (fails when over budget); the lifecycle features'
# costs; server-side rendering's requests per second with stores against plain resources
# (examples/ssr); the targets.
#
#   bash scripts/perf.sh                      # prints the report (about 6-8 minutes)
#   bash scripts/perf.sh perf/RESULTS.md      # ... and writes it there
#
# Env: ANCHOR_DIR (default ../shared/perf-anchor, copied: it is read-only), ANCHOR_SCALE (default
# 0.1: the anchor's sizes times 0.1, 3 repetitions; W4 always has 10,000 callers),
# SKIP_BROWSER=1 (native part only), KEEP_WORK=1 (keep the temporary directory).
# Needs node + npm, the wasm32 target, wasm-bindgen-cli and Chromium (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out_file=${1:-}
anchor_src=${ANCHOR_DIR:-$root/../shared/perf-anchor}
scale=${ANCHOR_SCALE:-0.1}
export CARGO_TERM_COLOR=never

# Size budget for what registry-core adds to a small release wasm (see perf/wasm-size), name
# section included. 0.1 added 16.8 KiB gzip under a 20 KiB budget; 0.2 (entries of any store
# type, async teardown, the idle bound, pausing in background tabs, events) adds about 25 KiB, and the
# budget moved with it. What the name section (a third of the bytes) and the generic code cost
# is the place to look to bring it down.
BUDGET_RAW=$((72 * 1024))
BUDGET_GZIP=$((28 * 1024))

log() { printf '\n==> %s\n' "$*" >&2; }
work=$(mktemp -d)
if [ "${KEEP_WORK:-}" = 1 ]; then log "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
date_start=$(date -u '+%Y-%m-%d %H:%M UTC')

log "anchor: copy $anchor_src, npm ci"
cp -r "$anchor_src/." "$work/anchor"
chmod -R u+w "$work/anchor"
rm -rf "$work/anchor/node_modules" "$work/anchor/results"
(cd "$work/anchor" && npm ci --no-audit --no-fund --loglevel=error >&2)

anchor_args="--only=W1,W1b,W2,W3,W3c,W5,W5b,W5c,W5m --scale=$scale --reps=3"
log "anchor: node --expose-gc bench.mjs --variant=published $anchor_args"
(cd "$work/anchor" && node --expose-gc bench.mjs --variant=published $anchor_args >&2)
mv "$work"/anchor/results/run-*.json "$work/anchor-main.json"
log "anchor: W4 with 10,000 concurrent callers"
(cd "$work/anchor" && node --expose-gc bench.mjs --variant=published --only=W4 --reps=3 >&2)
mv "$work"/anchor/results/run-*.json "$work/anchor-w4.json"

log "ours: cargo bench -p registry-core (criterion, then memory)"
CRITERION_HOME="$work/criterion" cargo bench -p registry-core --bench registry -- --noplot >&2
REGISTRY_MEMORY_JSON="$work/memory.json" cargo bench -p registry-core --bench memory >&2
# The same hit and retain workloads with the `provenance` feature (every guard records where it
# was taken), right after the run without it: the report gives the cost of turning it on.
log "ours: the hit and retain benches again with the provenance feature"
CRITERION_HOME="$work/criterion-provenance" cargo bench -p registry-core --features provenance \
  --bench registry -- --noplot '^(hit/floor/1|hit/W1_retained/1|W2_retain_release)$' >&2

if [ "${SKIP_BROWSER:-}" != 1 ]; then
  log "browser: build the wasm32 workloads (perf/wasm-bench) and bundle the original (esbuild)"
  (cd perf/wasm-bench && cargo build --release --target wasm32-unknown-unknown >&2)
  mkdir -p "$work/browser"
  wasm-bindgen --target web --out-dir "$work/browser/wasm" \
    perf/wasm-bench/target/wasm32-unknown-unknown/release/wasm_bench.wasm
  cp perf/browser/index.html perf/browser/ours-page.mjs "$work/browser/"
  (cd perf/browser && npm ci --no-audit --no-fund --loglevel=error >&2)
  node perf/browser/build.mjs "$work/anchor" "$work/browser"
  log "browser: both in one headless Chromium page"
  node perf/browser/run.mjs "$work/browser" "$work/browser.json" >&2

  log "browser: mounting 1,000 Leptos components (perf/leptos-mount)"
  (cd perf/leptos-mount && cargo build --release --target wasm32-unknown-unknown >&2)
  wasm-bindgen --target web --out-dir "$work/leptos-mount/wasm" \
    perf/leptos-mount/target/wasm32-unknown-unknown/release/leptos_mount.wasm
  node perf/browser/leptos-mount.mjs "$work/leptos-mount" "$work/leptos-mount.json" >&2

  log "wasm size: perf/wasm-size without and with registry-core"
  size_of() { # feature-args... -> "raw gzip" of the wasm-bindgen output
    (cd perf/wasm-size && cargo build --release --target wasm32-unknown-unknown "$@" >&2)
    rm -rf "$work/size" && wasm-bindgen --target web --out-dir "$work/size" \
      perf/wasm-size/target/wasm32-unknown-unknown/release/wasm_size.wasm
    echo "$(stat -c %s "$work/size/wasm_size_bg.wasm") $(gzip -9c "$work/size/wasm_size_bg.wasm" | wc -c)"
  }
  read -r without_raw without_gzip < <(size_of)
  read -r with_raw with_gzip < <(size_of --features registry)
  cat > "$work/size.json" <<JSON
{"without": {"raw": $without_raw, "gzip": $without_gzip}, "with": {"raw": $with_raw, "gzip": $with_gzip},
 "budget": {"raw": $BUDGET_RAW, "gzip": $BUDGET_GZIP}}
JSON
fi

log "ssr: requests per second of a page with stores against plain resources (examples/ssr)"
RPS_JSON="$work/ssr.json" cargo bench -p ssr-example --bench rps > "$work/ssr.md"

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cat > "$work/meta.json" <<JSON
{"date": "$date_start", "nproc": $(nproc), "cpu": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)",
 "memory": "$(free -g | awk '/^Mem:/ {print $2 " GiB"}')", "kernel": "$(uname -sr)",
 "rustc": "$(rustc --version)", "loadStart": "$load_start", "loadEnd": "$load_end",
 "anchorArgs": "$anchor_args (W4: --only=W4 --reps=3, 10,000 callers)"}
JSON

report=$(node perf/report.mjs "$work")
printf '%s\n' "$report"
if [ -n "$out_file" ]; then
  # Notes written by hand after the marker line survive a new run.
  marker='<!-- Written by hand below: scripts/perf.sh keeps this part. -->'
  notes=""
  if [ -f "$out_file" ] && grep -qF "$marker" "$out_file"; then
    notes=$(awk -v marker="$marker" 'found || $0 == marker { found = 1; print }' "$out_file")
  fi
  printf '%s\n' "$report" > "$out_file"
  if [ -n "$notes" ]; then printf '\n%s\n' "$notes" >> "$out_file"; fi
fi

if [ -f "$work/size.json" ]; then
  added_raw=$((with_raw - without_raw))
  added_gzip=$((with_gzip - without_gzip))
  if [ "$added_raw" -gt "$BUDGET_RAW" ] || [ "$added_gzip" -gt "$BUDGET_GZIP" ]; then
    echo "wasm size budget exceeded: registry-core adds $added_raw B raw (budget $BUDGET_RAW), $added_gzip B gzip (budget $BUDGET_GZIP)" >&2
    exit 1
  fi
fi
