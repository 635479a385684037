//! Events and teardown under re-entrancy, on the virtual clock of `TestRuntime`: listeners and
//! teardown callbacks that call back into the registry, subscribe, unsubscribe or own guards;
//! the order in which teardown, the store's `Drop` and a re-load happen; the countdown of a load
//! released while it loads. Runs natively and in a browser; panics are tested natively in
//! `tests/panics.rs`.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::{Context, Poll};

use registry_core::RegistryEventKind::{Disposed, Disposing, LoadStarted, Loaded};
use registry_core::test_util::TestRuntime;
use registry_core::{
    CacheTime, LoadContext, RegistryConfig, RegistryEventKind, RetainGuard, Runtime, StoreRegistry,
    Subscription,
};

use support::{
    Options, Registry, TestLoader, TestStore, entry, ms, pending, ready_store, registry, resolved,
    secs,
};

/// What a listener heard: `(store id, kind)`, in order.
type Heard = Rc<RefCell<Vec<(String, RegistryEventKind)>>>;

/// A listener that records what it hears into `heard`.
fn recorder(heard: &Heard) -> impl Fn(&registry_core::RegistryEvent<String>) + 'static {
    let heard = Rc::clone(heard);
    move |event| {
        heard
            .borrow_mut()
            .push((event.store_id.clone(), event.kind))
    }
}

fn events(pairs: &[(&str, RegistryEventKind)]) -> Vec<(String, RegistryEventKind)> {
    pairs
        .iter()
        .map(|(id, kind)| ((*id).to_owned(), *kind))
        .collect()
}

/// A shared log of what happened, in order.
type Log = Rc<RefCell<Vec<String>>>;

fn note(log: &Log, what: impl Into<String>) {
    log.borrow_mut().push(what.into());
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dropping_a_subscription_whose_listener_owns_a_guard_releases_it_without_panicking() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, std::time::Duration::ZERO);
    let loader = TestLoader::new(&rt);
    let guard = registry.retain(&loader.options("a"));
    let heard = Heard::default();
    let _recorder = registry.subscribe(recorder(&heard));
    // Another subscription of the same registry, owned by the listener too.
    let inner_subscription = registry.subscribe(|_| {});
    let subscription = registry.subscribe(move |_| {
        let _ = (&guard, &inner_subscription);
    });
    drop(subscription);
    // The guard's release (cache time 0) ended the entry, and the event was heard.
    assert!(registry.snapshot().is_empty());
    assert_eq!(loader.disposals(), 1);
    assert_eq!(*heard.borrow(), events(&[("a", Disposed)]));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_listener_unsubscribed_during_a_delivery_hears_nothing_more() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let (first, second) = (Heard::default(), Heard::default());
    let second_slot: Rc<RefCell<Option<Subscription>>> = Rc::default();
    let own_slot: Rc<RefCell<Option<Subscription>>> = Rc::default();
    // The first listener drops the second's subscription, and its own, on its first event.
    let (log, other, own) = (
        Rc::clone(&first),
        Rc::clone(&second_slot),
        Rc::clone(&own_slot),
    );
    let subscription = registry.subscribe(move |event| {
        log.borrow_mut().push((event.store_id.clone(), event.kind));
        drop(other.borrow_mut().take());
        drop(own.borrow_mut().take());
    });
    *own_slot.borrow_mut() = Some(subscription);
    *second_slot.borrow_mut() = Some(registry.subscribe(recorder(&second)));

    let _ = ready_store(registry.get_or_load(&TestLoader::new(&rt).options("a")));
    assert_eq!(*first.borrow(), events(&[("a", LoadStarted)]));
    assert!(second.borrow().is_empty(), "unsubscribed before its turn");
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn events_a_listener_causes_are_heard_after_the_events_before_them() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loader = TestLoader::new(&rt);
    let (first, second) = (Heard::default(), Heard::default());
    // On `LoadStarted` of "a" (delivered after "a" loaded), the first listener invalidates "a"
    // and loads "b": effects that must come after `Loaded` of "a", for every listener.
    let (log, handle, options) = (Rc::clone(&first), registry.downgrade(), loader.clone());
    let _first = registry.subscribe(move |event| {
        log.borrow_mut().push((event.store_id.clone(), event.kind));
        if event.store_id == "a"
            && event.kind == LoadStarted
            && let Some(registry) = handle.upgrade()
        {
            assert!(registry.invalidate(&options.options("a")));
            let _ = ready_store(registry.get_or_load(&options.options("b")));
        }
    });
    let _second = registry.subscribe(recorder(&second));

    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    let expected = events(&[
        ("a", LoadStarted),
        ("a", Loaded),
        ("a", Disposed),
        ("b", LoadStarted),
        ("b", Loaded),
    ]);
    assert_eq!(*first.borrow(), expected);
    assert_eq!(*second.borrow(), expected);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_listener_subscribed_from_a_teardown_hears_only_what_follows() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let late = Heard::default();
    let late_subscription: Rc<RefCell<Option<Subscription>>> = Rc::default();
    let _early = registry.subscribe(|_| {});
    let (handle, slot, log) = (
        registry.downgrade(),
        Rc::clone(&late_subscription),
        Rc::clone(&late),
    );
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let (handle, slot, log) = (handle.clone(), Rc::clone(&slot), Rc::clone(&log));
        ctx.on_dispose(move || {
            if let Some(registry) = handle.upgrade() {
                *slot.borrow_mut() = Some(registry.subscribe(recorder(&log)));
            }
        });
        async {
            Ok(TestStore {
                id: "a".into(),
                load: 1,
            })
        }
    });
    let _ = ready_store(registry.get_or_load(&options));
    assert!(registry.invalidate(&options));
    assert!(late_subscription.borrow().is_some(), "the teardown ran");
    assert!(late.borrow().is_empty(), "`Disposed` of a came before it");

    let _ = ready_store(registry.get_or_load(&TestLoader::new(&rt).options("b")));
    assert_eq!(*late.borrow(), events(&[("b", LoadStarted), ("b", Loaded)]));
}

