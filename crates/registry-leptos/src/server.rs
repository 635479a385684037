//! The server side (every native target).
//!
//! Outside a request rendered by [`SsrRenderer`](crate::ssr::SsrRenderer) (or without the `ssr`
//! feature) nothing `Rc` is created, kept or polled: `use_store` tells its `<Suspense>` to render
//! the fallback, and the registry in context is a disposed stand-in.
//!
//! Inside such a request, the render runs on one pinned thread that owns the request's state
//! in a thread-local map: its registries (one per id type, cache time `Infinite`) and the stores
//! each `use_store` call holds. Leptos context and futures carry only `Copy + Send` keys into
//! that map ([`RequestKey`], [`SlotKey`]); an `Rc` never enters them.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::future::LocalBoxFuture;
use leptos::prelude::{Owner, use_context};
use leptos::reactive::computed::suspense::{LocalResourceNotifier, SuspenseContext, TaskHandle};
use registry_core::{
    CacheTime, Lookup, RegistryConfig, RetainGuard, Runtime, StoreId, StoreOptions, StoreRegistry,
};

use crate::resource::Outcome;

/// Tells the nearest `<Suspense>` that it reads a browser-only value, as a `LocalResource`
/// does: the Suspense then renders its fallback instead of waiting (which would hang the
/// response), and marks its chunk so that the browser starts from the fallback when it
/// hydrates. Outside any Suspense there is nothing to tell.
///
/// It also holds one of the Suspense's tasks: otherwise the Suspense would see no pending task
/// and race "render the children" against "render the fallback", and a synchronous read could
/// put the children, without the store, into the page. The task is held until the request
/// ends when [`SsrRenderer`](crate::ssr::SsrRenderer) renders it, else until the reading owner
/// is cleaned up. It must outlive the reading owner where it can: a read inside the Suspense's
/// own effect is cleaned up on the effect's next run.
pub(crate) fn notify_browser_only() {
    if let Some(mut notifier) = use_context::<LocalResourceNotifier>() {
        notifier.notify();
    }
    let Some(suspense) = use_context::<SuspenseContext>() else {
        return;
    };
    let task = suspense.task_id();
    let unheld = match use_context::<RequestKey>() {
        Some(request) => REQUESTS.with_borrow_mut(|requests| match requests.get_mut(&request) {
            Some(state) => {
                state.held_tasks.push(task);
                None
            }
            None => Some(task),
        }),
        None => Some(task),
    };
    if let Some(task) = unheld {
        Owner::on_cleanup(move || drop(task));
    }
}

/// A future that is pending for ever, telling the enclosing Suspense so at every poll.
pub(crate) fn poll_pending<T>(_cx: &mut Context<'_>) -> Poll<T> {
    notify_browser_only();
    Poll::Pending
}

/// A runtime that is never asked for anything: the registry it serves is disposed at birth.
struct NoRuntime;

impl Runtime for NoRuntime {
    fn spawn_local(&self, task: LocalBoxFuture<'static, ()>) {
        drop(task);
    }

    fn sleep(&self, _duration: Duration) -> LocalBoxFuture<'static, ()> {
        Box::pin(futures::future::pending())
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

/// What [`use_store_registry`](crate::use_store_registry) hands out on the server outside a
/// request with stores: a disposed registry, so that `preload` is a no-op and lookups answer
/// `RegistryError::Disposed`.
pub(crate) fn inert_registry<K: StoreId>() -> StoreRegistry<K> {
    let registry = StoreRegistry::with_runtime(RegistryConfig::default(), NoRuntime);
    registry.dispose();
    registry
}

/// Names one request's state in the thread-local map of the thread that renders it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RequestKey(u64);

/// Names one `use_store` call's slot in its request's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SlotKey {
    request: RequestKey,
    slot: u64,
}

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);
pub(crate) static LIVE_REGISTRIES: AtomicUsize = AtomicUsize::new(0);
pub(crate) static LIVE_ENTRIES: AtomicUsize = AtomicUsize::new(0);

/// One request's stores: its registries by id type, and the slots of its `use_store` calls.
#[derive(Default)]
struct RequestState {
    /// One registry per id type, created on first use.
    registries: Registries,
    slots: HashMap<u64, Rc<dyn Any>>,
    next_slot: u64,
    /// Suspense tasks held until the request ends: those of reads left to the browser
    /// ([`notify_browser_only`]).
    held_tasks: Vec<TaskHandle>,
    /// Snapshots written into the page so far.
    snapshots: usize,
}

