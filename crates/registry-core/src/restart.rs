//! [`RestartHandle`]: a store's way to restart its own entry, from
//! [`LoadContext::restart_handle`](crate::LoadContext::restart_handle).

use std::fmt;
use std::rc::{Rc, Weak};

use crate::StoreId;
use crate::config::Nanos;
use crate::entry::EntryKey;
use crate::options::Loader;
use crate::shared::Shared;
use crate::teardown::Teardown;

/// Restarts the entry whose loader received it, in the generation it was loaded for: for a
/// store that notices that its worker, socket or session died and wants a fresh instance while
/// components keep holding it.
///
/// Weak (it keeps neither the registry nor the entry alive), cheap to clone. It restarts with
/// the options of the load it came from (the same loader and cache time), as
/// [`StoreRegistry::restart`](crate::StoreRegistry::restart) would.
///
/// [`restart`](Self::restart) does nothing and returns `false` once its instance is over:
/// after the entry ended (its cache time ran out, it was invalidated, evicted or disposed),
/// after it was restarted already (a handle restarts its own generation only, so two handles
/// of one instance restart it once), and from the instance's own teardown.
#[derive(Clone)]
pub struct RestartHandle {
    target: Rc<dyn RestartTarget>,
}

impl RestartHandle {
    pub(crate) fn new<K: StoreId, S: 'static, E: 'static>(
        shared: Weak<Shared<K>>,
        key: EntryKey,
        generation: u32,
        teardown: &Rc<Teardown>,
        loader: Loader<K, S, E>,
        cache_time: Nanos,
    ) -> Self {
        Self {
            target: Rc::new(EntryInstance {
                shared,
                key,
                generation,
                teardown: Rc::downgrade(teardown),
                loader,
                cache_time,
            }),
        }
    }

    /// Restarts the entry if it is still in the generation this handle was made for: its
    /// current instance ends (a load in flight is cancelled, teardown runs and async teardown
    /// finishes) and the same entry loads again, its holders holding the new instance. Returns
    /// whether it restarted.
    pub fn restart(&self) -> bool {
        self.target.restart()
    }

    /// The generation of the entry this handle restarts (0 for its first load, one more per
    /// restart).
    pub fn generation(&self) -> u64 {
        self.target.generation()
    }
}

impl fmt::Debug for RestartHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestartHandle")
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

/// One instance of an entry, type-erased.
trait RestartTarget {
    fn restart(&self) -> bool;
    fn generation(&self) -> u64;
}

struct EntryInstance<K, S, E> {
    shared: Weak<Shared<K>>,
    key: EntryKey,
    generation: u32,
    /// The instance's teardown: once it started, the instance is over. (Gone when the entry
    /// dropped it as unused; the generation tells then.)
    teardown: Weak<Teardown>,
    loader: Loader<K, S, E>,
    cache_time: Nanos,
}

impl<K: StoreId, S: 'static, E: 'static> RestartTarget for EntryInstance<K, S, E> {
    fn restart(&self) -> bool {
        if self
            .teardown
            .upgrade()
            .is_some_and(|teardown| teardown.has_ended())
        {
            return false;
        }
        let Some(shared) = self.shared.upgrade() else {
            return false;
        };
        shared.restart_instance(self.key, self.generation, &self.loader, self.cache_time)
    }

    fn generation(&self) -> u64 {
        u64::from(self.generation)
    }
}
