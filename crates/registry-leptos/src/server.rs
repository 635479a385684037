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
    slots: HashMap<u64, Rc<dyn ErasedSlot>>,
    next_slot: u64,
    /// Suspense tasks held until the request ends: those of reads left to the browser
    /// ([`notify_browser_only`]).
    held_tasks: Vec<TaskHandle>,
    /// The page's snapshots, by key: one per entry, however many components read it.
    snapshots: HashMap<Rc<str>, Snapshot>,
    /// The Suspense tasks of loads under way, for [`leave_pending_to_browser`].
    pending_suspense: Vec<std::rc::Weak<RefCell<Vec<TaskHandle>>>>,
    /// Whether the request's stores that have not settled yet are left to the browser (its
    /// deadline passed): reads of them render the Suspense fallback from then on.
    past_deadline: bool,
}

/// One entry's snapshot in a request's page.
enum Snapshot {
    /// Promised to the page, not written yet: sending ends the page's wait for it (dropping
    /// the sender writes `null`).
    Promised(Option<futures::channel::oneshot::Sender<String>>),
    /// Written: the server renders the store, and the browser starts from the snapshot.
    Written,
    /// Not written (a failure, a snapshot that cannot be taken, a read outside `<Suspense>`,
    /// the deadline): the server renders the fallback, and the browser loads the store.
    LeftToBrowser,
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

/// Promises the page the snapshot of the entry `key` names, once per request: `promise` is
/// called with where it goes in the page's serialized data (see below) and returns the sender
/// that [`settle_snapshot`] writes it with. Does nothing when the request already promised
/// it or is not rendered on this thread; past the request's deadline the entry is left to the
/// browser instead.
///
/// Snapshots use ids of their own, far above those Leptos counts from zero for its resources,
/// so that they take nothing from that count: the browser finds them by their key, not by
/// their position, and a Leptos resource created after a hydrated store is numbered the same on
/// both sides even when the server calls `use_hydrated_store` more often (a `<Suspense>` runs
/// its children once more on the server to find their resources).
pub(crate) fn promise_snapshot(
    request: RequestKey,
    key: &Rc<str>,
    promise: impl FnOnce(usize) -> futures::channel::oneshot::Sender<String>,
) {
    /// 2^40: above any count of Leptos resources, below 2^53 (exact in JavaScript), and not an
    /// array index in JavaScript (above 2^32 - 2), so that it does not stretch the array Leptos
    /// keeps its data in.
    const FIRST: u64 = 1 << 40;
    let id = REQUESTS.with_borrow_mut(|requests| {
        let state = requests.get_mut(&request)?;
        if state.snapshots.contains_key(key) {
            return None;
        }
        if state.past_deadline {
            // Too late to wait for anything: rendered as browser-only, even once loaded.
            state
                .snapshots
                .insert(Rc::clone(key), Snapshot::LeftToBrowser);
            return None;
        }
        let id = usize::try_from(FIRST + state.snapshots.len() as u64).ok()?;
        state
            .snapshots
            .insert(Rc::clone(key), Snapshot::Promised(None));
        Some(id)
    });
    let Some(id) = id else {
        return;
    };
    let sender = promise(id);
    let unsent = REQUESTS.with_borrow_mut(|requests| {
        match requests
            .get_mut(&request)
            .and_then(|state| state.snapshots.get_mut(key))
        {
            Some(Snapshot::Promised(slot)) => {
                *slot = Some(sender);
                None
            }
            // Settled while `promise` ran: nothing is written.
            _ => Some(sender),
        }
    });
    drop(unsent);
}

/// Writes the snapshot of the entry `key` names, taken by `encode`, if the page still waits
/// for it; returns whether the server renders the store (its snapshot is in the page, or the
/// request promised none). Called by every read of the entry once its load settles: only the
/// first one takes the snapshot. A panicking `encode` counts as a snapshot that cannot be
/// taken.
pub(crate) fn settle_snapshot(
    request: RequestKey,
    key: &str,
    encode: impl FnOnce() -> Option<String>,
) -> bool {
    let promised = REQUESTS.with_borrow_mut(|requests| {
        let Some(snapshot) = requests
            .get_mut(&request)
            .and_then(|state| state.snapshots.get_mut(key))
        else {
            return Err(true);
        };
        match snapshot {
            Snapshot::Written => Err(true),
            Snapshot::LeftToBrowser => Err(false),
            Snapshot::Promised(sender) => Ok(sender.take()),
        }
    });
    let sender = match promised {
        Ok(sender) => sender,
        Err(rendered) => return rendered,
    };
    let json =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(encode)).unwrap_or_else(|_panic| {
            leptos::logging::warn!(
                "use_hydrated_store: taking the snapshot of {key} panicked; the server renders \
                 its fallback and the browser loads it"
            );
            None
        });
    let written = json.is_some();
    REQUESTS.with_borrow_mut(|requests| {
        if let Some(snapshot) = requests
            .get_mut(&request)
            .and_then(|state| state.snapshots.get_mut(key))
        {
            *snapshot = if written {
                Snapshot::Written
            } else {
                Snapshot::LeftToBrowser
            };
        }
    });
    if let (Some(sender), Some(json)) = (sender, json) {
        drop(sender.send(json));
    }
    written
}

