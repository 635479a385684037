//! [`LoadContext`]: what a loader gets.

use std::fmt;
use std::future::Future;
use std::rc::Rc;

use crate::RestartHandle;
use crate::teardown::{Cancelled, Teardown};

/// Handed to a store's loader: the id being loaded and a place to register teardown.
///
/// The context may be kept (for example by the store itself) for as long as is useful; it does
/// not keep the entry alive.
pub struct LoadContext<K> {
    store_id: K,
    teardown: Rc<Teardown>,
    restart: RestartHandle,
}

impl<K> LoadContext<K> {
    pub(crate) fn new(store_id: K, teardown: Rc<Teardown>, restart: RestartHandle) -> Self {
        Self {
            store_id,
            teardown,
            restart,
        }
    }

    pub(crate) fn teardown(&self) -> &Rc<Teardown> {
        &self.teardown
    }

    /// A handle that restarts this entry (this generation of it) from the store itself: for a
    /// store that notices its worker, socket or session died. Weak and cheap to clone; keep it
    /// in the store. See [`RestartHandle`] and
    /// [`StoreRegistry::restart`](crate::StoreRegistry::restart).
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use registry_core::{LoadContext, RegistryConfig, RestartHandle, StoreOptions, StoreRegistry};
    /// use registry_core::test_util::TestRuntime;
    ///
    /// struct Socket { restart: RestartHandle }
    ///
    /// let registry: StoreRegistry = StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
    /// let options = StoreOptions::new("doc".to_string(), |ctx: LoadContext<String>| async move {
    ///     Ok::<_, std::io::Error>(Socket { restart: ctx.restart_handle() })
    /// });
    /// let _guard = registry.retain(&options);
    /// let first = registry.get_or_load(&options).ready().unwrap().unwrap();
    /// // The socket died: the store restarts its own entry; the guard holds the new instance.
    /// assert!(first.restart.restart());
    /// assert!(!first.restart.restart(), "a handle restarts its own generation once");
    /// let second = registry.get_or_load(&options).ready().unwrap().unwrap();
    /// assert_eq!(second.restart.generation(), 1);
    /// ```
    pub fn restart_handle(&self) -> RestartHandle {
        self.restart.clone()
    }

    /// The id of the store being loaded.
    pub fn store_id(&self) -> &K {
        &self.store_id
    }

    /// Registers `callback` to run once, when this entry ends: after its cache time, on
    /// eviction, [`invalidate`](crate::StoreRegistry::invalidate) or
    /// [`dispose`](crate::StoreRegistry::dispose), when the load is cancelled, or when the
    /// loader returns an error (the failure stays cached; what the loader opened is closed at
    /// once).
    ///
    /// Callbacks, synchronous and [async](Self::on_dispose_async) alike, run exactly once, in
    /// reverse order of registration, after the registry has released all its internal
    /// borrows: they may call back into the registry. A callback registered after the entry
    /// ended runs at once. A panicking callback is reported through `tracing` and does not stop
    /// the others (where panics unwind).
    ///
    /// The store outlives its teardown: the registry drops its reference to the store only
    /// after every callback has run, async ones finished. And the entry's teardown runs before
    /// the same entry (same id, store type and error type) is loaded again: a load started
    /// meanwhile, from this entry's own callback or from the callback of another entry that
    /// ended in the same step, waits for it.
    pub fn on_dispose(&self, callback: impl FnOnce() + 'static) {
        self.teardown.push_sync(Box::new(callback));
    }

    /// Registers teardown that must *finish* before the store's id is loaded again: flushing
    /// pending writes, closing a database, releasing a lock.
    ///
    /// When the entry ends, `teardown` is called (in reverse order of registration with the
    /// [`on_dispose`](Self::on_dispose) callbacks; those registered before it run after its
    /// future resolved) and its future runs on the registry's runtime. Until it resolves, the
    /// ended entry is listed by [`snapshot`](crate::StoreRegistry::snapshot) as
    /// [`EntryState::Disposing`](crate::EntryState::Disposing), and a new load of the same
    /// entry (same id, store type and error type) waits before calling its loader; its callers
    /// see it loading. [`StoreRegistry::dispose_async`](crate::StoreRegistry::dispose_async)
    /// resolves once every teardown has finished.
    ///
    /// The registry imposes no timeout. A teardown future that never resolves holds back only
    /// its own entry: new loads of it stay pending (their callers wait), and `dispose_async`
    /// never resolves; every other store is unaffected. One that panics is reported through
    /// `tracing` and counts as finished. A teardown registered after the entry ended runs at
    /// once, and nothing waits for it.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    /// use registry_core::{EntryState, LoadContext, RegistryConfig, Runtime, StoreOptions, StoreRegistry};
    /// use registry_core::test_util::TestRuntime;
    ///
    /// let rt = TestRuntime::new();
    /// let registry: StoreRegistry = StoreRegistry::with_runtime(RegistryConfig::default(), rt.clone());
    /// let flushed = Rc::new(Cell::new(false));
    /// let (flag, sleeper) = (flushed.clone(), rt.clone());
    /// let options = StoreOptions::new("db".to_string(), move |ctx: LoadContext<String>| {
    ///     let (flag, sleeper) = (flag.clone(), sleeper.clone());
    ///     async move {
    ///         ctx.on_dispose_async(move || async move {
    ///             sleeper.sleep(Duration::from_millis(50)).await; // flush pending writes
    ///             flag.set(true);
    ///         });
    ///         Ok::<_, std::io::Error>(42_u32)
    ///     }
    /// });
    /// rt.block_on(registry.get_or_load(&options).into_future()).unwrap();
    /// assert!(registry.invalidate(&options));
    /// assert_eq!(registry.snapshot()[0].state, EntryState::Disposing);
    /// rt.advance(Duration::from_millis(50));
    /// assert!(flushed.get());
    /// assert!(registry.snapshot().is_empty());
    /// ```
    pub fn on_dispose_async<F, Fut>(&self, teardown: F)
    where
        F: FnOnce() -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.teardown
            .push_async(Box::new(move || Box::pin(teardown())));
    }

    /// Resolves when the entry ends (for a load still in flight, when it is cancelled) or its
    /// load fails: when its teardown starts.
    ///
    /// Useful to stop work the loader started outside its own future (a worker, a socket
    /// handshake). The loader's future itself is dropped at cancellation. Dropping the returned
    /// future unregisters it.
    pub fn cancelled(&self) -> Cancelled {
        self.teardown.cancelled()
    }

    /// Whether the entry has ended or its load failed: whether its teardown has started.
    pub fn is_cancelled(&self) -> bool {
        self.teardown.has_ended()
    }
}

impl<K: fmt::Debug> fmt::Debug for LoadContext<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadContext")
            .field("store_id", &self.store_id)
            .field("ended", &self.teardown.has_ended())
            .finish()
    }
}
