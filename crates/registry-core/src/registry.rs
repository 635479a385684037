//! [`StoreRegistry`]: the handle, and every operation on the shared state behind it.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use slotmap::SlotMap;
use tracing::Instrument;

use crate::context::{Hooks, LoadContext};
use crate::entry::{Ended, Entry, EntryKey, Idle, Stage};
use crate::expiry::ExpiryQueue;
use crate::guard::{ReleaseHold, RetainGuard};
use crate::load::{Driven, Load, LoadFuture, Outcome};
use crate::timer::{self, Next, TimerSignal};
use crate::{
    EntrySnapshot, EntryState, Lookup, Preload, RegistryConfig, RegistryError, Runtime,
    StoreOptions,
};

/// Loads stores by id once, shares them, keeps each alive while something holds it, and
/// disposes it a cache time after the last holder lets go.
///
/// A cheap, clonable handle (`Rc` inside): clones share one registry. Single-threaded. When the
/// last handle is dropped, the registry is disposed as by [`dispose`](Self::dispose).
///
/// - `K`: the store id (`String` in most apps);
/// - `S`: the store, handed out as `Rc<S>`;
/// - `E`: the loader's error, cached and handed out as `Arc<E>`.
///
/// # Holders and cache time
///
/// An entry's holders are its unreleased [`RetainGuard`]s, plus one while a load that a
/// [`get_or_load`](Self::get_or_load) or [`preload`](Self::preload) call started or joined is in
/// flight (awaited or not). When the holders fall to zero the entry's cache time starts; a
/// retain cancels it, a hit restarts it. A cache time of zero disposes the entry inside the call
/// that released the last hold. A load held only by retain guards that are all released is
/// cancelled when the cache time runs out, like any idle entry.
///
/// # Re-entrancy
///
/// Loaders, `on_dispose` callbacks, wakers, and the `Drop` of a store or of a loader's error may
/// call back into the registry: it never calls them while it holds a borrow of its state. (The
/// id type's `Clone`, `Hash`, `Eq` and `Drop`, and [`Runtime::now`], do run under the borrow and
/// must not call back.)
///
/// # Keeping the registry alive
///
/// A store, a pending loader or an `on_dispose` callback that owns a clone of the
/// `StoreRegistry` keeps the registry alive through its own entry (an `Rc` cycle): with
/// [`CacheTime::Infinite`](crate::CacheTime::Infinite) that entry never ends, so dropping the
/// app's handles does not dispose the registry. Give stores and callbacks a
/// [`WeakStoreRegistry`] ([`downgrade`](Self::downgrade)) instead, or call
/// [`dispose`](Self::dispose) explicitly.
///
/// # Example
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// use registry_core::{CacheTime, LoadContext, Lookup, RegistryConfig, StoreOptions, StoreRegistry};
/// use registry_core::test_util::TestRuntime;
///
/// struct Todos { workspace: String }
///
/// let rt = TestRuntime::new();
/// let registry: StoreRegistry<String, Todos, std::io::Error> =
///     StoreRegistry::with_runtime(RegistryConfig::default(), rt.clone());
///
/// let closed = Rc::new(Cell::new(0));
/// let counter = closed.clone();
/// let options = StoreOptions::new("ws-1".to_string(), move |ctx: LoadContext<String>| {
///     let counter = counter.clone();
///     async move {
///         ctx.on_dispose(move || counter.set(counter.get() + 1));
///         Ok(Todos { workspace: ctx.store_id().clone() })
///     }
/// })
/// .unused_cache_time(Duration::from_secs(30));
///
/// // Loaded once; every later call is a synchronous hit.
/// let store = rt.block_on(registry.get_or_load(&options).into_future()).unwrap();
/// assert_eq!(store.workspace, "ws-1");
/// assert!(matches!(registry.get_or_load(&options), Lookup::Ready(Ok(s)) if Rc::ptr_eq(&s, &store)));
///
/// // Held while a guard lives; disposed 30 s after the last holder lets go.
/// let guard = registry.retain(&options);
/// rt.advance(Duration::from_secs(60));
/// assert_eq!(closed.get(), 0);
/// guard.release();
/// rt.advance(Duration::from_secs(30));
/// assert_eq!(closed.get(), 1);
/// assert!(registry.snapshot().is_empty());
/// ```
pub struct StoreRegistry<K, S, E> {
    shared: Rc<Shared<K, S, E>>,
}

