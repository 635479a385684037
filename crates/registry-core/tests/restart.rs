//! Restarting an entry under its holders (`StoreRegistry::restart`, `RestartHandle`), one case
//! per behaviour, on the virtual clock of `TestRuntime`. Runs natively and in a browser.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use registry_core::RegistryEventKind::{LoadStarted, Loaded, Restarted};
use registry_core::test_util::TestRuntime;
use registry_core::{
    CacheTime, EntryState, LoadContext, RegistryError, RegistryEventKind, RestartHandle, Runtime,
};

use support::{
    Options, TestLoader, TestStore, entry, live_entry, ms, pending, ready_error, ready_store,
    registry, resolved, secs, still_pending,
};

/// A shared log of what happened, in order.
type Log = Rc<RefCell<Vec<String>>>;

fn note(log: &Log, what: impl Into<String>) {
    log.borrow_mut().push(what.into());
}

/// Options for `id` whose loads are numbered; each load logs `loaded N` and registers a
/// synchronous teardown (`closed N`, older) and an async one (`flushed N`, newer) that takes
/// `flush` on `rt`'s clock.
fn logged(rt: &TestRuntime, id: &str, log: &Log, flush: Duration) -> Options {
    let (rt, log) = (rt.clone(), Rc::clone(log));
    let loads = Rc::new(Cell::new(0));
    Options::new(id.to_owned(), move |ctx: LoadContext<String>| {
        loads.set(loads.get() + 1);
        let load = loads.get();
        note(&log, format!("loaded {load}"));
        let (closing, flushing, sleeper) = (Rc::clone(&log), Rc::clone(&log), rt.clone());
        ctx.on_dispose(move || note(&closing, format!("closed {load}")));
        ctx.on_dispose_async(move || async move {
            sleeper.sleep(flush).await;
            note(&flushing, format!("flushed {load}"));
        });
        let id = ctx.store_id().clone();
        async move { Ok(TestStore { id, load }) }
    })
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_held_entry_restarts_after_its_teardown_and_its_holders_hold_the_new_instance() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let log = Log::default();
    let options = logged(&rt, "a", &log, secs(1));
    let guard = registry.retain(&options);
    let first = ready_store(registry.get_or_load(&options));

    assert!(registry.restart(&options));
    // The old instance's teardown runs first, newest callback first, its async part finished
    // before the older callback; the new load waits for it.
    assert_eq!(live_entry(&registry, "a").state, EntryState::Loading);
    assert_eq!(live_entry(&registry, "a").holders, 1);
    rt.advance(secs(1));
    assert_eq!(
        *log.borrow(),
        ["loaded 1", "flushed 1", "closed 1", "loaded 2"]
    );
    let second = ready_store(registry.get_or_load(&options));
    assert_eq!((first.load, second.load), (1, 2));
    assert_eq!(live_entry(&registry, "a").generation, 1);
    assert_eq!(live_entry(&registry, "a").holders, 1);
    assert!(guard.is_live(), "the guard holds the new instance");
    assert_eq!(guard.generation(), Some(1));
    // Releasing that guard is the entry's last hold: nothing else was added or lost.
    guard.release();
    assert_eq!(live_entry(&registry, "a").holders, 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn restarting_a_load_in_flight_gives_its_waiters_the_new_load() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).delayed(secs(5));
    let options = loader.options("a");
    let waiting = pending(registry.get_or_load(&options));
    let mut preloading = registry.preload(&options);
    rt.advance(secs(1));

    assert!(registry.restart(&options));
    assert_eq!(loader.abandoned(), 1, "the load in flight is cancelled");
    assert_eq!(loader.disposals(), 1, "its teardown ran");
    assert!(still_pending(&mut preloading));
    rt.advance(secs(5));
    let store = resolved(waiting).expect("the waiter gets the new load's store");
    assert_eq!(store.load, 2);
    assert!(!still_pending(&mut preloading));
    assert_eq!(loader.loads(), 2);
    assert_eq!(live_entry(&registry, "a").holders, 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_restart_while_the_previous_teardown_runs_waits_for_it() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let log = Log::default();
    let options = logged(&rt, "a", &log, secs(2));
    let _guard = registry.retain(&options);
    assert!(registry.restart(&options));
    rt.advance(secs(1));
    // The second load has not started: it waits for the first instance's teardown. Restarting
    // it again still waits for that teardown.
    assert!(registry.restart(&options));
    rt.advance(ms(999));
    assert_eq!(*log.borrow(), ["loaded 1"]);
    rt.advance(ms(1));
    assert_eq!(
        *log.borrow(),
        ["loaded 1", "flushed 1", "closed 1", "loaded 2"]
    );
    assert_eq!(live_entry(&registry, "a").generation, 2);
    assert_eq!(ready_store(registry.get_or_load(&options)).load, 2);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn restarting_a_failed_entry_retries_it_for_its_holders() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt).failing();
    let options = loader.options("a");
    let guard = registry.retain(&options);
    assert!(matches!(
        ready_error(registry.get_or_load(&options)),
        RegistryError::Load(_)
    ));
    loader.set_failing(false);
    assert!(registry.restart(&options));
    assert_eq!(ready_store(registry.get_or_load(&options)).load, 2);
    assert_eq!(live_entry(&registry, "a").holders, 1);
    assert!(guard.is_live());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_restart_uses_its_own_options_and_they_win_from_then_on() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let first = TestLoader::new(&rt);
    let second = TestLoader::new(&rt);
    let _guard = registry.retain(&first.options("a"));
    assert!(registry.restart(&second.options_with("a", secs(7))));
    assert_eq!((first.loads(), second.loads()), (1, 1));
    assert_eq!(
        live_entry(&registry, "a").unused_cache_time,
        CacheTime::from(secs(7))
    );
    // Later options for the live entry are ignored, as for any entry.
    let _ = ready_store(registry.get_or_load(&first.options("a")));
    assert_eq!((first.loads(), second.loads()), (1, 1));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn restart_without_a_live_entry_does_nothing() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    assert!(!registry.restart(&loader.options("a")));
    assert_eq!(loader.loads(), 0);
    assert!(registry.snapshot().is_empty());
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    registry.dispose();
    assert!(!registry.restart(&loader.options("a")));
    assert_eq!(loader.loads(), 1);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dispose_during_a_restart_ends_everything_and_waiters_get_disposed() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let log = Log::default();
    let options = logged(&rt, "a", &log, secs(1));
    let loader = TestLoader::new(&rt).delayed(secs(10));
    let waiting = pending(registry.get_or_load(&loader.options("b")));
    let _guard = registry.retain(&options);
    assert!(registry.restart(&options));
    assert!(registry.restart(&loader.options("b")));
    let restarting = pending(registry.get_or_load(&options));
    registry.dispose();
    assert_eq!(
        resolved(restarting).map(|_| ()),
        Err(RegistryError::Disposed)
    );
    assert_eq!(resolved(waiting).map(|_| ()), Err(RegistryError::Disposed));
    rt.advance(secs(1));
    assert_eq!(*log.borrow(), ["loaded 1", "flushed 1", "closed 1"]);
    assert!(registry.snapshot().is_empty());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_restart_keeps_the_countdown_of_an_unheld_entry() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(10));
    let loader = TestLoader::new(&rt);
    let options = loader.options("a");
    let _ = ready_store(registry.get_or_load(&options));
    rt.advance(secs(4));
    assert!(registry.restart(&options));
    assert_eq!(
        entry(&registry, "a").and_then(|e| e.disposes_in),
        Some(secs(6))
    );
    rt.advance(secs(6));
    assert!(entry(&registry, "a").is_none());
    assert_eq!((loader.loads(), loader.disposals()), (2, 2));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn listeners_hear_a_restart_with_the_new_generation_and_no_disposal() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let heard: Rc<RefCell<Vec<(RegistryEventKind, u64)>>> = Rc::default();
    let log = Rc::clone(&heard);
    let _subscription =
        registry.subscribe(move |event| log.borrow_mut().push((event.kind, event.generation)));
    let options = TestLoader::new(&rt).options("a");
    let _ = ready_store(registry.get_or_load(&options));
    assert!(registry.restart(&options));
    assert_eq!(
        *heard.borrow(),
        [
            (LoadStarted, 0),
            (Loaded, 0),
            (Restarted, 1),
            (LoadStarted, 1),
            (Loaded, 1)
        ]
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_listener_of_restarts_only_hears_restarts() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let restarts: Rc<RefCell<Vec<(String, u64)>>> = Rc::default();
    let log = Rc::clone(&restarts);
    let _subscription = registry.subscribe_to(&[Restarted], move |event| {
        log.borrow_mut()
            .push((event.store_id.clone(), event.generation));
    });
    let loader = TestLoader::new(&rt);
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    let _ = ready_store(registry.get_or_load(&loader.options("b")));
    assert!(registry.restart(&loader.options("b")));
    assert!(registry.restart(&loader.options("b")));
    assert!(registry.invalidate(&loader.options("a")));
    assert_eq!(
        *restarts.borrow(),
        [("b".to_owned(), 1), ("b".to_owned(), 2)]
    );
}

