//! Panicking loaders and teardown callbacks: the registry reports them and stays usable.
//!
//! Native only: on wasm32 a panic aborts the module, so there is nothing to catch.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use registry_core::test_util::TestRuntime;
use registry_core::{CacheTime, EntryState, LoadContext, RegistryError, Runtime as _};

use support::{
    Options, TestError, TestLoader, TestStore, live_entry, ms, options_keeping_context, pending,
    ready_error, ready_store, registry, resolved, secs,
};

/// A loader's result that is never produced: it panics with `message`.
fn explode(message: &str) -> Result<TestStore, TestError> {
    panic!("{message}")
}

/// The message of a `RegistryError::LoaderPanicked`.
#[track_caller]
fn panic_message(error: &RegistryError<TestError>) -> String {
    match error {
        RegistryError::LoaderPanicked(message) => message.to_string(),
        other => panic!("expected LoaderPanicked, got {other:?}"),
    }
}

#[test]
fn a_panicking_loader_closure_gives_loader_panicked_and_the_registry_stays_usable() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let calls = Rc::new(RefCell::new(0));
    let counter = Rc::clone(&calls);
    let options = Options::new("a".to_owned(), move |_ctx: LoadContext<String>| {
        *counter.borrow_mut() += 1;
        std::future::ready(explode("the loader closure blew up"))
    });

    let error = ready_error(registry.get_or_load(&options));
    assert!(panic_message(&error).contains("the loader closure blew up"));
    // Cached like any failure.
    assert_eq!(ready_error(registry.get_or_load(&options)), error);
    assert_eq!(live_entry(&registry, "a").state, EntryState::Failed);
    assert_eq!(*calls.borrow(), 1);

    // Other ids load; the failure can be invalidated and loaded afresh.
    let loader = TestLoader::new(&rt);
    assert_eq!(
        ready_store(registry.get_or_load(&loader.options("b"))).id,
        "b"
    );
    assert!(registry.invalidate(&options));
    let _again = ready_error(registry.get_or_load(&options));
    assert_eq!(*calls.borrow(), 2);
    registry.dispose();
    assert_eq!(loader.disposals(), 1);
}

#[test]
fn a_loader_future_that_panics_on_poll_gives_loader_panicked() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let torn_down = Rc::new(RefCell::new(0));
    let counter = Rc::clone(&torn_down);
    let clock = rt.clone();
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let counter = Rc::clone(&counter);
        ctx.on_dispose(move || *counter.borrow_mut() += 1);
        let sleep = clock.sleep(secs(1));
        async move {
            sleep.await;
            explode("the loader future blew up")
        }
    });

    let first = pending(registry.get_or_load(&options));
    let second = pending(registry.get_or_load(&options));
    rt.advance(secs(1));
    let error = resolved(first).expect_err("the loader panicked");
    assert!(panic_message(&error).contains("the loader future blew up"));
    assert_eq!(resolved(second).expect_err("the loader panicked"), error);
    assert_eq!(ready_error(registry.get_or_load(&options)), error);

    // Its teardown ran once, when the load failed; ending the entry runs nothing twice.
    assert_eq!(*torn_down.borrow(), 1);
    assert!(registry.invalidate(&options));
    assert_eq!(*torn_down.borrow(), 1);

    let loader = TestLoader::new(&rt).delayed(ms(10));
    let store = rt
        .block_on(registry.get_or_load(&loader.options("b")).into_future())
        .expect("the registry still loads stores");
    assert_eq!(store.id, "b");
}

#[test]
fn a_loader_future_that_panics_on_its_first_poll_answers_at_once() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let options = Options::new("a".to_owned(), |_ctx: LoadContext<String>| async {
        explode("the first poll blew up")
    });

    let error = ready_error(registry.get_or_load(&options));
    assert!(panic_message(&error).contains("the first poll blew up"));
    rt.run_until_stalled();
    assert_eq!(rt.live_tasks(), 0);
}

