//! Behaviour of the lifecycle features beyond the original registry, one case per behaviour, on
//! the virtual clock of `TestRuntime`: several store types in one registry, async teardown that
//! finishes before a re-boot, the bound on idle entries, the `Longest` cache-time policy,
//! countdowns paused while the page is hidden, and teardown of failed loads. Runs natively and
//! in a browser; panicking teardown is tested natively in `tests/panics.rs`.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use registry_core::test_util::TestRuntime;
use registry_core::{
    CacheTime, CacheTimePolicy, EntryState, LoadContext, RegistryConfig, RegistryError, Runtime,
    StoreOptions, StoreRegistry,
};

use support::{
    Registry, TestError, TestLoader, TestStore, entry, live_entry, pending, ready_error,
    ready_store, registry, resolved, secs, still_pending,
};

/// Another store type, kept under the same ids as [`TestStore`].
#[derive(Debug)]
struct Members {
    count: usize,
}

fn members_options(id: &str, loads: &Rc<Cell<usize>>) -> StoreOptions<String, Members, TestError> {
    let loads = Rc::clone(loads);
    StoreOptions::new(id.to_owned(), move |_: LoadContext<String>| {
        loads.set(loads.get() + 1);
        async { Ok(Members { count: 3 }) }
    })
}

type Log = Rc<RefCell<Vec<String>>>;

/// Options for `id` whose loader logs `load N` and registers an async teardown that takes
/// `teardown` on the virtual clock and logs `teardown N done`.
fn options_with_async_teardown(
    rt: &TestRuntime,
    id: &str,
    teardown: Duration,
    log: &Log,
) -> StoreOptions<String, TestStore, TestError> {
    let (rt, log) = (rt.clone(), Rc::clone(log));
    let loads = Rc::new(Cell::new(0));
    StoreOptions::new(id.to_owned(), move |ctx: LoadContext<String>| {
        loads.set(loads.get() + 1);
        let load = loads.get();
        log.borrow_mut().push(format!("load {load}"));
        let (rt, log) = (rt.clone(), Rc::clone(&log));
        ctx.on_dispose_async(move || async move {
            rt.sleep(teardown).await;
            log.borrow_mut().push(format!("teardown {load} done"));
        });
        let id = ctx.store_id().clone();
        async move { Ok(TestStore { id, load }) }
    })
}

fn entries_by_state(registry: &Registry, id: &str) -> Vec<EntryState> {
    let mut states: Vec<EntryState> = registry
        .snapshot()
        .into_iter()
        .filter(|entry| entry.store_id == id)
        .map(|entry| entry.state)
        .collect();
    states.sort_by_key(|state| format!("{state:?}"));
    states
}

