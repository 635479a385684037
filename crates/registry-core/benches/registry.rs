//! Time per operation of the registry on the anchor's workloads (W1-W4, see
//! `../shared/perf-anchor/README.md`), beside the floor (`HashMap::get` + `Rc::clone`) in the
//! same run, and how hits, retain+release and arming idle countdowns scale with the number of
//! live entries (1, 1k, 100k, 1M).
//!
//! `cargo bench -p registry-core --bench registry`; `scripts/perf.sh` runs it beside the anchor
//! and prints the comparison. Every workload runs on `TestRuntime` (virtual clock, local
//! executor), so no real timer or thread is involved, and checks what it measured.

mod support;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use registry_core::test_util::TestRuntime;
use registry_core::{CacheTime, Lookup, RegistryConfig, RetainGuard, StoreOptions, StoreRegistry};

use support::{Options, Registry, Store, counted_options, load, options, registry, spread};

const MINUTE: Duration = Duration::from_secs(60);

fn hit(lookup: Lookup<Store, std::convert::Infallible>) -> Rc<Store> {
    match lookup {
        Lookup::Ready(Ok(store)) => store,
        _ => unreachable!("the entry is loaded"),
    }
}

/// How many live entries W1 and its floor are measured at: the hot id alone, and among 999
/// other retained ids (a page of mounted components).
const W1_SIZES: [usize; 2] = [1, 1_000];

/// W1, W1b and the floor: a cache hit on one id. The floor and W1 at each of [`W1_SIZES`], in
/// the same run, so that each held hit has its floor beside it.
fn hits(c: &mut Criterion) {
    let mut group = c.benchmark_group("hit");

    for size in W1_SIZES {
        let others: Vec<String> = (1..size).map(|i| format!("w1-other-{i}")).collect();

        // The floor: what a hit costs at least (hash the id, find it, bump a reference count).
        let key = "w1".to_string();
        let mut map: HashMap<String, Rc<Store>> = others
            .iter()
            .map(|id| (id.clone(), Rc::new(Store { id: id.clone() })))
            .collect();
        map.insert(key.clone(), Rc::new(Store { id: key.clone() }));
        group.bench_function(BenchmarkId::new("floor", size), |b| {
            b.iter(|| map.get(black_box(&key)).map(Rc::clone));
        });
        drop(map);

        // W1: a loaded id that one long-lived guard holds (a mounted component), beside
        // `size - 1` other retained ids.
        let rt = TestRuntime::new();
        let reg = registry(&rt);
        let guards: Vec<RetainGuard> = others
            .iter()
            .map(|id| reg.retain(&options(id.clone(), MINUTE)))
            .collect();
        let opts = options(key, MINUTE);
        let store = load(&reg, &opts);
        let holder = reg.retain(&opts);
        assert!(Rc::ptr_eq(&hit(reg.get_or_load(&opts)), &store));
        group.bench_function(BenchmarkId::new("W1_retained", size), |b| {
            b.iter(|| hit(reg.get_or_load(black_box(&opts))));
        });
        assert_eq!(reg.snapshot().len(), size);
        assert!(reg.snapshot().iter().all(|entry| entry.holders == 1));
        drop((holder, guards));
    }

    // W1b: a loaded id that nothing holds, cache time 60 s: every hit restarts the countdown.
    let rt = TestRuntime::new();
    let reg = registry(&rt);
    let opts = options("w1b", MINUTE);
    let store = load(&reg, &opts);
    rt.run_until_stalled();
    assert!(Rc::ptr_eq(&hit(reg.get_or_load(&opts)), &store));
    group.bench_function("W1b_idle_60s", |b| {
        b.iter(|| hit(reg.get_or_load(black_box(&opts))));
    });
    rt.run_until_stalled();
    assert_eq!(
        rt.armed_timers(),
        1,
        "one platform timer for the idle countdown"
    );

    // W1b on a real clock: `TokioRuntime::now` reads the monotonic clock on every idle hit
    // (`TestRuntime::now` is a field read).
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread tokio runtime");
    let _tokio = tokio.enter();
    let local = tokio::task::LocalSet::new();
    let _local = local.enter();
    let reg: Registry = StoreRegistry::new(RegistryConfig::default());
    let opts = options("w1b-real", MINUTE);
    let store = load(&reg, &opts);
    assert!(Rc::ptr_eq(&hit(reg.get_or_load(&opts)), &store));
    group.bench_function("W1b_idle_60s_real_clock", |b| {
        b.iter(|| hit(reg.get_or_load(black_box(&opts))));
    });
    reg.dispose();
    group.finish();
}

