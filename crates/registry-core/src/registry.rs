//! [`StoreRegistry`]: the handle apps hold, and [`WeakStoreRegistry`].

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::rc::{Rc, Weak};

use crate::alive::{self, Provenance};
use crate::event_queue::Kinds;
use crate::shared::Shared;
use crate::{
    EntrySnapshot, Lookup, Preload, RegistryConfig, RetainGuard, Runtime, StoreId, StoreOptions,
};

/// Loads stores by id once, shares them, keeps each alive while something holds it, and
/// disposes it a cache time after the last holder lets go.
///
/// One registry serves every store type of an app: an entry is named by its id (`K`, `String`
/// by default) together with the store type `S` and error type `E` of the
/// [`StoreOptions<K, S, E>`](StoreOptions) that name it, so the same id may name a workspace's
/// todos and its members, as two independent entries. Stores are handed out as `Rc<S>`,
/// failures as `Arc<E>` inside [`RegistryError`](crate::RegistryError).
///
/// A cheap, clonable handle (`Rc` inside): clones share one registry. Single-threaded. When the
/// last handle is dropped, the registry is disposed as by [`dispose`](Self::dispose).
///
/// # Holders and cache time
///
/// An entry's holders are its unreleased [`RetainGuard`]s, plus one while a load that a
/// [`get_or_load`](Self::get_or_load) or [`preload`](Self::preload) call started or joined is in
/// flight (awaited or not). While an entry has no holders, its cache time counts down; when the
/// countdown runs out the entry ends (a load still in flight is cancelled). Exactly these
/// operations touch a countdown:
///
/// - **Start** (cache time zero: the entry ends inside the call instead; infinite: nothing),
///   when the last hold goes: the last guard released, or a load settling whose
///   `get_or_load`/`preload` hold was the last.
/// - **Restart** (from now, with the entry's cache time): a `get_or_load` or `preload` hit on an
///   unheld entry that is loaded or failed.
/// - **Stop**: a [`retain`](Self::retain) or [`retain_and_get`](Self::retain_and_get); a
///   `get_or_load` or `preload` that joins a load in flight (it holds the load until it
///   settles); the entry ending ([`invalidate`](Self::invalidate), eviction,
///   [`dispose`](Self::dispose)).
/// - **Pause and resume**: every countdown at once, while the page is hidden, with
///   [`pause_while_hidden`](RegistryConfig::pause_while_hidden).
///
/// Nothing else moves a countdown. In particular a load held only by guards that were all
/// released while it loaded keeps the countdown that started at the last release when it
/// settles (as the original's idle timer does), and a cache time lengthened by
/// [`CacheTimePolicy::Longest`](crate::CacheTimePolicy::Longest) applies from the next start or
/// restart. With [`max_idle_entries`](RegistryConfig::max_idle_entries), the least recently
/// used idle entries beyond the bound are disposed at once.
///
/// # Re-entrancy
///
/// Loaders, `on_dispose` callbacks, wakers, and the `Drop` of a store or of a loader's error may
/// call back into the registry: it never calls them while it holds a borrow of its state. (The
/// id type's `Clone`, `Hash`, `Eq` and `Drop`, and [`Runtime::now`], do run under the borrow and
/// must not call back.) A panic in a loader becomes
/// [`RegistryError::LoaderPanicked`](crate::RegistryError::LoaderPanicked); a panic in a
/// teardown callback or in the `Drop` of a store or error is logged through `tracing`, and the
/// rest of the work goes on (where panics unwind).
///
/// # Keeping the registry alive
///
/// A store, a pending loader or an `on_dispose` callback that owns a clone of the
/// `StoreRegistry` keeps the registry alive through its own entry (an `Rc` cycle): with
/// [`CacheTime::Infinite`](crate::CacheTime::Infinite) that entry never ends, so dropping the
/// app's handles does not dispose the registry. So does a [`subscribe`](Self::subscribe)
/// listener that owns a clone, through the registry's own list of listeners, for as long as
/// its subscription lives. Give stores, callbacks and listeners a [`WeakStoreRegistry`]
/// ([`downgrade`](Self::downgrade)) instead, or call [`dispose`](Self::dispose) explicitly.
///
/// When the last handle is dropped, async teardown is handed to the runtime as by `dispose`.
/// A runtime dropped with the registry (one that nothing else owns) drops its tasks: the
/// teardown then runs the rest at once, each remaining callback once, newest first: the
/// synchronous ones as usual, each async one called and its future polled once (a future that
/// needs no waiting completes; one that would wait is dropped, and reported through `tracing`).
/// `BrowserRuntime` and `TokioRuntime` spawn onto the page's or the thread's
/// executor, which outlives the registry: there async teardown runs to its end.
///
/// # Example
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// use registry_core::{LoadContext, Lookup, RegistryConfig, StoreOptions, StoreRegistry};
/// use registry_core::test_util::TestRuntime;
///
/// struct Todos { workspace: String }
/// struct Members { count: usize }
///
/// let rt = TestRuntime::new();
/// let registry = StoreRegistry::with_runtime(RegistryConfig::default(), rt.clone());
///
/// let closed = Rc::new(Cell::new(0));
/// let counter = closed.clone();
/// let todos = StoreOptions::new("ws-1".to_string(), move |ctx: LoadContext<String>| {
///     let counter = counter.clone();
///     async move {
///         ctx.on_dispose(move || counter.set(counter.get() + 1));
///         Ok::<_, std::io::Error>(Todos { workspace: ctx.store_id().clone() })
///     }
/// })
/// .unused_cache_time(Duration::from_secs(30));
/// // Another store type under the same id: another entry of the same registry.
/// let members = StoreOptions::new("ws-1".to_string(), |_: LoadContext<String>| async {
///     Ok::<_, std::io::Error>(Members { count: 3 })
/// });
///
/// // Loaded once; every later call is a synchronous hit.
/// let store = rt.block_on(registry.get_or_load(&todos).into_future()).unwrap();
/// assert_eq!(store.workspace, "ws-1");
/// assert!(matches!(registry.get_or_load(&todos), Lookup::Ready(Ok(s)) if Rc::ptr_eq(&s, &store)));
/// assert_eq!(rt.block_on(registry.get_or_load(&members).into_future()).unwrap().count, 3);
/// assert_eq!(registry.snapshot().len(), 2);
///
/// // Held while a guard lives; disposed 30 s after the last holder lets go.
/// let guard = registry.retain(&todos);
/// rt.advance(Duration::from_secs(60));
/// assert_eq!(closed.get(), 0);
/// guard.release();
/// rt.advance(Duration::from_secs(30));
/// assert_eq!(closed.get(), 1);
/// assert_eq!(registry.snapshot().len(), 1);
/// ```
pub struct StoreRegistry<K = String> {
    shared: Rc<Shared<K>>,
}