/// Leaves the entry `key` names to the browser if its snapshot is not written yet: a read
/// that renders nothing on the server (outside `<Suspense>`, before the store settled) must
/// render nothing in the browser while it hydrates either, so the browser gets no snapshot.
fn leave_snapshot_to_browser(request: RequestKey, key: &str) {
    let sender = REQUESTS.with_borrow_mut(|requests| {
        let snapshot = requests
            .get_mut(&request)
            .and_then(|state| state.snapshots.get_mut(key))?;
        match snapshot {
            Snapshot::Promised(sender) => {
                let sender = sender.take();
                *snapshot = Snapshot::LeftToBrowser;
                sender
            }
            Snapshot::Written | Snapshot::LeftToBrowser => None,
        }
    });
    drop(sender);
}

/// Leaves every store of `request` that has not settled to the browser (its deadline passed):
/// their snapshots are not written, their reads render the Suspense fallback, and the
/// Suspense tasks they held are released so that the page can end.
pub(crate) fn leave_pending_to_browser(request: RequestKey) {
    let (senders, slots, suspense) = REQUESTS.with_borrow_mut(|requests| {
        let Some(state) = requests.get_mut(&request) else {
            return Default::default();
        };
        state.past_deadline = true;
        let senders: Vec<_> = state
            .snapshots
            .values_mut()
            .filter_map(|snapshot| match snapshot {
                Snapshot::Promised(sender) => {
                    let sender = sender.take();
                    *snapshot = Snapshot::LeftToBrowser;
                    sender
                }
                Snapshot::Written | Snapshot::LeftToBrowser => None,
            })
            .collect();
        let slots: Vec<Rc<dyn ErasedSlot>> = state.slots.values().cloned().collect();
        let suspense = std::mem::take(&mut state.pending_suspense);
        (senders, slots, suspense)
    });
    drop(senders);
    for slot in &slots {
        slot.leave_to_browser();
    }
    drop(slots);
    for tasks in suspense {
        if let Some(tasks) = tasks.upgrade() {
            let tasks = std::mem::take(&mut *tasks.borrow_mut());
            drop(tasks);
        }
    }
}