thread_local! {
    static REQUESTS: RefCell<HashMap<RequestKey, RequestState>> = RefCell::new(HashMap::new());
    /// The request whose render is being polled on this thread.
    static CURRENT: Cell<Option<RequestKey>> = const { Cell::new(None) };
}

/// The request being rendered on this thread, if any (set while its render is polled).
pub(crate) fn current_request() -> Option<RequestKey> {
    CURRENT.get()
}

/// Runs `poll` with `key` as the current request of this thread (restored after it, even when
/// it panics).
pub(crate) fn with_current<T>(key: RequestKey, poll: impl FnOnce() -> T) -> T {
    struct Restore(Option<RequestKey>);

    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.set(self.0);
        }
    }

    let _restore = Restore(CURRENT.replace(Some(key)));
    poll()
}

/// A request's state on the thread that renders it, from [`RequestScope::enter`] until
/// [`close`](RequestScope::close) (or its drop, when the render is aborted).
pub(crate) struct RequestScope {
    key: RequestKey,
    open: bool,
}

impl RequestScope {
    /// Opens a request's state on this thread.
    pub(crate) fn enter() -> Self {
        let key = RequestKey(NEXT_REQUEST.fetch_add(1, Ordering::Relaxed));
        REQUESTS.with_borrow_mut(|requests| requests.insert(key, RequestState::default()));
        Self { key, open: true }
    }

    pub(crate) fn key(&self) -> RequestKey {
        self.key
    }

    /// Takes the request's state out of this thread's map (once), releases every store its
    /// slots hold and disposes its registries. Returns the registries (still counted as live)
    /// and, for each, the future of its async teardown.
    fn end(&mut self) -> Option<(Registries, Vec<LocalBoxFuture<'static, ()>>)> {
        if !std::mem::take(&mut self.open) {
            return None;
        }
        let state = REQUESTS.with_borrow_mut(|requests| requests.remove(&self.key))?;
        let RequestState {
            registries, slots, ..
        } = state;
        drop(slots);
        let teardown = registries
            .iter()
            .map(|registry| registry.dispose())
            .collect();
        Some((registries, teardown))
    }

    /// Releases every store the request holds and disposes its registries, awaiting their
    /// async teardown.
    pub(crate) async fn close(mut self) {
        if let Some((registries, teardown)) = self.end() {
            futures::future::join_all(teardown).await;
            drop(registries);
        }
    }
}

impl Drop for RequestScope {
    fn drop(&mut self) {
        // An aborted render: dispose at once (async teardown still runs, spawned on this
        // thread's runtime).
        drop(self.end());
    }
}

/// A request's registries, one per id type.
type Registries = Vec<Box<dyn ErasedRegistry>>;

/// A [`RequestRegistry`] of any id type.
trait ErasedRegistry: Any {
    /// Disposes the registry (sync callbacks now); the future waits for async teardown.
    fn dispose(&self) -> LocalBoxFuture<'static, ()>;
}

impl<K: StoreId> ErasedRegistry for RequestRegistry<K> {
    fn dispose(&self) -> LocalBoxFuture<'static, ()> {
        Box::pin(self.registry.dispose_async())
    }
}

/// A request's registry for `K`: counted while alive, its entries counted through its events.
struct RequestRegistry<K: StoreId> {
    registry: StoreRegistry<K>,
    _entries: registry_core::Subscription,
}

