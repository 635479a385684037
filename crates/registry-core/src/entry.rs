//! One store id's entry: its state machine, its holders and its idle countdown.

use std::rc::Rc;
use std::time::Duration;

use crate::context::Hooks;
use crate::load::{Load, Settled};
use crate::{CacheTime, RegistryError};

slotmap::new_key_type! {
    /// An entry's slot plus its generation: a key of an ended entry never finds a newer one.
    pub(crate) struct EntryKey;
}

/// Where an entry's store is.
pub(crate) enum Stage<S, E> {
    Loading(Rc<Load<S, E>>),
    Ready(Rc<S>),
    Failed(RegistryError<E>),
}

pub(crate) struct Entry<K, S, E> {
    pub(crate) store_id: K,
    pub(crate) stage: Stage<S, E>,
    /// Unreleased retain guards.
    pub(crate) retains: u32,
    /// A `get_or_load`/`preload` call joined the load in flight: it holds the entry until the
    /// load settles, whether or not its future is awaited.
    pub(crate) load_hold: bool,
    pub(crate) cache_time: CacheTime,
    /// When the idle countdown runs: the time it ends. `None` while held, or for
    /// [`CacheTime::Infinite`].
    pub(crate) deadline: Option<Duration>,
    /// Whether the expiry queue has an item for this entry (possibly an earlier, stale one).
    pub(crate) queued: bool,
    /// Teardown registered by the loader; dropped when unused to keep idle entries small.
    pub(crate) hooks: Option<Rc<Hooks>>,
}

/// What the registry must do after a holder let go.
pub(crate) enum Idle {
    /// Still held, or never disposed: nothing.
    Nothing,
    /// Cache time zero: dispose now.
    DisposeNow,
    /// Start (or restart) the countdown to this deadline.
    Countdown(Duration),
}

impl<K, S, E> Entry<K, S, E> {
    pub(crate) fn holders(&self) -> u32 {
        self.retains + u32::from(self.load_hold)
    }

    /// The countdown an idle entry starts at `now`.
    pub(crate) fn idle_transition(&mut self, now: Duration) -> Idle {
        if self.holders() > 0 {
            return Idle::Nothing;
        }
        match self.cache_time {
            CacheTime::Infinite => Idle::Nothing,
            CacheTime::Finite(d) if d.is_zero() => Idle::DisposeNow,
            // A deadline past what `Duration` can hold is never reached.
            CacheTime::Finite(d) => match now.checked_add(d) {
                Some(deadline) => Idle::Countdown(deadline),
                None => Idle::Nothing,
            },
        }
    }

    /// Ends the entry: returns everything that must be dropped, woken or run once the
    /// registry's borrow is released.
    pub(crate) fn end(self, registry_disposed: bool) -> Ended<S, E> {
        let settled = match &self.stage {
            Stage::Loading(load) => {
                let error = if registry_disposed {
                    RegistryError::Disposed
                } else {
                    RegistryError::Cancelled
                };
                Some(load.settle(Err(error)))
            }
            Stage::Ready(_) | Stage::Failed(_) => None,
        };
        Ended {
            settled,
            hooks: self.hooks,
            // The store, the cached failure (its `E` may have a `Drop` that calls back) and the
            // load are dropped by `finish`, outside the borrow.
            stage: self.stage,
        }
    }
}

/// The remains of an ended entry. [`Ended::finish`] must run with no registry borrow held.
pub(crate) struct Ended<S, E> {
    settled: Option<Settled<S, E>>,
    hooks: Option<Rc<Hooks>>,
    stage: Stage<S, E>,
}

impl<S, E> Ended<S, E> {
    /// Cancels the load (dropping its future, waking its waiters), runs the teardown callbacks
    /// newest first, then drops the registry's reference to the store.
    pub(crate) fn finish(self) {
        if let Some(settled) = self.settled {
            settled.finish();
        }
        if let Some(hooks) = self.hooks {
            hooks.end();
        }
        drop(self.stage);
    }
}