fn past_deadline(request: RequestKey) -> bool {
    REQUESTS.with_borrow(|requests| {
        requests
            .get(&request)
            .is_some_and(|state| state.past_deadline)
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

/// How a hydrated store's snapshot is taken: the entry's key in the page, and what turns an
/// outcome into the snapshot's JSON.
pub(crate) struct SnapshotWriter<S: 'static, E: 'static> {
    pub(crate) key: Rc<str>,
    pub(crate) encode: Rc<EncodeSnapshot<S, E>>,
}

/// Turns an entry's key and outcome into its snapshot's JSON (`None`: the browser cannot
/// start from it).
pub(crate) type EncodeSnapshot<S, E> = dyn Fn(&str, &Outcome<S, E>) -> Option<String>;

impl<S: 'static, E: 'static> Clone for SnapshotWriter<S, E> {
    fn clone(&self) -> Self {
        Self {
            key: Rc::clone(&self.key),
            encode: Rc::clone(&self.encode),
        }
    }
}

impl<S: 'static, E: 'static> SnapshotWriter<S, E> {
    /// Whether the server renders `outcome` (see [`settle_snapshot`]).
    fn settle(&self, request: RequestKey, outcome: &Outcome<S, E>) -> bool {
        settle_snapshot(request, &self.key, || (self.encode)(&self.key, outcome))
    }
}

/// The Suspense tasks a load holds, released when it is dropped: after the load settles, when
/// settling it panics, or when the request ends first.
struct SuspenseTasks(Rc<RefCell<Vec<TaskHandle>>>);

impl Drop for SuspenseTasks {
    fn drop(&mut self) {
        let tasks = std::mem::take(&mut *self.0.borrow_mut());
        drop(tasks);
    }
}

/// A [`Slot`] of any store type.
trait ErasedSlot: Any {
    /// Renders the slot's store as browser-only if it has not settled (the request's deadline
    /// passed), waking what waits for it.
    fn leave_to_browser(&self);

    /// Whether the slot's store has not settled, or is left to the browser.
    fn loading(&self) -> bool;
}

/// One `use_store` call's store on the server: the hold, and the outcome once settled.
struct Slot<S: 'static, E: 'static> {
    request: RequestKey,
    _guard: RetainGuard,
    outcome: RefCell<Option<Outcome<S, E>>>,
    waiters: RefCell<Vec<Waker>>,
    /// Suspense tasks taken by reads while the store loads. Shared with the task that waits
    /// for the load, which drops them when it settles even if this slot ended before: a
    /// `<Suspense>` re-creates its children (and their slots) on the server while it waits,
    /// and must not see its tasks run out before the store has loaded.
    suspense: Rc<RefCell<Vec<TaskHandle>>>,
    /// The key of the entry's snapshot in the page (hydrated stores).
    snapshot: Option<Rc<str>>,
    /// Whether the store is rendered as browser-only: it settled into something the browser
    /// cannot start from (a failure, a snapshot that could not be taken), or it was read where
    /// the server could not wait for it, or the request's deadline passed. Its reads then
    /// render the Suspense fallback ([`notify_browser_only`]) and the browser loads it.
    browser_only: Cell<bool>,
}

impl<S: 'static, E: 'static> Slot<S, E> {
    fn settle(&self, outcome: Outcome<S, E>, rendered: bool) {
        if !rendered {
            self.browser_only.set(true);
        }
        *self.outcome.borrow_mut() = Some(outcome);
        self.wake();
    }

    fn wake(&self) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        let suspense = std::mem::take(&mut *self.suspense.borrow_mut());
        waiters.into_iter().for_each(Waker::wake);
        drop(suspense);
    }
}

impl<S: 'static, E: 'static> ErasedSlot for Slot<S, E> {
    fn loading(&self) -> bool {
        self.browser_only.get() || self.outcome.borrow().is_none()
    }

    fn leave_to_browser(&self) {
        if self.outcome.borrow().is_none() {
            self.browser_only.set(true);
            self.wake();
        }
    }
}

/// Starts a `use_store` on the server: retains the store in the request's registry, and
/// settles the slot when its load does (taking the entry's snapshot, for a hydrated store).
/// The slot ends on the calling owner's cleanup.
///
/// Returns `None` when this thread does not render `request`.
pub(crate) fn start_slot<K, S, E>(
    request: RequestKey,
    registry: &StoreRegistry<K>,
    options: &StoreOptions<K, S, E>,
    snapshot: Option<SnapshotWriter<S, E>>,
) -> Option<SlotKey>
where
    K: StoreId,
    S: 'static,
    E: 'static,
{
    let (guard, lookup) = registry.retain_and_get(options);
    let slot = Rc::new(Slot::<S, E> {
        request,
        _guard: guard,
        outcome: RefCell::new(None),
        waiters: RefCell::new(Vec::new()),
        suspense: Rc::default(),
        snapshot: snapshot.as_ref().map(|writer| Rc::clone(&writer.key)),
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
            .insert(key.slot, Rc::clone(&slot) as Rc<dyn ErasedSlot>);
        Some(key)
    })?;
    Owner::on_cleanup(move || end_slot(key));
    let rendered = move |outcome: &Outcome<S, E>| {
        snapshot
            .as_ref()
            .is_none_or(|writer| writer.settle(request, outcome))
    };
    match lookup {
        Lookup::Ready(outcome) => {
            let rendered = rendered(&outcome);
            slot.settle(outcome, rendered);
        }
        Lookup::Pending(_) if past_deadline(request) => slot.leave_to_browser(),
        Lookup::Pending(load) => {
            let weak = Rc::downgrade(&slot);
            let suspense = Rc::clone(&slot.suspense);
            REQUESTS.with_borrow_mut(|requests| {
                if let Some(state) = requests.get_mut(&request) {
                    state
                        .pending_suspense
                        .retain(|tasks| tasks.strong_count() > 0);
                    state.pending_suspense.push(Rc::downgrade(&suspense));
                }
            });
            drop(slot);
            // This thread renders `request`, so it runs a tokio `LocalRuntime` (a
            // `LocalPoolHandle` worker): the task stays here.
            tokio::task::spawn_local(async move {
                // Released on every path, so that the Suspense never waits for ever.
                let _suspense = SuspenseTasks(suspense);
                let outcome = load.await;
                let rendered = rendered(&outcome);
                if let Some(slot) = weak.upgrade() {
                    slot.settle(outcome, rendered);
                }
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
    let slot = (slot.as_ref() as &dyn Any).downcast_ref::<Slot<S, E>>()?;
    Some(read(slot))
}

/// The store of a slot, if settled. With `track`, while loading, holds the nearest Suspense
/// until it settles (so that a synchronous read under `<Suspense>` waits for the store).
///
/// A read outside every `<Suspense>` before the store settled renders nothing here, and
/// nothing can wait for it: the store is then left to the browser (no snapshot), so that the
/// browser renders nothing there while it hydrates either.
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
        if outcome.is_none() {
            match use_context::<SuspenseContext>() {
                Some(suspense) if track => slot.suspense.borrow_mut().push(suspense.task_id()),
                Some(_) => {}
                None => {
                    if let Some(snapshot) = &slot.snapshot {
                        leave_snapshot_to_browser(slot.request, snapshot);
                    }
                }
            }
        }
        let loading = outcome.is_none();
        (outcome, loading)
    })
    .unwrap_or((None, true))
}

/// Whether a slot's store is still loading (or left to the browser), with no other effect.
pub(crate) fn slot_loading(key: SlotKey) -> bool {
    REQUESTS
        .with_borrow(|requests| {
            let slot = requests.get(&key.request)?.slots.get(&key.slot)?;
            Some(slot.loading())
        })
        .unwrap_or(true)
}

/// Polls a slot for its settled store.
pub(crate) fn poll_slot<S: 'static, E: 'static>(
    key: SlotKey,
    cx: &mut Context<'_>,
) -> Poll<Outcome<S, E>> {
    with_slot(key, |slot: &Slot<S, E>| {
        if slot.browser_only.get() {
            return poll_pending(cx);
        }
        match &*slot.outcome.borrow() {
            Some(outcome) => Poll::Ready(outcome.clone()),
            None => {
                let mut waiters = slot.waiters.borrow_mut();
                if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    waiters.push(cx.waker().clone());
                }
                Poll::Pending
            }
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