impl<K, S, E> Clone for StoreRegistry<K, S, E> {
    fn clone(&self) -> Self {
        Self {
            shared: Rc::clone(&self.shared),
        }
    }
}

impl<K, S, E> fmt::Debug for StoreRegistry<K, S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shared.inner.try_borrow() {
            Ok(inner) => f
                .debug_struct("StoreRegistry")
                .field("entries", &inner.entries.len())
                .field("disposed", &inner.disposed)
                .finish(),
            Err(_) => f.debug_struct("StoreRegistry").finish_non_exhaustive(),
        }
    }
}

#[cfg(any(target_arch = "wasm32", feature = "tokio"))]
impl<K, S, E> StoreRegistry<K, S, E>
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
    S: 'static,
    E: 'static,
{
    /// A registry on the platform's runtime: the browser's event loop on wasm32
    /// (`BrowserRuntime`), tokio on native targets with the `tokio`
    /// feature (`TokioRuntime`, which needs a `LocalSet`).
    pub fn new(config: RegistryConfig) -> Self {
        #[cfg(target_arch = "wasm32")]
        let runtime = crate::BrowserRuntime;
        #[cfg(not(target_arch = "wasm32"))]
        let runtime = crate::TokioRuntime::new();
        Self::with_runtime(config, runtime)
    }
}

