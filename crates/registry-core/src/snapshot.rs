//! [`EntrySnapshot`]: what [`snapshot`](crate::StoreRegistry::snapshot) reports of each entry.

use std::panic::Location;
use std::time::Duration;

use crate::{AliveReason, CacheTime};

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
    /// The entry ended and its async teardown
    /// ([`on_dispose_async`](crate::LoadContext::on_dispose_async)) is still running. A new
    /// entry of the same id may be listed beside it; its load waits for this teardown.
    Disposing,
}

/// One entry of the registry, as [`snapshot`](crate::StoreRegistry::snapshot) saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntrySnapshot<K> {
    /// The store's id.
    pub store_id: K,
    /// The store's type, as [`std::any::type_name`] names it (for display: not unique, not
    /// stable across compiler versions).
    pub store_type: &'static str,
    /// Loading, ready, failed, or disposing (ended, its async teardown still running).
    pub state: EntryState,
    /// Unreleased retain guards, plus one while a `get_or_load`/`preload` waits on its load.
    /// Always 0 for a disposing entry: the guards of an ended entry hold nothing.
    pub holders: usize,
    /// Where its unreleased retain guards were taken, sorted by file and line: the callers of
    /// [`retain`](crate::StoreRegistry::retain) and
    /// [`retain_and_get`](crate::StoreRegistry::retain_and_get) (or the locations adapters
    /// passed to [`retain_from`](crate::StoreRegistry::retain_from)). Recorded with the
    /// `provenance` feature only; empty without it.
    pub holder_locations: Vec<&'static Location<'static>>,
    /// In-flight load holds: 1 while a `get_or_load` or `preload` call waits on its load (the
    /// rest of [`holders`](Self::holders) are guards).
    pub load_holds: usize,
    /// Why it has not ended: held, loading, counting down (or paused), kept by an infinite
    /// cache time, or disposing. [`AliveReason`] displays as a sentence.
    pub alive_because: AliveReason,
    /// Time left before the entry is disposed, while its idle countdown runs (paused while
    /// the page is hidden, with
    /// [`pause_while_hidden`](crate::RegistryConfig::pause_while_hidden)).
    pub disposes_in: Option<Duration>,
    /// The entry's cache time: its first options' (or the registry's default), lengthened by
    /// later options under [`CacheTimePolicy::Longest`](crate::CacheTimePolicy::Longest).
    pub unused_cache_time: CacheTime,
    /// The cache time its first options gave it, when a later caller lengthened it under
    /// [`CacheTimePolicy::Longest`](crate::CacheTimePolicy::Longest) (to
    /// [`unused_cache_time`](Self::unused_cache_time)).
    pub cache_time_grown_from: Option<CacheTime>,
    /// Its place among the idle entries when
    /// [`max_idle_entries`](crate::RegistryConfig::max_idle_entries) bounds them: 1 for the
    /// least recently used, the next to be evicted. `None` while held or loading, or without a
    /// bound.
    pub idle_rank: Option<usize>,
    /// The entry's generation: 0 for its first load, one more per
    /// [`restart`](crate::StoreRegistry::restart).
    pub generation: u64,
}