impl<K> Clone for StoreRegistry<K> {
    fn clone(&self) -> Self {
        Self {
            shared: Rc::clone(&self.shared),
        }
    }
}

impl<K: StoreId> fmt::Debug for StoreRegistry<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shared.entry_count() {
            Some(entries) => f
                .debug_struct("StoreRegistry")
                .field("entries", &entries)
                .field("disposed", &self.shared.is_disposed())
                .finish(),
            None => f.debug_struct("StoreRegistry").finish_non_exhaustive(),
        }
    }
}

#[cfg(any(target_arch = "wasm32", feature = "tokio"))]
impl<K: StoreId> StoreRegistry<K> {
    /// A registry on the platform's runtime: the browser's event loop on wasm32
    /// (`BrowserRuntime`), tokio on native targets with the `tokio` feature (`TokioRuntime`,
    /// which needs a `LocalSet`).
    #[cfg_attr(docsrs, doc(cfg(any(target_arch = "wasm32", feature = "tokio"))))]
    pub fn new(config: RegistryConfig) -> Self {
        #[cfg(target_arch = "wasm32")]
        let runtime = crate::BrowserRuntime;
        #[cfg(not(target_arch = "wasm32"))]
        let runtime = crate::TokioRuntime::new();
        Self::with_runtime(config, runtime)
    }
}