impl<K, S, E> StoreRegistry<K, S, E>
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
    S: 'static,
    E: 'static,
{
    /// A registry that spawns its tasks and reads its clock through `runtime`.
    pub fn with_runtime(config: RegistryConfig, runtime: impl Runtime + 'static) -> Self {
        Self {
            shared: Rc::new(Shared {
                runtime: Rc::new(runtime),
                config,
                signal: Rc::new(TimerSignal::default()),
                inner: RefCell::new(Inner {
                    disposed: false,
                    index: HashMap::default(),
                    entries: SlotMap::with_key(),
                    expiry: ExpiryQueue::default(),
                    armed: None,
                    timer_started: false,
                }),
            }),
        }
    }

    /// The store for `options`' id: [`Lookup::Ready`] at once when it is loaded (or its load
    /// failed), else [`Lookup::Pending`] with a future of the load, which this call starts if
    /// nothing is loading it yet. Never blocks and never retains; awaiting the [`Lookup`]
    /// gives the result either way.
    ///
    /// A hit on an idle entry restarts its cache time. The caller holds a pending load until
    /// it settles, awaited or not, so that a cache time of zero does not cancel it.
    ///
    /// After [`dispose`](Self::dispose): `Lookup::Ready(Err(RegistryError::Disposed))`.
    ///
    /// # Cancellation
    ///
    /// Dropping the returned future does not cancel the load; see [`LoadFuture`].
    pub fn get_or_load(&self, options: &StoreOptions<K, S, E>) -> Lookup<S, E> {
        let _span =
            tracing::debug_span!("StoreRegistry.getOrLoad", store_id = ?options.store_id).entered();
        match self.shared.lookup(options, Hold::Load) {
            (_, Some(lookup)) => lookup,
            (_, None) => unreachable!("a get_or_load lookup always answers"),
        }
    }

    /// Takes a hold on `options`' store, loading it if it is absent. The store is kept while
    /// the returned guard lives; dropping it (or [`RetainGuard::release`]) lets go.
    ///
    /// After [`dispose`](Self::dispose) the guard is inert.
    pub fn retain(&self, options: &StoreOptions<K, S, E>) -> RetainGuard {
        match self.shared.lookup(options, Hold::Retain) {
            (Some(key), _) => self.shared.guard(key),
            (None, _) => RetainGuard::inert(),
        }
    }

    /// [`retain`](Self::retain) and [`get_or_load`](Self::get_or_load) in one step, except that
    /// only the guard holds the entry: if the guard is released while the store is loading and
    /// nothing else holds it, the load is cancelled when the cache time runs out. This is what a
    /// component that mounts, suspends on the store and may unmount early wants.
    pub fn retain_and_get(&self, options: &StoreOptions<K, S, E>) -> (RetainGuard, Lookup<S, E>) {
        let _span =
            tracing::debug_span!("StoreRegistry.getOrLoad", store_id = ?options.store_id).entered();
        match self.shared.lookup(options, Hold::RetainAndGet) {
            (Some(key), Some(lookup)) => (self.shared.guard(key), lookup),
            (_, lookup) => (
                RetainGuard::inert(),
                lookup.unwrap_or(Lookup::Ready(Err(RegistryError::Disposed))),
            ),
        }
    }

    /// Starts loading `options`' store now, if it is absent, without retaining it. The returned
    /// future resolves to `()` when the load settles (successfully or not); it never errors and
    /// need not be awaited: the load runs anyway, and its result (or failure) is cached.
    pub fn preload(&self, options: &StoreOptions<K, S, E>) -> Preload<S, E> {
        match self.get_or_load(options) {
            Lookup::Ready(_) => Preload::done(),
            Lookup::Pending(future) => Preload::waiting(future),
        }
    }

    /// Ends the entry of `store_id` if it holds a cached failure, or a loaded store that nothing
    /// holds, so that the next call loads afresh. Returns whether an entry ended. A loading or
    /// held store is left alone (`false`).
    ///
    /// A failure is dropped even while held: the guards of the ended entry become no-ops, and
    /// holders retain the next entry as usual.
    pub fn invalidate<Q>(&self, store_id: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shared.invalidate(store_id)
    }

    /// The registry's entries, in no particular order.
    pub fn snapshot(&self) -> Vec<EntrySnapshot<K>> {
        self.shared.snapshot()
    }

    /// Ends every entry: cancels loads in flight (their futures resolve to
    /// [`RegistryError::Disposed`]), runs every `on_dispose` callback once, drops the stores and
    /// stops the timer. Afterwards every call returns [`RegistryError::Disposed`] and `retain`
    /// returns inert guards. Idempotent.
    pub fn dispose(&self) {
        self.shared.dispose();
    }

    /// Whether [`dispose`](Self::dispose) was called.
    pub fn is_disposed(&self) -> bool {
        self.shared.inner.borrow().disposed
    }

    /// The settings this registry was made with.
    pub fn config(&self) -> &RegistryConfig {
        &self.shared.config
    }

    /// A handle that does not keep the registry alive: for stores, loaders and `on_dispose`
    /// callbacks that call back into the registry (an owned handle there would form an `Rc`
    /// cycle through the registry's own entry).
    ///
    /// ```
    /// use registry_core::{RegistryConfig, StoreRegistry, test_util::TestRuntime};
    ///
    /// let registry: StoreRegistry<String, u32, std::io::Error> =
    ///     StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
    /// let weak = registry.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(registry);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakStoreRegistry<K, S, E> {
        WeakStoreRegistry {
            shared: Rc::downgrade(&self.shared),
        }
    }
}

/// A weak handle to a [`StoreRegistry`], from [`StoreRegistry::downgrade`]: it does not keep
/// the registry alive.
pub struct WeakStoreRegistry<K, S, E> {
    shared: Weak<Shared<K, S, E>>,
}

