//! [`RetainGuard`]: a hold on a store, released on drop.

use std::fmt;
use std::rc::{Rc, Weak};

use crate::entry::EntryKey;

/// Implemented by the registry's shared state: lets a type-erased guard release its hold.
pub(crate) trait ReleaseHold {
    fn release_hold(self: Rc<Self>, key: EntryKey);
    /// Whether `key` names a live entry (not ended, not disposing).
    fn is_live(&self, key: EntryKey) -> bool;
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
}

impl RetainGuard {
    pub(crate) fn new(registry: Weak<dyn ReleaseHold>, key: EntryKey) -> Self {
        Self {
            hold: Some((registry, key)),
        }
    }

    /// A guard that holds nothing (what `retain` returns after `dispose`).
    pub fn inert() -> Self {
        Self { hold: None }
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
            registry.release_hold(key);
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
        f.debug_struct("RetainGuard")
            .field("inert", &self.is_inert())
            .finish()
    }
}
