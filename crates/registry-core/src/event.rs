//! [`RegistryEvent`]: what happened to an entry, for [`StoreRegistry::subscribe`] listeners
//! (inspectors, devtools, logs).
//!
//! [`StoreRegistry::subscribe`]: crate::StoreRegistry::subscribe

use std::fmt;

/// One step in an entry's life, as reported to
/// [`StoreRegistry::subscribe`](crate::StoreRegistry::subscribe) listeners.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryEvent<K> {
    /// The entry's store id.
    pub store_id: K,
    /// The entry's store type, as [`std::any::type_name`] names it.
    pub store_type: &'static str,
    /// The entry's generation when it happened: 0 for its first load, one more per
    /// [`restart`](crate::StoreRegistry::restart).
    pub generation: u64,
    /// What happened.
    pub kind: RegistryEventKind,
}

/// What happened to an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegistryEventKind {
    /// A load started: the entry was created and its loader called (or it waits for the
    /// async teardown of the previous entry of its id).
    LoadStarted,
    /// The load succeeded.
    Loaded,
    /// The entry was restarted: its previous instance ended (a load in flight was cancelled,
    /// its waiters moved to the new load; its teardown runs) and the entry, with its holders,
    /// loads again. `generation` is the new instance's; a `LoadStarted` of the same generation
    /// follows. The entry itself did not end: no `Disposing` or `Disposed`.
    Restarted,
    /// The load failed (or its loader panicked); the failure is cached.
    LoadFailed,
    /// The entry ended and its async teardown runs; a new entry of its id waits for it.
    Disposing,
    /// The entry ended (its cache time ran out, it was evicted, invalidated, cancelled while
    /// loading, or the registry was disposed) and is forgotten; its async teardown, if it had
    /// one, has finished (on every path, [`dispose`](crate::StoreRegistry::dispose) included:
    /// an entry whose async teardown runs on is `Disposing` first).
    Disposed,
}

impl RegistryEventKind {
    /// A short lowercase name: `load-started`, `loaded`, `restarted`, `load-failed`,
    /// `disposing`, `disposed`.
    pub fn name(self) -> &'static str {
        match self {
            Self::LoadStarted => "load-started",
            Self::Loaded => "loaded",
            Self::Restarted => "restarted",
            Self::LoadFailed => "load-failed",
            Self::Disposing => "disposing",
            Self::Disposed => "disposed",
        }
    }
}

impl fmt::Display for RegistryEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
