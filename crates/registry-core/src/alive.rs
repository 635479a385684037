//! [`AliveReason`]: why an entry has not ended, as
//! [`snapshot`](crate::StoreRegistry::snapshot) reports it; and where its holders were taken
//! ([`Provenance`], recorded with the `provenance` feature).

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::entry::EntryKey;

/// Why an entry is still alive: what keeps it, or what it waits for. One reason, the strongest
/// that applies, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AliveReason {
    /// It ended; its async teardown
    /// ([`on_dispose_async`](crate::LoadContext::on_dispose_async)) still runs.
    Disposing,
    /// Unreleased [`RetainGuard`](crate::RetainGuard)s hold it (where they were taken:
    /// [`EntrySnapshot::holder_locations`](crate::EntrySnapshot::holder_locations), with the
    /// `provenance` feature).
    Held {
        /// How many guards.
        guards: usize,
    },
    /// Its load is in flight and a `get_or_load` or `preload` call waits on it: it is held
    /// until the load settles.
    Loading,
    /// Nothing holds it; it is disposed when its countdown runs out.
    CountingDown {
        /// Time left.
        left: Duration,
    },
    /// Nothing holds it, and its countdown is paused while the page is hidden
    /// ([`pause_while_hidden`](crate::RegistryConfig::pause_while_hidden)).
    CountdownPaused {
        /// Time left once the page is visible again.
        left: Duration,
    },
    /// Nothing holds it, and no countdown runs: its cache time is infinite (or longer than the
    /// clock counts). It ends when invalidated, evicted or disposed.
    NoCountdown,
}

impl fmt::Display for AliveReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Disposing => f.write_str("ended; its async teardown is still running"),
            Self::Held { guards: 1 } => f.write_str("held by 1 retain guard"),
            Self::Held { guards } => write!(f, "held by {guards} retain guards"),
            Self::Loading => f.write_str("loading, and a caller waits for the load"),
            Self::CountingDown { left } => {
                write!(f, "unused; disposed in {:.1} s", left.as_secs_f64())
            }
            Self::CountdownPaused { left } => write!(
                f,
                "unused; its countdown is paused while the page is hidden ({:.1} s left)",
                left.as_secs_f64()
            ),
            Self::NoCountdown => f.write_str("unused, but its cache time is infinite"),
        }
    }
}

/// Where a hold was taken: the caller of `retain` or `retain_and_get` with the `provenance`
/// feature, nothing without it (guards are then no bigger than a key and a pointer).
#[cfg(feature = "provenance")]
pub(crate) type Provenance = &'static Location<'static>;
/// Where a hold was taken: nothing without the `provenance` feature.
#[cfg(not(feature = "provenance"))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Provenance;

/// The caller of the `#[track_caller]` function that calls this (with the `provenance`
/// feature).
#[cfg(feature = "provenance")]
#[track_caller]
#[inline]
pub(crate) fn caller() -> Provenance {
    Location::caller()
}

/// Nothing, without the `provenance` feature.
#[cfg(not(feature = "provenance"))]
#[inline]
pub(crate) fn caller() -> Provenance {
    Provenance
}

/// A location given explicitly (an adapter's hook), as this build records it.
#[inline]
pub(crate) fn given(location: &'static Location<'static>) -> Provenance {
    #[cfg(feature = "provenance")]
    {
        location
    }
    #[cfg(not(feature = "provenance"))]
    {
        let _ = location;
        Provenance
    }
}

/// The locations of every entry's unreleased guards (with the `provenance` feature; always
/// empty without it). Kept beside the entries, so that an entry is no bigger for it.
#[derive(Default)]
pub(crate) struct HolderLocations {
    /// foldhash, as the index: a retain and a release each touch this map.
    #[cfg(feature = "provenance")]
    by_entry:
        hashbrown::HashMap<EntryKey, Vec<&'static Location<'static>>, foldhash::fast::RandomState>,
}

impl HolderLocations {
    /// A guard of `key` was taken at `at`.
    #[inline]
    pub(crate) fn add(&mut self, key: EntryKey, at: Provenance) {
        #[cfg(feature = "provenance")]
        self.by_entry.entry(key).or_default().push(at);
        #[cfg(not(feature = "provenance"))]
        let _ = (key, at);
    }

    /// A guard of `key` taken at `at` was released.
    #[inline]
    pub(crate) fn remove(&mut self, key: EntryKey, at: Provenance) {
        #[cfg(feature = "provenance")]
        if let Some(locations) = self.by_entry.get_mut(&key) {
            if let Some(found) = locations.iter().position(|&l| std::ptr::eq(l, at)) {
                locations.swap_remove(found);
            }
            if locations.is_empty() {
                self.by_entry.remove(&key);
            }
        }
        #[cfg(not(feature = "provenance"))]
        let _ = (key, at);
    }

    /// The entry `key` ended: its guards hold nothing any more.
    #[inline]
    pub(crate) fn forget(&mut self, key: EntryKey) {
        #[cfg(feature = "provenance")]
        if !self.by_entry.is_empty() {
            self.by_entry.remove(&key);
        }
        #[cfg(not(feature = "provenance"))]
        let _ = key;
    }

    /// Every entry ended.
    pub(crate) fn clear(&mut self) {
        #[cfg(feature = "provenance")]
        self.by_entry.clear();
    }

    /// Where the unreleased guards of `key` were taken.
    pub(crate) fn of(&self, key: EntryKey) -> Vec<&'static Location<'static>> {
        #[cfg(feature = "provenance")]
        {
            let mut locations = self.by_entry.get(&key).cloned().unwrap_or_default();
            locations.sort_by_key(|l| (l.file(), l.line(), l.column()));
            locations
        }
        #[cfg(not(feature = "provenance"))]
        {
            let _ = key;
            Vec::new()
        }
    }
}