impl<K, S, E> WeakStoreRegistry<K, S, E> {
    /// The registry, unless every [`StoreRegistry`] handle to it was dropped.
    pub fn upgrade(&self) -> Option<StoreRegistry<K, S, E>> {
        self.shared.upgrade().map(|shared| StoreRegistry { shared })
    }
}

impl<K, S, E> Clone for WeakStoreRegistry<K, S, E> {
    fn clone(&self) -> Self {
        Self {
            shared: Weak::clone(&self.shared),
        }
    }
}

impl<K, S, E> fmt::Debug for WeakStoreRegistry<K, S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakStoreRegistry")
            .field("alive", &(self.shared.strong_count() > 0))
            .finish()
    }
}

/// The shared state behind every handle. Borrowed only for short, call-free sections.
pub(crate) struct Shared<K, S, E> {
    runtime: Rc<dyn Runtime>,
    config: RegistryConfig,
    signal: Rc<TimerSignal>,
    inner: RefCell<Inner<K, S, E>>,
}

struct Inner<K, S, E> {
    disposed: bool,
    /// foldhash (hashbrown's default hasher, seeded per process) instead of SipHash: hashing
    /// the id was 40 % of a cache hit's instructions.
    index: HashMap<K, EntryKey, foldhash::fast::RandomState>,
    entries: SlotMap<EntryKey, Entry<K, S, E>>,
    expiry: ExpiryQueue,
    /// The deadline the timer task sleeps until, if it sleeps.
    armed: Option<Duration>,
    timer_started: bool,
}

/// Which hold a lookup takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// `get_or_load`: the load hold while a load is in flight.
    Load,
    /// `retain`: a guard.
    Retain,
    /// `retain_and_get`: a guard, and the lookup's result.
    RetainAndGet,
}

/// What a borrowed section asks to be done once the borrow is released.
#[must_use]
enum After<S, E> {
    Nothing,
    Dispose(Ended<S, E>),
    Rearm,
}

impl<K, S, E> Inner<K, S, E>
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
{
    fn remove(&mut self, key: EntryKey) -> Option<Ended<S, E>> {
        let entry = self.entries.remove(key)?;
        self.index.remove(&entry.store_id);
        Some(entry.end(self.disposed))
    }

    /// Applies an entry's idle transition.
    fn go_idle(&mut self, key: EntryKey, now: Duration) -> After<S, E> {
        let Some(entry) = self.entries.get_mut(key) else {
            return After::Nothing;
        };
        match entry.idle_transition(now) {
            Idle::Nothing => After::Nothing,
            Idle::DisposeNow => self.remove(key).map_or(After::Nothing, After::Dispose),
            Idle::Countdown(deadline) => {
                entry.deadline = Some(deadline);
                if !entry.queued {
                    entry.queued = true;
                    self.expiry.push(deadline, key);
                }
                if self.armed.is_none_or(|armed| deadline < armed) {
                    self.armed = Some(deadline);
                    After::Rearm
                } else {
                    After::Nothing
                }
            }
        }
    }
}

