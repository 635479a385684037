//! [`EventQueue`]: the registry's events in the order they happened, and [`Listeners`], who
//! hears them.
//!
//! Every event gets a sequence number when it is recorded (under the registry's borrow); a
//! listener hears the events numbered from its subscription on, until its subscription is
//! dropped. One delivery runs at a time: the outermost call that finds events queued delivers
//! them, one event to every listener before the next event, and events that a listener's own
//! call back into the registry records join the end of the same queue. So every listener hears
//! every event in the order it happened, causes before their effects.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use slab::Slab;

use crate::panic::{contain, drop_contained};
use crate::{RegistryEvent, RegistryEventKind};

/// A listener, as [`StoreRegistry::subscribe`](crate::StoreRegistry::subscribe) takes it.
pub(crate) type Listener<K> = Rc<dyn Fn(&RegistryEvent<K>)>;

/// An event and its place in the order of events.
pub(crate) struct Recorded<K> {
    seq: u64,
    event: RegistryEvent<K>,
}

/// The events recorded and not delivered yet. Lives in the registry's borrowed state, so that
/// an operation records its events in the same section that changes an entry.
pub(crate) struct EventQueue<K> {
    pending: VecDeque<Recorded<K>>,
    /// The sequence number of the next event.
    next_seq: u64,
    /// The kinds anything listens to: others are not recorded (a lifecycle transition costs
    /// one branch; hits record nothing anyway).
    wanted: Kinds,
}

/// A set of [`RegistryEventKind`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Kinds(u8);

impl Kinds {
    /// Every kind.
    pub(crate) const ALL: Self = Self(u8::MAX);

    /// The kinds in `kinds`.
    pub(crate) fn of(kinds: &[RegistryEventKind]) -> Self {
        Self(kinds.iter().fold(0, |bits, &kind| bits | Self::bit(kind)))
    }

    fn bit(kind: RegistryEventKind) -> u8 {
        1 << (kind as u8)
    }

    pub(crate) fn contains(self, kind: RegistryEventKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl<K> Default for EventQueue<K> {
    fn default() -> Self {
        Self {
            pending: VecDeque::new(),
            next_seq: 0,
            wanted: Kinds::default(),
        }
    }
}

impl<K> EventQueue<K> {
    /// Whether an event of `kind` would be recorded: callers build one (cloning the id) only
    /// then.
    #[inline]
    pub(crate) fn wants(&self, kind: RegistryEventKind) -> bool {
        self.wanted.contains(kind)
    }

    /// Queues `event` after every event recorded before it (when anything listens to it).
    pub(crate) fn push(&mut self, event: RegistryEvent<K>) {
        if self.wants(event.kind) {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.pending.push_back(Recorded { seq, event });
        }
    }

    /// The next event to deliver.
    pub(crate) fn pop(&mut self) -> Option<Recorded<K>> {
        self.pending.pop_front()
    }

    /// Starts recording `kinds` too (a listener subscribes); returns the sequence number of
    /// the first event the new listener hears.
    pub(crate) fn listen(&mut self, kinds: Kinds) -> u64 {
        self.wanted = self.wanted.union(kinds);
        self.next_seq
    }

    /// Records only `kinds` from now on (a listener left); with none, what is queued is
    /// dropped (returned, to be dropped outside the borrow).
    pub(crate) fn set_wanted(&mut self, kinds: Kinds) -> VecDeque<Recorded<K>> {
        self.wanted = kinds;
        if kinds.is_empty() {
            std::mem::take(&mut self.pending)
        } else {
            VecDeque::new()
        }
    }
}

/// One subscription's listener, the first event it hears, and the kinds it hears.
struct Subscribed<K> {
    listener: Listener<K>,
    since: u64,
    kinds: Kinds,
}

/// The registry's listeners, and whether a delivery runs.
pub(crate) struct Listeners<K> {
    table: RefCell<Slab<Subscribed<K>>>,
    delivering: Cell<bool>,
}

impl<K> Default for Listeners<K> {
    fn default() -> Self {
        Self {
            table: RefCell::new(Slab::new()),
            delivering: Cell::new(false),
        }
    }
}

impl<K> Listeners<K> {
    /// Adds `listener`, which hears the events of `kinds` numbered `since` and later. Returns
    /// its key.
    pub(crate) fn insert(&self, listener: Listener<K>, since: u64, kinds: Kinds) -> usize {
        self.table.borrow_mut().insert(Subscribed {
            listener,
            since,
            kinds,
        })
    }

    /// Removes the listener `key`; returns the kinds the listeners left still hear. The
    /// listener is dropped after the table's borrow is released: a closure that owns a guard
    /// or another subscription runs registry code when dropped.
    pub(crate) fn remove(&self, key: usize) -> Kinds {
        let (removed, left) = {
            let mut table = self.table.borrow_mut();
            let removed = table.try_remove(key);
            let left = table
                .iter()
                .fold(Kinds::default(), |kinds, (_, s)| kinds.union(s.kinds));
            (removed, left)
        };
        drop_contained("dropping a registry event listener", removed);
        left
    }

    /// Starts a delivery, unless one already runs further up the stack (which will deliver
    /// whatever is queued now, in order).
    pub(crate) fn start_delivery(&self) -> Option<Delivery<'_, K>> {
        if self.delivering.replace(true) {
            return None;
        }
        Some(Delivery { listeners: self })
    }

    /// Calls every listener subscribed at the time of `recorded` and still subscribed when its
    /// turn comes, in the order they subscribed. No borrow is held while a listener runs, nor
    /// when its `Rc` is dropped (the last reference, if it unsubscribed meanwhile).
    fn deliver(&self, recorded: &Recorded<K>) {
        let mut from = 0;
        loop {
            let next = {
                let table = self.table.borrow();
                table
                    .iter()
                    .skip_while(|(key, _)| *key < from)
                    .find(|(_, subscribed)| {
                        subscribed.since <= recorded.seq
                            && subscribed.kinds.contains(recorded.event.kind)
                    })
                    .map(|(key, subscribed)| (key, Rc::clone(&subscribed.listener)))
            };
            let Some((key, listener)) = next else { return };
            from = key + 1;
            contain("a registry event listener", || listener(&recorded.event));
            drop_contained("dropping a registry event listener", listener);
        }
    }
}

/// A delivery in progress; ends when dropped (also when a panic unwinds through it).
pub(crate) struct Delivery<'a, K> {
    listeners: &'a Listeners<K>,
}

impl<K> Delivery<'_, K> {
    /// Delivers `recorded` to its listeners.
    pub(crate) fn deliver(&self, recorded: &Recorded<K>) {
        self.listeners.deliver(recorded);
    }
}

impl<K> Drop for Delivery<'_, K> {
    fn drop(&mut self) {
        self.listeners.delivering.set(false);
    }
}