#[test]
fn a_panicking_on_dispose_callback_does_not_stop_the_others() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let order = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&order);
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let (first, last) = (Rc::clone(&log), Rc::clone(&log));
        ctx.on_dispose(move || first.borrow_mut().push("first"));
        ctx.on_dispose(|| panic!("a teardown callback blew up"));
        ctx.on_dispose(move || last.borrow_mut().push("last"));
        let id = ctx.store_id().clone();
        async move { Ok(TestStore { id, load: 1 }) }
    })
    .unused_cache_time(secs(1));

    let _store = ready_store(registry.get_or_load(&options));
    rt.advance(secs(1));
    assert_eq!(*order.borrow(), ["last", "first"]);
    assert!(registry.snapshot().is_empty());

    // The registry, its timer included, keeps working.
    let _again = ready_store(registry.get_or_load(&options));
    rt.advance(secs(1));
    assert_eq!(*order.borrow(), ["last", "first", "last", "first"]);

    let _third = ready_store(registry.get_or_load(&options));
    registry.dispose();
    assert_eq!(order.borrow().len(), 6);
    assert!(registry.is_disposed());
}

#[test]
fn a_panicking_on_dispose_callback_registered_after_the_entry_ended_does_not_unwind() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let (options, kept) = options_keeping_context("a");

    let _store = ready_store(registry.get_or_load(&options));
    assert!(registry.invalidate(&options));
    let ctx = kept.borrow_mut().take().expect("the loader ran");
    ctx.on_dispose(|| panic!("a late teardown callback blew up"));

    let _again = ready_store(registry.get_or_load(&options));
    assert_eq!(live_entry(&registry, "a").state, EntryState::Ready);
}

/// A runtime whose `spawn_local` panics, as tokio's does outside a `LocalSet`.
struct NoSpawnRuntime(TestRuntime);

impl registry_core::Runtime for NoSpawnRuntime {
    fn spawn_local(&self, _task: futures::future::LocalBoxFuture<'static, ()>) {
        panic!("spawn_local called from outside of a task::LocalSet");
    }
    fn sleep(&self, duration: std::time::Duration) -> futures::future::LocalBoxFuture<'static, ()> {
        self.0.sleep(duration)
    }
    fn now(&self) -> std::time::Duration {
        self.0.now()
    }
}

#[test]
fn a_runtime_that_cannot_spawn_leaves_no_stuck_entry() {
    let rt = TestRuntime::new();
    let registry: registry_core::StoreRegistry<String> = registry_core::StoreRegistry::with_runtime(
        registry_core::RegistryConfig::default(),
        NoSpawnRuntime(rt.clone()),
    );
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options("a");

    // The load needs a task: the runtime's panic goes on, and the entry is gone.
    let spawn =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| registry.retain(&options)));
    assert!(spawn.is_err());
    assert!(registry.snapshot().is_empty(), "no entry stuck in Loading");
    assert_eq!((loader.loads(), loader.disposals()), (1, 1));

    // A loader that is ready at once needs no task, but its countdown needs the timer task:
    // that spawn fails too, and the next countdown tries again instead of never firing.
    let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = registry.get_or_load(&TestLoader::new(&rt).options_with("b", ms(10)));
    }));
    assert!(first.is_err());
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = registry.get_or_load(&TestLoader::new(&rt).options_with("c", ms(10)));
    }));
    assert!(
        again.is_err(),
        "the timer task is spawned again, not assumed running"
    );
}

/// A store whose `Drop` panics.
struct ExplodingStore;

impl Drop for ExplodingStore {
    fn drop(&mut self) {
        panic!("the store's Drop blew up");
    }
}