impl<K: StoreId> StoreRegistry<K> {
    /// A registry that spawns its tasks and reads its clock through `runtime`.
    pub fn with_runtime(config: RegistryConfig, runtime: impl Runtime + 'static) -> Self {
        Self {
            shared: Shared::new(config, Rc::new(runtime)),
        }
    }

    /// The store `options` name: [`Lookup::Ready`] at once when it is loaded (or its load
    /// failed), else [`Lookup::Pending`] with a future of the load, which this call starts if
    /// nothing is loading it yet. Never blocks and never retains; awaiting the [`Lookup`]
    /// gives the result either way.
    ///
    /// A hit on an idle entry restarts its cache time. The caller holds a pending load until
    /// it settles, awaited or not, so that a cache time of zero does not cancel it. When an
    /// ended entry of the same id and types is still running its async teardown
    /// ([`LoadContext::on_dispose_async`](crate::LoadContext::on_dispose_async)), the new load
    /// waits for it before calling the loader.
    ///
    /// After [`dispose`](Self::dispose): `Lookup::Ready(Err(RegistryError::Disposed))`.
    ///
    /// # Cancellation
    ///
    /// Dropping the returned future does not cancel the load; see
    /// [`LoadFuture`](crate::LoadFuture).
    pub fn get_or_load<S: 'static, E: 'static>(
        &self,
        options: &StoreOptions<K, S, E>,
    ) -> Lookup<S, E> {
        if debug_enabled() {
            return self.get_or_load_traced(options);
        }
        self.shared.get_or_load(options)
    }

    /// [`get_or_load`](Self::get_or_load) inside its debug span.
    #[cold]
    #[inline(never)]
    fn get_or_load_traced<S: 'static, E: 'static>(
        &self,
        options: &StoreOptions<K, S, E>,
    ) -> Lookup<S, E> {
        let _span =
            tracing::debug_span!("StoreRegistry.getOrLoad", store_id = ?options.store_id).entered();
        self.shared.get_or_load(options)
    }

    /// Takes a hold on the store `options` name, loading it if it is absent. The store is kept
    /// while the returned guard lives; dropping it (or [`RetainGuard::release`]) lets go.
    ///
    /// After [`dispose`](Self::dispose) the guard is inert.
    #[cfg_attr(feature = "provenance", track_caller)]
    pub fn retain<S: 'static, E: 'static>(&self, options: &StoreOptions<K, S, E>) -> RetainGuard {
        self.retain_at(options, alive::caller())
    }

    /// [`retain`](Self::retain), recording `location` as where the guard was taken (with the
    /// `provenance` feature; ignored without it). For adapters whose hooks are
    /// `#[track_caller]` and retain later, from a closure or an effect: they capture
    /// [`Location::caller`] in the hook and pass it here, so that
    /// [`EntrySnapshot::holder_locations`](crate::EntrySnapshot::holder_locations) names the
    /// component, not the adapter.
    pub fn retain_from<S: 'static, E: 'static>(
        &self,
        options: &StoreOptions<K, S, E>,
        location: &'static Location<'static>,
    ) -> RetainGuard {
        self.retain_at(options, alive::given(location))
    }

    fn retain_at<S: 'static, E: 'static>(
        &self,
        options: &StoreOptions<K, S, E>,
        at: Provenance,
    ) -> RetainGuard {
        match self.shared.retain(options, at) {
            Some(key) => self.shared.guard(key, at),
            None => RetainGuard::inert(),
        }
    }