/// Options for `id` whose teardown is asynchronous and takes `teardown` on `rt`'s clock.
fn options_with_async_teardown(
    rt: &TestRuntime,
    id: &str,
    teardown: std::time::Duration,
) -> Options {
    let rt = rt.clone();
    Options::new(id.to_owned(), move |ctx: LoadContext<String>| {
        let sleeper = rt.clone();
        ctx.on_dispose_async(move || sleeper.sleep(teardown));
        let id = ctx.store_id().clone();
        async move { Ok(TestStore { id, load: 1 }) }
    })
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dispose_reports_disposed_once_each_async_teardown_finished() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let heard = Heard::default();
    let _subscription = registry.subscribe(recorder(&heard));
    let slow = options_with_async_teardown(&rt, "slow", secs(2));
    let ending = options_with_async_teardown(&rt, "ending", secs(2));
    let _ = ready_store(registry.get_or_load(&slow));
    let _ = ready_store(registry.get_or_load(&ending));
    let _ = ready_store(registry.get_or_load(&TestLoader::new(&rt).options("quick")));
    // "ending" is already disposing when the registry is disposed, one second later.
    assert!(registry.invalidate(&ending));
    rt.advance(secs(1));
    heard.borrow_mut().clear();

    registry.dispose();
    assert_eq!(
        *heard.borrow(),
        events(&[("slow", Disposing), ("quick", Disposed)]),
        "nothing is disposed before its teardown finished"
    );
    rt.advance(secs(1));
    assert_eq!(
        heard.borrow().last(),
        Some(&("ending".to_owned(), Disposed))
    );
    rt.advance(secs(1));
    assert_eq!(heard.borrow().last(), Some(&("slow".to_owned(), Disposed)));
    assert_eq!(heard.borrow().len(), 4);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_subscription_may_be_dropped_from_a_teardown_a_store_drop_and_a_guard_release() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, std::time::Duration::ZERO);
    let heard = Heard::default();
    let _recorder = registry.subscribe(recorder(&heard));

    // A store that owns a subscription (and a guard of another store) of its own registry.
    struct Owner {
        _subscription: Subscription,
        _guard: RetainGuard,
    }
    let other = TestLoader::new(&rt);
    let (handle, other_options) = (registry.downgrade(), other.options("other"));
    let owner_options =
        registry_core::StoreOptions::new("owner".to_owned(), move |ctx: LoadContext<String>| {
            let registry = handle.upgrade().expect("the registry is alive");
            // The teardown drops a subscription too.
            let in_teardown = registry.subscribe(|_| {});
            ctx.on_dispose(move || drop(in_teardown));
            let store = Owner {
                _subscription: registry.subscribe(|_| {}),
                _guard: registry.retain(&other_options),
            };
            async move { Ok::<_, std::io::Error>(store) }
        });
    let guard = registry.retain(&owner_options);
    assert_eq!(other.loads(), 1);
    // The release ends "owner" (cache time 0): its teardown and its store's `Drop` unsubscribe,
    // and the store's guard, released, ends "other".
    guard.release();
    assert!(registry.snapshot().is_empty());
    assert_eq!(other.disposals(), 1);
    let kinds: Vec<_> = heard
        .borrow()
        .iter()
        .map(|(id, kind)| (id.clone(), *kind))
        .collect();
    assert!(kinds.contains(&("owner".to_owned(), Disposed)));
    assert!(kinds.contains(&("other".to_owned(), Disposed)));
}

