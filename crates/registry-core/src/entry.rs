//! One entry of the registry: its identity (id and store type), its state machine, its
//! holders and its idle countdown, and what is left to do when it ends.

use std::any::{Any, TypeId};
use std::rc::Rc;

use crate::config::{NEVER, Nanos};
use crate::load::{Load, LoadFuture, PendingLoad};
use crate::panic::{contain, drop_contained};
use crate::teardown::Teardown;
use crate::{Lookup, RegistryError};

slotmap::new_key_type! {
    /// An entry's slot plus its generation: a key of an ended entry never finds a newer one.
    pub(crate) struct EntryKey;
}

/// The store and error types of an entry: one static value per `(S, E)`, so an entry names its
/// types with one pointer.
pub(crate) struct EntryType {
    pub(crate) id: TypeId,
    pub(crate) store_type_name: fn() -> &'static str,
}

struct TypeOf<S, E>(std::marker::PhantomData<fn() -> (S, E)>);

impl<S: 'static, E: 'static> TypeOf<S, E> {
    const TYPE: EntryType = EntryType {
        id: TypeId::of::<(S, E)>(),
        store_type_name: std::any::type_name::<S>,
    };
}

impl EntryType {
    /// The entry type of stores `S` with errors `E`.
    pub(crate) fn of<S: 'static, E: 'static>() -> &'static EntryType {
        &TypeOf::<S, E>::TYPE
    }

    #[inline]
    pub(crate) fn is<S: 'static, E: 'static>(&self) -> bool {
        // The address settles it at once when both come from the same `of` (the usual case);
        // the id when the constant was duplicated across codegen units.
        std::ptr::eq(self, Self::of::<S, E>()) || self.id == TypeId::of::<(S, E)>()
    }
}

/// Where an entry's store is. The values are type-erased; [`Entry::ty`] says what they hold.
pub(crate) enum Stage {
    /// A `Load<S, E>`.
    Loading(Rc<dyn PendingLoad>),
    /// The store: an `Rc<S>` (the very allocation handed out).
    Ready(Rc<dyn Any>),
    /// A `RegistryError<E>`.
    Failed(Rc<dyn Any>),
    /// The entry ended and its teardown has not finished: its async teardown runs, or its
    /// synchronous teardown has not run yet (it ended in a batch whose teardowns run one after
    /// the other). A new load of the same entry waits for it. Not found by lookups; listed by
    /// snapshots only while async teardown runs.
    Disposing(Rc<Teardown>),
}

pub(crate) struct Entry<K> {
    pub(crate) store_id: K,
    pub(crate) ty: &'static EntryType,
    pub(crate) stage: Stage,
    /// Teardown registered by the loader; dropped when unused to keep idle entries small.
    pub(crate) teardown: Option<Rc<Teardown>>,
    /// The cache time, in nanoseconds ([`NEVER`]: infinite).
    pub(crate) cache_time: Nanos,
    /// When the idle countdown ends, on the registry's clock; [`NEVER`] while held, for an
    /// infinite cache time, or past what the clock can count.
    pub(crate) deadline: Nanos,
    /// The entry's item in the expiry queue: its position there
    /// ([`NOT_QUEUED`](crate::expiry::NOT_QUEUED): none). The item's deadline may be earlier
    /// than [`deadline`](Self::deadline) (a hit restarted the countdown); it is re-queued when
    /// it falls due.
    pub(crate) queue_pos: u32,
    /// The entry's place in the recency order of idle entries (0: not idle, or no bound on
    /// idle entries).
    pub(crate) idle_seq: u64,
    /// Unreleased retain guards.
    pub(crate) retains: u32,
    /// How many times the entry was restarted: its current instance is generation
    /// `generation` (0 for the first load).
    pub(crate) generation: u32,
    /// A `get_or_load`/`preload` call joined the load in flight: it holds the entry until the
    /// load settles, whether or not its future is awaited.
    pub(crate) load_hold: bool,
}

/// What the registry must do after an entry's holders changed.
pub(crate) enum Idle {
    /// Still held, or never disposed by time: nothing.
    Nothing,
    /// Cache time zero: dispose now.
    DisposeNow,
    /// Start (or restart) the countdown to this deadline.
    Countdown(Nanos),
}

impl<K> Entry<K> {
    /// What a lookup of this entry answers, for its types `S` and `E` (the caller found it
    /// by them): its store or cached failure, or a future of its load in flight.
    #[inline]
    pub(crate) fn lookup<S: 'static, E: 'static>(&self) -> Lookup<S, E> {
        match &self.stage {
            Stage::Ready(store) => Lookup::Ready(Ok(Rc::clone(store)
                .downcast::<S>()
                .unwrap_or_else(|_| unreachable!("an entry's store has the entry's store type")))),
            Stage::Failed(error) => {
                Lookup::Ready(Err(match error.downcast_ref::<RegistryError<E>>() {
                    Some(error) => error.clone(),
                    None => unreachable!("an entry's failure has the entry's error type"),
                }))
            }
            Stage::Loading(load) => Lookup::Pending(LoadFuture::waiting(
                Rc::clone(load)
                    .as_any()
                    .downcast::<Load<S, E>>()
                    .unwrap_or_else(|_| unreachable!("an entry's load has the entry's types")),
            )),
            // Lookups find live entries only.
            Stage::Disposing(_) => Lookup::Ready(Err(RegistryError::Cancelled)),
        }
    }