impl<K: StoreId> RequestRegistry<K> {
    fn new() -> Self {
        let registry = StoreRegistry::new(
            RegistryConfig::default().default_unused_cache_time(CacheTime::Infinite),
        );
        LIVE_REGISTRIES.fetch_add(1, Ordering::Relaxed);
        let entries = registry.subscribe(|event| match event.kind {
            registry_core::RegistryEventKind::LoadStarted => {
                LIVE_ENTRIES.fetch_add(1, Ordering::Relaxed);
            }
            registry_core::RegistryEventKind::Disposed => {
                LIVE_ENTRIES.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {}
        });
        Self {
            registry,
            _entries: entries,
        }
    }
}

impl<K: StoreId> Drop for RequestRegistry<K> {
    fn drop(&mut self) {
        self.registry.dispose();
        LIVE_REGISTRIES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where the next snapshot of `request` goes in the page's serialized data (`None` when this
/// thread does not render `request`).
///
/// Snapshots use ids of their own, far above those Leptos counts from zero for its resources,
/// so that they take nothing from that count: the browser finds them by their key, not by
/// their position, and a Leptos resource created after a hydrated store is numbered the same on
/// both sides even when the server calls `use_hydrated_store` more often (a `<Suspense>` runs
/// its children once more on the server to find their resources).
pub(crate) fn next_snapshot_id(request: RequestKey) -> Option<usize> {
    /// 2^40: above any count of Leptos resources, below 2^53 (exact in JavaScript), and not an
    /// array index in JavaScript (above 2^32 - 2), so that it does not stretch the array Leptos
    /// keeps its data in.
    const FIRST: u64 = 1 << 40;
    REQUESTS.with_borrow_mut(|requests| {
        let state = requests.get_mut(&request)?;
        let id = FIRST + state.snapshots as u64;
        state.snapshots += 1;
        usize::try_from(id).ok()
    })
}

/// The registry for `K` of `request`, created on first use, with `new_registry` run once on
/// a new one. `None` when `request` is not rendered on this thread.
pub(crate) fn request_registry<K: StoreId>(
    request: RequestKey,
    new_registry: impl FnOnce(&StoreRegistry<K>),
) -> Option<StoreRegistry<K>> {
    let (registry, created) = REQUESTS.with_borrow_mut(|requests| {
        let state = requests.get_mut(&request)?;
        let existing = state.registries.iter().find_map(|registry| {
            (registry.as_ref() as &dyn Any).downcast_ref::<RequestRegistry<K>>()
        });
        if let Some(existing) = existing {
            return Some((existing.registry.clone(), false));
        }
        let registry = RequestRegistry::<K>::new();
        let handle = registry.registry.clone();
        state.registries.push(Box::new(registry));
        Some((handle, true))
    })?;
    if created {
        new_registry(&registry);
    }
    Some(registry)
}

/// Called once with a slot's outcome when it settles; returns whether the browser can start
/// from what the server renders (`false`: the store is rendered as browser-only).
pub(crate) type OnSettled<S, E> = Box<dyn FnOnce(&Outcome<S, E>) -> bool>;

/// One `use_store` call's store on the server: the hold, and the outcome once settled.
struct Slot<S: 'static, E: 'static> {
    _guard: RetainGuard,
    outcome: RefCell<Option<Outcome<S, E>>>,
    waiters: RefCell<Vec<Waker>>,
    /// Suspense tasks taken by reads while the store loads. Shared with the task that waits
    /// for the load, which drops them when it settles even if this slot ended before: a
    /// `<Suspense>` re-creates its children (and their slots) on the server while it waits,
    /// and must not see its tasks run out before the store has loaded.
    suspense: Rc<RefCell<Vec<TaskHandle>>>,
    /// Called once with the outcome when it settles (the hydration snapshot's writer).
    on_settled: RefCell<Option<OnSettled<S, E>>>,
    /// Whether the store settled into something the browser cannot start from (a failure, a
    /// snapshot that could not be serialized): it is then read as a browser-only store
    /// ([`notify_browser_only`]), so that the server renders the fallback and the browser
    /// loads it.
    browser_only: Cell<bool>,
}

impl<S: 'static, E: 'static> Slot<S, E> {
    fn settle(&self, outcome: Outcome<S, E>) {
        let on_settled = self.on_settled.borrow_mut().take();
        if let Some(on_settled) = on_settled
            && !on_settled(&outcome)
        {
            self.browser_only.set(true);
        }
        *self.outcome.borrow_mut() = Some(outcome);
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        let suspense = std::mem::take(&mut *self.suspense.borrow_mut());
        waiters.into_iter().for_each(Waker::wake);
        drop(suspense);
    }
}

/// Starts a `use_store` on the server: retains the store in the request's registry, and
/// settles the slot when its load does. The slot ends on the calling owner's cleanup.
///
/// Returns `None` when this thread does not render `request`.
pub(crate) fn start_slot<K, S, E>(
    request: RequestKey,
    registry: &StoreRegistry<K>,
    options: &StoreOptions<K, S, E>,
    on_settled: Option<OnSettled<S, E>>,
) -> Option<SlotKey>
where
    K: StoreId,
    S: 'static,
    E: 'static,
{
    let (guard, lookup) = registry.retain_and_get(options);
    let slot = Rc::new(Slot::<S, E> {
        _guard: guard,
        outcome: RefCell::new(None),
        waiters: RefCell::new(Vec::new()),
        suspense: Rc::default(),
        on_settled: RefCell::new(on_settled),
        browser_only: Cell::new(false),
    });
    let key = REQUESTS.with_borrow_mut(|requests| {
        let state = requests.get_mut(&request)?;
        state.next_slot += 1;
        let key = SlotKey {
            request,
            slot: state.next_slot,
        };
        state
            .slots
            .insert(key.slot, Rc::clone(&slot) as Rc<dyn Any>);
        Some(key)
    })?;
    Owner::on_cleanup(move || end_slot(key));
    match lookup {
        Lookup::Ready(outcome) => slot.settle(outcome),
        Lookup::Pending(load) => {
            let weak = Rc::downgrade(&slot);
            let suspense = Rc::clone(&slot.suspense);
            drop(slot);
            // This thread renders `request`, so it runs a tokio `LocalRuntime` (a
            // `LocalPoolHandle` worker): the task stays here.
            tokio::task::spawn_local(async move {
                let outcome = load.await;
                if let Some(slot) = weak.upgrade() {
                    slot.settle(outcome);
                }
                drop(std::mem::take(&mut *suspense.borrow_mut()));
            });
        }
    }
    Some(key)
}

fn end_slot(key: SlotKey) {
    let slot = REQUESTS.with_borrow_mut(|requests| {
        requests
            .get_mut(&key.request)
            .and_then(|state| state.slots.remove(&key.slot))
    });
    drop(slot);
}

fn with_slot<S: 'static, E: 'static, T>(
    key: SlotKey,
    read: impl FnOnce(&Slot<S, E>) -> T,
) -> Option<T> {
    let slot = REQUESTS.with_borrow(|requests| {
        requests
            .get(&key.request)
            .and_then(|state| state.slots.get(&key.slot).cloned())
    })?;
    let slot = slot.downcast_ref::<Slot<S, E>>()?;
    Some(read(slot))
}

/// The store of a slot, if settled. With `track`, while loading, holds the nearest Suspense
/// until it settles (so that a synchronous read under `<Suspense>` waits for the store).
pub(crate) fn read_slot<S: 'static, E: 'static>(
    key: SlotKey,
    track: bool,
) -> (Option<Outcome<S, E>>, bool) {
    with_slot(key, |slot: &Slot<S, E>| {
        if slot.browser_only.get() {
            if track {
                notify_browser_only();
            }
            return (None, true);
        }
        let outcome = slot.outcome.borrow().clone();
        if track
            && outcome.is_none()
            && let Some(suspense) = use_context::<SuspenseContext>()
        {
            slot.suspense.borrow_mut().push(suspense.task_id());
        }
        let loading = outcome.is_none();
        (outcome, loading)
    })
    .unwrap_or((None, true))
}

/// Polls a slot for its settled store.
pub(crate) fn poll_slot<S: 'static, E: 'static>(
    key: SlotKey,
    cx: &mut Context<'_>,
) -> Poll<Outcome<S, E>> {
    with_slot(key, |slot: &Slot<S, E>| match &*slot.outcome.borrow() {
        Some(_) if slot.browser_only.get() => poll_pending(cx),
        Some(outcome) => Poll::Ready(outcome.clone()),
        None => {
            let mut waiters = slot.waiters.borrow_mut();
            if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                waiters.push(cx.waker().clone());
            }
            Poll::Pending
        }
    })
    .unwrap_or(Poll::Pending)
}

/// A future that makes `key` the current request of its thread while it is polled.
pub(crate) struct InRequest<F> {
    pub(crate) key: RequestKey,
    pub(crate) inner: Pin<Box<F>>,
}

impl<F: Future> Future for InRequest<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let key = self.key;
        with_current(key, || self.inner.as_mut().poll(cx))
    }
}