impl<K, S, E> Shared<K, S, E>
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
    S: 'static,
    E: 'static,
{
    /// Finds or inserts the entry of `options`' id and takes `hold` on it. Returns the entry's
    /// key when a guard must be made, and the lookup's answer unless `hold` is [`Hold::Retain`]
    /// (which needs none: the hot retain path builds nothing it would drop).
    fn lookup(
        self: &Rc<Self>,
        options: &StoreOptions<K, S, E>,
        hold: Hold,
    ) -> (Option<EntryKey>, Option<Lookup<S, E>>) {
        let mut inner = self.inner.borrow_mut();
        if inner.disposed {
            return (None, Some(Lookup::Ready(Err(RegistryError::Disposed))));
        }
        if let Some(&key) = inner.index.get(&options.store_id) {
            let entry = &mut inner.entries[key];
            if hold != Hold::Load {
                entry.retains += 1;
                entry.deadline = None;
                if hold == Hold::Retain {
                    return (Some(key), None);
                }
            }
            let lookup = match &entry.stage {
                Stage::Ready(store) => Lookup::Ready(Ok(Rc::clone(store))),
                Stage::Failed(error) => Lookup::Ready(Err(error.clone())),
                Stage::Loading(load) => {
                    let future = LoadFuture::waiting(Rc::clone(load));
                    if hold == Hold::Load {
                        entry.load_hold = true;
                        entry.deadline = None;
                    }
                    return (Some(key), Some(Lookup::Pending(future)));
                }
            };
            // A hit restarts an idle entry's countdown (the clock is read only then).
            if hold == Hold::Load && entry.holders() == 0 {
                let now = self.runtime.now();
                let after = inner.go_idle(key, now);
                drop(inner);
                self.after(after);
            }
            return (Some(key), Some(lookup));
        }

        // A miss: insert the entry first, so that re-entrant calls (from the loader itself) and
        // calls in the same tick join this load instead of starting another.
        let load = Load::new();
        let hooks = Rc::new(Hooks::default());
        let key = inner.entries.insert(Entry {
            store_id: options.store_id.clone(),
            stage: Stage::Loading(Rc::clone(&load)),
            retains: u32::from(hold != Hold::Load),
            load_hold: hold == Hold::Load,
            cache_time: options
                .cache_time
                .unwrap_or(self.config.default_unused_cache_time),
            deadline: None,
            queued: false,
            hooks: Some(Rc::clone(&hooks)),
        });
        inner.index.insert(options.store_id.clone(), key);
        drop(inner);

        self.start_load(key, Rc::clone(&load), hooks, options);
        if hold == Hold::Retain {
            return (Some(key), None);
        }
        // A loader that finished on its first poll answers at once (even if, at cache time
        // zero, its entry already ended).
        let lookup = match load.outcome() {
            Some(outcome) => Lookup::Ready(outcome),
            None => Lookup::Pending(LoadFuture::waiting(load)),
        };
        (Some(key), Some(lookup))
    }

    fn guard(self: &Rc<Self>, key: EntryKey) -> RetainGuard {
        let weak: Weak<Self> = Rc::downgrade(self);
        RetainGuard::new(weak, key)
    }

    /// Calls the loader, polls its future once inline (a loader that is ready at once is
    /// cached before `get_or_load` returns) and hands it to a task otherwise.
    fn start_load(
        self: &Rc<Self>,
        key: EntryKey,
        load: Rc<Load<S, E>>,
        hooks: Rc<Hooks>,
        options: &StoreOptions<K, S, E>,
    ) {
        let span = tracing::debug_span!("StoreRegistry.lookup", store_id = ?options.store_id);
        let context = LoadContext::new(options.store_id.clone(), hooks);
        let loader = &options.loader;
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            span.in_scope(|| loader(context))
        }));
        let future = match called {
            Ok(future) => future,
            Err(panic) => {
                let message = crate::load::panic_message(&*panic);
                self.complete(
                    key,
                    &load,
                    Err(RegistryError::LoaderPanicked(message.into())),
                );
                return;
            }
        };
        if let Err(cancelled) = load.start(Box::pin(future.instrument(span))) {
            drop(cancelled);
            return;
        }
        let mut task = LoadTask {
            load,
            registry: Rc::downgrade(self),
            key,
        };
        let inline =
            Pin::new(&mut task).poll(&mut Context::from_waker(futures::task::noop_waker_ref()));
        if inline.is_pending() {
            self.spawn_or_recover(Box::pin(task), || {
                // Nothing would ever drive this load: end the entry, so that its waiters are
                // told and the next call tries again.
                let ended = self.inner.borrow_mut().remove(key);
                if let Some(ended) = ended {
                    ended.finish();
                }
            });
        }
    }

    /// Records a load's outcome in its entry (if the entry still runs this load), wakes its
    /// waiters, and lets go of the load's hold.
    fn complete(self: &Rc<Self>, key: EntryKey, load: &Rc<Load<S, E>>, outcome: Outcome<S, E>) {
        let settled = load.settle(outcome.clone());
        let mut inner = self.inner.borrow_mut();
        let after = match inner.entries.get_mut(key) {
            Some(entry) if matches!(&entry.stage, Stage::Loading(current) if Rc::ptr_eq(current, load)) =>
            {
                entry.stage = match outcome {
                    Ok(store) => Stage::Ready(store),
                    Err(error) => Stage::Failed(error),
                };
                entry.load_hold = false;
                if entry.hooks.as_ref().is_some_and(Hooks::is_unused) {
                    entry.hooks = None;
                }
                let now = self.runtime.now();
                inner.go_idle(key, now)
            }
            // The entry ended (or was replaced) while the loader ran: the result is dropped
            // below, outside the borrow.
            _ => {
                drop(inner);
                drop(outcome);
                settled.finish();
                return;
            }
        };
        drop(inner);
        settled.finish();
        self.after(after);
    }

    #[inline]
    fn after(self: &Rc<Self>, after: After<S, E>) {
        match after {
            After::Nothing => {}
            After::Dispose(ended) => ended.finish(),
            After::Rearm => self.rearm(),
        }
    }

    /// Wakes the timer task for an earlier deadline, starting it the first time.
    fn rearm(self: &Rc<Self>) {
        let start = {
            let mut inner = self.inner.borrow_mut();
            !std::mem::replace(&mut inner.timer_started, true)
        };
        if start {
            let task = timer::run(Rc::downgrade(self), Rc::clone(&self.signal));
            self.spawn_or_recover(Box::pin(task), || {
                // No timer task runs: the next countdown tries to start one again.
                let mut inner = self.inner.borrow_mut();
                inner.timer_started = false;
                inner.armed = None;
            });
        } else {
            self.signal.notify();
        }
    }

    /// Spawns `task`. A runtime that cannot (tokio outside a `LocalSet` panics) gets `recover`
    /// run, so that the registry is left consistent, and its panic goes on.
    fn spawn_or_recover(
        &self,
        task: futures::future::LocalBoxFuture<'static, ()>,
        recover: impl FnOnce(),
    ) {
        let spawned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.runtime.spawn_local(task);
        }));
        if let Err(panic) = spawned {
            recover();
            std::panic::resume_unwind(panic);
        }
    }

    /// A sleep on the registry's runtime (for the timer task, which holds the registry only
    /// weakly and so keeps no runtime alive either).
    pub(crate) fn sleep(&self, duration: Duration) -> futures::future::LocalBoxFuture<'static, ()> {
        self.runtime.sleep(duration)
    }

    /// Called by the timer task: ends every entry whose countdown is over, and says how long
    /// to sleep next.
    pub(crate) fn expire_due(&self) -> Next {
        let now = self.runtime.now();
        let mut ended = Vec::new();
        let mut inner = self.inner.borrow_mut();
        if inner.disposed {
            return Next::Stop;
        }
        while let Some(key) = inner.expiry.pop_due(now) {
            let Some(entry) = inner.entries.get_mut(key) else {
                continue;
            };
            entry.queued = false;
            match entry.deadline {
                // Held again since the item was queued.
                None => {}
                Some(deadline) if deadline > now => {
                    entry.queued = true;
                    inner.expiry.push(deadline, key);
                }
                Some(_) => ended.extend(inner.remove(key)),
            }
        }
        let next = inner.expiry.next_deadline();
        inner.armed = next;
        drop(inner);
        if !ended.is_empty() {
            tracing::debug!(
                count = ended.len(),
                "disposing stores whose cache time ran out"
            );
        }
        ended.into_iter().for_each(Ended::finish);
        match next {
            Some(deadline) => Next::Wait(deadline.saturating_sub(now)),
            None => Next::Idle,
        }
    }

    fn invalidate<Q>(&self, store_id: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut inner = self.inner.borrow_mut();
        let Some(&key) = inner.index.get(store_id) else {
            return false;
        };
        let entry = &inner.entries[key];
        let removable = match entry.stage {
            Stage::Failed(_) => true,
            Stage::Ready(_) => entry.holders() == 0,
            Stage::Loading(_) => false,
        };
        let ended = if removable { inner.remove(key) } else { None };
        drop(inner);
        match ended {
            Some(ended) => {
                ended.finish();
                true
            }
            None => false,
        }
    }

    fn snapshot(&self) -> Vec<EntrySnapshot<K>> {
        let now = self.runtime.now();
        let inner = self.inner.borrow();
        inner
            .entries
            .values()
            .map(|entry| EntrySnapshot {
                store_id: entry.store_id.clone(),
                state: match entry.stage {
                    Stage::Loading(_) => EntryState::Loading,
                    Stage::Ready(_) => EntryState::Ready,
                    Stage::Failed(_) => EntryState::Failed,
                },
                holders: entry.holders() as usize,
                disposes_in: entry.deadline.map(|deadline| deadline.saturating_sub(now)),
            })
            .collect()
    }

    fn dispose(&self) {
        let ended = self.inner.borrow_mut().dispose_all();
        self.finish_disposal(ended);
    }
}