// ---------------------------------------------------------------------------------------------
// One registry for every store type
// ---------------------------------------------------------------------------------------------

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn two_store_types_under_one_id_are_independent_entries() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let todos = TestLoader::new(&rt);
    let member_loads = Rc::new(Cell::new(0));

    let store = ready_store(registry.get_or_load(&todos.options("ws")));
    let members = ready_store(registry.get_or_load(&members_options("ws", &member_loads)));
    assert_eq!((store.id.as_str(), members.count), ("ws", 3));
    assert_eq!((todos.loads(), member_loads.get()), (1, 1));

    let mut types: Vec<&str> = registry.snapshot().iter().map(|e| e.store_type).collect();
    types.sort_unstable();
    assert_eq!(types.len(), 2);
    assert!(types[0].ends_with("Members") && types[1].ends_with("TestStore"));

    // Ending one leaves the other.
    assert!(registry.invalidate(&todos.options("ws")));
    assert_eq!(todos.disposals(), 1);
    let left = live_entry(&registry, "ws");
    assert!(left.store_type.ends_with("Members"));
    let again = ready_store(registry.get_or_load(&members_options("ws", &member_loads)));
    assert!(Rc::ptr_eq(&again, &members), "still the same members store");
    assert_eq!(member_loads.get(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_same_store_type_with_another_error_type_is_another_entry() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loads = Rc::new(Cell::new(0));
    let with_error = |id: &str| {
        let loads = Rc::clone(&loads);
        StoreOptions::new(id.to_owned(), move |_: LoadContext<String>| {
            loads.set(loads.get() + 1);
            async { Ok::<_, std::io::Error>(Members { count: 1 }) }
        })
    };
    let _first = ready_store(registry.get_or_load(&members_options("ws", &loads)));
    let _second = ready_store(registry.get_or_load(&with_error("ws")));
    assert_eq!(loads.get(), 2);
    assert_eq!(registry.snapshot().len(), 2);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dispose_ends_the_entries_of_every_store_type() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let todos = TestLoader::new(&rt);
    let member_loads = Rc::new(Cell::new(0));
    let _store = ready_store(registry.get_or_load(&todos.options("ws")));
    let _members = ready_store(registry.get_or_load(&members_options("ws", &member_loads)));

    registry.dispose();
    assert!(registry.snapshot().is_empty());
    assert_eq!(todos.disposals(), 1);
    assert_eq!(
        ready_error(registry.get_or_load(&members_options("ws", &member_loads))),
        RegistryError::Disposed
    );
}

// ---------------------------------------------------------------------------------------------
// Async teardown
// ---------------------------------------------------------------------------------------------

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_new_load_starts_only_after_the_old_entrys_async_teardown_resolved() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let log = Log::default();
    let options = options_with_async_teardown(&rt, "a", secs(1), &log);

    let first = ready_store(registry.get_or_load(&options));
    assert!(registry.invalidate(&options));
    assert_eq!(entries_by_state(&registry, "a"), [EntryState::Disposing]);

    // The next load is pending while the teardown runs: its loader is not called yet.
    let mut next = pending(registry.get_or_load(&options));
    assert_eq!(
        entries_by_state(&registry, "a"),
        [EntryState::Disposing, EntryState::Loading]
    );
    rt.advance(Duration::from_millis(999));
    assert!(still_pending(&mut next));
    assert_eq!(*log.borrow(), ["load 1"]);

    rt.advance(Duration::from_millis(1));
    let second = resolved(next).expect("loads once the teardown finished");
    assert_eq!((first.load, second.load), (1, 2));
    assert_eq!(*log.borrow(), ["load 1", "teardown 1 done", "load 2"]);
    assert_eq!(entries_by_state(&registry, "a"), [EntryState::Ready]);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_entry_without_async_teardown_is_forgotten_at_once() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let options = loader.options("a");
    let _store = ready_store(registry.get_or_load(&options));
    assert!(registry.invalidate(&options));
    assert!(registry.snapshot().is_empty());
    assert_eq!(ready_store(registry.get_or_load(&options)).load, 2);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn teardown_runs_newest_first_and_waits_for_each_async_step() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let log = Log::default();
    let (sleeper, logger) = (rt.clone(), Rc::clone(&log));
    let options = StoreOptions::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let (sleeper, log) = (sleeper.clone(), Rc::clone(&logger));
        let first = Rc::clone(&log);
        ctx.on_dispose(move || first.borrow_mut().push("close database".to_owned()));
        let second = Rc::clone(&log);
        ctx.on_dispose_async(move || async move {
            sleeper.sleep(secs(1)).await;
            second.borrow_mut().push("flush writes".to_owned());
        });
        let third = Rc::clone(&log);
        ctx.on_dispose(move || third.borrow_mut().push("close channel".to_owned()));
        async { Ok::<_, TestError>(Members { count: 0 }) }
    });
    let _store = ready_store(registry.get_or_load(&options));
    assert!(registry.invalidate(&options));
    assert_eq!(*log.borrow(), ["close channel"]);
    rt.advance(secs(1));
    assert_eq!(
        *log.borrow(),
        ["close channel", "flush writes", "close database"]
    );
    assert!(registry.snapshot().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dispose_async_resolves_once_every_teardown_has_finished() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let log = Log::default();
    let a = options_with_async_teardown(&rt, "a", secs(1), &log);
    let b = options_with_async_teardown(&rt, "b", secs(2), &log);
    let _a = ready_store(registry.get_or_load(&a));
    let _b = ready_store(registry.get_or_load(&b));
    // "a" is already disposing when the registry is disposed: it is waited for too.
    assert!(registry.invalidate(&a));

    let mut disposed = Box::pin(registry.dispose_async());
    assert!(registry.is_disposed());
    rt.advance(Duration::from_millis(1_500));
    assert!(still_pending(&mut disposed));
    assert_eq!(*log.borrow(), ["load 1", "load 1", "teardown 1 done"]);
    rt.advance(Duration::from_millis(500));
    resolved(disposed);
    assert_eq!(log.borrow().len(), 4);
    // Later calls wait for nothing more.
    resolved(registry.dispose_async());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_teardown_that_never_finishes_holds_back_only_its_own_entry() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let stuck = StoreOptions::new("a".to_owned(), |ctx: LoadContext<String>| {
        ctx.on_dispose_async(std::future::pending::<()>);
        async { Ok::<_, TestError>(Members { count: 0 }) }
    });
    let other = TestLoader::new(&rt);
    let _store = ready_store(registry.get_or_load(&stuck));
    assert!(registry.invalidate(&stuck));

    let mut again = pending(registry.get_or_load(&stuck));
    rt.advance(secs(3600));
    assert!(still_pending(&mut again));
    // Other ids, and the same id under another store type, are unaffected.
    assert_eq!(
        ready_store(registry.get_or_load(&other.options("b"))).load,
        1
    );
    assert_eq!(
        ready_store(registry.get_or_load(&other.options("a"))).load,
        2
    );
    assert_eq!(
        entries_by_state(&registry, "a"),
        [
            EntryState::Disposing,
            EntryState::Loading,
            EntryState::Ready
        ]
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_load_waiting_for_a_teardown_is_cancelled_with_its_entry() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, Duration::ZERO);
    let log = Log::default();
    let options = options_with_async_teardown(&rt, "a", secs(1), &log);
    // Cache time zero: disposed inside the call; its teardown runs for 1 s.
    let _store = ready_store(registry.get_or_load(&options));
    assert_eq!(entries_by_state(&registry, "a"), [EntryState::Disposing]);

    // A new load, held only by a guard released before the teardown finished: cancelled with
    // its entry, and its loader never runs.
    let (guard, lookup) = registry.retain_and_get(&options);
    let waiting = pending(lookup);
    drop(guard);
    assert_eq!(resolved(waiting).map(|_| ()), Err(RegistryError::Cancelled));
    rt.advance(secs(2));
    assert_eq!(*log.borrow(), ["load 1", "teardown 1 done"]);
    assert!(registry.snapshot().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_failed_load_runs_its_teardown_at_once_and_keeps_the_failure() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).failing();
    let options = loader.options("a");

    let failure = ready_error(registry.get_or_load(&options));
    assert_eq!(loader.disposals(), 1, "what the loader opened is closed");
    assert_eq!(live_entry(&registry, "a").state, EntryState::Failed);
    assert_eq!(ready_error(registry.get_or_load(&options)), failure);

    // Ending the failed entry later runs nothing twice.
    assert!(registry.invalidate(&options));
    assert_eq!(loader.disposals(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_retry_after_a_failure_waits_for_the_failed_loads_async_teardown() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let log = Log::default();
    let (sleeper, logger) = (rt.clone(), Rc::clone(&log));
    let attempts = Rc::new(Cell::new(0));
    let options = StoreOptions::new("a".to_owned(), move |ctx: LoadContext<String>| {
        attempts.set(attempts.get() + 1);
        let attempt = attempts.get();
        let (sleeper, log) = (sleeper.clone(), Rc::clone(&logger));
        log.borrow_mut().push(format!("load {attempt}"));
        let done = Rc::clone(&log);
        ctx.on_dispose_async(move || async move {
            sleeper.sleep(secs(1)).await;
            done.borrow_mut().push(format!("teardown {attempt} done"));
        });
        async move {
            if attempt == 1 {
                Err(TestError {
                    id: "a".into(),
                    load: attempt,
                })
            } else {
                Ok(Members { count: attempt })
            }
        }
    });
    let _failure = ready_error(registry.get_or_load(&options));
    assert!(registry.invalidate(&options));
    let retry = pending(registry.get_or_load(&options));
    rt.advance(secs(1));
    assert_eq!(resolved(retry).expect("the retry loads").count, 2);
    assert_eq!(*log.borrow(), ["load 1", "teardown 1 done", "load 2"]);
}

// ---------------------------------------------------------------------------------------------
// A bound on idle entries
// ---------------------------------------------------------------------------------------------

fn bounded(rt: &TestRuntime, max_idle: usize) -> Registry {
    let config = RegistryConfig::default()
        .default_unused_cache_time(CacheTime::Infinite)
        .max_idle_entries(max_idle);
    StoreRegistry::with_runtime(config, rt.clone())
}

fn live_ids(registry: &Registry) -> Vec<String> {
    let mut ids: Vec<String> = registry
        .snapshot()
        .into_iter()
        .map(|e| e.store_id)
        .collect();
    ids.sort();
    ids
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_least_recently_used_idle_store_is_evicted_beyond_the_bound() {
    let rt = TestRuntime::new();
    let registry = bounded(&rt, 2);
    let loader = TestLoader::new(&rt);
    for id in ["a", "b"] {
        let _ = ready_store(registry.get_or_load(&loader.options(id)));
    }
    // A hit makes "a" the most recently used: "b" goes when "c" arrives.
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    let _ = ready_store(registry.get_or_load(&loader.options("c")));
    assert_eq!(live_ids(&registry), ["a", "c"]);
    assert_eq!(loader.disposals(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn held_and_loading_stores_are_never_evicted() {
    let rt = TestRuntime::new();
    let registry = bounded(&rt, 0);
    let loader = TestLoader::new(&rt);
    let slow = TestLoader::new(&rt).delayed(secs(1));
    let guard = registry.retain(&loader.options("held"));
    let loading = pending(registry.get_or_load(&slow.options("loading")));
    assert_eq!(live_ids(&registry), ["held", "loading"]);

    // Settled and unheld: idle, and with a bound of zero disposed at once.
    rt.advance(secs(1));
    assert!(resolved(loading).is_ok());
    assert_eq!(live_ids(&registry), ["held"]);
    drop(guard);
    assert!(registry.snapshot().is_empty());
    assert_eq!((loader.disposals(), slow.disposals()), (1, 1));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_thousand_idle_stores_stay_within_the_bound() {
    let rt = TestRuntime::new();
    let registry = bounded(&rt, 10);
    let loader = TestLoader::new(&rt);
    for i in 0..1_000 {
        let _ = ready_store(registry.get_or_load(&loader.options(&format!("id-{i}"))));
    }
    let ids = live_ids(&registry);
    assert_eq!(ids.len(), 10);
    assert!(ids.iter().all(|id| id.as_str() >= "id-990"), "{ids:?}");
    assert_eq!(loader.disposals(), 990);
}

// ---------------------------------------------------------------------------------------------
// Cache time policy
// ---------------------------------------------------------------------------------------------

fn with_policy(rt: &TestRuntime, policy: CacheTimePolicy) -> Registry {
    let config = RegistryConfig::default()
        .default_unused_cache_time(secs(1))
        .cache_time_policy(policy);
    StoreRegistry::with_runtime(config, rt.clone())
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn first_wins_ignores_a_later_longer_cache_time() {
    let rt = TestRuntime::new();
    let registry = with_policy(&rt, CacheTimePolicy::FirstWins);
    let loader = TestLoader::new(&rt);
    let _ = ready_store(registry.get_or_load(&loader.options_with("a", secs(1))));
    let _ = ready_store(registry.get_or_load(&loader.options_with("a", secs(10))));
    assert_eq!(
        live_entry(&registry, "a").unused_cache_time,
        CacheTime::from(secs(1))
    );
    rt.advance(secs(1));
    assert!(entry(&registry, "a").is_none());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn longest_lets_a_later_caller_lengthen_the_cache_time_but_not_shorten_it() {
    let rt = TestRuntime::new();
    let registry = with_policy(&rt, CacheTimePolicy::Longest);
    let loader = TestLoader::new(&rt);
    let _ = ready_store(registry.get_or_load(&loader.options_with("a", secs(1))));
    // A retain with a longer time lengthens it; a later shorter one is ignored.
    let guard = registry.retain(&loader.options_with("a", secs(10)));
    let _ = ready_store(registry.get_or_load(&loader.options_with("a", secs(2))));
    assert_eq!(
        live_entry(&registry, "a").unused_cache_time,
        CacheTime::from(secs(10))
    );
    drop(guard);
    rt.advance(secs(9));
    assert!(entry(&registry, "a").is_some());
    rt.advance(secs(1));
    assert!(entry(&registry, "a").is_none());
    assert_eq!(loader.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn longest_takes_an_infinite_cache_time_from_a_later_caller() {
    let rt = TestRuntime::new();
    let registry = with_policy(&rt, CacheTimePolicy::Longest);
    let loader = TestLoader::new(&rt);
    let _ = ready_store(registry.get_or_load(&loader.options_with("a", secs(1))));
    let _ = ready_store(registry.get_or_load(&loader.options_with("a", CacheTime::Infinite)));
    rt.advance(secs(3600));
    assert_eq!(
        live_entry(&registry, "a").unused_cache_time,
        CacheTime::Infinite
    );
    assert_eq!(live_entry(&registry, "a").disposes_in, None);
}

// ---------------------------------------------------------------------------------------------
// Background tabs
// ---------------------------------------------------------------------------------------------

fn pausing(rt: &TestRuntime, pause: bool) -> Registry {
    let config = RegistryConfig::default()
        .default_unused_cache_time(secs(10))
        .pause_while_hidden(pause);
    StoreRegistry::with_runtime(config, rt.clone())
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn countdowns_pause_while_hidden_and_resume_with_the_time_left() {
    let rt = TestRuntime::new();
    let registry = pausing(&rt, true);
    let loader = TestLoader::new(&rt);
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    rt.advance(secs(4));
    rt.set_hidden(true);
    rt.advance(secs(120));
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(secs(6)));
    assert_eq!(loader.disposals(), 0);

    rt.set_hidden(false);
    rt.advance(Duration::from_millis(5_999));
    assert_eq!(loader.disposals(), 0);
    rt.advance(Duration::from_millis(1));
    assert_eq!(loader.disposals(), 1);
    assert!(registry.snapshot().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_registry_made_while_hidden_starts_paused() {
    let rt = TestRuntime::new();
    rt.set_hidden(true);
    let registry = pausing(&rt, true);
    let loader = TestLoader::new(&rt);
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    rt.advance(secs(60));
    assert_eq!(loader.disposals(), 0);
    rt.set_hidden(false);
    rt.advance(secs(10));
    assert_eq!(loader.disposals(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn without_pause_while_hidden_a_hidden_page_counts_down() {
    let rt = TestRuntime::new();
    let registry = pausing(&rt, false);
    let loader = TestLoader::new(&rt);
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    rt.set_hidden(true);
    rt.advance(secs(10));
    assert_eq!(loader.disposals(), 1);
}

// ---------------------------------------------------------------------------------------------
// Guards and load scopes
// ---------------------------------------------------------------------------------------------

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_guard_is_live_until_its_entry_ends() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).failing();
    let options = loader.options("a");
    let guard = registry.retain(&options);
    assert!(guard.is_live());
    assert!(
        registry.invalidate(&options),
        "a held failure can be dropped"
    );
    assert!(!guard.is_live());
    let next = registry.retain(&options);
    assert!(next.is_live());
    registry.dispose();
    assert!(!next.is_live());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_load_scope_wraps_the_loader_call_and_every_poll() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let depth = Rc::new(Cell::new(0));
    let (scopes, inside) = (Rc::new(Cell::new(0)), Rc::clone(&depth));
    let counter = Rc::clone(&scopes);
    registry.set_load_scope(move |load: &mut dyn FnMut()| {
        counter.set(counter.get() + 1);
        inside.set(inside.get() + 1);
        load();
        inside.set(inside.get() - 1);
    });
    let (seen, probe, sleeper) = (
        Rc::new(RefCell::new(Vec::new())),
        Rc::clone(&depth),
        rt.clone(),
    );
    let log = Rc::clone(&seen);
    let options = StoreOptions::new("a".to_owned(), move |_: LoadContext<String>| {
        log.borrow_mut().push(probe.get());
        let (log, probe, sleep) = (Rc::clone(&log), Rc::clone(&probe), sleeper.sleep(secs(1)));
        async move {
            sleep.await;
            log.borrow_mut().push(probe.get());
            Ok::<_, TestError>(Members { count: 1 })
        }
    });
    let future = pending(registry.get_or_load(&options));
    rt.advance(secs(1));
    assert!(resolved(future).is_ok());
    assert_eq!(
        *seen.borrow(),
        [1, 1],
        "the call and the last poll ran inside the scope"
    );
    assert!(scopes.get() >= 2);
}

/// A runtime that says the page is hidden but cannot tell when it is visible again.
struct HiddenForEver(TestRuntime);

impl Runtime for HiddenForEver {
    fn spawn_local(&self, task: futures::future::LocalBoxFuture<'static, ()>) {
        self.0.spawn_local(task);
    }

    fn sleep(&self, duration: Duration) -> futures::future::LocalBoxFuture<'static, ()> {
        self.0.sleep(duration)
    }

    fn now(&self) -> Duration {
        self.0.now()
    }

    fn is_hidden(&self) -> bool {
        true
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_runtime_without_visibility_events_never_pauses() {
    let rt = TestRuntime::new();
    let config = RegistryConfig::default()
        .default_unused_cache_time(secs(10))
        .pause_while_hidden(true);
    let registry: Registry = StoreRegistry::with_runtime(config, HiddenForEver(rt.clone()));
    let loader = TestLoader::new(&rt);
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    rt.advance(secs(10));
    assert_eq!(
        loader.disposals(),
        1,
        "a pause nothing would end is never taken"
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_disposing_entry_has_no_holders() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let sleeper = rt.clone();
    // Fails, and its teardown (started by the failure) takes 1 s.
    let options = StoreOptions::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let sleeper = sleeper.clone();
        ctx.on_dispose_async(move || async move { sleeper.sleep(secs(1)).await });
        async {
            Err::<Members, _>(TestError {
                id: "a".into(),
                load: 1,
            })
        }
    });
    let guard = registry.retain(&options);
    assert_eq!(live_entry(&registry, "a").holders, 1);
    // A held failure can be dropped; its guard then holds nothing.
    assert!(registry.invalidate(&options));
    let disposing = live_entry(&registry, "a");
    assert_eq!(
        (disposing.state, disposing.holders),
        (EntryState::Disposing, 0)
    );
    assert!(!guard.is_live());
    drop(guard);
    rt.advance(secs(1));
    assert!(registry.snapshot().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

type Seen = Rc<RefCell<Vec<(String, registry_core::RegistryEventKind)>>>;

fn listen(registry: &Registry) -> (Seen, registry_core::Subscription) {
    let seen = Seen::default();
    let (log, reader) = (Rc::clone(&seen), registry.downgrade());
    let subscription = registry.subscribe(move |event| {
        // A listener may read the registry: it is called outside every borrow.
        if let Some(registry) = reader.upgrade() {
            drop(registry.snapshot());
        }
        log.borrow_mut().push((event.store_id.clone(), event.kind));
    });
    (seen, subscription)
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn events_follow_an_entry_through_its_life_and_async_teardown() {
    use registry_core::RegistryEventKind::{Disposed, Disposing, LoadStarted, Loaded};
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let (seen, _subscription) = listen(&registry);
    let log = Log::default();
    let options = options_with_async_teardown(&rt, "a", secs(2), &log);
    let _ = ready_store(registry.get_or_load(&options));
    rt.advance(secs(1));
    assert_eq!(
        *seen.borrow(),
        [
            ("a".into(), LoadStarted),
            ("a".into(), Loaded),
            ("a".into(), Disposing)
        ]
    );
    rt.advance(secs(2));
    assert_eq!(seen.borrow().last(), Some(&("a".to_string(), Disposed)));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn events_report_failures_evictions_and_disposal() {
    use registry_core::RegistryEventKind::{Disposed, LoadFailed, LoadStarted, Loaded};
    let rt = TestRuntime::new();
    let registry = bounded(&rt, 1);
    let (seen, subscription) = listen(&registry);
    let ok = TestLoader::new(&rt);
    let failing = TestLoader::new(&rt).failing();
    let _ = ready_error(registry.get_or_load(&failing.options("bad")));
    // "bad" is idle; "a" arriving evicts it.
    let _ = ready_store(registry.get_or_load(&ok.options("a")));
    registry.dispose();
    assert_eq!(
        *seen.borrow(),
        [
            ("bad".into(), LoadStarted),
            ("bad".into(), LoadFailed),
            ("a".into(), LoadStarted),
            ("a".into(), Loaded),
            ("bad".into(), Disposed),
            ("a".into(), Disposed),
        ]
    );
    drop(subscription);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_dropped_subscription_receives_nothing() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let (seen, subscription) = listen(&registry);
    drop(subscription);
    let _ = ready_store(registry.get_or_load(&TestLoader::new(&rt).options("a")));
    assert!(seen.borrow().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_listener_may_load_other_stores_from_inside_an_event() {
    use registry_core::RegistryEventKind::{LoadStarted, Loaded};
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let seen = Seen::default();
    let (log, handle, follower) = (Rc::clone(&seen), registry.downgrade(), loader.clone());
    let _subscription = registry.subscribe(move |event| {
        log.borrow_mut().push((event.store_id.clone(), event.kind));
        // Loading "a" makes the listener load its companion, re-entrantly.
        if event.store_id == "a"
            && event.kind == Loaded
            && let Some(registry) = handle.upgrade()
        {
            let _ = ready_store(registry.get_or_load(&follower.options("a-companion")));
        }
    });
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    assert_eq!(
        *seen.borrow(),
        [
            ("a".into(), LoadStarted),
            ("a".into(), Loaded),
            ("a-companion".into(), LoadStarted),
            ("a-companion".into(), Loaded),
        ]
    );
    assert_eq!(loader.loads(), 2);
}