// ---------------------------------------------------------------------------------------------
// Teardown order
// ---------------------------------------------------------------------------------------------

/// A store that notes when it is dropped.
struct Noted {
    log: Log,
}

impl Drop for Noted {
    fn drop(&mut self) {
        note(&self.log, "store dropped");
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_store_outlives_every_teardown_callback_async_included() {
    let rt = TestRuntime::new();
    let registry: Registry = registry(&rt, CacheTime::Infinite);
    let log = Log::default();
    let (sleeper, logger) = (rt.clone(), Rc::clone(&log));
    let options =
        registry_core::StoreOptions::new("a".to_owned(), move |ctx: LoadContext<String>| {
            let (closing, flushing, sleeper) =
                (Rc::clone(&logger), Rc::clone(&logger), sleeper.clone());
            ctx.on_dispose(move || note(&closing, "close"));
            ctx.on_dispose_async(move || async move {
                note(&flushing, "flush started");
                sleeper.sleep(secs(1)).await;
                note(&flushing, "flush finished");
            });
            let store = Noted {
                log: Rc::clone(&logger),
            };
            async move { Ok::<_, std::io::Error>(store) }
        });
    drop(ready_store(registry.get_or_load(&options)));
    assert!(registry.invalidate(&options));
    rt.run_until_stalled();
    assert_eq!(*log.borrow(), ["flush started"]);
    rt.advance(secs(1));
    assert_eq!(
        *log.borrow(),
        ["flush started", "flush finished", "close", "store dropped"]
    );
}

/// The options each store's teardown loads the other store with.
type Reloads = Rc<RefCell<std::collections::HashMap<&'static str, Options>>>;

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_teardown_that_loads_another_entry_ended_with_it_waits_for_that_entrys_teardown() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let log = Log::default();
    let reloads = Reloads::default();
    // Each store's teardown loads the other; both fall due in the same step.
    let options_of = |id: &'static str, other: &'static str| {
        let (log, handle, reloads) = (Rc::clone(&log), registry.downgrade(), Rc::clone(&reloads));
        let loads = Rc::new(Cell::new(0));
        Options::new(id.to_owned(), move |ctx: LoadContext<String>| {
            loads.set(loads.get() + 1);
            let load = loads.get();
            note(&log, format!("{id} loaded {load}"));
            let (log, handle, reloads) = (Rc::clone(&log), handle.clone(), Rc::clone(&reloads));
            ctx.on_dispose(move || {
                note(&log, format!("{id} torn down {load}"));
                let reload = reloads.borrow().get(other).cloned();
                if let (Some(registry), Some(reload)) = (handle.upgrade(), reload) {
                    drop(registry.preload(&reload));
                }
            });
            async move {
                Ok(TestStore {
                    id: id.to_owned(),
                    load,
                })
            }
        })
    };
    let (a, b) = (options_of("a", "b"), options_of("b", "a"));
    reloads
        .borrow_mut()
        .extend([("a", a.clone()), ("b", b.clone())]);
    let _ = ready_store(registry.get_or_load(&a));
    let _ = ready_store(registry.get_or_load(&b));
    rt.advance(secs(1));
    // The first torn down reloads the second, which is ended but not torn down yet: that load
    // waits for its teardown. (The second's teardown then reloads the first, whose teardown has
    // finished.)
    let log = log.borrow().clone();
    for id in ["a", "b"] {
        let torn_down = log
            .iter()
            .position(|line| *line == format!("{id} torn down 1"));
        let reloaded = log
            .iter()
            .position(|line| *line == format!("{id} loaded 2"));
        assert!(torn_down.is_some() && reloaded.is_some(), "{log:?}");
        assert!(
            torn_down < reloaded,
            "{id} was loaded again before its teardown: {log:?}"
        );
    }
    reloads.borrow_mut().clear();
}

// ---------------------------------------------------------------------------------------------
// The countdown
// ---------------------------------------------------------------------------------------------

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_load_released_while_it_loads_counts_down_from_the_release() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(10));
    let loader = TestLoader::new(&rt).delayed(secs(5));
    let guard = registry.retain(&loader.options("a"));
    rt.advance(secs(1));
    guard.release();
    rt.advance(secs(4));
    // Loaded at 5 s; the countdown started at the release, 1 s: it ends at 11 s, not 15 s.
    assert_eq!(
        entry(&registry, "a").map(|e| e.disposes_in),
        Some(Some(secs(6)))
    );
    rt.advance(secs(6) - ms(1));
    assert!(entry(&registry, "a").is_some());
    rt.advance(ms(1));
    assert!(entry(&registry, "a").is_none());
    assert_eq!((loader.loads(), loader.disposals()), (1, 1));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_load_held_by_get_or_load_counts_down_from_its_completion() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(10));
    let loader = TestLoader::new(&rt).delayed(secs(5));
    let waiting = pending(registry.get_or_load(&loader.options("a")));
    rt.advance(secs(5));
    assert!(resolved(waiting).is_ok());
    assert_eq!(
        entry(&registry, "a").map(|e| e.disposes_in),
        Some(Some(secs(10)))
    );
}

