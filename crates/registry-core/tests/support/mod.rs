//! The fixture shared by the behaviour tests: a test store, a counting loader whose timing and
//! outcome each test picks, and small helpers that unwrap a [`Lookup`] with a useful message.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixture"
)]

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use registry_core::test_util::TestRuntime;
use registry_core::{
    CacheTime, EntrySnapshot, LoadContext, LoadFuture, Lookup, RegistryConfig, RegistryError,
    Runtime, StoreOptions, StoreRegistry,
};

/// The browser's `setTimeout` limit (2^31 - 1 ms): the longest sleep the registry may ask for.
pub const MAX_SLEEP: Duration = Duration::from_millis(i32::MAX as u64);

/// The registry every test uses unless it needs another store type.
pub type Registry = StoreRegistry<String>;
/// Options for [`Registry`].
pub type Options = StoreOptions<String, TestStore, TestError>;

/// A store: which id it was loaded for, and by which load of its loader.
#[derive(Debug, PartialEq, Eq)]
pub struct TestStore {
    pub id: String,
    /// 1 for the loader's first load, 2 for its second, ...
    pub load: usize,
}

/// What a failing loader returns.
#[derive(Debug, PartialEq, Eq)]
pub struct TestError {
    pub id: String,
    pub load: usize,
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "load {} of {} failed", self.load, self.id)
    }
}

impl Error for TestError {}

/// A registry on `rt` whose stores, unless their options say otherwise, use `cache_time`.
///
/// Every test names its cache time: the default differs between native targets and wasm32.
pub fn registry(rt: &TestRuntime, cache_time: impl Into<CacheTime>) -> Registry {
    StoreRegistry::with_runtime(
        RegistryConfig::default().default_unused_cache_time(cache_time),
        rt.clone(),
    )
}

/// A [`TestRuntime`] that holds the registry to the browser's `setTimeout` limit: asking for a
/// sleep longer than [`MAX_SLEEP`] (2^31 - 1 ms), which a browser would fire at once, panics
/// (the registry must chain shorter sleeps). Also records the longest sleep asked for.
#[derive(Clone)]
pub struct SetTimeoutRuntime {
    rt: TestRuntime,
    longest_sleep: Rc<Cell<Duration>>,
}

impl SetTimeoutRuntime {
    /// Sleeps, tasks and the clock of `rt`.
    pub fn new(rt: &TestRuntime) -> Self {
        Self {
            rt: rt.clone(),
            longest_sleep: Rc::new(Cell::new(Duration::ZERO)),
        }
    }

    /// The longest sleep asked for so far.
    pub fn longest_sleep(&self) -> Duration {
        self.longest_sleep.get()
    }
}

impl Runtime for SetTimeoutRuntime {
    fn spawn_local(&self, task: LocalBoxFuture<'static, ()>) {
        self.rt.spawn_local(task);
    }

    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        self.longest_sleep
            .set(self.longest_sleep.get().max(duration));
        assert!(
            duration <= MAX_SLEEP,
            "the registry asked for a {duration:?} sleep, longer than setTimeout can take"
        );
        self.rt.sleep(duration)
    }

    fn now(&self) -> Duration {
        self.rt.now()
    }
}

/// A registry on `rt` through a [`SetTimeoutRuntime`], which it returns too.
pub fn set_timeout_registry(
    rt: &TestRuntime,
    cache_time: impl Into<CacheTime>,
) -> (Registry, SetTimeoutRuntime) {
    let runtime = SetTimeoutRuntime::new(rt);
    let registry = StoreRegistry::with_runtime(
        RegistryConfig::default().default_unused_cache_time(cache_time),
        runtime.clone(),
    );
    (registry, runtime)
}

/// How a [`TestLoader`]'s future runs before it settles.
#[derive(Clone, Copy, Debug)]
enum Timing {
    /// Ready on its first poll.
    Immediate,
    /// Ready after this long on the runtime's virtual clock.
    After(Duration),
    /// Never ready.
    Never,
}