/// A store that keeps its restart handle.
struct Restartable {
    load: usize,
    restart: RestartHandle,
}

/// Options whose stores keep their restart handle; each load is counted and logged.
fn restartable(id: &str, log: &Log) -> registry_core::StoreOptions<String, Restartable, String> {
    let log = Rc::clone(log);
    let loads = Rc::new(Cell::new(0));
    registry_core::StoreOptions::new(id.to_owned(), move |ctx: LoadContext<String>| {
        loads.set(loads.get() + 1);
        let load = loads.get();
        let closing = Rc::clone(&log);
        // A restart asked for from the instance's own teardown does nothing.
        let handle = ctx.restart_handle();
        ctx.on_dispose(move || {
            note(&closing, format!("closed {load}"));
            assert!(!handle.restart());
        });
        let restart = ctx.restart_handle();
        async move { Ok(Restartable { load, restart }) }
    })
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_store_restarts_itself_once_per_generation_through_its_handle() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let log = Log::default();
    let options = restartable("a", &log);
    let guard = registry.retain(&options);
    let first = ready_store(registry.get_or_load(&options));
    let twin = first.restart.clone();
    assert_eq!(first.restart.generation(), 0);

    assert!(first.restart.restart());
    assert!(!twin.restart(), "its generation is over");
    let second = ready_store(registry.get_or_load(&options));
    assert_eq!((second.load, second.restart.generation()), (2, 1));
    assert_eq!(*log.borrow(), ["closed 1"]);

    // After the entry ended, the handle does nothing.
    drop(guard);
    assert!(registry.invalidate(&options));
    assert!(!second.restart.restart());
    assert!(registry.snapshot().is_empty());
    let _ = rt;
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_loader_may_restart_its_own_entry_and_a_listener_may_restart_any() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    // The loader restarts its own entry on its first call: that load is cancelled and the
    // next one settles.
    let loads = Rc::new(Cell::new(0));
    let counter = Rc::clone(&loads);
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        counter.set(counter.get() + 1);
        let load = counter.get();
        if load == 1 {
            assert!(ctx.restart_handle().restart());
        }
        async move {
            Ok(TestStore {
                id: "a".into(),
                load,
            })
        }
    });
    let waiting = pending(registry.get_or_load(&options));
    rt.run_until_stalled();
    assert_eq!(resolved(waiting).expect("the second load").load, 2);
    assert_eq!(live_entry(&registry, "a").generation, 1);

    // A listener restarts "b" once, when it first loads.
    let loader = TestLoader::new(&rt);
    let (handle, b) = (registry.downgrade(), loader.options("b"));
    let _subscription = registry.subscribe(move |event| {
        if event.store_id == "b"
            && event.kind == Loaded
            && event.generation == 0
            && let Some(registry) = handle.upgrade()
        {
            assert!(registry.restart(&b));
        }
    });
    let _ = ready_store(registry.get_or_load(&loader.options("b")));
    assert_eq!((loader.loads(), loader.disposals()), (2, 1));
    assert_eq!(
        ready_store(registry.get_or_load(&loader.options("b"))).load,
        2
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_restart_from_the_teardown_it_started_restarts_the_next_instance_before_it_loads() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loads = Rc::new(Cell::new(0));
    let again: Rc<RefCell<Option<Options>>> = Rc::default();
    let (counter, slot, handle) = (Rc::clone(&loads), Rc::clone(&again), registry.downgrade());
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        counter.set(counter.get() + 1);
        let load = counter.get();
        let (slot, handle) = (Rc::clone(&slot), handle.clone());
        ctx.on_dispose(move || {
            let options = slot.borrow_mut().take();
            if let (Some(registry), Some(options)) = (handle.upgrade(), options) {
                assert!(registry.restart(&options));
            }
        });
        async move {
            Ok(TestStore {
                id: "a".into(),
                load,
            })
        }
    });
    *again.borrow_mut() = Some(options.clone());
    let _guard = registry.retain(&options);
    assert!(registry.restart(&options));
    rt.run_until_stalled();
    // The loader ran once more, not twice; one teardown per instance that loaded.
    assert_eq!(loads.get(), 2);
    assert_eq!(live_entry(&registry, "a").generation, 2);
    assert_eq!(ready_store(registry.get_or_load(&options)).load, 2);
}