    /// [`retain`](Self::retain) and [`get_or_load`](Self::get_or_load) in one step, except that
    /// only the guard holds the entry: if the guard is released while the store is loading and
    /// nothing else holds it, the load is cancelled when the cache time runs out. This is what a
    /// component that mounts, suspends on the store and may unmount early wants.
    #[cfg_attr(feature = "provenance", track_caller)]
    pub fn retain_and_get<S: 'static, E: 'static>(
        &self,
        options: &StoreOptions<K, S, E>,
    ) -> (RetainGuard, Lookup<S, E>) {
        self.retain_and_get_at(options, alive::caller())
    }

    /// [`retain_and_get`](Self::retain_and_get), recording `location` as where the guard was
    /// taken (with the `provenance` feature), as [`retain_from`](Self::retain_from) does.
    pub fn retain_and_get_from<S: 'static, E: 'static>(
        &self,
        options: &StoreOptions<K, S, E>,
        location: &'static Location<'static>,
    ) -> (RetainGuard, Lookup<S, E>) {
        self.retain_and_get_at(options, alive::given(location))
    }

    fn retain_and_get_at<S: 'static, E: 'static>(
        &self,
        options: &StoreOptions<K, S, E>,
        at: Provenance,
    ) -> (RetainGuard, Lookup<S, E>) {
        // The span only when it is recorded: making a disabled one costs a hit 20 instructions.
        let _span = debug_enabled().then(|| {
            tracing::debug_span!("StoreRegistry.getOrLoad", store_id = ?options.store_id).entered()
        });
        match self.shared.retain_and_get(options, at) {
            Some((key, lookup)) => (self.shared.guard(key, at), lookup),
            None => (
                RetainGuard::inert(),
                Lookup::Ready(Err(crate::RegistryError::Disposed)),
            ),
        }
    }

    /// Starts loading the store `options` name now, if it is absent, without retaining it. The
    /// returned future resolves to `()` when the load settles (successfully or not); it never
    /// errors and need not be awaited: the load runs anyway, and its result (or failure) is
    /// cached.
    pub fn preload<S: 'static, E: 'static>(
        &self,
        options: &StoreOptions<K, S, E>,
    ) -> Preload<S, E> {
        match self.get_or_load(options) {
            Lookup::Ready(_) => Preload::done(),
            Lookup::Pending(future) => Preload::waiting(future),
        }
    }

    /// Ends the entry `options` name (their id, store type and error type) if it holds a cached
    /// failure, or a loaded store that nothing holds, so that the next call loads afresh.
    /// Returns whether an entry ended. A loading or held store is left alone (`false`): this
    /// never cancels a load.
    ///
    /// A failure is dropped even while held: the guards of the ended entry become no-ops, and
    /// holders retain the next entry as usual.
    pub fn invalidate<S: 'static, E: 'static>(&self, options: &StoreOptions<K, S, E>) -> bool {
        self.shared.invalidate(options)
    }

