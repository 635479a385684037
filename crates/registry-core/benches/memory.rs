//! Memory per entry (the anchor's W5, W5b, W5c), counted by a global allocator: the bytes the
//! registry holds per retained / idle / idle-with-countdown entry, minus a plain
//! `HashMap<String, Rc<Store>>` holding the same ids and stores (the "registry overhead").
//!
//! `cargo bench -p registry-core --bench memory`. Bytes are the sizes requested from the
//! allocator (malloc's own per-block overhead, 8-16 bytes, is not included; the allocation
//! count per entry is printed so that it can be added). With `REGISTRY_MEMORY_JSON=path` the
//! figures are also written to `path` as JSON, for `scripts/perf.sh`.

mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::Duration;

use registry_core::test_util::TestRuntime;
use registry_core::{CacheTime, RetainGuard};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

use support::{Store, load, options, registry};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Bytes and allocations that `build` leaves live, per entry.
fn per_entry<T>(n: usize, build: impl FnOnce() -> T) -> (f64, f64, T) {
    let region = Region::new(GLOBAL);
    let kept = build();
    let change = region.change();
    let bytes = change.bytes_allocated as f64 - change.bytes_deallocated as f64;
    let allocs = change.allocations as f64 - change.deallocations as f64;
    (bytes / n as f64, allocs / n as f64, kept)
}

struct Row {
    id: &'static str,
    what: &'static str,
    entries: usize,
    bytes: f64,
    allocs: f64,
    baseline: f64,
}

fn ids(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// The baseline: a plain map holding the same ids and stores, nothing else.
fn baseline(n: usize) -> f64 {
    let ids = ids(n, "w5");
    let (bytes, _, map) = per_entry(n, || {
        ids.iter()
            .map(|id| (id.clone(), Rc::new(Store { id: id.clone() })))
            .collect::<HashMap<String, Rc<Store>>>()
    });
    drop(map);
    bytes
}

fn measure(
    id: &'static str,
    what: &'static str,
    n: usize,
    cache_time: CacheTime,
    retained: bool,
) -> Row {
    let rt = TestRuntime::new();
    let reg = registry(&rt);
    // Warm up: the registry's first entry starts its timer task; not counted.
    let warm = options("warm", Duration::from_secs(60));
    let _warm = reg.retain(&warm);
    load(&reg, &warm);
    rt.run_until_stalled();
    let ids = ids(n, "w5");
    let (bytes, allocs, guards) = per_entry(n, || {
        let guards: Vec<RetainGuard> = if retained {
            ids.iter()
                .map(|id| reg.retain(&options(id.clone(), cache_time)))
                .collect()
        } else {
            for id in &ids {
                load(&reg, &options(id.clone(), cache_time));
            }
            Vec::new()
        };
        rt.run_until_stalled();
        guards
    });
    assert_eq!(reg.snapshot().len(), n + 1, "every entry is live");
    assert!(rt.armed_timers() <= 1, "one platform timer at most");
    drop(guards);
    Row {
        id,
        what,
        entries: n,
        bytes,
        allocs,
        baseline: baseline(n),
    }
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent: a smaller run checks
    // that everything works.
    let full = std::env::args().any(|arg| arg == "--bench");
    let (retained, idle) = if full {
        (100_000, 20_000)
    } else {
        (1_000, 1_000)
    };
    let minute = CacheTime::from(Duration::from_secs(60));
    let rows = [
        measure(
            "W5",
            "retained entry (retain per id, cache time 60 s; the guard counted)",
            retained,
            minute,
            true,
        ),
        measure(
            "W5b",
            "idle entry (get_or_load per id, cache time infinite, no countdown)",
            idle,
            CacheTime::Infinite,
            false,
        ),
        measure(
            "W5c",
            "idle entry with its countdown queued (get_or_load per id, cache time 60 s)",
            idle,
            minute,
            false,
        ),
    ];
    let mut json = String::from("[\n");
    for (i, row) in rows.iter().enumerate() {
        let overhead = row.bytes - row.baseline;
        println!(
            "memory {:<4} {:>8.1} B/entry ({:.2} allocations), plain HashMap {:>6.1} B/entry, registry overhead {:>6.1} B/entry  [{}; {} entries]",
            row.id, row.bytes, row.allocs, row.baseline, overhead, row.what, row.entries
        );
        let comma = if i + 1 < rows.len() { "," } else { "" };
        writeln!(
            json,
            r#"  {{"id": "{}", "what": "{}", "entries": {}, "bytes_per_entry": {:.1}, "allocations_per_entry": {:.2}, "baseline_bytes_per_entry": {:.1}, "overhead_bytes_per_entry": {:.1}}}{comma}"#,
            row.id, row.what, row.entries, row.bytes, row.allocs, row.baseline, overhead
        )
        .expect("writing to a String cannot fail");
    }
    json.push_str("]\n");
    if let Some(path) = std::env::var_os("REGISTRY_MEMORY_JSON") {
        std::fs::write(&path, json).expect("REGISTRY_MEMORY_JSON names a writable file");
    }
}