impl<K, S, E> Inner<K, S, E> {
    /// Marks the registry disposed and takes every entry out, the first time; returns what
    /// must be finished outside the borrow.
    fn dispose_all(&mut self) -> Vec<Ended<S, E>> {
        if std::mem::replace(&mut self.disposed, true) {
            return Vec::new();
        }
        self.index = HashMap::default();
        self.expiry.clear();
        self.armed = None;
        std::mem::take(&mut self.entries)
            .into_iter()
            .map(|(_, entry)| entry.end(true))
            .collect()
    }
}

impl<K, S, E> Shared<K, S, E> {
    /// Stops the timer task and finishes the ended entries (no borrow may be held).
    fn finish_disposal(&self, ended: Vec<Ended<S, E>>) {
        self.signal.notify();
        ended.into_iter().for_each(Ended::finish);
    }
}

impl<K, S, E> Drop for Shared<K, S, E> {
    fn drop(&mut self) {
        // The last handle is gone: dispose as `dispose()` would.
        let ended = self.inner.get_mut().dispose_all();
        self.finish_disposal(ended);
    }
}

impl<K, S, E> ReleaseHold for Shared<K, S, E>
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
    S: 'static,
    E: 'static,
{
    fn release_hold(self: Rc<Self>, key: EntryKey) {
        let mut inner = self.inner.borrow_mut();
        if inner.disposed {
            return;
        }
        let Some(entry) = inner.entries.get_mut(key) else {
            // The entry ended: a stale guard touches nothing.
            return;
        };
        debug_assert!(entry.retains > 0, "a live guard implies a retain");
        entry.retains = entry.retains.saturating_sub(1);
        if entry.holders() > 0 {
            return;
        }
        let now = self.runtime.now();
        let after = inner.go_idle(key, now);
        drop(inner);
        self.after(after);
    }
}

/// The task that drives a load to its end, even when nobody awaits it. Holds the registry
/// weakly.
struct LoadTask<K, S, E> {
    load: Rc<Load<S, E>>,
    registry: Weak<Shared<K, S, E>>,
    key: EntryKey,
}

impl<K, S, E> Future for LoadTask<K, S, E>
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
    S: 'static,
    E: 'static,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.load.drive(cx) {
            Driven::Pending => Poll::Pending,
            Driven::Settled => Poll::Ready(()),
            Driven::Finished(outcome) => {
                match self.registry.upgrade() {
                    Some(shared) => shared.complete(self.key, &self.load, outcome),
                    None => self.load.settle(outcome).finish(),
                }
                Poll::Ready(())
            }
        }
    }
}