    pub(crate) fn holders(&self) -> u32 {
        self.retains + u32::from(self.load_hold)
    }

    pub(crate) fn is_settled(&self) -> bool {
        matches!(self.stage, Stage::Ready(_) | Stage::Failed(_))
    }

    pub(crate) fn is_disposing(&self) -> bool {
        matches!(self.stage, Stage::Disposing(_))
    }

    /// The countdown an unheld entry starts at `now`.
    pub(crate) fn idle_transition(&self, now: Nanos) -> Idle {
        if self.holders() > 0 || self.cache_time == NEVER {
            return Idle::Nothing;
        }
        if self.cache_time == 0 {
            return Idle::DisposeNow;
        }
        match now.checked_add(self.cache_time) {
            Some(deadline) if deadline != NEVER => Idle::Countdown(deadline),
            // A deadline past what the clock counts is never reached.
            _ => Idle::Nothing,
        }
    }

    /// Ends an entry whose teardown has not finished: the entry stays, as
    /// [`Stage::Disposing`], until it has. Returns what must be dropped, woken or run once the
    /// registry's borrow is released.
    pub(crate) fn end_in_place(&mut self, registry_disposed: bool) -> Ended {
        let teardown = self.teardown.take();
        let stage = match &teardown {
            Some(teardown) => {
                std::mem::replace(&mut self.stage, Stage::Disposing(Rc::clone(teardown)))
            }
            None => return Ended::default(),
        };
        Ended::new(stage, teardown, registry_disposed)
    }

    /// Ends the entry's current instance and makes `load` (with `teardown`) its next one, in
    /// the same slot: holders and countdown stay. A load in flight hands its waiters to `load`
    /// instead of failing them. Returns what must run once the registry's borrow is released:
    /// the old instance's teardown, then the drop of its store.
    pub(crate) fn restart_in_place(
        &mut self,
        load: Rc<dyn PendingLoad>,
        teardown: Rc<Teardown>,
    ) -> Ended {
        self.generation = self.generation.saturating_add(1);
        let old_teardown = self.teardown.replace(teardown);
        let stage = std::mem::replace(&mut self.stage, Stage::Loading(Rc::clone(&load)));
        let abort = match &stage {
            Stage::Loading(old) => Some(old.forward(load.as_any())),
            _ => None,
        };
        Ended {
            abort,
            teardown: old_teardown,
            stage: Some(stage),
            kept_as_disposing: None,
        }
    }

    /// Ends an entry that the registry has forgotten. Returns what must be dropped, woken or
    /// run once the registry's borrow is released.
    pub(crate) fn into_ended(self, registry_disposed: bool) -> Ended {
        match self.stage {
            // Its teardown runs already; the caller may wait for it.
            Stage::Disposing(teardown) => Ended {
                teardown: Some(teardown),
                ..Ended::default()
            },
            stage => Ended::new(stage, self.teardown, registry_disposed),
        }
    }
}

/// The remains of an ended entry. [`Ended::finish`] must run with no registry borrow held.
#[must_use]
#[derive(Default)]
pub(crate) struct Ended {
    abort: Option<Box<dyn FnOnce()>>,
    teardown: Option<Rc<Teardown>>,
    stage: Option<Stage>,
    /// Set when the entry stays in the registry as [`Stage::Disposing`]: the registry forgets
    /// it once its teardown has finished.
    pub(crate) kept_as_disposing: Option<EntryKey>,
}

impl Ended {
    fn new(stage: Stage, teardown: Option<Rc<Teardown>>, registry_disposed: bool) -> Self {
        let abort = match &stage {
            Stage::Loading(load) => Some(load.abort(registry_disposed)),
            _ => None,
        };
        Self {
            abort,
            teardown,
            kept_as_disposing: None,
            // The store, the cached failure (its `E` may have a `Drop` that calls back) and the
            // load are dropped by `finish`, outside the borrow.
            stage: Some(stage),
        }
    }

    /// The teardown, for a caller that must learn when it finished.
    pub(crate) fn teardown(&self) -> Option<&Rc<Teardown>> {
        self.teardown.as_ref()
    }

    /// Cancels the load (dropping its future, waking its waiters), runs the teardown callbacks
    /// newest first (async ones go on in a task), then drops the registry's reference to the
    /// store once every callback has run (the store outlives its teardown), then runs `then`.
    /// A panic in any of these is contained: the rest still runs.
    pub(crate) fn finish(self, then: impl FnOnce() + 'static) {
        if let Some(abort) = self.abort {
            contain("cancelling a load", abort);
        }
        if let Some(teardown) = &self.teardown {
            teardown.end();
            if !teardown.is_finished() {
                // Async teardown runs on: the store and `then` wait for it.
                let stage = self.stage;
                teardown.on_finished(Box::new(move || {
                    drop_contained("dropping a store or a cached failure", stage);
                }));
                teardown.on_finished(Box::new(then));
                return;
            }
        }
        if let Some(stage) = self.stage {
            drop_contained("dropping a store or a cached failure", stage);
        }
        contain("forgetting an ended entry", then);
    }
}