/// The bound on idle entries: what an idle hit and a retain + release of an idle entry cost
/// with `max_idle_entries` set (against the same without), and the eviction path: loading a
/// fresh id into a registry at its bound, which evicts the least recently used idle entry.
fn idle_bound(c: &mut Criterion) {
    let mut group = c.benchmark_group("idle_bound");
    for (name, max_idle) in [("unbounded", None), ("max_idle_1000", Some(1_000))] {
        let rt = TestRuntime::new();
        let mut config = RegistryConfig::default();
        config.max_idle_entries = max_idle;
        let reg: Registry = StoreRegistry::with_runtime(config, rt.clone());
        for i in 0..999 {
            load(&reg, &options(format!("idle-{i}"), MINUTE));
        }
        let opts = options("idle-hot", MINUTE);
        load(&reg, &opts);
        group.bench_function(BenchmarkId::new("idle_hit", name), |b| {
            b.iter(|| hit(reg.get_or_load(black_box(&opts))));
        });
        group.bench_function(BenchmarkId::new("idle_retain_release", name), |b| {
            b.iter(|| reg.retain(black_box(&opts)).release());
        });
        assert_eq!(reg.snapshot().len(), 1_000, "nothing was evicted");
    }

    // Eviction: every load of a fresh id pushes the least recently used idle entry out.
    let rt = TestRuntime::new();
    let reg: Registry = StoreRegistry::with_runtime(
        RegistryConfig::default()
            .default_unused_cache_time(CacheTime::Infinite)
            .max_idle_entries(1_000),
        rt.clone(),
    );
    let disposed = Rc::new(Cell::new(0));
    for i in 0..1_000 {
        load(
            &reg,
            &counted_options(
                format!("evict-warm-{i}"),
                Duration::from_secs(3600),
                &disposed,
            ),
        );
    }
    let mut next = 0u64;
    group.bench_function("load_and_evict", |b| {
        b.iter_custom(|iters| {
            // Each load of a fresh id evicts one idle store.
            let hour = Duration::from_secs(3600);
            load_batch(&reg, "evict", &mut next, iters, hour, &disposed, || {})
        });
    });
    assert_eq!(reg.snapshot().len(), 1_000);
    group.finish();
}

/// W2: retain + release of an id that a long-lived guard holds (cache time 0, as the anchor).
fn retain_release(c: &mut Criterion) {
    let rt = TestRuntime::new();
    let reg = registry(&rt);
    let opts = options("w2", Duration::ZERO);
    let holder = reg.retain(&opts);
    c.bench_function("W2_retain_release", |b| {
        b.iter(|| reg.retain(black_box(&opts)).release());
    });
    assert_eq!(
        reg.snapshot()[0].holders,
        1,
        "only the long-lived guard is left"
    );
    drop(holder);
    assert!(
        reg.snapshot().is_empty(),
        "cache time 0: disposed at the last release"
    );
}

/// Times `iters` loads of fresh ids (`{prefix}-{n}`, cache time `cache_time`), then
/// `settle` (untimed options: they are made before the clock starts, as the anchor's are), and
/// checks that `iters` stores were disposed by then.
fn load_batch(
    reg: &Registry,
    prefix: &str,
    next: &mut u64,
    iters: u64,
    cache_time: Duration,
    disposed: &Rc<Cell<u64>>,
    settle: impl FnOnce(),
) -> Duration {
    let batch: Vec<Options> = (*next..*next + iters)
        .map(|i| counted_options(format!("{prefix}-{i}"), cache_time, disposed))
        .collect();
    *next += iters;
    let before = disposed.get();
    let start = Instant::now();
    for opts in &batch {
        black_box(hit(reg.get_or_load(opts)));
    }
    settle();
    let elapsed = start.elapsed();
    assert_eq!(disposed.get() - before, iters, "every store was disposed");
    elapsed
}