// ---------------------------------------------------------------------------------------------
// The runtime
// ---------------------------------------------------------------------------------------------

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_task_woken_during_a_nested_run_of_the_test_runtime_is_polled_again() {
    let rt = TestRuntime::new();
    let polls = Rc::new(Cell::new(0));
    let (nested, counter) = (rt.clone(), Rc::clone(&polls));
    rt.spawn_local(Box::pin(std::future::poll_fn(
        move |cx: &mut Context<'_>| {
            counter.set(counter.get() + 1);
            if counter.get() == 1 {
                // Woken while being polled, and the runtime runs further down this poll.
                cx.waker().wake_by_ref();
                nested.run_until_stalled();
                return Poll::Pending;
            }
            Poll::Ready(())
        },
    )));
    rt.run_until_stalled();
    assert_eq!(polls.get(), 2);
    assert_eq!(rt.live_tasks(), 0);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn dropping_the_last_handle_runs_teardown_whose_runtime_goes_with_the_registry() {
    let log = Log::default();
    let logger = Rc::clone(&log);
    // The runtime is owned by the registry alone: it is dropped with it.
    let registry: Registry = StoreRegistry::with_runtime(
        RegistryConfig::default().default_unused_cache_time(CacheTime::Infinite),
        TestRuntime::new(),
    );
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let (closing, flushing, stalling) =
            (Rc::clone(&logger), Rc::clone(&logger), Rc::clone(&logger));
        ctx.on_dispose(move || note(&closing, "close"));
        ctx.on_dispose_async(move || async move { note(&flushing, "flush") });
        ctx.on_dispose_async(move || async move {
            note(&stalling, "stall started");
            std::future::pending::<()>().await;
        });
        async {
            Ok(TestStore {
                id: "a".into(),
                load: 1,
            })
        }
    });
    let store = ready_store(registry.get_or_load(&options));
    drop(registry);
    // Newest first; the one that would wait for ever is cut short, the others complete.
    assert_eq!(*log.borrow(), ["stall started", "flush", "close"]);
    drop(store);
}