#[test]
fn a_panicking_store_drop_does_not_stop_a_batch_of_disposals() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, secs(1));
    let bomb =
        registry_core::StoreOptions::new("bomb".to_owned(), |_: LoadContext<String>| async {
            Ok::<_, TestError>(ExplodingStore)
        });
    let loader = TestLoader::new(&rt);
    let slow = TestLoader::new(&rt).delayed(secs(10));
    // Dropped as soon as the registry lets go of it.
    drop(ready_store(registry.get_or_load(&bomb)));
    let _b = ready_store(registry.get_or_load(&loader.options("b")));
    let waiting = pending(registry.get_or_load(&slow.options("c")));
    drop(waiting);
    let _d = ready_store(registry.get_or_load(&loader.options("d")));

    // Every idle entry falls due at once; the bomb's Drop panics in the middle of the batch.
    rt.advance(secs(1));
    assert_eq!(loader.disposals(), 2, "the rest of the batch ran");
    assert_eq!(live_entry(&registry, "c").state, EntryState::Loading);

    // The timer task survived: later countdowns still fire.
    let _e = ready_store(registry.get_or_load(&loader.options("e")));
    rt.advance(secs(1));
    assert_eq!(loader.disposals(), 3);

    // And so does dispose(), with another bomb among the entries.
    drop(ready_store(registry.get_or_load(&bomb)));
    let waiting = pending(registry.get_or_load(&slow.options("f")));
    registry.dispose();
    assert_eq!(resolved(waiting).map(|_| ()), Err(RegistryError::Disposed));
    assert!(registry.snapshot().is_empty());
}

#[test]
fn under_tokio_the_timer_task_survives_a_panicking_store_drop() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let config = registry_core::RegistryConfig::default()
            .default_unused_cache_time(std::time::Duration::from_secs(1));
        let registry: registry_core::StoreRegistry = registry_core::StoreRegistry::new(config);
        let bomb =
            registry_core::StoreOptions::new("bomb".to_owned(), |_: LoadContext<String>| async {
                Ok::<_, TestError>(ExplodingStore)
            });
        let disposed = Rc::new(RefCell::new(0));
        let counter = Rc::clone(&disposed);
        let counted =
            registry_core::StoreOptions::new("b".to_owned(), move |ctx: LoadContext<String>| {
                let counter = Rc::clone(&counter);
                ctx.on_dispose(move || *counter.borrow_mut() += 1);
                async {
                    Ok::<_, TestError>(TestStore {
                        id: "b".into(),
                        load: 1,
                    })
                }
            });
        drop(registry.get_or_load(&bomb).into_future().await);
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        assert!(registry.snapshot().is_empty(), "the bomb was disposed");
        drop(registry.get_or_load(&counted).into_future().await);
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        assert_eq!(*disposed.borrow(), 1, "the timer task still runs");
    });
}

/// An id whose `Clone` panics once armed.
#[derive(Debug)]
struct TrickyId {
    name: &'static str,
    explode_on_clone: Rc<std::cell::Cell<bool>>,
}

impl PartialEq for TrickyId {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TrickyId {}

impl std::hash::Hash for TrickyId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl Clone for TrickyId {
    fn clone(&self) -> Self {
        assert!(!self.explode_on_clone.get(), "the id's Clone blew up");
        Self {
            name: self.name,
            explode_on_clone: Rc::clone(&self.explode_on_clone),
        }
    }
}

#[test]
fn a_panicking_id_clone_leaves_no_half_made_entry() {
    let rt = TestRuntime::new();
    let registry: registry_core::StoreRegistry<TrickyId> =
        registry_core::StoreRegistry::with_runtime(
            registry_core::RegistryConfig::default().default_unused_cache_time(CacheTime::Infinite),
            rt.clone(),
        );
    let armed = Rc::new(std::cell::Cell::new(false));
    let id = TrickyId {
        name: "a",
        explode_on_clone: Rc::clone(&armed),
    };
    let options = registry_core::StoreOptions::new(id, |ctx: LoadContext<TrickyId>| {
        let name = ctx.store_id().name;
        async move { Ok::<_, TestError>(name) }
    });
    armed.set(true);
    let lookup = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        registry.get_or_load(&options)
    }));
    assert!(lookup.is_err(), "the clone panicked");
    assert!(registry.snapshot().is_empty(), "nothing half-made is left");
    armed.set(false);
    assert_eq!(*ready_store(registry.get_or_load(&options)), "a");
    assert_eq!(registry.snapshot().len(), 1);
}

