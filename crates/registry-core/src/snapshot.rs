//! [`EntrySnapshot`]: what [`snapshot`](crate::StoreRegistry::snapshot) reports of each entry.

use std::time::Duration;

/// Where an entry's store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryState {
    /// The loader is running.
    Loading,
    /// The store is loaded.
    Ready,
    /// The load failed; the failure is cached.
    Failed,
}

/// One entry of the registry, as [`snapshot`](crate::StoreRegistry::snapshot) saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntrySnapshot<K> {
    /// The store's id.
    pub store_id: K,
    /// Loading, ready or failed.
    pub state: EntryState,
    /// Unreleased retain guards, plus one while a `get_or_load`/`preload` waits on its load.
    pub holders: usize,
    /// Time left before the entry is disposed, while its idle countdown runs.
    pub disposes_in: Option<Duration>,
}