    /// Restarts the live entry `options` name (loaded, failed or loading) under its holders:
    /// its current instance ends (a load in flight is cancelled, its teardown runs, newest
    /// callback first, async ones finished, then its store is dropped) and the same entry loads
    /// again with these `options`, which may differ from the first (a new token, a new
    /// configuration). Returns `false`, and does nothing, when there is no live entry.
    ///
    /// What stays: every holder. [`RetainGuard`]s taken before hold the new instance; the
    /// futures of `get_or_load` and `preload` calls waiting on a cancelled load resolve to the
    /// new load's outcome (they are not failed). The entry's countdown, its place under
    /// [`CacheTimePolicy`](crate::CacheTimePolicy), the idle bound and
    /// [`pause_while_hidden`](RegistryConfig::pause_while_hidden) treat the new instance as the
    /// same entry; its cache time becomes `options`'. What changes: the loader runs again (after
    /// the old instance's teardown has finished, as any re-boot waits), the entry's
    /// [`generation`](crate::EntrySnapshot::generation) grows by one, and listeners hear
    /// [`Restarted`](crate::RegistryEventKind::Restarted) then `LoadStarted`. Later callers'
    /// options are ignored as usual: the restart's options are now the first.
    ///
    /// When to use which: `restart` replaces a held, healthy (or failed, or loading) store
    /// without unmounting what holds it; [`invalidate`](Self::invalidate) drops a cached
    /// failure or an unheld store so that the next call loads afresh, and never touches a held
    /// store; a retry of a failure is a `restart` (the holders get the new load) or an
    /// `invalidate` followed by a load. A store can restart itself through
    /// [`LoadContext::restart_handle`](crate::LoadContext::restart_handle).
    ///
    /// Re-entrancy: from a listener, a loader (its own entry: the load in flight is the one
    /// cancelled, so a loader that restarts its entry on every call never settles) or a
    /// teardown callback, `restart` restarts whatever live entry `options` name. From the
    /// teardown of the instance a restart ended, that is the next instance, whose loader has
    /// not run yet: it is restarted before it loads (its loader then runs once, with these
    /// options). An entry that ended (disposing) is not live: `false`.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
    /// use registry_core::test_util::TestRuntime;
    ///
    /// struct Session { token: &'static str }
    ///
    /// let registry: StoreRegistry = StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
    /// let closed = Rc::new(Cell::new(0));
    /// let session = |token: &'static str| {
    ///     let closed = closed.clone();
    ///     StoreOptions::new("session".to_string(), move |ctx: LoadContext<String>| {
    ///         let closed = closed.clone();
    ///         async move {
    ///             ctx.on_dispose(move || closed.set(closed.get() + 1));
    ///             Ok::<_, std::io::Error>(Session { token })
    ///         }
    ///     })
    /// };
    /// let guard = registry.retain(&session("old-token"));
    /// assert!(registry.restart(&session("new-token")));
    /// assert_eq!(closed.get(), 1);
    /// let store = registry.get_or_load(&session("ignored")).ready().unwrap().unwrap();
    /// assert_eq!(store.token, "new-token");
    /// assert_eq!(registry.snapshot()[0].generation, 1);
    /// assert!(guard.is_live(), "the guard holds the new instance");
    /// ```
    pub fn restart<S: 'static, E: 'static>(&self, options: &StoreOptions<K, S, E>) -> bool {
        self.shared.restart(options)
    }

    /// The registry's entries, in no particular order, including ended ones whose async
    /// teardown still runs ([`EntryState::Disposing`](crate::EntryState::Disposing)). Empty
    /// after [`dispose`](Self::dispose), even while teardown runs
    /// ([`dispose_async`](Self::dispose_async) waits for it).
    pub fn snapshot(&self) -> Vec<EntrySnapshot<K>> {
        self.shared.snapshot()
    }

    /// Ends every entry: cancels loads in flight (their futures resolve to
    /// [`RegistryError::Disposed`](crate::RegistryError::Disposed)), runs every `on_dispose`
    /// callback once (async teardown goes on in tasks: see [`dispose_async`](Self::dispose_async)),
    /// drops the stores and stops the timer. Afterwards every lookup answers `Disposed` and
    /// `retain` returns inert guards. Idempotent.
    pub fn dispose(&self) {
        self.shared.dispose();
    }