/// W3 and W3c: `get_or_load` on distinct ids nothing holds: load, go idle, dispose.
fn churn(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_dispose");
    for (name, cache_time) in [
        ("W3_cache_0", Duration::ZERO),
        ("W3c_cache_1ms", Duration::from_millis(1)),
    ] {
        let rt = TestRuntime::new();
        let reg = registry(&rt);
        let disposed = Rc::new(Cell::new(0));
        let mut next = 0u64;
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                load_batch(&reg, "w3", &mut next, iters, cache_time, &disposed, || {
                    if !cache_time.is_zero() {
                        // The countdowns run out: the one timer fires and disposes them all.
                        rt.advance(cache_time);
                    }
                })
            });
        });
        assert!(reg.snapshot().is_empty());
    }
    group.finish();
}

/// A restart of an entry that one long-lived guard holds, with a loader that is ready at once
/// and registers a teardown: the old instance's teardown runs, the new one loads. Beside W3
/// (load + dispose at cache time 0) in the same run.
fn restart(c: &mut Criterion) {
    let rt = TestRuntime::new();
    let reg = registry(&rt);
    let disposed = Rc::new(Cell::new(0));
    let opts = counted_options("restart".to_owned(), Duration::ZERO, &disposed);
    let holder = reg.retain(&opts);
    let restarts = Cell::new(0_u64);
    c.bench_function("restart_held_sync", |b| {
        b.iter(|| {
            assert!(reg.restart(black_box(&opts)));
            restarts.set(restarts.get() + 1);
        });
    });
    // (None ran when a filter left this bench out.)
    assert_eq!(
        disposed.get(),
        restarts.get(),
        "every restart tore the old instance down"
    );
    assert_eq!(reg.snapshot()[0].holders, 1, "the guard still holds it");
    drop(holder);
    assert!(reg.snapshot().is_empty());
}

