//! Behaviour of `StoreRegistry`, one case per behaviour, on the virtual clock of `TestRuntime`.
//!
//! The first part ports the TypeScript original's suite; the second covers the semantics the
//! port fixes or adds. Every test runs natively and, under `wasm-bindgen-test`,
//! in a browser. Tests about panics are native-only and live in `tests/panics.rs`.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use registry_core::test_util::TestRuntime;
use registry_core::{
    CacheTime, EntryState, LoadContext, Lookup, RegistryConfig, RegistryError, StoreOptions,
    StoreRegistry,
};

use support::{
    MAX_SLEEP, Options, Registry, TestError, TestLoader, TestStore, entry, live_entry, load_error,
    ms, options_keeping_context, pending, ready_error, ready_store, registry, resolved, secs,
    set_timeout_registry, still_pending,
};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

// ---------------------------------------------------------------------------------------------
// The original suite
// ---------------------------------------------------------------------------------------------

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn get_or_load_is_pending_while_the_store_loads() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).delayed(secs(1));

    let mut future = pending(registry.get_or_load(&loader.options("a")));
    rt.advance(ms(999));
    assert!(still_pending(&mut future));
    assert_eq!(live_entry(&registry, "a").state, EntryState::Loading);

    rt.advance(ms(1));
    let store = resolved(future).expect("the load succeeds");
    assert_eq!(
        *store,
        TestStore {
            id: "a".into(),
            load: 1
        }
    );
    assert_eq!(loader.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn get_or_load_returns_the_cached_store_synchronously_after_the_load() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options("a");

    let loaded = rt
        .block_on(async { registry.get_or_load(&options).await })
        .expect("the load succeeds");

    let cached = ready_store(registry.get_or_load(&options));
    assert!(Rc::ptr_eq(&loaded, &cached));
    assert_eq!(live_entry(&registry, "a").state, EntryState::Ready);
    assert_eq!(loader.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn concurrent_calls_share_one_load() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options("a");

    let first = pending(registry.get_or_load(&options));
    let second = pending(registry.get_or_load(&options));
    let third = pending(registry.get_or_load(&options));
    let (first, second, third) = rt.block_on(futures::future::join3(first, second, third));

    let first = first.expect("the load succeeds");
    assert!(Rc::ptr_eq(&first, &second.expect("the load succeeds")));
    assert!(Rc::ptr_eq(&first, &third.expect("the load succeeds")));
    assert_eq!(loader.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_synchronous_failure_is_cached_as_the_same_error() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).failing();
    let options = loader.options("a");

    let first = load_error(ready_error(registry.get_or_load(&options)));
    assert_eq!(
        *first,
        TestError {
            id: "a".into(),
            load: 1
        }
    );
    for _ in 0..3 {
        let again = load_error(ready_error(registry.get_or_load(&options)));
        assert!(Arc::ptr_eq(&first, &again));
    }
    assert_eq!(live_entry(&registry, "a").state, EntryState::Failed);
    assert_eq!(loader.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_asynchronous_failure_is_cached_as_the_same_error() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).delayed(secs(1)).failing();
    let options = loader.options("a");

    let early = pending(registry.get_or_load(&options));
    let waited = load_error(
        rt.block_on(registry.get_or_load(&options).into_future())
            .expect_err("the load fails"),
    );
    let early = load_error(resolved(early).expect_err("the load fails"));
    let cached = load_error(ready_error(registry.get_or_load(&options)));

    assert!(Arc::ptr_eq(&waited, &early));
    assert!(Arc::ptr_eq(&waited, &cached));
    assert_eq!(loader.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn preload_never_errors_and_caches_the_failure() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).delayed(secs(1)).failing();
    let options = loader.options("a");

    // The future's output is `()`: a failure does not surface here.
    rt.block_on(registry.preload(&options));

    let error = load_error(ready_error(registry.get_or_load(&options)));
    assert_eq!(error.load, 1);
    assert_eq!(loader.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn preload_starts_loading_at_once_and_warms_the_cache_without_being_awaited() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options("a");

    drop(registry.preload(&options));
    assert_eq!(loader.loads(), 1);

    rt.advance(secs(1));
    let store = ready_store(registry.get_or_load(&options));
    assert_eq!(store.load, 1);
    assert_eq!(loader.loads(), 1);
    // Preloading a loaded store is done at once.
    resolved(registry.preload(&options));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_unused_store_is_disposed_after_its_cache_time() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let options = loader.options_with("a", secs(1));

    let store = ready_store(registry.get_or_load(&options));
    rt.advance(ms(999));
    assert_eq!(loader.disposals(), 0);
    assert_eq!(live_entry(&registry, "a").state, EntryState::Ready);

    rt.advance(ms(1));
    assert_eq!(loader.disposals(), 1);
    assert!(registry.snapshot().is_empty());
    assert_eq!(Rc::strong_count(&store), 1, "the registry dropped its Rc");
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_infinite_cache_time_never_disposes() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let loader = TestLoader::new(&rt);
    let options = loader.options_with("a", CacheTime::Infinite);

    let store = ready_store(registry.get_or_load(&options));
    let guard = registry.retain(&options);
    guard.release();
    rt.advance(DAY * 365 * 10);

    assert_eq!(loader.disposals(), 0);
    assert!(live_entry(&registry, "a").disposes_in.is_none());
    assert!(Rc::ptr_eq(
        &store,
        &ready_store(registry.get_or_load(&options))
    ));
    assert_eq!(rt.armed_timers(), 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_call_site_cache_time_overrides_the_registry_default() {
    let rt = TestRuntime::new();
    let registry = StoreRegistry::with_runtime(
        RegistryConfig::default().default_unused_cache_time(secs(10)),
        rt.clone(),
    );
    let loader = TestLoader::new(&rt);

    let _store = ready_store(registry.get_or_load(&loader.options_with("a", secs(1))));
    rt.advance(secs(1));
    assert_eq!(loader.disposals(), 1);
    assert!(registry.snapshot().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_registry_default_cache_time_applies_when_the_options_set_none() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(10));
    let loader = TestLoader::new(&rt);

    let _store = ready_store(registry.get_or_load(&loader.options("a")));
    rt.advance(ms(9_999));
    assert_eq!(loader.disposals(), 0);
    rt.advance(ms(1));
    assert_eq!(loader.disposals(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn each_store_follows_its_own_cache_time() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let short = TestLoader::new(&rt);
    let long = TestLoader::new(&rt);

    let _a = ready_store(registry.get_or_load(&short.options_with("a", secs(1))));
    let _b = ready_store(registry.get_or_load(&long.options_with("b", secs(5))));

    rt.advance(secs(1));
    assert_eq!((short.disposals(), long.disposals()), (1, 0));
    assert!(entry(&registry, "a").is_none());
    assert!(entry(&registry, "b").is_some());

    rt.advance(secs(4));
    assert_eq!((short.disposals(), long.disposals()), (1, 1));
    assert!(registry.snapshot().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn rapid_retain_release_cycles_dispose_once_after_the_cache_time() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let options = loader.options_with("a", secs(1));

    for _ in 0..100 {
        registry.retain(&options).release();
    }
    rt.run_until_stalled();
    for _ in 0..100 {
        let first = registry.retain(&options);
        let second = registry.retain(&options);
        first.release();
        second.release();
    }

    rt.advance(ms(999));
    assert_eq!(loader.disposals(), 0);
    rt.advance(ms(1));
    assert_eq!((loader.loads(), loader.disposals()), (1, 1));
    assert!(registry.snapshot().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn retain_cancels_pending_disposal() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let options = loader.options_with("a", secs(1));

    let store = ready_store(registry.get_or_load(&options));
    rt.advance(ms(500));
    let guard = registry.retain(&options);
    assert!(live_entry(&registry, "a").disposes_in.is_none());

    rt.advance(secs(10));
    assert_eq!(loader.disposals(), 0);
    assert!(Rc::ptr_eq(
        &store,
        &ready_store(registry.get_or_load(&options))
    ));

    guard.release();
    rt.advance(ms(999));
    assert_eq!(loader.disposals(), 0);
    rt.advance(ms(1));
    assert_eq!((loader.loads(), loader.disposals()), (1, 1));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_load_started_by_retain_is_cancelled_when_released_and_the_cache_time_runs_out() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).delayed(secs(10)).watching_cancelled();
    let options = loader.options_with("a", secs(1));

    let (guard, lookup) = registry.retain_and_get(&options);
    let waiter = pending(lookup);
    rt.run_until_stalled();
    assert_eq!(live_entry(&registry, "a").state, EntryState::Loading);

    guard.release();
    rt.advance(ms(999));
    assert_eq!(loader.disposals(), 0);
    assert_eq!(loader.cancellations_seen(), 0);

    rt.advance(ms(1));
    assert_eq!(
        resolved(waiter).expect_err("cancelled"),
        RegistryError::Cancelled
    );
    assert_eq!(
        loader.cancellations_seen(),
        1,
        "LoadContext::cancelled() resolved"
    );
    assert_eq!(loader.abandoned(), 1, "the loader's future was dropped");
    assert_eq!(loader.disposals(), 1);
    assert!(registry.snapshot().is_empty());

    // Long after, nothing runs twice; a fresh call loads afresh.
    rt.advance(secs(60));
    assert_eq!((loader.loads(), loader.disposals()), (1, 1));
    let store = rt
        .block_on(registry.get_or_load(&options).into_future())
        .expect("the second load succeeds");
    assert_eq!(store.load, 2);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_retain_before_the_cache_time_runs_out_keeps_a_loading_store() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).delayed(secs(10));
    let options = loader.options_with("a", secs(1));

    let (guard, lookup) = registry.retain_and_get(&options);
    let waiter = pending(lookup);
    guard.release();
    rt.advance(ms(999));
    let guard = registry.retain(&options);

    rt.advance(secs(10));
    let store = resolved(waiter).expect("the load was not aborted");
    assert_eq!(store.load, 1);
    assert_eq!(live_entry(&registry, "a").state, EntryState::Ready);
    assert_eq!(
        (loader.loads(), loader.disposals(), loader.abandoned()),
        (1, 0, 0)
    );
    drop(guard);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn retain_keeps_a_store_alive_past_its_cache_time() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options_with("a", secs(1));

    let guard = registry.retain(&options);
    rt.advance(secs(100));
    assert_eq!(loader.disposals(), 0);
    let entry = live_entry(&registry, "a");
    assert_eq!((entry.state, entry.holders), (EntryState::Ready, 1));

    drop(guard);
    rt.advance(secs(1));
    assert_eq!((loader.loads(), loader.disposals()), (1, 1));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn different_ids_are_independent() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let a = loader.options_with("a", secs(1));
    let b = loader.options_with("b", secs(1));

    let store_a = ready_store(registry.get_or_load(&a));
    let store_b = ready_store(registry.get_or_load(&b));
    assert!(!Rc::ptr_eq(&store_a, &store_b));
    assert_eq!((store_a.id.as_str(), store_b.id.as_str()), ("a", "b"));
    assert_eq!(loader.loads(), 2);

    let guard_b = registry.retain(&b);
    rt.advance(secs(1));
    assert!(entry(&registry, "a").is_none());
    assert!(Rc::ptr_eq(&store_b, &ready_store(registry.get_or_load(&b))));
    assert_eq!(loader.disposals(), 1);
    drop(guard_b);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dispose_ends_every_entry_once() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let slow = TestLoader::new(&rt).delayed(secs(10));

    let idle = ready_store(registry.get_or_load(&loader.options_with("idle", secs(5))));
    let held_guard = registry.retain(&loader.options("held"));
    loader.set_failing(true);
    let _failure = ready_error(registry.get_or_load(&loader.options("failed")));
    let loading = pending(registry.get_or_load(&slow.options("loading")));
    rt.run_until_stalled();
    assert_eq!(registry.snapshot().len(), 4);

    registry.dispose();
    assert!(registry.is_disposed());
    assert!(registry.snapshot().is_empty());
    assert_eq!(loader.disposals(), 3);
    assert_eq!(slow.disposals(), 1);
    assert_eq!(slow.abandoned(), 1);
    assert_eq!(
        resolved(loading).expect_err("disposed"),
        RegistryError::Disposed
    );
    assert_eq!(Rc::strong_count(&idle), 1, "the registry dropped its Rc");

    held_guard.release();
    rt.advance(secs(60));
    assert_eq!((loader.disposals(), slow.disposals()), (3, 1));
    assert_eq!((loader.loads(), slow.loads()), (3, 1));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn calls_after_dispose_return_disposed() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let loader = TestLoader::new(&rt);
    let options = loader.options("a");
    let _store = ready_store(registry.get_or_load(&options));
    registry.dispose();

    assert_eq!(
        ready_error(registry.get_or_load(&options)),
        RegistryError::Disposed
    );
    let (guard, lookup) = registry.retain_and_get(&options);
    assert!(guard.is_inert());
    assert_eq!(ready_error(lookup), RegistryError::Disposed);
    resolved(registry.preload(&options));
    assert!(!registry.invalidate(&options));
    assert!(registry.snapshot().is_empty());
    assert_eq!(loader.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn retain_after_dispose_returns_an_inert_guard() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let loader = TestLoader::new(&rt);
    registry.dispose();

    let guard = registry.retain(&loader.options("a"));
    assert!(guard.is_inert());
    assert_eq!(loader.loads(), 0);
    assert!(registry.snapshot().is_empty());
    guard.release();
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dispose_is_idempotent() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let loader = TestLoader::new(&rt);
    let guard = registry.retain(&loader.options("a"));
    let _idle = ready_store(registry.get_or_load(&loader.options("b")));

    registry.dispose();
    registry.dispose();
    registry.clone().dispose();
    rt.advance(secs(10));

    assert!(registry.is_disposed());
    assert_eq!(loader.disposals(), 2);
    drop(guard);
    assert_eq!(loader.disposals(), 2);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn after_dispose_no_task_remains() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let loader = TestLoader::new(&rt);
    let slow = TestLoader::new(&rt).delayed(secs(10));
    let _idle = ready_store(registry.get_or_load(&loader.options("idle")));
    let _loading = registry.get_or_load(&slow.options("loading"));
    rt.run_until_stalled();
    assert_eq!(rt.live_tasks(), 2, "the load task and the timer task");

    registry.dispose();
    rt.run_until_stalled();
    assert_eq!(rt.live_tasks(), 0);
    assert_eq!(rt.armed_timers(), 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dropping_the_last_registry_handle_disposes_it() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let loader = TestLoader::new(&rt);
    let slow = TestLoader::new(&rt).delayed(secs(10));
    let handle = registry.clone();

    let idle = ready_store(registry.get_or_load(&loader.options("idle")));
    let guard = registry.retain(&loader.options("held"));
    let waiter = pending(registry.get_or_load(&slow.options("loading")));
    rt.run_until_stalled();

    drop(handle);
    assert_eq!((loader.disposals(), slow.disposals()), (0, 0));

    drop(registry);
    assert_eq!((loader.disposals(), slow.disposals()), (2, 1));
    assert_eq!(slow.abandoned(), 1);
    assert_eq!(
        resolved(waiter).expect_err("disposed"),
        RegistryError::Disposed
    );
    assert_eq!(Rc::strong_count(&idle), 1, "the registry dropped its Rc");

    guard.release();
    rt.advance(secs(60));
    assert_eq!((loader.disposals(), slow.disposals()), (2, 1));
    assert_eq!(rt.live_tasks(), 0);
    assert_eq!(rt.armed_timers(), 0);
}

// ---------------------------------------------------------------------------------------------
// Semantics the port fixes or adds
// ---------------------------------------------------------------------------------------------

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_first_options_for_a_live_id_win() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let first = TestLoader::new(&rt).delayed(secs(1));
    let later = TestLoader::new(&rt);
    let first_options = first.options_with("a", secs(1));
    let later_options = later.options_with("a", secs(100));

    let guard = registry.retain(&first_options);
    let joined = pending(registry.get_or_load(&later_options));
    rt.advance(secs(1));
    let store = resolved(joined).expect("the first loader succeeds");
    assert!(Rc::ptr_eq(
        &store,
        &ready_store(registry.get_or_load(&later_options))
    ));
    assert_eq!((first.loads(), later.loads()), (1, 0));

    // The later options' cache time is ignored too.
    guard.release();
    rt.advance(secs(1));
    assert_eq!(first.disposals(), 1);
    assert!(registry.snapshot().is_empty());

    // Once the entry ended, the next options win.
    let _next = ready_store(registry.get_or_load(&later_options));
    assert_eq!(later.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_zero_cache_time_disposes_synchronously_at_the_last_release() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let options = loader.options_with("a", Duration::ZERO);

    let first = registry.retain(&options);
    let second = registry.retain(&options);
    let store = ready_store(registry.get_or_load(&options));
    first.release();
    assert_eq!(loader.disposals(), 0);

    second.release();
    assert_eq!(
        loader.disposals(),
        1,
        "disposed inside release, no task ran"
    );
    assert!(registry.snapshot().is_empty());
    assert_eq!(Rc::strong_count(&store), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn get_or_load_of_a_synchronous_loader_at_zero_cache_time_returns_a_store_already_disposed() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let options = loader.options_with("a", Duration::ZERO);

    let lookup = registry.get_or_load(&options);
    assert_eq!(loader.disposals(), 1);
    assert!(registry.snapshot().is_empty());
    let store = ready_store(lookup);
    assert_eq!(store.load, 1);

    let again = ready_store(registry.get_or_load(&options));
    assert_eq!((again.load, loader.loads(), loader.disposals()), (2, 2, 2));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_zero_cache_time_keeps_a_pending_get_or_load_until_it_settles() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options_with("a", Duration::ZERO);

    // Not awaited: the call still holds the load until it settles.
    let waiter = pending(registry.get_or_load(&options));
    rt.advance(ms(999));
    assert_eq!(live_entry(&registry, "a").holders, 1);

    rt.advance(ms(1));
    let store = resolved(waiter).expect("the load was not cancelled");
    assert_eq!(
        (store.load, loader.disposals(), loader.abandoned()),
        (1, 1, 0)
    );
    assert!(registry.snapshot().is_empty());
}

/// For "a", loading for 5 s with a 1 s cache time and no guard left: the pending call's hold
/// keeps the load past its cache time; once it settles the countdown runs and disposes it.
fn assert_the_load_is_held_until_it_settles(
    rt: &TestRuntime,
    registry: &Registry,
    loader: &TestLoader,
) {
    rt.advance(secs(2));
    assert_eq!(live_entry(registry, "a").state, EntryState::Loading);
    assert_eq!(loader.abandoned(), 0);

    rt.advance(secs(3));
    assert_eq!(live_entry(registry, "a").state, EntryState::Ready);
    rt.advance(secs(1));
    assert_eq!(
        (loader.loads(), loader.disposals(), loader.abandoned()),
        (1, 1, 0)
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_get_or_load_that_joins_a_load_started_by_retain_holds_it_until_it_settles() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).delayed(secs(5));
    let options = loader.options_with("a", secs(1));

    let guard = registry.retain(&options);
    drop(registry.get_or_load(&options));
    guard.release();
    assert_the_load_is_held_until_it_settles(&rt, &registry, &loader);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_pending_preload_holds_its_load_until_it_settles() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).delayed(secs(5));
    let options = loader.options_with("a", secs(1));

    drop(registry.preload(&options));
    assert_the_load_is_held_until_it_settles(&rt, &registry, &loader);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_hit_restarts_the_idle_countdown() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let options = loader.options_with("a", secs(10));

    let _store = ready_store(registry.get_or_load(&options));
    rt.advance(secs(6));
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(secs(4)));

    let _hit = ready_store(registry.get_or_load(&options));
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(secs(10)));
    rt.advance(ms(9_999));
    assert_eq!(loader.disposals(), 0);
    rt.advance(ms(1));
    assert_eq!(loader.disposals(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn each_release_restarts_the_idle_countdown() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let options = loader.options_with("a", secs(10));

    let first = registry.retain(&options);
    let second = registry.retain(&options);
    rt.advance(secs(2));
    first.release();
    assert_eq!(live_entry(&registry, "a").disposes_in, None, "still held");

    rt.advance(secs(3));
    second.release();
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(secs(10)));

    rt.advance(secs(4));
    registry.retain(&options).release();
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(secs(10)));

    rt.advance(ms(9_999));
    assert_eq!(loader.disposals(), 0);
    rt.advance(ms(1));
    assert_eq!(loader.disposals(), 1);
    assert_eq!(rt.now(), secs(19));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_thirty_day_cache_time_fires_at_exactly_thirty_days() {
    let rt = TestRuntime::new();
    let (registry, runtime) = set_timeout_registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let thirty_days = DAY * 30;
    assert!(thirty_days > MAX_SLEEP, "longer than one setTimeout");

    let _store = ready_store(registry.get_or_load(&loader.options_with("a", thirty_days)));
    rt.run_until_stalled();
    assert!(rt.armed_timers() <= 1);

    // Past the first (capped) sleep: not fired early.
    rt.advance(MAX_SLEEP + ms(1));
    assert_eq!(loader.disposals(), 0);
    assert!(rt.armed_timers() <= 1);

    rt.advance(thirty_days - MAX_SLEEP - ms(2));
    assert_eq!(loader.disposals(), 0);
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(ms(1)));

    rt.advance(ms(1));
    assert_eq!(loader.disposals(), 1);
    assert_eq!(rt.now(), thirty_days);
    assert!(
        runtime.longest_sleep() <= MAX_SLEEP,
        "asked for {:?}",
        runtime.longest_sleep()
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn cache_times_around_the_set_timeout_limit_fire_on_time() {
    let limits = [
        MAX_SLEEP - ms(1),
        MAX_SLEEP,
        MAX_SLEEP + ms(1),
        MAX_SLEEP * 3 + ms(5),
    ];
    for cache_time in limits {
        let rt = TestRuntime::new();
        let (registry, runtime) = set_timeout_registry(&rt, CacheTime::Infinite);
        let loader = TestLoader::new(&rt);
        let _store = ready_store(registry.get_or_load(&loader.options_with("a", cache_time)));

        rt.advance(cache_time - ms(1));
        assert_eq!(loader.disposals(), 0, "{cache_time:?} fired early");
        rt.advance(ms(1));
        assert_eq!(loader.disposals(), 1, "{cache_time:?} did not fire on time");
        assert!(
            runtime.longest_sleep() <= MAX_SLEEP,
            "asked for {:?}",
            runtime.longest_sleep()
        );
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_duration_max_cache_time_never_disposes() {
    let rt = TestRuntime::new();
    let (registry, runtime) = set_timeout_registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);

    // At time zero, and later, when the deadline overflows `Duration`.
    let _a = ready_store(registry.get_or_load(&loader.options_with("a", Duration::MAX)));
    rt.advance(secs(1));
    let _b = ready_store(registry.get_or_load(&loader.options_with("b", Duration::MAX)));
    registry.retain(&loader.options("b")).release();

    rt.advance(DAY * 365 * 100);
    assert_eq!(loader.disposals(), 0);
    assert_eq!(registry.snapshot().len(), 2);
    assert!(rt.armed_timers() <= 1);
    assert!(
        runtime.longest_sleep() <= MAX_SLEEP,
        "asked for {:?}",
        runtime.longest_sleep()
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn check_and_insert_is_atomic() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options("a");

    let guard = registry.retain(&options);
    let got = registry.get_or_load(&options);
    let (other_guard, both) = registry.retain_and_get(&options);
    let preload = registry.preload(&options);
    assert_eq!(loader.loads(), 1);
    assert_eq!(registry.snapshot().len(), 1);

    rt.advance(secs(1));
    let store = resolved(got.into_future()).expect("the load succeeds");
    assert!(Rc::ptr_eq(
        &store,
        &resolved(both.into_future()).expect("the load succeeds")
    ));
    resolved(preload);
    assert_eq!(loader.loads(), 1);
    drop((guard, other_guard));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_failed_load_is_cached_until_its_cache_time_then_loads_afresh() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).failing();
    let options = loader.options_with("a", secs(5));

    let failure = load_error(ready_error(registry.get_or_load(&options)));
    rt.advance(secs(4));
    // A hit on the failure returns the same error (and restarts its countdown).
    let again = load_error(ready_error(registry.get_or_load(&options)));
    assert!(Arc::ptr_eq(&failure, &again));
    loader.set_failing(false);

    rt.advance(ms(4_999));
    assert_eq!(live_entry(&registry, "a").state, EntryState::Failed);
    rt.advance(ms(1));
    assert!(registry.snapshot().is_empty());
    assert_eq!(loader.disposals(), 1);

    let store = ready_store(registry.get_or_load(&options));
    assert_eq!((store.load, loader.loads()), (2, 2));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn invalidate_drops_a_cached_failure_even_while_it_is_held() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).failing();
    let options = loader.options("a");

    let guard = registry.retain(&options);
    let _failure = ready_error(registry.get_or_load(&options));
    assert_eq!(live_entry(&registry, "a").holders, 1);

    assert!(registry.invalidate(&options));
    assert!(registry.snapshot().is_empty());
    assert_eq!(loader.disposals(), 1);

    loader.set_failing(false);
    let store = ready_store(registry.get_or_load(&options));
    assert_eq!(store.load, 2);
    drop(guard);
    assert_eq!(live_entry(&registry, "a").holders, 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn invalidate_drops_an_idle_store() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let options = loader.options("a");

    let first = ready_store(registry.get_or_load(&options));
    assert!(registry.invalidate(&options));
    assert_eq!(loader.disposals(), 1);
    assert_eq!(Rc::strong_count(&first), 1);

    let second = ready_store(registry.get_or_load(&options));
    assert!(!Rc::ptr_eq(&first, &second));
    assert_eq!(loader.loads(), 2);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn invalidate_leaves_loading_held_and_absent_entries_alone() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let slow = TestLoader::new(&rt).delayed(secs(1));

    assert!(!registry.invalidate(&loader.options("absent")));

    let loading = pending(registry.get_or_load(&slow.options("loading")));
    assert!(!registry.invalidate(&slow.options("loading")));

    let guard = registry.retain(&loader.options("held"));
    assert!(!registry.invalidate(&loader.options("held")));

    rt.advance(secs(1));
    let store = resolved(loading).expect("the load was left alone");
    assert_eq!(store.load, 1);
    assert_eq!(live_entry(&registry, "held").state, EntryState::Ready);
    assert_eq!(
        (loader.disposals(), slow.disposals(), slow.abandoned()),
        (0, 0, 0)
    );
    drop(guard);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_guard_released_after_dispose_is_a_no_op() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, Duration::ZERO);
    let loader = TestLoader::new(&rt);
    let guard = registry.retain(&loader.options("a"));

    registry.dispose();
    assert_eq!(loader.disposals(), 1);
    guard.release();
    rt.run_until_stalled();
    assert_eq!(loader.disposals(), 1);
    assert!(registry.snapshot().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_stale_guard_does_not_touch_a_new_entry_with_the_same_id() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, Duration::ZERO);
    let loader = TestLoader::new(&rt).failing();
    let options = loader.options("a");

    let stale = registry.retain(&options);
    assert!(
        registry.invalidate(&options),
        "a held failure can be invalidated"
    );
    assert_eq!(loader.disposals(), 1);

    loader.set_failing(false);
    let current = registry.retain(&options);
    let store = ready_store(registry.get_or_load(&options));
    assert_eq!(store.load, 2);

    // At cache time zero, a release that reached the new entry would dispose it at once.
    stale.release();
    let entry = live_entry(&registry, "a");
    assert_eq!((entry.state, entry.holders), (EntryState::Ready, 1));
    assert_eq!(loader.disposals(), 1);

    current.release();
    assert_eq!(loader.disposals(), 2);
    assert!(registry.snapshot().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn on_dispose_callbacks_run_once_in_reverse_order_of_registration() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let order = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&order);
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        for n in 1..=3 {
            let log = Rc::clone(&log);
            ctx.on_dispose(move || log.borrow_mut().push(n));
        }
        let log = Rc::clone(&log);
        async move {
            // Registered from inside the future, after the first three.
            ctx.on_dispose(move || log.borrow_mut().push(4));
            Ok(TestStore {
                id: ctx.store_id().clone(),
                load: 1,
            })
        }
    })
    .unused_cache_time(secs(1));

    let _store = ready_store(registry.get_or_load(&options));
    rt.advance(secs(1));
    assert_eq!(*order.borrow(), [4, 3, 2, 1]);

    registry.dispose();
    rt.advance(secs(10));
    assert_eq!(*order.borrow(), [4, 3, 2, 1]);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn on_dispose_registered_after_the_entry_ended_runs_at_once() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let (options, kept) = options_keeping_context("a");

    let _store = ready_store(registry.get_or_load(&options));
    let ctx = kept.borrow_mut().take().expect("the loader ran");
    assert!(!ctx.is_cancelled());
    assert!(registry.invalidate(&options));
    assert!(ctx.is_cancelled());
    resolved(ctx.cancelled());

    let ran = Rc::new(Cell::new(0));
    let counter = Rc::clone(&ran);
    ctx.on_dispose(move || counter.set(counter.get() + 1));
    assert_eq!(ran.get(), 1);
    registry.dispose();
    assert_eq!(ran.get(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dropping_a_load_future_does_not_cancel_the_load() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options("a");

    let mut future = pending(registry.get_or_load(&options));
    assert!(still_pending(&mut future), "polled once, then dropped");
    drop(future);
    drop(registry.get_or_load(&options));

    rt.advance(secs(1));
    assert_eq!(loader.abandoned(), 0);
    let store = ready_store(registry.get_or_load(&options));
    assert_eq!((store.load, loader.loads(), loader.disposals()), (1, 1, 0));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn ten_thousand_concurrent_waiters_share_one_load() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options("a");

    let waiters: Vec<_> = (0..10_000)
        .map(|_| pending(registry.get_or_load(&options)))
        .collect();
    let stores = rt.block_on(futures::future::join_all(waiters));

    let first = stores[0].as_ref().expect("the load succeeds");
    for store in &stores {
        assert!(Rc::ptr_eq(
            first,
            store.as_ref().expect("the load succeeds")
        ));
    }
    assert_eq!(loader.loads(), 1);
    assert_eq!(live_entry(&registry, "a").holders, 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn ten_thousand_ids_load_and_dispose_with_one_armed_timer() {
    const IDS: u64 = 10_000;
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);

    // Cache times in a scrambled order, so that new deadlines are often the earliest.
    let mut longest = Duration::ZERO;
    for i in 0..IDS {
        let cache_time = secs(1) + ms((i * 7_919) % IDS);
        longest = longest.max(cache_time);
        let _store = ready_store(
            registry.get_or_load(&loader.options_with(&format!("store-{i}"), cache_time)),
        );
        rt.run_until_stalled();
        assert!(rt.armed_timers() <= 1, "{} timers armed", rt.armed_timers());
    }
    assert_eq!(registry.snapshot().len(), 10_000);

    while rt.now() < longest {
        rt.advance(ms(250));
        assert!(rt.armed_timers() <= 1, "{} timers armed", rt.armed_timers());
    }
    assert_eq!((loader.loads(), loader.disposals()), (10_000, 10_000));
    assert!(registry.snapshot().is_empty());
    assert_eq!(rt.armed_timers(), 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn after_every_entry_expired_only_the_idle_timer_task_remains() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let loader = TestLoader::new(&rt).delayed(secs(1));
    for i in 0..10 {
        drop(registry.preload(&loader.options(&format!("store-{i}"))));
    }
    rt.advance(secs(2));

    assert_eq!(loader.disposals(), 10);
    assert!(registry.snapshot().is_empty());
    assert_eq!(rt.armed_timers(), 0);
    assert_eq!(rt.live_tasks(), 1, "the timer task waits for a deadline");

    drop(registry);
    rt.run_until_stalled();
    assert_eq!(rt.live_tasks(), 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn snapshot_shows_state_holders_and_the_time_left() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options_with("a", secs(10));

    let first = registry.retain(&options);
    let second = registry.retain(&options);
    let entry = live_entry(&registry, "a");
    assert_eq!(entry.store_id, "a");
    assert_eq!(
        (entry.state, entry.holders, entry.disposes_in),
        (EntryState::Loading, 2, None)
    );

    // A pending get_or_load holds the load until it settles.
    let waiter = registry.get_or_load(&options);
    assert_eq!(live_entry(&registry, "a").holders, 3);

    rt.advance(secs(1));
    let entry = live_entry(&registry, "a");
    assert_eq!(
        (entry.state, entry.holders, entry.disposes_in),
        (EntryState::Ready, 2, None)
    );

    first.release();
    second.release();
    assert_eq!(live_entry(&registry, "a").holders, 0);
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(secs(10)));
    rt.advance(secs(3));
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(secs(7)));

    let failing = TestLoader::new(&rt).failing();
    let _failure = ready_error(registry.get_or_load(&failing.options_with("b", secs(10))));
    rt.advance(secs(1));
    let entry = live_entry(&registry, "b");
    assert_eq!((entry.state, entry.holders), (EntryState::Failed, 0));
    assert_eq!(entry.disposes_in, Some(secs(9)));
    drop(waiter);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_loader_that_never_finishes_is_cancelled_after_the_cache_time_when_nothing_holds_it() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(30));
    let loader = TestLoader::new(&rt).never_finishing().watching_cancelled();
    let options = loader.options("a");

    registry.retain(&options).release();
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(secs(30)));
    rt.advance(ms(29_999));
    let entry = live_entry(&registry, "a");
    assert_eq!((entry.state, entry.holders), (EntryState::Loading, 0));
    assert_eq!(entry.disposes_in, Some(ms(1)));

    rt.advance(ms(1));
    assert!(registry.snapshot().is_empty());
    assert_eq!(loader.abandoned(), 1, "the loader's future was dropped");
    assert_eq!(loader.cancellations_seen(), 1);
    assert_eq!(loader.disposals(), 1);
    assert_eq!(rt.live_tasks(), 1, "only the timer task is left");
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn retain_and_get_returns_the_store_and_only_the_guard_holds_it() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options_with("a", secs(5));

    let (guard, lookup) = registry.retain_and_get(&options);
    let waiter = pending(lookup);
    assert_eq!(live_entry(&registry, "a").holders, 1);
    rt.advance(secs(1));
    let store = resolved(waiter).expect("the load succeeds");

    let (again, lookup) = registry.retain_and_get(&options);
    assert!(Rc::ptr_eq(&store, &ready_store(lookup)));
    assert_eq!(live_entry(&registry, "a").holders, 2);

    guard.release();
    again.release();
    assert_eq!(live_entry(&registry, "a").disposes_in, Some(secs(5)));
    rt.advance(secs(5));
    assert_eq!((loader.loads(), loader.disposals()), (1, 1));

    // A synchronous loader is ready at once.
    let sync = TestLoader::new(&rt);
    let (guard, lookup) = registry.retain_and_get(&sync.options("b"));
    assert_eq!(ready_store(lookup).id, "b");
    assert_eq!(live_entry(&registry, "b").holders, 1);
    drop(guard);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_default_cache_time_is_a_minute_in_the_browser_and_infinite_natively() {
    let expected = if cfg!(target_arch = "wasm32") {
        CacheTime::Finite(secs(60))
    } else {
        CacheTime::Infinite
    };
    assert_eq!(
        RegistryConfig::default().default_unused_cache_time,
        expected
    );

    let rt = TestRuntime::new();
    let registry = StoreRegistry::with_runtime(RegistryConfig::default(), rt.clone());
    let loader = TestLoader::new(&rt);
    let _store = ready_store(registry.get_or_load(&loader.options("a")));
    rt.advance(ms(59_999));
    assert_eq!(loader.disposals(), 0);
    rt.advance(ms(1));
    let disposed = usize::from(cfg!(target_arch = "wasm32"));
    assert_eq!(loader.disposals(), disposed);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn registry_errors_read_as_sentences_and_expose_the_loaders_error() {
    use std::error::Error as _;

    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).failing();
    let error = ready_error(registry.get_or_load(&loader.options("a")));

    assert_eq!(
        error.to_string(),
        "the store failed to load: load 1 of a failed"
    );
    let source = error.source().expect("a load error has a source");
    assert_eq!(source.to_string(), "load 1 of a failed");
    assert!(RegistryError::<TestError>::Cancelled.source().is_none());
    assert!(!RegistryError::<TestError>::Disposed.to_string().is_empty());
    assert_eq!(error.clone(), error);
    assert_ne!(error, RegistryError::Cancelled);
}

// ---------------------------------------------------------------------------------------------
// Re-entrancy
// ---------------------------------------------------------------------------------------------

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_loader_may_call_get_or_load_and_retain_on_the_registry() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let inner = TestLoader::new(&rt);
    let inner_options = inner.options("inner");
    let impostor_calls = Rc::new(Cell::new(0));
    let joined_own_load = Rc::new(Cell::new(false));

    let handle = registry.clone();
    let calls = Rc::clone(&impostor_calls);
    let joined = Rc::clone(&joined_own_load);
    let outer_options = Options::new("outer".to_owned(), move |ctx: LoadContext<String>| {
        // Its own id, with other options: joins this very load.
        let calls = Rc::clone(&calls);
        let impostor = Options::new("outer".to_owned(), move |ctx: LoadContext<String>| {
            calls.set(calls.get() + 1);
            let id = ctx.store_id().clone();
            async move { Ok(TestStore { id, load: 0 }) }
        });
        joined.set(matches!(handle.get_or_load(&impostor), Lookup::Pending(_)));
        let own_guard = handle.retain(&impostor);
        // Another id: loads it.
        let inner_guard = handle.retain(&inner_options);
        let inner_lookup = handle.get_or_load(&inner_options);
        async move {
            let inner_store = inner_lookup.await.expect("the inner load succeeds");
            drop((own_guard, inner_guard));
            Ok(TestStore {
                id: ctx.store_id().clone(),
                load: inner_store.load,
            })
        }
    });

    let outer = rt
        .block_on(registry.get_or_load(&outer_options).into_future())
        .expect("the outer load succeeds");
    assert_eq!(outer.load, 1);
    assert!(joined_own_load.get());
    assert_eq!((impostor_calls.get(), inner.loads()), (0, 1));
    assert_eq!(live_entry(&registry, "outer").state, EntryState::Ready);
    assert_eq!(live_entry(&registry, "inner").state, EntryState::Ready);
    assert_eq!(live_entry(&registry, "outer").holders, 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_loader_may_dispose_the_registry() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let handle = registry.clone();
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        handle.dispose();
        let id = ctx.store_id().clone();
        async move { Ok(TestStore { id, load: 1 }) }
    });

    let result = resolved(registry.get_or_load(&options).into_future());
    assert_eq!(result.expect_err("disposed"), RegistryError::Disposed);
    assert!(registry.is_disposed());
    assert!(registry.snapshot().is_empty());
    rt.run_until_stalled();
    assert_eq!(rt.live_tasks(), 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_loader_future_may_dispose_the_registry_while_it_is_polled() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(60));
    let handle = registry.clone();
    let clock = rt.clone();
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let handle = handle.clone();
        let sleep = registry_core::Runtime::sleep(&clock, secs(1));
        async move {
            sleep.await;
            handle.dispose();
            Ok(TestStore {
                id: ctx.store_id().clone(),
                load: 1,
            })
        }
    });

    let waiter = pending(registry.get_or_load(&options));
    rt.advance(secs(1));
    assert_eq!(
        resolved(waiter).expect_err("disposed"),
        RegistryError::Disposed
    );
    assert!(registry.snapshot().is_empty());
    assert_eq!(rt.live_tasks(), 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_on_dispose_callback_may_call_get_or_load_and_retain() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let other = TestLoader::new(&rt);
    let other_options = other.options("other");
    let loads = Rc::new(Cell::new(0));
    // The callback reloads its own id once, through these options.
    let reload: Rc<RefCell<Option<Options>>> = Rc::default();
    let reloaded: Rc<RefCell<Option<Lookup<TestStore, TestError>>>> = Rc::default();
    let kept_guard: Rc<RefCell<Option<registry_core::RetainGuard>>> = Rc::default();

    let (handle, counter) = (registry.clone(), Rc::clone(&loads));
    let (reload_slot, reloaded_slot, guard_slot) = (
        Rc::clone(&reload),
        Rc::clone(&reloaded),
        Rc::clone(&kept_guard),
    );
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        counter.set(counter.get() + 1);
        let (handle, other_options) = (handle.clone(), other_options.clone());
        let (reload_slot, reloaded_slot, guard_slot) = (
            Rc::clone(&reload_slot),
            Rc::clone(&reloaded_slot),
            Rc::clone(&guard_slot),
        );
        ctx.on_dispose(move || {
            let again = reload_slot.borrow_mut().take();
            if let Some(again) = again {
                let lookup = handle.get_or_load(&again);
                *reloaded_slot.borrow_mut() = Some(lookup);
                let guard = handle.retain(&other_options);
                *guard_slot.borrow_mut() = Some(guard);
            }
        });
        let load = counter.get();
        let id = ctx.store_id().clone();
        async move { Ok(TestStore { id, load }) }
    })
    .unused_cache_time(secs(1));
    *reload.borrow_mut() = Some(options.clone());

    let first = ready_store(registry.get_or_load(&options));
    rt.advance(secs(1));

    // The reload waited for the teardown it was called from to finish, then loaded.
    let lookup = reloaded.borrow_mut().take().expect("the callback ran");
    let second = resolved(pending(lookup)).expect("the reload succeeds");
    assert_eq!((first.load, second.load, loads.get()), (1, 2, 2));
    assert_eq!(live_entry(&registry, "a").state, EntryState::Ready);
    assert_eq!(live_entry(&registry, "other").holders, 1);
    assert_eq!(other.loads(), 1);
    kept_guard.borrow_mut().take().expect("retained").release();
    assert_eq!(live_entry(&registry, "other").holders, 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_on_dispose_callback_may_dispose_the_registry() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let bystander = TestLoader::new(&rt);
    let guard = registry.retain(&bystander.options("held"));

    let handle = registry.clone();
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let handle = handle.clone();
        ctx.on_dispose(move || handle.dispose());
        let id = ctx.store_id().clone();
        async move { Ok(TestStore { id, load: 1 }) }
    })
    .unused_cache_time(secs(1));

    let _store = ready_store(registry.get_or_load(&options));
    rt.advance(secs(1));

    assert!(registry.is_disposed());
    assert!(registry.snapshot().is_empty());
    assert_eq!(bystander.disposals(), 1);
    assert_eq!(
        ready_error(registry.get_or_load(&options)),
        RegistryError::Disposed
    );
    guard.release();
    rt.run_until_stalled();
    assert_eq!(rt.live_tasks(), 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_on_dispose_callback_during_dispose_sees_a_disposed_registry() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();

    let (handle, log) = (registry.clone(), Rc::clone(&seen));
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let (handle, log) = (handle.clone(), Rc::clone(&log));
        let same = Options::new("a".to_owned(), |ctx: LoadContext<String>| {
            let id = ctx.store_id().clone();
            async move { Ok(TestStore { id, load: 2 }) }
        });
        ctx.on_dispose(move || {
            let guard = handle.retain(&same);
            log.borrow_mut()
                .push(format!("inert guard: {}", guard.is_inert()));
            let lookup = handle.get_or_load(&same);
            log.borrow_mut().push(format!("{lookup:?}"));
            handle.dispose();
        });
        let id = ctx.store_id().clone();
        async move { Ok(TestStore { id, load: 1 }) }
    });

    let _store = ready_store(registry.get_or_load(&options));
    registry.dispose();
    assert_eq!(
        *seen.borrow(),
        ["inert guard: true", "Ready(Err(Disposed))"]
    );
    assert!(registry.snapshot().is_empty());
}

thread_local! {
    /// What [`CallbackWaker`] runs when it is woken.
    static ON_WAKE: RefCell<Option<Box<dyn FnMut()>>> = RefCell::new(None);
}

/// A waker that runs the thread's [`ON_WAKE`] callback, which may call into the registry.
struct CallbackWaker;

impl Wake for CallbackWaker {
    fn wake(self: Arc<Self>) {
        let callback = ON_WAKE.with(|slot| slot.borrow_mut().take());
        if let Some(mut callback) = callback {
            callback();
            ON_WAKE.with(|slot| *slot.borrow_mut() = Some(callback));
        }
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_waker_may_call_back_into_the_registry() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options("a");
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let guards: Rc<RefCell<Vec<registry_core::RetainGuard>>> = Rc::default();

    let (handle, again, log, kept) = (
        registry.clone(),
        options.clone(),
        Rc::clone(&seen),
        Rc::clone(&guards),
    );
    ON_WAKE.with(|slot| {
        *slot.borrow_mut() = Some(Box::new(move || {
            kept.borrow_mut().push(handle.retain(&again));
            let lookup = handle.get_or_load(&again);
            log.borrow_mut().push(format!("{lookup:?}"));
            log.borrow_mut()
                .push(format!("{:?}", handle.snapshot().len()));
        }));
    });

    let waker = Waker::from(Arc::new(CallbackWaker));
    let mut waiter = pending(registry.get_or_load(&options));
    assert!(
        std::pin::Pin::new(&mut waiter)
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );

    // The load completes: the waker runs inside the registry's completion.
    rt.advance(secs(1));
    assert_eq!(*seen.borrow(), ["Ready(Ok(..))", "1"]);
    assert_eq!(live_entry(&registry, "a").holders, 1);
    let store = resolved(waiter).expect("the load succeeds");
    assert_eq!(store.load, 1);

    // Woken by dispose: the waker calls back into a registry being disposed.
    let late = TestLoader::new(&rt).never_finishing();
    let mut late_waiter = pending(registry.get_or_load(&late.options("b")));
    assert!(
        std::pin::Pin::new(&mut late_waiter)
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    registry.dispose();
    assert_eq!(
        seen.borrow().get(2).map(String::as_str),
        Some("Ready(Err(Disposed))")
    );
    assert_eq!(
        resolved(late_waiter).expect_err("disposed"),
        RegistryError::Disposed
    );
    ON_WAKE.with(|slot| slot.borrow_mut().take());
    assert_eq!(loader.disposals(), 1);
}

/// A store whose `Drop` runs a callback (which calls back into the registry).
struct DropStore {
    on_drop: RefCell<Option<Box<dyn FnOnce()>>>,
}

impl Drop for DropStore {
    fn drop(&mut self) {
        if let Some(callback) = self.on_drop.get_mut().take() {
            callback();
        }
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_store_drop_may_call_back_into_the_registry() {
    type DropRegistry = StoreRegistry<String>;
    let rt = TestRuntime::new();
    let registry: DropRegistry = StoreRegistry::with_runtime(
        RegistryConfig::default().default_unused_cache_time(secs(1)),
        rt.clone(),
    );
    let loads = Rc::new(Cell::new(0));
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();

    let (handle, counter, log) = (registry.clone(), Rc::clone(&loads), Rc::clone(&seen));
    let options = StoreOptions::new("a".to_owned(), move |_ctx: LoadContext<String>| {
        counter.set(counter.get() + 1);
        let (handle, log) = (handle.clone(), Rc::clone(&log));
        let on_drop: Box<dyn FnOnce()> = Box::new(move || {
            let plain = StoreOptions::new("b".to_owned(), |_ctx: LoadContext<String>| async {
                Ok::<_, TestError>(DropStore {
                    on_drop: RefCell::new(None),
                })
            });
            let lookup = handle.get_or_load(&plain);
            log.borrow_mut().push(format!("{lookup:?}"));
            let guard = handle.retain(&plain);
            log.borrow_mut()
                .push(format!("inert guard: {}", guard.is_inert()));
            drop(guard);
            log.borrow_mut()
                .push(format!("entries: {}", handle.snapshot().len()));
        });
        async move {
            Ok::<_, TestError>(DropStore {
                on_drop: RefCell::new(Some(on_drop)),
            })
        }
    });

    // Dropped by the registry when its cache time runs out.
    drop(ready_store(registry.get_or_load(&options)));
    rt.advance(secs(1));
    assert_eq!(
        *seen.borrow(),
        ["Ready(Ok(..))", "inert guard: false", "entries: 1"]
    );

    // Dropped by dispose.
    drop(ready_store(registry.get_or_load(&options)));
    registry.dispose();
    assert_eq!(
        seen.borrow()[3..],
        ["Ready(Err(Disposed))", "inert guard: true", "entries: 0"]
    );
    assert_eq!(loads.get(), 2);
}

/// A loader error whose `Drop` reads the registry (found by review: the cached failure used to
/// be dropped while the registry's state was borrowed).
struct ErrorThatReadsTheRegistry {
    registry: Rc<RefCell<Option<registry_core::StoreRegistry<String>>>>,
    reads: Rc<Cell<usize>>,
}

impl Drop for ErrorThatReadsTheRegistry {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.borrow().as_ref() {
            let _ = registry.snapshot();
            self.reads.set(self.reads.get() + 1);
        }
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_cached_failure_is_dropped_outside_the_registry_borrow() {
    let rt = TestRuntime::new();
    let slot = Rc::new(RefCell::new(None));
    let reads = Rc::new(Cell::new(0));
    let registry: registry_core::StoreRegistry<String> = registry_core::StoreRegistry::with_runtime(
        registry_core::RegistryConfig::default(),
        rt.clone(),
    );
    *slot.borrow_mut() = Some(registry.clone());
    let (error_slot, error_reads) = (Rc::clone(&slot), Rc::clone(&reads));
    let options = registry_core::StoreOptions::new("a".to_string(), move |_ctx| {
        let error = ErrorThatReadsTheRegistry {
            registry: Rc::clone(&error_slot),
            reads: Rc::clone(&error_reads),
        };
        async move { Err::<u32, _>(error) }
    })
    .unused_cache_time(Duration::from_secs(1));

    // The failure is cached, then its entry expires: the error is dropped by the timer task.
    assert!(matches!(
        registry.get_or_load(&options),
        registry_core::Lookup::Ready(Err(RegistryError::Load(_)))
    ));
    rt.advance(Duration::from_secs(2));
    assert!(registry.snapshot().is_empty());
    assert_eq!(
        reads.get(),
        1,
        "the error's Drop ran once and could read the registry"
    );

    // The same through invalidate.
    let _ = registry.get_or_load(&options);
    assert!(registry.invalidate(&options));
    assert_eq!(reads.get(), 2);
    slot.borrow_mut().take();
}

/// A store that keeps a way back to its registry, weakly.
struct DocWithRegistry {
    registry: registry_core::WeakStoreRegistry<String>,
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_store_holding_a_weak_registry_handle_does_not_keep_the_registry_alive() {
    let rt = TestRuntime::new();
    let disposals = Rc::new(Cell::new(0));
    let registry: registry_core::StoreRegistry<String> = registry_core::StoreRegistry::with_runtime(
        registry_core::RegistryConfig::default(),
        rt.clone(),
    );
    let weak = registry.downgrade();
    let (handle, counter) = (weak.clone(), Rc::clone(&disposals));
    let options =
        registry_core::StoreOptions::new("a".to_string(), move |ctx: LoadContext<String>| {
            let (registry, counter) = (handle.clone(), Rc::clone(&counter));
            async move {
                ctx.on_dispose(move || counter.set(counter.get() + 1));
                Ok::<_, String>(DocWithRegistry { registry })
            }
        })
        .unused_cache_time(CacheTime::Infinite);

    let store = match registry.get_or_load(&options) {
        registry_core::Lookup::Ready(Ok(store)) => store,
        other => panic!("expected a loaded store, got {other:?}"),
    };
    assert!(store.registry.upgrade().is_some());
    drop(store);
    drop(registry);
    assert_eq!(
        disposals.get(),
        1,
        "dropping the last strong handle disposed the entry"
    );
    assert!(weak.upgrade().is_none());
}