/// A loader future whose `Drop` panics.
struct ExplodingFuture;

impl std::future::Future for ExplodingFuture {
    type Output = Result<TestStore, TestError>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::task::Poll::Pending
    }
}

impl Drop for ExplodingFuture {
    fn drop(&mut self) {
        panic!("the loader future's Drop blew up");
    }
}

#[test]
fn a_cancelled_loader_future_whose_drop_panics_is_contained() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, ms(0));
    let options = Options::new("a".to_owned(), |_: LoadContext<String>| ExplodingFuture);
    let loader = TestLoader::new(&rt);
    let (guard, lookup) = registry.retain_and_get(&options);
    let waiting = pending(lookup);
    // Cache time zero: the release cancels the load and drops the future, which panics.
    drop(guard);
    assert_eq!(resolved(waiting).map(|_| ()), Err(RegistryError::Cancelled));
    assert!(registry.snapshot().is_empty());
    assert_eq!(
        ready_store(registry.get_or_load(&loader.options("b"))).id,
        "b"
    );
}

#[test]
fn a_panicking_async_teardown_counts_as_finished() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let loads = Rc::new(RefCell::new(0));
    let counter = Rc::clone(&loads);
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        *counter.borrow_mut() += 1;
        let load = *counter.borrow();
        ctx.on_dispose_async(|| async { panic!("the teardown blew up") });
        async move {
            Ok(TestStore {
                id: "a".into(),
                load,
            })
        }
    });
    let _store = ready_store(registry.get_or_load(&options));
    assert!(registry.invalidate(&options));
    rt.run_until_stalled();
    assert!(
        registry.snapshot().is_empty(),
        "the disposing entry is forgotten"
    );
    assert_eq!(ready_store(registry.get_or_load(&options)).load, 2);
    rt.block_on(registry.dispose_async());
}

#[test]
fn a_panicking_load_scope_does_not_strand_the_load() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let calls = Rc::new(RefCell::new(0));
    let counter = Rc::clone(&calls);
    registry.set_load_scope(move |load: &mut dyn FnMut()| {
        *counter.borrow_mut() += 1;
        // Panics before calling through every other time, after it the rest.
        if *counter.borrow() % 2 == 1 {
            panic!("the scope blew up before the poll");
        }
        load();
        panic!("the scope blew up after the poll");
    });
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let waiting = pending(registry.get_or_load(&loader.options("a")));
    rt.advance(secs(1));
    assert_eq!(resolved(waiting).expect("the load settled").id, "a");
    assert_eq!(live_entry(&registry, "a").state, EntryState::Ready);
    assert!(*calls.borrow() >= 2);
}

#[test]
fn a_teardown_that_cannot_be_spawned_still_runs_every_callback_once_in_order() {
    let rt = TestRuntime::new();
    let log: Rc<RefCell<Vec<&str>>> = Rc::default();
    let registry: registry_core::StoreRegistry = registry_core::StoreRegistry::with_runtime(
        registry_core::RegistryConfig::default().default_unused_cache_time(CacheTime::Infinite),
        NoSpawnRuntime(rt.clone()),
    );
    let logger = Rc::clone(&log);
    let options = Options::new("a".to_owned(), move |ctx: LoadContext<String>| {
        let (first, second) = (Rc::clone(&logger), Rc::clone(&logger));
        ctx.on_dispose(move || first.borrow_mut().push("close socket"));
        ctx.on_dispose_async(move || async move { second.borrow_mut().push("flush") });
        async {
            Ok(TestStore {
                id: "a".into(),
                load: 1,
            })
        }
    });
    let _store = ready_store(registry.get_or_load(&options));
    assert!(registry.invalidate(&options));
    // Nothing can drive the async one: it is called and its future polled once (this one
    // needs no waiting, so it completes), then the older synchronous one runs.
    assert_eq!(*log.borrow(), ["flush", "close socket"]);
    assert!(registry.snapshot().is_empty(), "nothing is left disposing");
}

