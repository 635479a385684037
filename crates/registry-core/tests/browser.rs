//! The registry on the real [`BrowserRuntime`] in headless Chromium: `setTimeout`,
//! `performance.now()` and the browser's event loop, with short real cache times.
//!
//! Each test waits real time only where the event loop is the point, and polls with a generous
//! upper bound instead of sleeping an exact amount. Lower bounds are strict: the registry must
//! never dispose a store before its cache time has passed on `performance.now()`.
//!
//! Run with `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test
//! --target wasm32-unknown-unknown -p registry-core --test browser` (see `scripts/test.sh`).
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::future::{Either, join_all, select};
use gloo_timers::future::TimeoutFuture;
use registry_core::{
    BrowserRuntime, CacheTime, DEFAULT_BROWSER_CACHE_TIME, EntryState, LoadContext, Lookup,
    RegistryConfig, RegistryError, Runtime, StoreOptions, StoreRegistry,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// How long a poll waits for something the registry must do "soon" before the test fails.
/// Far above the cache times used here, so a loaded CI machine does not fail a test.
const PATIENCE: Duration = Duration::from_secs(5);
/// The browser's `setTimeout` limit (2^31 - 1 ms): the longest sleep the registry may ask for.
const MAX_SLEEP: Duration = Duration::from_millis(i32::MAX as u64);

#[derive(Debug)]
struct Doc {
    id: String,
}

type Registry = StoreRegistry<String>;
type Counter = Rc<Cell<usize>>;

/// Loads and disposals of the stores a test's options load.
#[derive(Clone, Default)]
struct Probe {
    loads: Counter,
    disposals: Counter,
}

impl Probe {
    fn loads(&self) -> usize {
        self.loads.get()
    }

    fn disposals(&self) -> usize {
        self.disposals.get()
    }

    /// Options for `id` whose loader counts itself, registers a counted teardown and takes
    /// `load_ms` of real time (`0`: ready on its first poll).
    fn options(
        &self,
        id: &str,
        cache_time: impl Into<CacheTime>,
        load_ms: u32,
    ) -> StoreOptions<String, Doc, String> {
        let probe = self.clone();
        StoreOptions::new(id.to_string(), move |ctx: LoadContext<String>| {
            let probe = probe.clone();
            async move {
                probe.loads.set(probe.loads.get() + 1);
                let disposals = probe.disposals.clone();
                ctx.on_dispose(move || disposals.set(disposals.get() + 1));
                if load_ms > 0 {
                    sleep_ms(load_ms).await;
                }
                Ok(Doc {
                    id: ctx.store_id().clone(),
                })
            }
        })
        .unused_cache_time(cache_time)
    }
}

fn registry() -> Registry {
    StoreRegistry::new(RegistryConfig::default())
}

fn now() -> Duration {
    BrowserRuntime.now()
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

async fn sleep_ms(millis: u32) {
    TimeoutFuture::new(millis).await;
}

/// Polls `done` every couple of milliseconds; returns the `performance.now()` at which it was
/// first seen true. Fails the test after [`PATIENCE`].
async fn poll_until(what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let start = now();
    loop {
        let seen = now();
        if done() {
            return seen;
        }
        assert!(
            seen.saturating_sub(start) < PATIENCE,
            "gave up after {PATIENCE:?} waiting for {what}"
        );
        sleep_ms(2).await;
    }
}

fn state_of(registry: &Registry, id: &str) -> Option<EntryState> {
    registry
        .snapshot()
        .into_iter()
        .find(|entry| entry.store_id == id)
        .map(|entry| entry.state)
}

#[wasm_bindgen_test]
fn the_default_cache_time_in_a_browser_is_sixty_seconds() {
    assert_eq!(DEFAULT_BROWSER_CACHE_TIME, Duration::from_secs(60));
    let registry = registry();
    assert_eq!(
        registry.config().default_unused_cache_time,
        CacheTime::Finite(Duration::from_secs(60))
    );
}

#[wasm_bindgen_test]
async fn a_store_without_a_cache_time_counts_down_from_sixty_seconds() {
    let registry = registry();
    let options = StoreOptions::new("doc".to_string(), |ctx: LoadContext<String>| async move {
        Ok::<_, String>(Doc {
            id: ctx.store_id().clone(),
        })
    });
    let store = registry
        .get_or_load(&options)
        .await
        .expect("the store loads");
    assert_eq!(store.id, "doc");
    let snapshot = registry.snapshot();
    assert_eq!(snapshot.len(), 1);
    let disposes_in = snapshot[0].disposes_in.expect("an idle store counts down");
    assert!(
        disposes_in <= Duration::from_secs(60) && disposes_in > Duration::from_secs(59),
        "disposes in {disposes_in:?}"
    );
    registry.dispose();
}

#[wasm_bindgen_test]
async fn an_unused_store_is_disposed_after_its_cache_time_of_real_time() {
    let registry = registry();
    let probe = Probe::default();
    let options = probe.options("doc", ms(20), 0);

    let before = now();
    let store = registry
        .get_or_load(&options)
        .await
        .expect("the store loads");
    assert_eq!(store.id, "doc");
    let snapshot = registry.snapshot();
    assert_eq!(snapshot.len(), 1);
    let disposes_in = snapshot[0].disposes_in.expect("an idle store counts down");
    assert!(disposes_in <= ms(20), "disposes in {disposes_in:?}");

    let disposed_at = poll_until("the store's disposal", || probe.disposals() == 1).await;
    assert!(
        disposed_at - before >= ms(20),
        "disposed {:?} after it went idle, before its 20 ms cache time",
        disposed_at - before
    );
    assert!(registry.snapshot().is_empty());
    assert_eq!(probe.loads(), 1);
    // The registry dropped its `Rc`: this is the last one.
    assert_eq!(Rc::strong_count(&store), 1);

    // The next call loads afresh.
    let again = registry.get_or_load(&options).await.expect("reloads");
    assert!(!Rc::ptr_eq(&store, &again));
    assert_eq!(probe.loads(), 2);
    registry.dispose();
    assert_eq!(probe.disposals(), 2);
}

#[wasm_bindgen_test]
async fn a_retain_during_the_countdown_keeps_the_store() {
    let registry = registry();
    let probe = Probe::default();
    let options = probe.options("doc", ms(100), 0);

    let store = registry
        .get_or_load(&options)
        .await
        .expect("the store loads");
    sleep_ms(5).await;
    assert!(
        registry.snapshot()[0].disposes_in.is_some(),
        "the countdown runs when the retain comes"
    );
    let guard = registry.retain(&options);
    // Well past the deadline of the countdown that the retain cancelled.
    sleep_ms(150).await;
    assert_eq!(probe.disposals(), 0, "disposed while retained");
    let snapshot = registry.snapshot();
    assert_eq!(snapshot.len(), 1);
    assert_eq!((snapshot[0].holders, snapshot[0].disposes_in), (1, None));
    assert!(matches!(
        registry.get_or_load(&options),
        Lookup::Ready(Ok(same)) if Rc::ptr_eq(&same, &store)
    ));

    // The release starts a fresh countdown.
    let released = now();
    guard.release();
    let disposed_at = poll_until("the store's disposal", || probe.disposals() == 1).await;
    assert!(disposed_at - released >= ms(100));
    assert!(registry.snapshot().is_empty());
    assert_eq!(probe.loads(), 1);
}

#[wasm_bindgen_test]
async fn a_hit_restarts_the_countdown() {
    let registry = registry();
    let probe = Probe::default();
    let options = probe.options("doc", ms(100), 0);

    let _store = registry
        .get_or_load(&options)
        .await
        .expect("the store loads");
    sleep_ms(50).await;
    let hit = now();
    assert!(registry.get_or_load(&options).is_ready());
    assert_eq!(probe.disposals(), 0, "disposed before the hit");
    let disposed_at = poll_until("the store's disposal", || probe.disposals() == 1).await;
    assert_eq!(probe.loads(), 1, "the hit came after the disposal");
    assert!(
        disposed_at - hit >= ms(100),
        "disposed {:?} after the hit",
        disposed_at - hit
    );
}

#[wasm_bindgen_test]
async fn concurrent_awaiters_share_one_load_pending_on_a_real_timer() {
    let registry = registry();
    let probe = Probe::default();
    let options = probe.options("doc", CacheTime::Infinite, 30);

    let started = now();
    let lookups: Vec<_> = (0..3).map(|_| registry.get_or_load(&options)).collect();
    assert!(lookups.iter().all(|lookup| !lookup.is_ready()));
    let guard = registry.retain(&options);
    let preload = registry.preload(&options);
    assert_eq!(probe.loads(), 1);
    assert_eq!(state_of(&registry, "doc"), Some(EntryState::Loading));

    let results = join_all(lookups.into_iter().map(|lookup| lookup.into_future())).await;
    assert!(now() - started >= ms(30), "the load took its 30 ms");
    preload.await;
    let stores: Vec<Rc<Doc>> = results
        .into_iter()
        .map(|result| result.expect("the store loads"))
        .collect();
    assert!(stores.iter().all(|store| Rc::ptr_eq(store, &stores[0])));
    assert_eq!(probe.loads(), 1);
    assert_eq!(state_of(&registry, "doc"), Some(EntryState::Ready));
    assert!(matches!(
        registry.get_or_load(&options),
        Lookup::Ready(Ok(same)) if Rc::ptr_eq(&same, &stores[0])
    ));
    guard.release();
    registry.dispose();
    assert_eq!(probe.disposals(), 1);
}

#[wasm_bindgen_test]
async fn an_earlier_deadline_rearms_the_timer() {
    let registry = registry();
    let probe_slow = Probe::default();
    let probe_fast = Probe::default();
    let slow = probe_slow.options("slow", ms(1_000), 0);
    let fast = probe_fast.options("fast", ms(20), 0);

    // The timer task first sleeps towards the 1 s deadline, then must wake for the 20 ms one.
    let start = now();
    let _slow = registry.get_or_load(&slow).await.expect("loads");
    sleep_ms(5).await;
    let _fast = registry.get_or_load(&fast).await.expect("loads");

    let fast_gone = poll_until("the 20 ms store's disposal", || probe_fast.disposals() == 1).await;
    assert!(
        fast_gone - start < ms(500),
        "the 20 ms store waited for the 1 s timer: disposed after {:?}",
        fast_gone - start
    );
    assert_eq!(probe_slow.disposals(), 0);
    assert_eq!(state_of(&registry, "slow"), Some(EntryState::Ready));

    // And the timer re-arms for the later deadline once the earlier one has fired.
    let slow_gone = poll_until("the 1 s store's disposal", || probe_slow.disposals() == 1).await;
    assert!(
        slow_gone - start >= ms(1_000),
        "disposed after {:?}",
        slow_gone - start
    );
    assert!(registry.snapshot().is_empty());
}

#[wasm_bindgen_test]
async fn a_load_whose_entry_is_disposed_is_cancelled() {
    let registry = registry();
    let probe = Probe::default();
    let cancelled = Rc::new(Cell::new(false));
    let seen = cancelled.clone();
    let options = StoreOptions::new("doc".to_string(), move |ctx: LoadContext<String>| {
        let seen = seen.clone();
        let probe = probe.clone();
        async move {
            probe.loads.set(probe.loads.get() + 1);
            let watch = ctx.cancelled();
            wasm_bindgen_futures::spawn_local(async move {
                watch.await;
                seen.set(true);
            });
            sleep_ms(2_000).await;
            Err::<Doc, _>("never finishes in time".to_string())
        }
    })
    .unused_cache_time(ms(10));

    // Only the guard holds the entry: released while loading, the load is cancelled 10 ms later.
    let started = now();
    let (guard, lookup) = registry.retain_and_get(&options);
    guard.release();
    let result = lookup.await;
    assert!(
        matches!(result, Err(RegistryError::Cancelled)),
        "got {result:?}"
    );
    let elapsed = now() - started;
    assert!(
        elapsed >= ms(10) && elapsed < ms(1_000),
        "cancelled after {elapsed:?}"
    );
    poll_until("LoadContext::cancelled", || cancelled.get()).await;
    assert!(registry.snapshot().is_empty());
}

#[wasm_bindgen_test]
async fn disposing_the_registry_stops_loads_and_timers() {
    let registry = registry();
    let probe = Probe::default();
    let idle = probe.options("idle", ms(20), 0);
    let loading = probe.options("loading", ms(2_000), 500);

    let _idle = registry.get_or_load(&idle).await.expect("loads");
    let pending = registry.get_or_load(&loading);
    assert!(!pending.is_ready());

    registry.dispose();
    assert!(registry.is_disposed());
    assert_eq!(probe.disposals(), 2);
    assert!(matches!(pending.await, Err(RegistryError::Disposed)));
    // Past the idle store's deadline and the load's timer: nothing fires twice.
    sleep_ms(60).await;
    assert_eq!(probe.disposals(), 2);
    assert!(matches!(
        registry.get_or_load(&idle),
        Lookup::Ready(Err(RegistryError::Disposed))
    ));
    assert!(registry.retain(&idle).is_inert());
}

#[wasm_bindgen_test]
async fn dropping_the_last_handle_disposes_every_store() {
    let registry = registry();
    let probe = Probe::default();
    let options = probe.options("doc", ms(20), 0);
    let _store = registry.get_or_load(&options).await.expect("loads");
    let guard = registry.retain(&options);
    drop(registry);
    assert_eq!(probe.disposals(), 1);
    // The timer task and the guard hold the registry weakly: both are harmless now.
    guard.release();
    sleep_ms(40).await;
    assert_eq!(probe.disposals(), 1);
}

#[wasm_bindgen_test]
async fn a_teardown_run_by_the_timer_may_call_back_into_the_registry() {
    let registry = registry();
    let probe = Probe::default();
    let doc = probe.options("doc", CacheTime::Infinite, 0);
    let first = registry.get_or_load(&doc).await.expect("loads");

    // The sibling's teardown runs inside the timer task when its 10 ms are up, and retains and
    // reads "doc" from there.
    let kept = Rc::new(Cell::new(None));
    let hit = Rc::new(Cell::new(false));
    let sibling = {
        let (handle, doc, kept, hit) = (registry.clone(), doc.clone(), kept.clone(), hit.clone());
        StoreOptions::new("sibling".to_string(), move |ctx: LoadContext<String>| {
            let (handle, doc, kept, hit) = (handle.clone(), doc.clone(), kept.clone(), hit.clone());
            async move {
                ctx.on_dispose(move || {
                    kept.set(Some(handle.retain(&doc)));
                    hit.set(handle.get_or_load(&doc).is_ready());
                });
                Ok::<_, String>(Doc {
                    id: ctx.store_id().clone(),
                })
            }
        })
        .unused_cache_time(ms(10))
    };
    let _sibling = registry.get_or_load(&sibling).await.expect("loads");
    poll_until("the sibling's teardown", || hit.get()).await;

    assert_eq!(state_of(&registry, "sibling"), None);
    let snapshot = registry.snapshot();
    assert_eq!(snapshot.len(), 1);
    assert_eq!(
        (snapshot[0].state, snapshot[0].holders),
        (EntryState::Ready, 1)
    );
    let guard = kept.take().expect("the teardown retained the store");
    assert!(!guard.is_inert());
    assert!(matches!(
        registry.get_or_load(&doc),
        Lookup::Ready(Ok(same)) if Rc::ptr_eq(&same, &first)
    ));
    assert_eq!(probe.loads(), 1);
    guard.release();
    registry.dispose();
    assert_eq!(probe.disposals(), 1);
}

#[wasm_bindgen_test]
async fn a_cache_time_beyond_the_set_timeout_limit_does_not_fire_early() {
    let registry = registry();
    let probe = Probe::default();
    let thirty_days = Duration::from_secs(30 * 24 * 60 * 60);
    assert!(thirty_days > MAX_SLEEP);
    let options = probe.options("doc", thirty_days, 0);

    let _store = registry.get_or_load(&options).await.expect("loads");
    let disposes_in = registry.snapshot()[0]
        .disposes_in
        .expect("an idle store counts down");
    assert!(disposes_in > thirty_days - Duration::from_secs(1));
    // A plain `setTimeout(f, 30 days)` fires at once: the registry must chain its sleeps.
    sleep_ms(50).await;
    assert_eq!(probe.disposals(), 0);
    assert_eq!(state_of(&registry, "doc"), Some(EntryState::Ready));
    registry.dispose();
    assert_eq!(probe.disposals(), 1);
}

#[wasm_bindgen_test]
async fn browser_clock_is_monotonic() {
    let mut last = now();
    for _ in 0..20 {
        sleep_ms(1).await;
        let next = now();
        assert!(
            next >= last,
            "performance.now() went back: {last:?} -> {next:?}"
        );
        last = next;
    }
    for _ in 0..1_000 {
        let next = now();
        assert!(next >= last);
        last = next;
    }
}

#[wasm_bindgen_test]
async fn browser_sleep_never_completes_early() {
    for wanted in [ms(30), Duration::from_micros(12_500), ms(1)] {
        let start = now();
        BrowserRuntime.sleep(wanted).await;
        let slept = now() - start;
        assert!(slept >= wanted, "asked for {wanted:?}, slept {slept:?}");
    }
    // A zero sleep completes without a timer.
    let start = now();
    BrowserRuntime.sleep(Duration::ZERO).await;
    assert!(now() - start < ms(1_000));
}

#[wasm_bindgen_test]
async fn browser_sleep_beyond_the_set_timeout_limit_is_chained_not_fired_at_once() {
    // `setTimeout` with more than 2^31 - 1 ms fires immediately; the runtime must chunk it.
    for long in [
        MAX_SLEEP,
        MAX_SLEEP + ms(1),
        MAX_SLEEP * 3,
        Duration::from_secs(u64::MAX / 4),
    ] {
        let sleep = BrowserRuntime.sleep(long);
        let short = sleep_ms(50);
        match select(sleep, Box::pin(short)).await {
            Either::Left(((), _)) => panic!("a sleep of {long:?} completed within 50 ms"),
            // Dropping the long sleep cancels its timer.
            Either::Right(((), sleep)) => drop(sleep),
        }
    }
}

/// Makes the document report `hidden` (an own property shadowing the prototype's getter, which
/// a page cannot set) and fires a real `visibilitychange` event.
fn set_document_hidden(hidden: bool) {
    let script = if hidden {
        "Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }); \
         document.dispatchEvent(new Event('visibilitychange'));"
    } else {
        "delete document.hidden; document.dispatchEvent(new Event('visibilitychange'));"
    };
    js_sys::Function::new_no_args(script)
        .call0(&wasm_bindgen::JsValue::NULL)
        .expect("the visibility script runs");
}

#[wasm_bindgen_test]
async fn countdowns_pause_while_a_visibilitychange_says_the_page_is_hidden() {
    let config = RegistryConfig::default()
        .default_unused_cache_time(ms(300))
        .pause_while_hidden(true);
    let registry: Registry = StoreRegistry::with_runtime(config, BrowserRuntime);
    let options = StoreOptions::new("v".to_string(), |_: LoadContext<String>| async {
        Ok::<_, String>(Doc { id: "v".into() })
    });
    assert!(registry.get_or_load(&options).is_ready());
    // Hidden in the same task: the countdown cannot have run out.
    set_document_hidden(true);
    assert!(BrowserRuntime.is_hidden());
    sleep_ms(600).await;
    assert_eq!(
        state_of(&registry, "v"),
        Some(EntryState::Ready),
        "paused while hidden"
    );
    let left = registry.snapshot()[0].disposes_in.expect("a countdown");
    assert!(left > Duration::ZERO && left <= ms(300), "{left:?} left");

    set_document_hidden(false);
    assert!(!BrowserRuntime.is_hidden());
    poll_until("the disposal after the page is visible again", || {
        state_of(&registry, "v").is_none()
    })
    .await;
}

/// A store that notes when it is dropped.
struct Noted(Rc<std::cell::RefCell<Vec<&'static str>>>);

impl Drop for Noted {
    fn drop(&mut self) {
        self.0.borrow_mut().push("store dropped");
    }
}

#[wasm_bindgen_test]
async fn on_the_browser_runtime_the_store_outlives_async_teardown_and_dispose_reports_it_last() {
    use registry_core::RegistryEventKind::{Disposed, Disposing};
    let registry = registry();
    let log: Rc<std::cell::RefCell<Vec<&'static str>>> = Rc::default();
    let events = Rc::new(std::cell::RefCell::new(Vec::new()));
    let (heard, noted) = (Rc::clone(&events), Rc::clone(&log));
    let _subscription = registry.subscribe(move |event| {
        heard.borrow_mut().push(event.kind);
        if event.kind == Disposed {
            noted.borrow_mut().push("disposed heard");
        }
    });
    let logger = Rc::clone(&log);
    let options = StoreOptions::new("db".to_string(), move |ctx: LoadContext<String>| {
        let (closing, flushing) = (Rc::clone(&logger), Rc::clone(&logger));
        ctx.on_dispose(move || closing.borrow_mut().push("close"));
        ctx.on_dispose_async(move || async move {
            sleep_ms(30).await;
            flushing.borrow_mut().push("flushed");
        });
        let store = Noted(Rc::clone(&logger));
        async move { Ok::<_, String>(store) }
    })
    .unused_cache_time(CacheTime::Infinite);
    drop(
        registry
            .get_or_load(&options)
            .into_future()
            .await
            .expect("loaded"),
    );
    registry.dispose();
    assert_eq!(events.borrow().last(), Some(&Disposing));
    assert!(log.borrow().is_empty(), "nothing ran before the flush");
    poll_until("the teardown to finish", || {
        events.borrow().last() == Some(&Disposed)
    })
    .await;
    assert_eq!(
        *log.borrow(),
        ["flushed", "close", "store dropped", "disposed heard"]
    );
}

#[wasm_bindgen_test]
async fn on_the_browser_runtime_a_load_released_while_loading_counts_down_from_the_release() {
    let registry = registry();
    let probe = Probe::default();
    // Loads for 150 ms, released 20 ms in; cache time 10 s.
    let options = probe.options("doc", Duration::from_secs(10), 150);
    let guard = registry.retain(&options);
    sleep_ms(20).await;
    guard.release();
    let released = now();
    poll_until("the store to load", || {
        state_of(&registry, "doc") == Some(EntryState::Ready)
    })
    .await;
    let before_snapshot = now();
    let disposes_in = registry
        .snapshot()
        .into_iter()
        .find_map(|entry| entry.disposes_in)
        .expect("its countdown runs");
    // The countdown ends 10 s after the release, not 10 s after the load completed.
    let latest = (released + Duration::from_secs(10)).saturating_sub(before_snapshot);
    assert!(
        disposes_in <= latest,
        "{disposes_in:?} left, at most {latest:?} if counted from the release"
    );
    assert_eq!(probe.loads(), 1);
    registry.dispose();
}