/// A load that waits until the gate opens (the anchor's W4 lookup waiting on a promise).
#[derive(Default)]
struct Gate {
    open: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Gate {
    fn open(&self) {
        self.open.set(true);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

struct GateOpen(Rc<Gate>);

impl Future for GateOpen {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.open.get() {
            return Poll::Ready(());
        }
        *self.0.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// How many callers wait on one load in W4.
const WAITERS: usize = 10_000;

/// W4: 10,000 concurrent callers of one load. One iteration is one load with all its waiters:
/// `issue` = the 10,000 `get_or_load` calls, each future polled once (registered as a waiter,
/// as `.await` does); `resolve` = the loader finishes, every waiter is woken and polled to the
/// same store, and the entry (cache time 0) is disposed. Divide by 10,000 for a waiter.
fn dedup(c: &mut Criterion) {
    let mut group = c.benchmark_group("W4_10000_waiters");
    let rt = TestRuntime::new();
    let reg = registry(&rt);
    let loads = Rc::new(Cell::new(0u32));
    let mut rep = 0u64;
    let mut one_load = |issue: &mut Duration, resolve: &mut Duration| {
        let gate = Rc::new(Gate::default());
        let opened = Rc::clone(&gate);
        let counter = Rc::clone(&loads);
        let opts = StoreOptions::new(format!("w4-{rep}"), move |ctx| {
            counter.set(counter.get() + 1);
            let opened = GateOpen(Rc::clone(&opened));
            async move {
                opened.await;
                Ok::<_, Infallible>(Store {
                    id: ctx.store_id().clone(),
                })
            }
        })
        .unused_cache_time(Duration::ZERO);
        rep += 1;
        let before = loads.get();
        let mut waiters = Vec::with_capacity(WAITERS);
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);

        let start = Instant::now();
        for _ in 0..WAITERS {
            let Lookup::Pending(mut future) = reg.get_or_load(&opts) else {
                unreachable!("the load is in flight")
            };
            assert!(Pin::new(&mut future).poll(&mut cx).is_pending());
            waiters.push(future);
        }
        *issue += start.elapsed();
        assert_eq!(loads.get() - before, 1, "the loader ran once");

        let start = Instant::now();
        gate.open();
        rt.run_until_stalled();
        let mut first: Option<Rc<Store>> = None;
        for future in &mut waiters {
            let Poll::Ready(Ok(store)) = Pin::new(future).poll(&mut cx) else {
                unreachable!("the load settled")
            };
            let first = first.get_or_insert_with(|| Rc::clone(&store));
            assert!(Rc::ptr_eq(first, &store));
        }
        drop(waiters);
        *resolve += start.elapsed();
        assert!(reg.snapshot().is_empty(), "disposed once the load let go");
    };
    group.bench_function("issue", |b| {
        b.iter_custom(|iters| {
            let (mut issue, mut resolve) = (Duration::ZERO, Duration::ZERO);
            (0..iters).for_each(|_| one_load(&mut issue, &mut resolve));
            issue
        });
    });
    group.bench_function("resolve", |b| {
        b.iter_custom(|iters| {
            let (mut issue, mut resolve) = (Duration::ZERO, Duration::ZERO);
            (0..iters).for_each(|_| one_load(&mut issue, &mut resolve));
            resolve
        });
    });
    group.finish();
}

/// The live entries of the scaling runs.
const SIZES: [usize; 4] = [1, 1_000, 100_000, 1_000_000];
/// How many distinct ids the scaling runs hit in turn (spread over all entries): the hot set of
/// an app, while the table around it grows.
const PROBES: usize = 1_024;

/// Hits and retain+release with 1 to 1M live (retained) entries, beside the floor at the same
/// sizes (`hit`/`floor`: 1,024 ids spread over the table in turn; `hit_hot`/`floor_hot`: one id); and arming idle countdowns (releasing entries with a finite cache time) while 1 to 1M
/// other countdowns are queued, with one platform timer throughout.
fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    group.sample_size(20);
    for &size in &SIZES {
        let ids: Vec<String> = (0..size).map(|i| format!("store-{i}")).collect();
        let probes: Vec<Options> = spread(PROBES, size)
            .into_iter()
            .map(|i| options(ids[i].clone(), MINUTE))
            .collect();

        let map: HashMap<String, Rc<Store>> = ids
            .iter()
            .map(|id| (id.clone(), Rc::new(Store { id: id.clone() })))
            .collect();
        let hot = &probes[0];
        group.bench_function(BenchmarkId::new("floor_hot", size), |b| {
            b.iter(|| map.get(black_box(hot.store_id())).map(Rc::clone));
        });
        let mut turn = 0;
        group.bench_function(BenchmarkId::new("floor", size), |b| {
            b.iter(|| {
                turn = (turn + 1) % PROBES;
                map.get(probes[turn].store_id()).map(Rc::clone)
            });
        });
        drop(map);

        let rt = TestRuntime::new();
        let reg = registry(&rt);
        let guards: Vec<RetainGuard> = ids
            .iter()
            .map(|id| reg.retain(&options(id.clone(), MINUTE)))
            .collect();
        group.bench_function(BenchmarkId::new("hit_hot", size), |b| {
            b.iter(|| hit(reg.get_or_load(black_box(hot))));
        });
        group.bench_function(BenchmarkId::new("hit", size), |b| {
            b.iter(|| {
                turn = (turn + 1) % PROBES;
                hit(reg.get_or_load(&probes[turn]))
            });
        });
        group.bench_function(BenchmarkId::new("retain_release", size), |b| {
            b.iter(|| {
                turn = (turn + 1) % PROBES;
                reg.retain(&probes[turn]).release();
            });
        });
        assert_eq!(reg.snapshot().len(), size);
        drop(guards);
        rt.run_until_stalled();
        assert_eq!(rt.armed_timers(), 1, "{size} idle countdowns, one timer");
        drop(reg);

        // `size` countdowns of an hour are queued; each sample releases fresh entries with a
        // cache time of a second (their deadlines come first: the worst case of a heap push),
        // then lets them expire outside the timing.
        let rt = TestRuntime::new();
        let reg = registry(&rt);
        for id in &ids {
            load(&reg, &options(id.clone(), Duration::from_secs(3_600)));
        }
        let mut fresh = 0u64;
        group.bench_function(BenchmarkId::new("arm_idle_countdown", size), |b| {
            b.iter_custom(|iters| {
                let guards: Vec<RetainGuard> = (fresh..fresh + iters)
                    .map(|i| reg.retain(&options(format!("fresh-{i}"), Duration::from_secs(1))))
                    .collect();
                fresh += iters;
                let start = Instant::now();
                for guard in guards {
                    guard.release();
                }
                let elapsed = start.elapsed();
                rt.run_until_stalled();
                assert_eq!(rt.armed_timers(), 1, "one platform timer");
                rt.advance(Duration::from_secs(1));
                elapsed
            });
        });
        assert_eq!(reg.snapshot().len(), size, "only the fresh entries expired");
        // (Also when a filter skipped the workload: the timer task runs here then.)
        rt.run_until_stalled();
        assert_eq!(rt.armed_timers(), 1);
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1_500))
        .sample_size(30)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = hits, retain_release, churn, restart, dedup, scaling, idle_bound
}
criterion_main!(benches);