/// What a [`TestLoader`] has seen, shared by its clones.
#[derive(Debug, Default)]
struct Counts {
    loads: Cell<usize>,
    disposals: Cell<usize>,
    abandoned: Cell<usize>,
    cancellations_seen: Cell<usize>,
}

/// A loader that counts its calls, its `on_dispose` callbacks and its futures dropped before
/// they finished. Cheap to clone; clones share the counts and the failing switch.
#[derive(Clone)]
pub struct TestLoader {
    rt: TestRuntime,
    timing: Timing,
    failing: Rc<Cell<bool>>,
    watch_cancelled: bool,
    counts: Rc<Counts>,
}

impl TestLoader {
    /// A loader whose future succeeds on its first poll (a "synchronous" loader).
    pub fn new(rt: &TestRuntime) -> Self {
        Self {
            rt: rt.clone(),
            timing: Timing::Immediate,
            failing: Rc::new(Cell::new(false)),
            watch_cancelled: false,
            counts: Rc::new(Counts::default()),
        }
    }

    /// Settles `delay` after it is called, on the virtual clock.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.timing = Timing::After(delay);
        self
    }

    /// Never settles.
    pub fn never_finishing(mut self) -> Self {
        self.timing = Timing::Never;
        self
    }

    /// Fails instead of succeeding.
    pub fn failing(self) -> Self {
        self.set_failing(true);
        self
    }

    /// Whether loads started from now on fail.
    pub fn set_failing(&self, failing: bool) {
        self.failing.set(failing);
    }

    /// Spawns, for each load, a task that counts when `LoadContext::cancelled()` resolves.
    pub fn watching_cancelled(mut self) -> Self {
        self.watch_cancelled = true;
        self
    }

    /// How many times the loader was called.
    pub fn loads(&self) -> usize {
        self.counts.loads.get()
    }

    /// How many `on_dispose` callbacks ran (one is registered per load).
    pub fn disposals(&self) -> usize {
        self.counts.disposals.get()
    }

    /// How many loader futures were dropped before they finished.
    pub fn abandoned(&self) -> usize {
        self.counts.abandoned.get()
    }

    /// How many `LoadContext::cancelled()` futures resolved (see [`Self::watching_cancelled`]).
    pub fn cancellations_seen(&self) -> usize {
        self.counts.cancellations_seen.get()
    }

    /// Options for `id` with this loader and the registry's default cache time.
    pub fn options(&self, id: &str) -> Options {
        let loader = self.clone();
        StoreOptions::new(id.to_owned(), move |ctx: LoadContext<String>| {
            loader.load(&ctx)
        })
    }

    /// Options for `id` with this loader and `cache_time`.
    pub fn options_with(&self, id: &str, cache_time: impl Into<CacheTime>) -> Options {
        self.options(id).unused_cache_time(cache_time)
    }

    fn load(
        &self,
        ctx: &LoadContext<String>,
    ) -> impl Future<Output = Result<TestStore, TestError>> + use<> {
        let counts = Rc::clone(&self.counts);
        counts.loads.set(counts.loads.get() + 1);
        let load = counts.loads.get();
        let id = ctx.store_id().clone();

        let on_dispose = Rc::clone(&counts);
        ctx.on_dispose(move || on_dispose.disposals.set(on_dispose.disposals.get() + 1));
        if self.watch_cancelled {
            let cancelled = ctx.cancelled();
            let seen = Rc::clone(&counts);
            self.rt.spawn_local(Box::pin(async move {
                cancelled.await;
                seen.cancellations_seen
                    .set(seen.cancellations_seen.get() + 1);
            }));
        }

        let timing = self.timing;
        let sleep = match timing {
            Timing::After(delay) => Some(self.rt.sleep(delay)),
            Timing::Immediate | Timing::Never => None,
        };
        let failing = self.failing.get();
        let unfinished = Unfinished(Some(Rc::clone(&counts)));
        async move {
            if let Timing::Never = timing {
                std::future::pending::<()>().await;
            }
            if let Some(sleep) = sleep {
                sleep.await;
            }
            unfinished.finish();
            if failing {
                Err(TestError { id, load })
            } else {
                Ok(TestStore { id, load })
            }
        }
    }
}