    /// [`dispose`](Self::dispose), and a future that resolves once every teardown of the ended
    /// entries has finished, async ones included (those of entries that were already
    /// disposing too). The future does not borrow the registry and need not be polled for the
    /// teardown to run. Calling it again after a disposal waits for what is still running.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    /// use registry_core::{LoadContext, RegistryConfig, Runtime, StoreOptions, StoreRegistry};
    /// use registry_core::test_util::TestRuntime;
    ///
    /// let rt = TestRuntime::new();
    /// let registry = StoreRegistry::with_runtime(RegistryConfig::default(), rt.clone());
    /// let closed = Rc::new(Cell::new(false));
    /// let (flag, sleeper) = (closed.clone(), rt.clone());
    /// let options = StoreOptions::new("db".to_string(), move |ctx: LoadContext<String>| {
    ///     let (flag, sleeper) = (flag.clone(), sleeper.clone());
    ///     async move {
    ///         ctx.on_dispose_async(move || async move {
    ///             sleeper.sleep(Duration::from_secs(1)).await;
    ///             flag.set(true);
    ///         });
    ///         Ok::<_, std::io::Error>(())
    ///     }
    /// });
    /// rt.block_on(registry.get_or_load(&options).into_future()).unwrap();
    /// rt.block_on(registry.dispose_async());
    /// assert!(closed.get());
    /// ```
    pub fn dispose_async(&self) -> impl Future<Output = ()> + 'static + use<K> {
        self.shared.dispose();
        self.shared.teardowns_finished()
    }

    /// Whether [`dispose`](Self::dispose) was called.
    pub fn is_disposed(&self) -> bool {
        self.shared.is_disposed()
    }

    /// The settings this registry was made with.
    pub fn config(&self) -> &RegistryConfig {
        self.shared.config()
    }

    /// Runs every call of a loader, and every poll of a loader's future, inside `scope`, which
    /// must call the function it is given exactly once. For frameworks whose loaders need an
    /// ambient context that is not the caller's: the Leptos adapter runs loaders under the
    /// registry's own reactive owner, so that what a loader creates does not belong to the
    /// component that happened to ask first. Replaces the previous scope.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
    /// use registry_core::test_util::TestRuntime;
    ///
    /// let registry = StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
    /// let scoped = Rc::new(Cell::new(0));
    /// let counter = scoped.clone();
    /// registry.set_load_scope(move |load: &mut dyn FnMut()| {
    ///     counter.set(counter.get() + 1);
    ///     load();
    /// });
    /// let options = StoreOptions::new("a".to_string(), |_: LoadContext<String>| async {
    ///     Ok::<_, std::io::Error>(1)
    /// });
    /// assert!(registry.get_or_load(&options).is_ready());
    /// assert_eq!(scoped.get(), 1);
    /// ```
    pub fn set_load_scope(&self, scope: impl Fn(&mut dyn FnMut()) + 'static) {
        self.shared.set_load_scope(Some(Rc::new(scope)));
    }

    /// Calls `listener` with every later [`RegistryEvent`](crate::RegistryEvent): a load
    /// started, loaded or failed, an entry disposing or disposed. For inspectors, devtools and
    /// logs. Events are delivered after the operation that caused them has released the
    /// registry's state (the listener may read [`snapshot`](Self::snapshot) or call back in),
    /// on the thread and in the call that caused them; a panicking listener is logged.
    ///
    /// The guarantees, under re-entrancy too:
    ///
    /// - Every listener hears every event in the order it happened, including events that a
    ///   listener's own call back into the registry causes: those are queued behind the events
    ///   already recorded and delivered by the outermost call, so they come after their causes
    ///   and after the rest of the batch, for every listener alike.
    /// - A listener hears exactly the events recorded after it subscribed (from inside a
    ///   listener or a teardown callback too) and before its subscription was dropped (by
    ///   itself or another listener during a delivery too).
    /// - The subscription may be dropped anywhere: in a listener, a teardown callback, a
    ///   store's `Drop`, a guard's release. The listener is dropped outside every borrow, so a
    ///   closure that owns a [`RetainGuard`] or another subscription of this registry releases
    ///   it safely.
    ///
    /// Dropping the returned subscription unregisters the listener. A listener that owns a
    /// `StoreRegistry` handle keeps the registry alive while subscribed: give it a
    /// [`WeakStoreRegistry`] ([`downgrade`](Self::downgrade)).
    ///
    /// Costs nothing while no listener is registered: events are only recorded when one is,
    /// and a cache hit records none.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use registry_core::{LoadContext, RegistryConfig, RegistryEventKind, StoreOptions, StoreRegistry};
    /// use registry_core::test_util::TestRuntime;
    ///
    /// let registry = StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let log = seen.clone();
    /// let subscription = registry.subscribe(move |event| log.borrow_mut().push(event.kind));
    /// let options = StoreOptions::new("a".to_string(), |_: LoadContext<String>| async {
    ///     Ok::<_, std::io::Error>(1)
    /// });
    /// assert!(registry.get_or_load(&options).is_ready());
    /// assert!(registry.invalidate(&options));
    /// assert_eq!(
    ///     *seen.borrow(),
    ///     [RegistryEventKind::LoadStarted, RegistryEventKind::Loaded, RegistryEventKind::Disposed]
    /// );
    /// drop(subscription);
    /// ```
    pub fn subscribe(
        &self,
        listener: impl Fn(&crate::RegistryEvent<K>) + 'static,
    ) -> crate::Subscription {
        self.shared.subscribe(Rc::new(listener), Kinds::ALL)
    }

    /// [`subscribe`](Self::subscribe) to the events of `kinds` only. Events of other kinds are
    /// not even recorded for it: a listener of rare events (say
    /// [`Restarted`](crate::RegistryEventKind::Restarted)) costs the registry's common paths
    /// nothing. The same guarantees of order hold.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use registry_core::{LoadContext, RegistryConfig, RegistryEventKind, StoreOptions, StoreRegistry};
    /// use registry_core::test_util::TestRuntime;
    ///
    /// let registry = StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
    /// let restarts = Rc::new(Cell::new(0));
    /// let counter = restarts.clone();
    /// let _subscription = registry.subscribe_to(&[RegistryEventKind::Restarted], move |_| {
    ///     counter.set(counter.get() + 1);
    /// });
    /// let options = StoreOptions::new("a".to_string(), |_: LoadContext<String>| async {
    ///     Ok::<_, std::io::Error>(1)
    /// });
    /// assert!(registry.get_or_load(&options).is_ready());
    /// assert!(registry.restart(&options));
    /// assert_eq!(restarts.get(), 1);
    /// ```
    pub fn subscribe_to(
        &self,
        kinds: &[crate::RegistryEventKind],
        listener: impl Fn(&crate::RegistryEvent<K>) + 'static,
    ) -> crate::Subscription {
        self.shared.subscribe(Rc::new(listener), Kinds::of(kinds))
    }

    /// A handle that does not keep the registry alive: for stores, loaders and `on_dispose`
    /// callbacks that call back into the registry (an owned handle there would form an `Rc`
    /// cycle through the registry's own entry).
    ///
    /// ```
    /// use registry_core::{RegistryConfig, StoreRegistry, test_util::TestRuntime};
    ///
    /// let registry: StoreRegistry = StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
    /// let weak = registry.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(registry);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakStoreRegistry<K> {
        WeakStoreRegistry {
            shared: Rc::downgrade(&self.shared),
        }
    }
}

/// Whether `tracing` records anything at the debug level: the first test `debug_span!` makes,
/// here without building, entering and dropping a disabled span.
#[inline(always)]
fn debug_enabled() -> bool {
    use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
    tracing::Level::DEBUG <= STATIC_MAX_LEVEL && tracing::Level::DEBUG <= LevelFilter::current()
}

/// A weak handle to a [`StoreRegistry`], from [`StoreRegistry::downgrade`]: it does not keep
/// the registry alive.
pub struct WeakStoreRegistry<K = String> {
    shared: Weak<Shared<K>>,
}

impl<K> WeakStoreRegistry<K> {
    /// The registry, unless every [`StoreRegistry`] handle to it was dropped.
    pub fn upgrade(&self) -> Option<StoreRegistry<K>> {
        self.shared.upgrade().map(|shared| StoreRegistry { shared })
    }
}

impl<K> Clone for WeakStoreRegistry<K> {
    fn clone(&self) -> Self {
        Self {
            shared: Weak::clone(&self.shared),
        }
    }
}

impl<K> fmt::Debug for WeakStoreRegistry<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakStoreRegistry")
            .field("alive", &(self.shared.strong_count() > 0))
            .finish()
    }
}