/// Options for a store whose `Drop` panics, loaded `delay` after the call (in a task).
fn delayed_bomb(
    rt: &TestRuntime,
    delay: std::time::Duration,
) -> registry_core::StoreOptions<String, ExplodingStore, TestError> {
    let rt = rt.clone();
    registry_core::StoreOptions::new("bomb".to_owned(), move |_: LoadContext<String>| {
        let sleep = rt.sleep(delay);
        async move {
            sleep.await;
            Ok::<_, TestError>(ExplodingStore)
        }
    })
}

#[test]
fn a_store_whose_drop_panics_is_contained_when_it_ends_as_its_load_completes() {
    // Cache time 0, and an idle bound of 0: the entry ends in the step that completes its load,
    // in the load's task.
    for config in [
        registry_core::RegistryConfig::default().default_unused_cache_time(ms(0)),
        registry_core::RegistryConfig::default()
            .default_unused_cache_time(secs(60))
            .max_idle_entries(0),
    ] {
        let rt = TestRuntime::new();
        let registry: registry_core::StoreRegistry =
            registry_core::StoreRegistry::with_runtime(config, rt.clone());
        let bomb = delayed_bomb(&rt, secs(1));
        drop(pending(registry.get_or_load(&bomb)));
        // The runtime drops the finished load task: the store's last reference goes there.
        rt.advance(secs(1));
        assert!(registry.snapshot().is_empty());
        // The registry goes on.
        let loader = TestLoader::new(&rt);
        let _a = ready_store(registry.get_or_load(&loader.options("a")));
    }
}

#[test]
fn events_of_a_load_that_cannot_be_spawned_are_delivered_before_the_panic_goes_on() {
    let rt = TestRuntime::new();
    let registry: registry_core::StoreRegistry<String> = registry_core::StoreRegistry::with_runtime(
        registry_core::RegistryConfig::default(),
        NoSpawnRuntime(rt.clone()),
    );
    let heard = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&heard);
    let _subscription = registry.subscribe(move |event| log.borrow_mut().push(event.kind));
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let spawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        registry.retain(&loader.options("a"))
    }));
    assert!(spawn.is_err());
    use registry_core::RegistryEventKind::{Disposed, LoadStarted};
    assert_eq!(*heard.borrow(), [LoadStarted, Disposed]);
}

/// A waker that panics when woken.
struct ExplodingWaker;

impl std::task::Wake for ExplodingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        panic!("the waker blew up");
    }
}

#[test]
fn a_waker_that_panics_when_a_load_completes_or_an_entry_ends_is_contained() {
    use std::future::Future as _;
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let waker = std::task::Waker::from(std::sync::Arc::new(ExplodingWaker));
    let mut cx = std::task::Context::from_waker(&waker);

    // Woken by `complete`.
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let mut waiting = pending(registry.get_or_load(&loader.options("a")));
    assert!(std::pin::Pin::new(&mut waiting).poll(&mut cx).is_pending());
    rt.advance(secs(1));
    assert_eq!(live_entry(&registry, "a").state, EntryState::Ready);
    assert_eq!(resolved(waiting).expect("loaded").id, "a");

    // Woken by the teardown (`LoadContext::cancelled`).
    let (options, kept) = options_keeping_context("b");
    let _b = ready_store(registry.get_or_load(&options));
    let ctx = kept.borrow_mut().take().expect("the loader ran");
    let mut cancelled = ctx.cancelled();
    assert!(
        std::pin::Pin::new(&mut cancelled)
            .poll(&mut cx)
            .is_pending()
    );
    assert!(registry.invalidate(&options));
    assert!(ctx.is_cancelled());
    assert!(
        registry
            .snapshot()
            .iter()
            .all(|entry| entry.store_id != "b")
    );
}
