//! [`RetainGuard`]: a hold on a store, released on drop.

use std::fmt;
use std::rc::{Rc, Weak};

use std::panic::Location;

use crate::alive::Provenance;
use crate::entry::EntryKey;

/// Implemented by the registry's shared state: lets a type-erased guard release its hold.
pub(crate) trait ReleaseHold {
    fn release_hold(self: Rc<Self>, key: EntryKey, at: Provenance);
    /// Whether `key` names a live entry (not ended, not disposing).
    fn is_live(&self, key: EntryKey) -> bool;
    /// The generation of the live entry `key`.
    fn generation(&self, key: EntryKey) -> Option<u64>;
}

/// A hold on one store, from [`StoreRegistry::retain`](crate::StoreRegistry::retain): the store
/// is kept while the guard lives. Dropping the guard, or calling [`release`](Self::release),
/// lets go.
///
/// The guard names its entry by slot *and generation*: releasing it after its entry ended (and
/// perhaps a new entry for the same id began), or after the registry was disposed or dropped,
/// touches nothing. It holds the registry weakly and never keeps it alive.
#[must_use = "the store is released as soon as the guard is dropped"]
#[clippy::has_significant_drop]
pub struct RetainGuard {
    hold: Option<(Weak<dyn ReleaseHold>, EntryKey)>,
    /// Where the guard was taken (with the `provenance` feature; zero-sized without).
    at: Provenance,
}

impl RetainGuard {
    pub(crate) fn new(registry: Weak<dyn ReleaseHold>, key: EntryKey, at: Provenance) -> Self {
        Self {
            hold: Some((registry, key)),
            at,
        }
    }

    /// A guard that holds nothing (what `retain` returns after `dispose`).
    pub fn inert() -> Self {
        Self {
            hold: None,
            at: crate::alive::given(Location::caller()),
        }
    }

    /// Where the guard was taken: the caller of
    /// [`retain`](crate::StoreRegistry::retain) or
    /// [`retain_and_get`](crate::StoreRegistry::retain_and_get) (or the location an adapter
    /// passed to [`retain_from`](crate::StoreRegistry::retain_from)). `None` without the
    /// `provenance` feature, and for inert guards.
    pub fn location(&self) -> Option<&'static Location<'static>> {
        #[cfg(feature = "provenance")]
        {
            self.hold.as_ref().map(|_| self.at)
        }
        #[cfg(not(feature = "provenance"))]
        {
            None
        }
    }

    /// Whether this guard holds nothing (it came from a disposed registry, or is
    /// [`inert`](Self::inert)).
    pub fn is_inert(&self) -> bool {
        self.hold.is_none()
    }

    /// Whether the entry this guard holds is still live: `false` once it ended (invalidated,
    /// evicted, disposed with the registry, or the registry dropped), and for inert guards.
    /// A guard on an ended entry holds nothing; retain again to hold the next entry of its id.
    pub fn is_live(&self) -> bool {
        match &self.hold {
            Some((registry, key)) => registry
                .upgrade()
                .is_some_and(|registry| registry.is_live(*key)),
            None => false,
        }
    }

    /// The generation of the entry this guard holds (0 for its first load, one more per
    /// [`restart`](crate::StoreRegistry::restart)), while it is live: a holder that kept the
    /// generation of the store it shows can tell that the entry restarted under it. `None`
    /// once the entry ended, and for inert guards.
    pub fn generation(&self) -> Option<u64> {
        let (registry, key) = self.hold.as_ref()?;
        registry.upgrade()?.generation(*key)
    }

    /// Lets go of the hold now. Same as dropping the guard; reads better at call sites.
    pub fn release(self) {
        drop(self);
    }
}

impl Drop for RetainGuard {
    fn drop(&mut self) {
        if let Some((registry, key)) = self.hold.take()
            && let Some(registry) = registry.upgrade()
        {
            registry.release_hold(key, self.at);
        }
    }
}

impl Default for RetainGuard {
    fn default() -> Self {
        Self::inert()
    }
}

impl fmt::Debug for RetainGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut guard = f.debug_struct("RetainGuard");
        guard.field("inert", &self.is_inert());
        if let Some(location) = self.location() {
            guard.field("location", &format_args!("{location}"));
        }
        guard.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guard_is_no_bigger_without_provenance() {
        let size = std::mem::size_of::<RetainGuard>();
        if cfg!(feature = "provenance") {
            assert_eq!(size, 32, "a key, a pointer and a location");
        } else {
            assert_eq!(size, 24, "a key and a pointer");
        }
    }
}