/// Counts a loader future dropped before it finished.
struct Unfinished(Option<Rc<Counts>>);

impl Unfinished {
    fn finish(mut self) {
        self.0 = None;
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(counts) = self.0.take() {
            counts.abandoned.set(counts.abandoned.get() + 1);
        }
    }
}

/// The store of a lookup that must be `Ready(Ok(_))`.
#[track_caller]
pub fn ready_store<S, E: fmt::Debug>(lookup: Lookup<S, E>) -> Rc<S> {
    match lookup {
        Lookup::Ready(Ok(store)) => store,
        other => panic!("expected Ready(Ok(store)), got {other:?}"),
    }
}

/// The error of a lookup that must be `Ready(Err(_))`.
#[track_caller]
pub fn ready_error<S, E: fmt::Debug>(lookup: Lookup<S, E>) -> RegistryError<E> {
    match lookup {
        Lookup::Ready(Err(error)) => error,
        other => panic!("expected Ready(Err(error)), got {other:?}"),
    }
}

/// The future of a lookup that must be `Pending`.
#[track_caller]
pub fn pending<S, E: fmt::Debug>(lookup: Lookup<S, E>) -> LoadFuture<S, E> {
    match lookup {
        Lookup::Pending(future) => future,
        other => panic!("expected Pending(future), got {other:?}"),
    }
}

/// The loader's error inside a `RegistryError::Load`.
#[track_caller]
pub fn load_error<E: fmt::Debug>(error: RegistryError<E>) -> Arc<E> {
    match error.load_error() {
        Some(error) => Arc::clone(error),
        None => panic!("expected RegistryError::Load(_), got {error:?}"),
    }
}

/// The output of a future that must already be ready, polled once without a runtime.
#[track_caller]
pub fn resolved<F: Future>(future: F) -> F::Output {
    match future.now_or_never() {
        Some(output) => output,
        None => panic!("expected the future to be ready"),
    }
}

/// Whether a future is still pending, polled once without a runtime.
pub fn still_pending<F: Future + Unpin>(future: &mut F) -> bool {
    future.now_or_never().is_none()
}

/// The snapshot of `id`'s entry, if it has one.
pub fn entry(registry: &StoreRegistry<String>, id: &str) -> Option<EntrySnapshot<String>> {
    registry
        .snapshot()
        .into_iter()
        .find(|entry| entry.store_id == id)
}

/// The snapshot of `id`'s entry, which must exist.
#[track_caller]
pub fn live_entry(registry: &StoreRegistry<String>, id: &str) -> EntrySnapshot<String> {
    match entry(registry, id) {
        Some(entry) => entry,
        None => panic!("expected an entry for {id:?}"),
    }
}

/// Milliseconds, for brevity.
pub const fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Seconds, for brevity.
pub const fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// Options whose loader keeps its `LoadContext` in the returned slot (to register teardown
/// after the entry ended) and loads at once.
pub fn options_keeping_context(id: &str) -> (Options, Rc<RefCell<Option<LoadContext<String>>>>) {
    let kept: Rc<RefCell<Option<LoadContext<String>>>> = Rc::default();
    let slot = Rc::clone(&kept);
    let options = Options::new(id.to_owned(), move |ctx: LoadContext<String>| {
        let id = ctx.store_id().clone();
        *slot.borrow_mut() = Some(ctx);
        async move { Ok(TestStore { id, load: 1 }) }
    });
    (options, kept)
}
