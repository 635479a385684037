//! [`Shared`]: the state behind every registry handle, and every operation on it.
//!
//! Every operation borrows the state for a short section that calls no user code, collects what
//! must happen next ([`AfterBorrow`]: entries to finish, the timer to re-arm), releases the
//! borrow, and only then runs loaders, teardown, wakers, `Drop`s and the runtime's spawn.

use std::cell::{Cell, RefCell, RefMut};
use std::collections::HashMap;
use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::Context;
use std::time::Duration;

use futures::future::LocalBoxFuture;
use hashbrown::HashTable;
use slotmap::SlotMap;
use tracing::Instrument;

use crate::alive::{AliveReason, HolderLocations, Provenance};
use crate::config::{CacheTimePolicy, NEVER, Nanos};
use crate::entry::{Ended, Entry, EntryKey, EntryType, Idle, Stage};
use crate::event::{RegistryEvent, RegistryEventKind};
use crate::event_queue::{EventQueue, Kinds, Listener, Listeners};
use crate::expiry::{ExpiryQueue, NOT_QUEUED};
use crate::guard::{ReleaseHold, RetainGuard};
use crate::idle::IdleOrder;
use crate::load::{Load, LoadFuture, Outcome, PendingLoad};
use crate::load_task::LoadTask;
use crate::options::Loader;
use crate::panic::{contain, drop_contained};
use crate::restart::RestartHandle;
use crate::teardown::{Finished, Teardown};
use crate::timer::{self, Next, TimerSignal};
use crate::{
    CacheTime, EntrySnapshot, EntryState, LoadContext, Lookup, RegistryConfig, RegistryError,
    Runtime, StoreId, StoreOptions, Subscription,
};

/// Wraps every call of a loader and every poll of its future
/// ([`StoreRegistry::set_load_scope`](crate::StoreRegistry::set_load_scope)).
pub(crate) type LoadScope = Rc<dyn Fn(&mut dyn FnMut())>;

/// The shared state behind every handle. Borrowed only for short, call-free sections.
pub(crate) struct Shared<K> {
    runtime: Rc<dyn Runtime>,
    config: RegistryConfig,
    signal: Rc<TimerSignal>,
    clock: Clock,
    load_scope: RefCell<Option<LoadScope>>,
    visibility: RefCell<Option<Subscription>>,
    /// [`StoreRegistry::subscribe`](crate::StoreRegistry::subscribe) listeners.
    listeners: Listeners<K>,
    inner: RefCell<Inner<K>>,
}

/// The registry's clock: the runtime's, stopped while the page is hidden when
/// [`RegistryConfig::pause_while_hidden`] is set. Idle deadlines are on this clock, so pausing
/// it pauses every countdown at once, with no per-entry work.
#[derive(Default)]
struct Clock {
    /// When (on the runtime's clock) the page was hidden, while it is.
    paused_at: Cell<Option<Duration>>,
    /// Total time the page was hidden.
    hidden_for: Cell<Duration>,
}

struct Inner<K> {
    disposed: bool,
    /// foldhash (hashbrown's default hasher, seeded per process) instead of SipHash: hashing
    /// the id was 40 % of a cache hit's instructions.
    hasher: foldhash::fast::RandomState,
    /// The keys of the live entries, hashed by their entry's id. The ids live in the entries
    /// only: the index costs 8 bytes a slot, and an id is compared where the entry is read
    /// anyway.
    index: HashTable<EntryKey>,
    /// The same for ended entries whose async teardown still runs ([`Stage::Disposing`]), so
    /// that a new load of their id can find them and wait.
    disposing: HashTable<EntryKey>,
    /// Ended entries whose synchronous teardown has not run yet ([`Stage::Disposing`] too):
    /// several entries that end in one step run their teardowns one after the other, and a
    /// load of one of them from another's teardown must wait for its own. Only the entries of
    /// the step in progress: searched, not hashed.
    ending: Vec<EntryKey>,
    entries: SlotMap<EntryKey, Entry<K>>,
    expiry: ExpiryQueue,
    idle: IdleOrder,
    /// The deadline the timer task sleeps until, if it sleeps.
    armed: Option<Nanos>,
    timer_started: bool,
    /// Teardowns of the entries that `dispose` ended, for `dispose_async`.
    final_teardowns: Vec<Rc<Teardown>>,
    /// Events recorded under the borrow, delivered once it is released.
    events: EventQueue<K>,
    /// Where each entry's guards were taken (with the `provenance` feature).
    holder_locations: HolderLocations,
    /// The cache time an entry had before [`CacheTimePolicy::Longest`] lengthened it, for the
    /// entries it lengthened (rare: kept beside the entries, not in each).
    grown_from: HashMap<EntryKey, Nanos>,
}

/// Which hold a lookup takes.
#[derive(Clone, Copy)]
enum Hold {
    /// `get_or_load`: the load hold while a load is in flight.
    Load,
    /// `retain` and `retain_and_get`: a guard, taken there.
    Retain(Provenance),
}

/// What a borrowed section leaves to do once the borrow is released.
#[must_use]
#[derive(Default)]
struct AfterBorrow {
    ended: Vec<Ended>,
    /// How many of `ended` were evicted (logged once the borrow is released).
    evicted: usize,
    rearm: bool,
}

impl<K: StoreId> Inner<K> {
    fn hash(&self, store_id: &K) -> u64 {
        self.hasher.hash_one(store_id)
    }

    /// Records an event of the entry `key`, if anything listens.
    #[inline]
    fn record(&mut self, key: EntryKey, kind: RegistryEventKind) {
        if self.events.wants(kind)
            && let Some(entry) = self.entries.get(key)
        {
            self.events.push(RegistryEvent {
                store_id: entry.store_id.clone(),
                store_type: (entry.ty.store_type_name)(),
                generation: u64::from(entry.generation),
                kind,
            });
        }
    }

    /// The live entry of `store_id` with store type `S` and error type `E`.
    #[inline]
    fn find<S: 'static, E: 'static>(&self, hash: u64, store_id: &K) -> Option<EntryKey> {
        find_in::<K, S, E>(&self.index, &self.entries, hash, store_id)
    }

    /// Runs `f` on the live entry of `store_id` with types `S` and `E`, found in the same probe
    /// of the index (no second look-up of the slot), with the idle order at hand.
    #[inline]
    fn with_live<S: 'static, E: 'static, T>(
        &mut self,
        hash: u64,
        store_id: &K,
        f: impl FnOnce(EntryKey, &mut Entry<K>, &mut IdleOrder) -> T,
    ) -> Option<T> {
        let Inner {
            index,
            entries,
            idle,
            ..
        } = self;
        let mut f = Some(f);
        let mut output = None;
        index.find(hash, |&key| match entries.get_mut(key) {
            Some(entry) if entry.ty.is::<S, E>() && entry.store_id == *store_id => {
                output = f.take().map(|f| f(key, entry, idle));
                true
            }
            _ => false,
        });
        output
    }

    /// The teardown of an ended entry of the same id and types that is still disposing.
    fn find_disposing<S: 'static, E: 'static>(
        &self,
        hash: u64,
        store_id: &K,
    ) -> Option<Rc<Teardown>> {
        // An entry ended in this step comes first: its teardown's chain covers what its own
        // load waited for.
        let ending = self.ending.iter().rev().find_map(|&key| {
            let entry = self.entries.get(key)?;
            match &entry.stage {
                Stage::Disposing(teardown)
                    if entry.ty.is::<S, E>() && entry.store_id == *store_id =>
                {
                    Some(Rc::clone(teardown))
                }
                _ => None,
            }
        });
        if ending.is_some() {
            return ending;
        }
        let key = find_in::<K, S, E>(&self.disposing, &self.entries, hash, store_id)?;
        match &self.entries.get(key)?.stage {
            Stage::Disposing(teardown) => Some(Rc::clone(teardown)),
            _ => None,
        }
    }

    fn index_insert(&mut self, hash: u64, key: EntryKey) {
        insert_in(&mut self.index, &self.entries, &self.hasher, hash, key);
    }

    /// Removes `key` from the index (`disposing: false`) or the disposing index.
    fn unindex(&mut self, key: EntryKey, disposing: bool) {
        if let Some(entry) = self.entries.get(key) {
            let hash = self.hash(&entry.store_id);
            self.unindex_hashed(key, hash, disposing);
        }
    }

    /// [`unindex`](Self::unindex) with the entry's hash at hand.
    fn unindex_hashed(&mut self, key: EntryKey, hash: u64, disposing: bool) {
        let table = if disposing {
            &mut self.disposing
        } else {
            &mut self.index
        };
        if let Ok(found) = table.find_entry(hash, |&other| other == key) {
            found.remove();
        }
    }

    /// Ends the entry `key`. It is forgotten at once, or kept as [`Stage::Disposing`] until
    /// its teardown has finished: while async teardown runs, and while its teardown has not run
    /// yet (several entries ended in one step run their teardowns one after the other, and a
    /// callback of one may load another of them again: that load must wait for the other's
    /// teardown).
    fn remove(&mut self, key: EntryKey) -> Ended {
        let Some(entry) = self.entries.get_mut(key) else {
            return Ended::default();
        };
        // Every caller passes a live entry; one already disposing ends once, when its teardown
        // has finished (`forget_disposed`).
        debug_assert!(!entry.is_disposing(), "removing a disposing entry");
        if entry.is_disposing() {
            return Ended::default();
        }
        self.idle.forget(&mut entry.idle_seq);
        entry.deadline = NEVER;
        self.holder_locations.forget(key);
        if !self.grown_from.is_empty() {
            self.grown_from.remove(&key);
        }
        let queue_pos = std::mem::replace(&mut entry.queue_pos, NOT_QUEUED);
        if queue_pos != NOT_QUEUED {
            let entries = &mut self.entries;
            self.expiry
                .remove(queue_pos, |key, pos| set_queue_pos(entries, key, pos));
        }
        let Some(entry) = self.entries.get_mut(key) else {
            return Ended::default();
        };
        if let Some(teardown) = entry.teardown.as_ref().filter(|t| !t.is_finished())
            && !self.disposed
        {
            // Async teardown is announced as `Disposing` (and `Disposed` once it finished);
            // an entry kept only until its synchronous teardown ran is `Disposed` already.
            let kind = if teardown.has_async() {
                RegistryEventKind::Disposing
            } else {
                RegistryEventKind::Disposed
            };
            let has_async = teardown.has_async();
            let mut ended = entry.end_in_place(false);
            ended.kept_as_disposing = Some(key);
            // Out of the index: lookups no longer see it; a new load of its id finds it among
            // the disposing (or ending) entries and waits.
            let hash = self.hasher.hash_one(&entry.store_id);
            self.record(key, kind);
            self.unindex_hashed(key, hash, false);
            if has_async {
                insert_in(&mut self.disposing, &self.entries, &self.hasher, hash, key);
            } else {
                self.ending.push(key);
            }
            return ended;
        }
        self.unindex(key, false);
        self.record(key, RegistryEventKind::Disposed);
        match self.entries.remove(key) {
            Some(entry) => entry.into_ended(self.disposed),
            None => Ended::default(),
        }
    }

    /// Applies an entry's idle transition at `now`: starts its countdown (or disposes it, at
    /// cache time zero), makes it the most recently used idle entry and evicts the least
    /// recently used ones beyond the bound.
    fn go_idle(&mut self, key: EntryKey, now: Nanos, max_idle: Option<usize>) -> AfterBorrow {
        let mut after = AfterBorrow::default();
        let Some(entry) = self.entries.get_mut(key) else {
            return after;
        };
        if entry.holders() > 0 {
            return after;
        }
        let queue = match entry.idle_transition(now) {
            Idle::DisposeNow => {
                after.ended.push(self.remove(key));
                return after;
            }
            // No countdown (an infinite cache time, perhaps lengthened to it just now).
            Idle::Nothing => {
                entry.deadline = NEVER;
                None
            }
            Idle::Countdown(deadline) => {
                entry.deadline = deadline;
                if self.armed.is_none_or(|armed| deadline < armed) {
                    self.armed = Some(deadline);
                    after.rearm = true;
                }
                // A queued item may stay if it is due no later than the new deadline (it is
                // re-queued when it falls due); one due later (the cache time was shortened by
                // a restart) is replaced.
                match entry.queue_pos {
                    NOT_QUEUED => Some(deadline),
                    pos if self.expiry.deadline_at(pos) > deadline => {
                        entry.queue_pos = NOT_QUEUED;
                        let entries = &mut self.entries;
                        self.expiry
                            .remove(pos, |key, pos| set_queue_pos(entries, key, pos));
                        Some(deadline)
                    }
                    _ => None,
                }
            }
        };
        let Some(entry) = self.entries.get_mut(key) else {
            return after;
        };
        if max_idle.is_some() && entry.is_settled() {
            self.idle.touch(key, &mut entry.idle_seq);
        }
        if let Some(deadline) = queue {
            let entries = &mut self.entries;
            self.expiry
                .push(deadline, key, |key, pos| set_queue_pos(entries, key, pos));
        }
        if let Some(max) = max_idle {
            self.evict_beyond(max, &mut after);
        }
        after
    }

    /// An unheld entry whose load just settled, with its countdown running since its last
    /// release: it joins the idle entries (the most recently used), and the least recently
    /// used ones beyond the bound are evicted.
    fn settled_while_idle(&mut self, key: EntryKey, max_idle: Option<usize>) -> AfterBorrow {
        let mut after = AfterBorrow::default();
        let Some(max) = max_idle else {
            return after;
        };
        let Some(entry) = self.entries.get_mut(key) else {
            return after;
        };
        if entry.holders() == 0 {
            self.idle.touch(key, &mut entry.idle_seq);
            self.evict_beyond(max, &mut after);
        }
        after
    }

    /// Disposes the least recently used idle entries while more than `max` are idle.
    fn evict_beyond(&mut self, max: usize, after: &mut AfterBorrow) {
        while self.idle.len() > max {
            let entries = &self.entries;
            let oldest = self
                .idle
                .pop_oldest(|key, seq| entries.get(key).is_some_and(|entry| entry.idle_seq == seq));
            let Some(key) = oldest else { break };
            after.evicted += 1;
            after.ended.push(self.remove(key));
        }
        let entries = &self.entries;
        self.idle
            .sweep(|key, seq| entries.get(key).is_some_and(|entry| entry.idle_seq == seq));
    }
}

impl<K> Inner<K> {
    /// Marks the registry disposed and takes every entry out, the first time; returns what
    /// must be finished outside the borrow.
    fn dispose_all(&mut self) -> Vec<Ended> {
        if std::mem::replace(&mut self.disposed, true) {
            return Vec::new();
        }
        self.index = HashTable::new();
        self.disposing = HashTable::new();
        self.ending = Vec::new();
        self.expiry.clear();
        self.idle.clear();
        self.holder_locations.clear();
        self.grown_from.clear();
        self.armed = None;
        let ended: Vec<Ended> = std::mem::take(&mut self.entries)
            .into_iter()
            .map(|(_, entry)| entry.into_ended(true))
            .collect();
        self.final_teardowns = ended
            .iter()
            .filter_map(|ended| ended.teardown().cloned())
            .collect();
        ended
    }
}

/// Records where the expiry queue moved an entry's item.
fn set_queue_pos<K>(entries: &mut SlotMap<EntryKey, Entry<K>>, key: EntryKey, pos: u32) {
    if let Some(entry) = entries.get_mut(key) {
        entry.queue_pos = pos;
    }
}

/// The entry of `store_id` with types `S` and `E` among `table`'s keys.
#[inline]
fn find_in<K: StoreId, S: 'static, E: 'static>(
    table: &HashTable<EntryKey>,
    entries: &SlotMap<EntryKey, Entry<K>>,
    hash: u64,
    store_id: &K,
) -> Option<EntryKey> {
    table
        .find(hash, |&key| {
            entries
                .get(key)
                .is_some_and(|entry| entry.ty.is::<S, E>() && entry.store_id == *store_id)
        })
        .copied()
}

fn insert_in<K: StoreId>(
    table: &mut HashTable<EntryKey>,
    entries: &SlotMap<EntryKey, Entry<K>>,
    hasher: &foldhash::fast::RandomState,
    hash: u64,
    key: EntryKey,
) {
    table.insert_unique(hash, key, |&other| {
        entries
            .get(other)
            .map_or(0, |entry| hasher.hash_one(&entry.store_id))
    });
}

/// A reading of the clock in nanoseconds (saturating below [`NEVER`], some 584 years). In u64
/// arithmetic: `Duration::as_nanos` goes through u128, and this runs on every idle hit.
#[inline]
fn to_nanos(duration: Duration) -> Nanos {
    duration
        .as_secs()
        .checked_mul(1_000_000_000)
        .and_then(|nanos| nanos.checked_add(u64::from(duration.subsec_nanos())))
        .map_or(NEVER - 1, |nanos| nanos.min(NEVER - 1))
}

impl<K: StoreId> Shared<K> {
    pub(crate) fn new(config: RegistryConfig, runtime: Rc<dyn Runtime>) -> Rc<Self> {
        let shared = Rc::new(Self {
            runtime,
            config,
            signal: Rc::new(TimerSignal::default()),
            clock: Clock::default(),
            load_scope: RefCell::new(None),
            visibility: RefCell::new(None),
            inner: RefCell::new(Inner {
                disposed: false,
                hasher: foldhash::fast::RandomState::default(),
                index: HashTable::new(),
                disposing: HashTable::new(),
                ending: Vec::new(),
                entries: SlotMap::with_key(),
                expiry: ExpiryQueue::default(),
                idle: IdleOrder::default(),
                armed: None,
                timer_started: false,
                final_teardowns: Vec::new(),
                events: EventQueue::default(),
                holder_locations: HolderLocations::default(),
                grown_from: HashMap::new(),
            }),
            listeners: Listeners::default(),
        });
        if shared.config.pause_while_hidden {
            let weak = Rc::downgrade(&shared);
            let subscription = shared.runtime.on_visibility_change(Box::new(move || {
                if let Some(shared) = weak.upgrade() {
                    shared.visibility_changed();
                }
            }));
            // A runtime that cannot tell when the page is visible again never pauses: a pause
            // nothing ends would keep every idle store for ever.
            if subscription.is_active() {
                *shared.visibility.borrow_mut() = Some(subscription);
                shared.visibility_changed();
            }
        }
        shared
    }

    pub(crate) fn config(&self) -> &RegistryConfig {
        &self.config
    }

    pub(crate) fn is_disposed(&self) -> bool {
        self.inner.borrow().disposed
    }

    pub(crate) fn entry_count(&self) -> Option<usize> {
        self.inner
            .try_borrow()
            .ok()
            .map(|inner| inner.entries.len())
    }

    /// The registry's clock (stopped while the page is hidden, when configured).
    #[inline]
    fn now(&self) -> Nanos {
        if !self.config.pause_while_hidden {
            return to_nanos(self.runtime.now());
        }
        let now = self
            .clock
            .paused_at
            .get()
            .unwrap_or_else(|| self.runtime.now());
        to_nanos(now.saturating_sub(self.clock.hidden_for.get()))
    }

    fn visibility_changed(&self) {
        let hidden = self.runtime.is_hidden();
        match (hidden, self.clock.paused_at.get()) {
            (true, None) => {
                self.clock.paused_at.set(Some(self.runtime.now()));
                tracing::debug!("the page is hidden: idle countdowns pause");
            }
            (false, Some(paused_at)) => {
                let hidden_for = self.runtime.now().saturating_sub(paused_at);
                self.clock
                    .hidden_for
                    .set(self.clock.hidden_for.get().saturating_add(hidden_for));
                self.clock.paused_at.set(None);
                tracing::debug!(?hidden_for, "the page is visible: idle countdowns resume");
            }
            _ => return,
        }
        // The timer task re-reads the clock: it stops while hidden, and sleeps for the time
        // left once visible.
        self.inner.borrow_mut().armed = None;
        self.signal.notify();
    }

    fn max_idle(&self) -> Option<usize> {
        self.config.max_idle_entries
    }

    /// Under [`CacheTimePolicy::Longest`], lengthens the entry's cache time to `options'`;
    /// returns the cache time it had when it did.
    #[inline]
    fn apply_cache_time_policy<S, E>(
        &self,
        entry: &mut Entry<K>,
        options: &StoreOptions<K, S, E>,
    ) -> Option<Nanos> {
        if self.config.cache_time_policy == CacheTimePolicy::Longest {
            let wanted = self.cache_time_of(options);
            if wanted > entry.cache_time {
                return Some(std::mem::replace(&mut entry.cache_time, wanted));
            }
        }
        None
    }

    fn cache_time_of<S, E>(&self, options: &StoreOptions<K, S, E>) -> Nanos {
        options
            .cache_time
            .unwrap_or(self.config.default_unused_cache_time)
            .to_nanos()
    }

    /// `get_or_load`: a hit answers at once (and restarts an idle entry's countdown); a load in
    /// flight is joined, and held until it settles; a miss starts a load.
    pub(crate) fn get_or_load<S: 'static, E: 'static>(
        self: &Rc<Self>,
        options: &StoreOptions<K, S, E>,
    ) -> Lookup<S, E> {
        let mut inner = self.inner.borrow_mut();
        let hash = inner.hash(&options.store_id);
        // A disposed registry has no entries: it is checked on a miss only.
        let Some(key) = inner.find::<S, E>(hash, &options.store_id) else {
            if inner.disposed {
                return Lookup::Ready(Err(RegistryError::Disposed));
            }
            let (_, load) = self.insert(inner, hash, options, Hold::Load);
            return Self::answer(load);
        };
        let Inner {
            entries,
            armed,
            expiry,
            grown_from,
            ..
        } = &mut *inner;
        let entry = &mut entries[key];
        if let Some(before) = self.apply_cache_time_policy(entry, options) {
            grown_from.entry(key).or_insert(before);
        }
        let lookup = entry.lookup::<S, E>();
        if !lookup.is_ready() {
            // Joining the load in flight holds it until it settles.
            entry.load_hold = true;
            entry.deadline = NEVER;
            return lookup;
        }
        if entry.holders() == 0 {
            // A hit on an idle entry restarts its countdown and makes it the most recently
            // used (the clock is read only then).
            let now = self.now();
            if self.max_idle().is_none()
                && let Idle::Countdown(deadline) = entry.idle_transition(now)
                && entry.queue_pos != NOT_QUEUED
                && expiry.deadline_at(entry.queue_pos) <= deadline
                && armed.is_some_and(|armed| armed <= expiry.deadline_at(entry.queue_pos))
            {
                // The common case, without a second look-up: the countdown moves later; the
                // queued item and the armed timer stay (the item is re-queued when it falls
                // due).
                entry.deadline = deadline;
                return lookup;
            }
            let after = inner.go_idle(key, now, self.max_idle());
            drop(inner);
            self.after(after);
        }
        lookup
    }

    /// `retain`: a hold on the entry, which is loaded if absent. `None` once disposed.
    #[inline]
    pub(crate) fn retain<S: 'static, E: 'static>(
        self: &Rc<Self>,
        options: &StoreOptions<K, S, E>,
        at: Provenance,
    ) -> Option<EntryKey> {
        self.retain_with(options, at, |key, _| key, |key, _| key)
    }

    /// `retain_and_get`: like [`retain`](Self::retain), and the answer of a lookup, taken in
    /// the same borrow.
    pub(crate) fn retain_and_get<S: 'static, E: 'static>(
        self: &Rc<Self>,
        options: &StoreOptions<K, S, E>,
        at: Provenance,
    ) -> Option<(EntryKey, Lookup<S, E>)> {
        self.retain_with(
            options,
            at,
            |key, entry| (key, entry.lookup()),
            |key, load| (key, Self::answer(load)),
        )
    }

    /// Retains the entry of `options`, answering with `held` (a live entry) or `started` (a load
    /// this call started).
    #[inline]
    fn retain_with<S: 'static, E: 'static, T>(
        self: &Rc<Self>,
        options: &StoreOptions<K, S, E>,
        at: Provenance,
        held: impl FnOnce(EntryKey, &Entry<K>) -> T,
        started: impl FnOnce(EntryKey, Rc<Load<S, E>>) -> T,
    ) -> Option<T> {
        let mut inner = self.inner.borrow_mut();
        let hash = inner.hash(&options.store_id);
        let answer = inner.with_live::<S, E, _>(hash, &options.store_id, |key, entry, idle| {
            entry.retains += 1;
            entry.deadline = NEVER;
            idle.forget(&mut entry.idle_seq);
            let grown = self.apply_cache_time_policy(entry, options);
            (key, grown, held(key, entry))
        });
        match answer {
            Some((key, grown, answer)) => {
                inner.holder_locations.add(key, at);
                if let Some(before) = grown {
                    inner.grown_from.entry(key).or_insert(before);
                }
                Some(answer)
            }
            // A disposed registry has no entries: it is checked on a miss only.
            None if inner.disposed => None,
            None => {
                let (key, load) = self.insert(inner, hash, options, Hold::Retain(at));
                Some(started(key, load))
            }
        }
    }

    /// What a caller of a load just started gets: a loader that finished on its first poll
    /// answers at once (even if, at cache time zero, its entry already ended).
    fn answer<S, E>(load: Rc<Load<S, E>>) -> Lookup<S, E> {
        match load.outcome() {
            Some(outcome) => Lookup::Ready(outcome),
            None => Lookup::Pending(LoadFuture::waiting(load)),
        }
    }

    pub(crate) fn guard(self: &Rc<Self>, key: EntryKey, at: Provenance) -> RetainGuard {
        let weak: Weak<Self> = Rc::downgrade(self);
        RetainGuard::new(weak, key, at)
    }

    /// A miss: inserts the entry first, so that re-entrant calls (from the loader itself) and
    /// calls in the same tick join this load instead of starting another, then starts the
    /// load.
    fn insert<S: 'static, E: 'static>(
        self: &Rc<Self>,
        mut inner: RefMut<'_, Inner<K>>,
        hash: u64,
        options: &StoreOptions<K, S, E>,
        hold: Hold,
    ) -> (EntryKey, Rc<Load<S, E>>) {
        // Everything that runs user code (the id's `Clone`) before the insert: a panic leaves
        // nothing half-made.
        let store_id = options.store_id.clone();
        let context_id = options.store_id.clone();
        let predecessors = inner
            .find_disposing::<S, E>(hash, &options.store_id)
            .map(|teardown| teardown.unfinished_chain())
            .unwrap_or_default();
        let load = Load::new();
        let teardown = Rc::new(Teardown::new(Rc::downgrade(&self.runtime)));
        let cache_time = self.cache_time_of(options);
        let key = inner.entries.insert(Entry {
            store_id,
            ty: EntryType::of::<S, E>(),
            stage: Stage::Loading(Rc::clone(&load) as Rc<dyn PendingLoad>),
            teardown: Some(Rc::clone(&teardown)),
            cache_time,
            deadline: NEVER,
            queue_pos: NOT_QUEUED,
            idle_seq: 0,
            retains: u32::from(matches!(hold, Hold::Retain(_))),
            generation: 0,
            load_hold: matches!(hold, Hold::Load),
        });
        inner.index_insert(hash, key);
        if let Hold::Retain(at) = hold {
            inner.holder_locations.add(key, at);
        }
        inner.record(key, RegistryEventKind::LoadStarted);
        drop(inner);
        if !predecessors.is_empty() {
            tracing::debug!(
                store_id = ?options.store_id,
                "waiting for the teardown of the store's previous entry before loading it"
            );
        }
        let restart = RestartHandle::new(
            Rc::downgrade(self),
            key,
            0,
            &teardown,
            Rc::clone(&options.loader),
            cache_time,
        );
        let context = LoadContext::new(context_id, teardown, restart);
        self.start_load(
            key,
            Rc::clone(&load),
            context,
            predecessors,
            &options.loader,
        );
        self.emit();
        (key, load)
    }

    /// `restart`: ends the live entry's current instance and loads it again with `options`,
    /// in the same slot (its holders hold the new instance). `false` when there is no live
    /// entry.
    pub(crate) fn restart<S: 'static, E: 'static>(
        self: &Rc<Self>,
        options: &StoreOptions<K, S, E>,
    ) -> bool {
        let Ok(inner) = self.inner.try_borrow_mut() else {
            return false;
        };
        if inner.disposed {
            return false;
        }
        let hash = inner.hash(&options.store_id);
        let Some(key) = inner.find::<S, E>(hash, &options.store_id) else {
            return false;
        };
        let cache_time = self.cache_time_of(options);
        self.restart_entry(inner, key, None, &options.loader, cache_time)
    }

    /// A [`RestartHandle`]'s restart: the entry `key`, if it is still in `generation`.
    pub(crate) fn restart_instance<S: 'static, E: 'static>(
        self: &Rc<Self>,
        key: EntryKey,
        generation: u32,
        loader: &Loader<K, S, E>,
        cache_time: Nanos,
    ) -> bool {
        let Ok(inner) = self.inner.try_borrow_mut() else {
            return false;
        };
        if inner.disposed {
            return false;
        }
        self.restart_entry(inner, key, Some(generation), loader, cache_time)
    }

    fn restart_entry<S: 'static, E: 'static>(
        self: &Rc<Self>,
        mut inner: RefMut<'_, Inner<K>>,
        key: EntryKey,
        generation: Option<u32>,
        loader: &Loader<K, S, E>,
        cache_time: Nanos,
    ) -> bool {
        let Inner { entries, idle, .. } = &mut *inner;
        let Some(entry) = entries.get_mut(key) else {
            return false;
        };
        if entry.is_disposing() || generation.is_some_and(|g| g != entry.generation) {
            return false;
        }
        // The id's `Clone` first: a panic leaves the entry as it was.
        let context_id = entry.store_id.clone();
        let load = Load::<S, E>::new();
        let teardown = Rc::new(Teardown::new(Rc::downgrade(&self.runtime)));
        let predecessors = entry
            .teardown
            .as_ref()
            .map(|teardown| teardown.unfinished_chain())
            .unwrap_or_default();
        let ended = entry.restart_in_place(
            Rc::clone(&load) as Rc<dyn PendingLoad>,
            Rc::clone(&teardown),
        );
        // The same entry: its holders and countdown stay; while it loads it is not among the
        // idle entries (it joins them again, if unheld, when the load settles).
        entry.cache_time = cache_time;
        idle.forget(&mut entry.idle_seq);
        let generation = entry.generation;
        inner.grown_from.remove(&key);
        inner.record(key, RegistryEventKind::Restarted);
        inner.record(key, RegistryEventKind::LoadStarted);
        drop(inner);
        tracing::debug!(
            store_id = ?context_id,
            generation,
            "restarting a store: its teardown runs before it loads again"
        );
        ended.finish(|| {});
        let restart = RestartHandle::new(
            Rc::downgrade(self),
            key,
            generation,
            &teardown,
            Rc::clone(loader),
            cache_time,
        );
        let context = LoadContext::new(context_id, teardown, restart);
        self.start_load(key, load, context, predecessors, loader);
        self.emit();
        true
    }

    /// Hands the load its future (which waits for `predecessor`'s teardown, then calls the
    /// loader), polls it once inline (a loader that is ready at once is cached before the
    /// lookup returns) and hands it to a task otherwise.
    fn start_load<S: 'static, E: 'static>(
        self: &Rc<Self>,
        key: EntryKey,
        load: Rc<Load<S, E>>,
        context: LoadContext<K>,
        predecessors: Vec<Rc<Teardown>>,
        loader: &Loader<K, S, E>,
    ) {
        let span = tracing::debug_span!("StoreRegistry.lookup", store_id = ?context.store_id());
        let loader = Rc::clone(loader);
        context.teardown().set_waits_for(&predecessors);
        let future = async move {
            for teardown in predecessors {
                teardown.finished().await;
            }
            loader(context).await
        };
        let future: LocalBoxFuture<'static, Result<S, E>> = Box::pin(future.instrument(span));
        if let Err(cancelled) = load.start(future) {
            drop_contained("dropping a cancelled loader's future", cancelled);
            return;
        }
        let mut task = LoadTask {
            load: Rc::downgrade(&load),
            registry: Rc::downgrade(self),
            key,
        };
        let inline =
            Pin::new(&mut task).poll(&mut Context::from_waker(futures::task::noop_waker_ref()));
        if inline.is_pending() {
            self.spawn_or_recover(Box::pin(task), || {
                // Nothing would ever drive this load: end the entry, so that its waiters are
                // told and the next call tries again, and deliver its events now, before the
                // panic goes on.
                let ended = self.inner.borrow_mut().remove(key);
                self.finish_ended(ended);
                self.emit();
            });
        }
    }

    /// Runs `f` inside the load scope, if one is set.
    pub(crate) fn in_load_scope<T>(&self, f: impl FnOnce() -> T) -> T {
        let scope = self.load_scope.borrow().clone();
        match scope {
            None => f(),
            Some(scope) => {
                let mut f = Some(f);
                let mut output = None;
                // A scope that panics (before or after calling through) must not strand the
                // load: the panic is logged, and the poll runs unscoped if it did not run.
                contain("the load scope", || {
                    scope(&mut || {
                        if let Some(f) = f.take() {
                            output = Some(f());
                        }
                    });
                });
                match (output, f.take()) {
                    (Some(output), _) => output,
                    (None, Some(f)) => f(),
                    (None, None) => unreachable!("the poll ran, or it is still here"),
                }
            }
        }
    }

    pub(crate) fn set_load_scope(&self, scope: Option<LoadScope>) {
        *self.load_scope.borrow_mut() = scope;
    }

    /// Records a load's outcome in its entry (if the entry still runs this load), wakes its
    /// waiters, and lets go of the load's hold. A failed load's teardown runs now; the failure
    /// stays cached.
    pub(crate) fn complete<S: 'static, E: 'static>(
        self: &Rc<Self>,
        key: EntryKey,
        load: &Rc<Load<S, E>>,
        outcome: Outcome<S, E>,
    ) {
        let settled = load.settle(outcome.clone());
        let mut inner = self.inner.borrow_mut();
        let entry = inner.entries.get_mut(key).filter(|entry| {
            matches!(&entry.stage, Stage::Loading(current)
                if std::ptr::addr_eq(Rc::as_ptr(current), Rc::as_ptr(load)))
        });
        let Some(entry) = entry else {
            // The entry ended (or was replaced) while the loader ran: the result is dropped
            // outside the borrow.
            drop(inner);
            drop_contained("dropping a cancelled load's result", outcome);
            settled.finish();
            return;
        };
        let failed = outcome.is_err();
        let kind = if failed {
            RegistryEventKind::LoadFailed
        } else {
            RegistryEventKind::Loaded
        };
        entry.stage = match outcome {
            Ok(store) => Stage::Ready(store),
            Err(error) => Stage::Failed(Rc::new(error)),
        };
        let load_held = std::mem::replace(&mut entry.load_hold, false);
        let mut failed_teardown = None;
        if entry.teardown.as_ref().is_some_and(Teardown::is_unused) {
            entry.teardown = None;
        } else if failed {
            failed_teardown = entry.teardown.clone();
        }
        inner.record(key, kind);
        let after = if load_held {
            // The load's own hold ends now: so does the entry's last hold, if it was the last.
            let now = self.now();
            inner.go_idle(key, now, self.max_idle())
        } else {
            // Held by guards only: if they were all released while it loaded, its countdown
            // runs since the last release (as the original's idle timer does), and only its
            // place among the idle entries is new.
            inner.settled_while_idle(key, self.max_idle())
        };
        drop(inner);
        settled.finish();
        if let Some(teardown) = failed_teardown {
            teardown.end();
        }
        self.after(after);
        self.emit();
    }

    #[inline]
    fn after(self: &Rc<Self>, after: AfterBorrow) {
        // The hot paths (hits, releases) leave nothing to do.
        if !after.ended.is_empty() || after.rearm {
            self.after_slow(after);
        }
    }

    #[inline(never)]
    fn after_slow(self: &Rc<Self>, after: AfterBorrow) {
        if after.evicted > 0 {
            tracing::debug!(
                count = after.evicted,
                "evicted the least recently used idle stores beyond max_idle_entries"
            );
        }
        for ended in after.ended {
            self.finish_ended(ended);
        }
        if after.rearm {
            self.rearm();
        }
        self.emit();
    }

    /// Delivers the recorded events to the listeners, in order (no borrow may be held). A
    /// call from inside a delivery (a listener's call back into the registry) returns at once:
    /// the delivery further up the stack delivers what it recorded, after what came before.
    fn emit(&self) {
        let Some(delivery) = self.listeners.start_delivery() else {
            return;
        };
        loop {
            let next = self.inner.borrow_mut().events.pop();
            let Some(recorded) = next else { break };
            delivery.deliver(&recorded);
            // The event (its id) is dropped outside every borrow.
            drop(recorded);
        }
    }

    /// Registers `listener` for every event of `kinds` recorded from now on.
    pub(crate) fn subscribe(self: &Rc<Self>, listener: Listener<K>, kinds: Kinds) -> Subscription {
        let since = self.inner.borrow_mut().events.listen(kinds);
        let key = self.listeners.insert(listener, since, kinds);
        let weak = Rc::downgrade(self);
        Subscription::new(move || {
            let Some(shared) = weak.upgrade() else { return };
            let left = shared.listeners.remove(key);
            // Record only what the listeners left hear; with none, what is queued was
            // recorded for listeners that are gone.
            let dropped = match shared.inner.try_borrow_mut() {
                Ok(mut inner) => inner.events.set_wanted(left),
                // Unsubscribed under the borrow (from an id's `Drop`): recording stays on, and
                // the next delivery drops what no listener hears.
                Err(_) => Default::default(),
            };
            drop(dropped);
        })
    }

    /// Finishes an ended entry (no borrow may be held); one kept as disposing is forgotten
    /// once its teardown has finished (and the store dropped).
    fn finish_ended(self: &Rc<Self>, ended: Ended) {
        match ended.kept_as_disposing {
            Some(key) => {
                let weak = Rc::downgrade(self);
                ended.finish(move || {
                    if let Some(shared) = weak.upgrade() {
                        shared.forget_disposed(key);
                    }
                });
            }
            None => ended.finish(|| {}),
        }
    }

    /// The teardown of an entry kept as disposing has finished: forget the entry (announced
    /// as `Disposed` now if its async teardown was announced as `Disposing`).
    fn forget_disposed(&self, key: EntryKey) {
        let mut inner = self.inner.borrow_mut();
        let Some(Stage::Disposing(teardown)) = inner.entries.get(key).map(|entry| &entry.stage)
        else {
            return;
        };
        let announce = teardown.has_async();
        if announce {
            inner.record(key, RegistryEventKind::Disposed);
            inner.unindex(key, true);
        } else if let Some(at) = inner.ending.iter().rposition(|&ending| ending == key) {
            // Its `Disposed` was recorded when it ended.
            inner.ending.swap_remove(at);
        }
        let entry = inner.entries.remove(key);
        drop(inner);
        drop(entry);
        if announce {
            self.emit();
        }
    }

    /// Wakes the timer task for an earlier deadline, starting it the first time.
    fn rearm(self: &Rc<Self>) {
        let start = {
            let mut inner = self.inner.borrow_mut();
            !std::mem::replace(&mut inner.timer_started, true)
        };
        if start {
            let task = timer::run(Rc::downgrade(self), Rc::clone(&self.signal));
            self.spawn_or_recover(Box::pin(task), || {
                // No timer task runs: the next countdown tries to start one again.
                let mut inner = self.inner.borrow_mut();
                inner.timer_started = false;
                inner.armed = None;
            });
        } else {
            self.signal.notify();
        }
    }

    /// Spawns `task`. A runtime that cannot (tokio outside a `LocalSet` panics) gets `recover`
    /// run, so that the registry is left consistent, and its panic goes on.
    fn spawn_or_recover(&self, task: LocalBoxFuture<'static, ()>, recover: impl FnOnce()) {
        let spawned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.runtime.spawn_local(task);
        }));
        if let Err(panic) = spawned {
            recover();
            std::panic::resume_unwind(panic);
        }
    }

    /// A sleep on the registry's runtime (for the timer task, which holds the registry only
    /// weakly and so keeps no runtime alive either).
    pub(crate) fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        self.runtime.sleep(duration)
    }

    /// Called by the timer task: ends every entry whose countdown is over, and says how long
    /// to sleep next.
    pub(crate) fn expire_due(self: &Rc<Self>) -> Next {
        let mut ended = Vec::new();
        let mut inner = self.inner.borrow_mut();
        if inner.disposed {
            return Next::Stop;
        }
        if self.clock.paused_at.get().is_some() {
            inner.armed = None;
            return Next::Idle;
        }
        let now = self.now();
        loop {
            let Inner {
                entries, expiry, ..
            } = &mut *inner;
            let Some(key) = expiry.pop_due(now, |key, pos| set_queue_pos(entries, key, pos)) else {
                break;
            };
            let Some(entry) = entries.get(key) else {
                continue;
            };
            match entry.deadline {
                // Held again since the item was queued.
                NEVER => {}
                deadline if deadline > now => {
                    expiry.push(deadline, key, |key, pos| set_queue_pos(entries, key, pos));
                }
                _ => ended.push(inner.remove(key)),
            }
        }
        let next = inner.expiry.next_deadline();
        inner.armed = next;
        drop(inner);
        if !ended.is_empty() {
            tracing::debug!(
                count = ended.len(),
                "disposing stores whose cache time ran out"
            );
        }
        for ended in ended {
            self.finish_ended(ended);
        }
        self.emit();
        match next {
            Some(deadline) => Next::Wait(Duration::from_nanos(deadline.saturating_sub(now))),
            None => Next::Idle,
        }
    }

    pub(crate) fn invalidate<S: 'static, E: 'static>(
        self: &Rc<Self>,
        options: &StoreOptions<K, S, E>,
    ) -> bool {
        let mut inner = self.inner.borrow_mut();
        if inner.disposed {
            return false;
        }
        let hash = inner.hash(&options.store_id);
        let Some(key) = inner.find::<S, E>(hash, &options.store_id) else {
            return false;
        };
        let entry = &inner.entries[key];
        let removable = match entry.stage {
            Stage::Failed(_) => true,
            Stage::Ready(_) => entry.holders() == 0,
            Stage::Loading(_) | Stage::Disposing(_) => false,
        };
        if !removable {
            return false;
        }
        let ended = inner.remove(key);
        drop(inner);
        self.finish_ended(ended);
        self.emit();
        true
    }

    pub(crate) fn snapshot(&self) -> Vec<EntrySnapshot<K>> {
        let now = self.now();
        let paused = self.clock.paused_at.get().is_some();
        let inner = self.inner.borrow();
        // The recency order of idle entries: rank 1 is evicted first.
        let mut idle: Vec<u64> = inner
            .entries
            .values()
            .map(|entry| entry.idle_seq)
            .filter(|&seq| seq != 0)
            .collect();
        idle.sort_unstable();
        let idle_rank = |entry: &Entry<K>| {
            (entry.idle_seq != 0)
                .then(|| idle.binary_search(&entry.idle_seq).ok())
                .flatten()
                .map(|at| at + 1)
        };
        inner
            .entries
            .iter()
            // An entry kept only until its synchronous teardown has run has ended already.
            .filter(|(_, entry)| !matches!(&entry.stage, Stage::Disposing(t) if !t.has_async()))
            .map(|(key, entry)| {
                let disposes_in = (entry.deadline != NEVER)
                    .then(|| Duration::from_nanos(entry.deadline.saturating_sub(now)));
                let disposing = entry.is_disposing();
                let alive_because = if disposing {
                    AliveReason::Disposing
                } else if entry.retains > 0 {
                    AliveReason::Held {
                        guards: entry.retains as usize,
                    }
                } else if entry.load_hold {
                    AliveReason::Loading
                } else {
                    match disposes_in {
                        Some(left) if paused => AliveReason::CountdownPaused { left },
                        Some(left) => AliveReason::CountingDown { left },
                        None => AliveReason::NoCountdown,
                    }
                };
                EntrySnapshot {
                    store_id: entry.store_id.clone(),
                    store_type: (entry.ty.store_type_name)(),
                    state: match entry.stage {
                        Stage::Loading(_) => EntryState::Loading,
                        Stage::Ready(_) => EntryState::Ready,
                        Stage::Failed(_) => EntryState::Failed,
                        Stage::Disposing(_) => EntryState::Disposing,
                    },
                    // The guards of an ended entry hold nothing.
                    holders: if disposing {
                        0
                    } else {
                        entry.holders() as usize
                    },
                    holder_locations: inner.holder_locations.of(key),
                    load_holds: usize::from(entry.load_hold && !disposing),
                    alive_because,
                    disposes_in,
                    unused_cache_time: CacheTime::from_nanos(entry.cache_time),
                    cache_time_grown_from: inner
                        .grown_from
                        .get(&key)
                        .map(|&before| CacheTime::from_nanos(before)),
                    idle_rank: idle_rank(entry),
                    generation: u64::from(entry.generation),
                }
            })
            .collect()
    }

    pub(crate) fn dispose(self: &Rc<Self>) {
        let mut inner = self.inner.borrow_mut();
        // Entries whose async teardown runs on are `Disposed` when it has finished.
        let mut announce_later = Vec::new();
        if inner.events.wants(RegistryEventKind::Disposed) && !inner.disposed {
            let keys: Vec<EntryKey> = inner.entries.keys().collect();
            for key in keys {
                let entry = &inner.entries[key];
                let teardown = match &entry.stage {
                    Stage::Disposing(teardown) if teardown.has_async() => Some(teardown),
                    // Its teardown is synchronous: `Disposed` was recorded when it ended.
                    Stage::Disposing(_) => continue,
                    _ => entry.teardown.as_ref().filter(|t| t.is_pending()),
                };
                let Some(teardown) = teardown.cloned() else {
                    inner.record(key, RegistryEventKind::Disposed);
                    continue;
                };
                let disposed = RegistryEvent {
                    store_id: entry.store_id.clone(),
                    store_type: (entry.ty.store_type_name)(),
                    generation: u64::from(entry.generation),
                    kind: RegistryEventKind::Disposed,
                };
                if !entry.is_disposing() {
                    inner.record(key, RegistryEventKind::Disposing);
                }
                announce_later.push((teardown, disposed));
            }
        }
        let ended = inner.dispose_all();
        drop(inner);
        self.finish_disposal(ended);
        for (teardown, disposed) in announce_later {
            let weak = Rc::downgrade(self);
            teardown.on_finished(Box::new(move || {
                if let Some(shared) = weak.upgrade() {
                    shared.inner.borrow_mut().events.push(disposed);
                    shared.emit();
                }
            }));
        }
        self.emit();
    }

    /// Resolves once the teardown of every entry that `dispose` ended has finished.
    pub(crate) fn teardowns_finished(&self) -> impl Future<Output = ()> + 'static + use<K> {
        let pending: Vec<Finished> = self
            .inner
            .borrow()
            .final_teardowns
            .iter()
            .filter(|teardown| teardown.is_pending())
            .map(Teardown::finished)
            .collect();
        async move {
            futures::future::join_all(pending).await;
        }
    }
}

impl<K> Shared<K> {
    /// Stops the timer task and the visibility listener, and finishes the ended entries (no
    /// borrow may be held).
    fn finish_disposal(&self, ended: Vec<Ended>) {
        self.signal.notify();
        let visibility = self.visibility.borrow_mut().take();
        drop(visibility);
        let scope = self.load_scope.borrow_mut().take();
        drop(scope);
        ended.into_iter().for_each(|ended| ended.finish(|| {}));
    }
}

impl<K> Drop for Shared<K> {
    fn drop(&mut self) {
        // The last handle is gone: dispose as `dispose()` would.
        let ended = self.inner.get_mut().dispose_all();
        self.finish_disposal(ended);
    }
}

impl<K: StoreId> ReleaseHold for Shared<K> {
    fn release_hold(self: Rc<Self>, key: EntryKey, at: Provenance) {
        let mut inner = self.inner.borrow_mut();
        let Inner {
            entries,
            holder_locations,
            ..
        } = &mut *inner;
        let Some(entry) = entries.get_mut(key) else {
            // The entry ended (a disposed registry has no entries): a stale guard touches
            // nothing.
            return;
        };
        if entry.is_disposing() {
            return;
        }
        debug_assert!(entry.retains > 0, "a live guard implies a retain");
        entry.retains = entry.retains.saturating_sub(1);
        holder_locations.remove(key, at);
        if entry.holders() > 0 {
            return;
        }
        let now = self.now();
        let after = inner.go_idle(key, now, self.max_idle());
        drop(inner);
        self.after(after);
    }

    fn generation(&self, key: EntryKey) -> Option<u64> {
        let inner = self.inner.try_borrow().ok()?;
        let entry = inner.entries.get(key)?;
        (!inner.disposed && !entry.is_disposing()).then_some(u64::from(entry.generation))
    }

    fn is_live(&self, key: EntryKey) -> bool {
        self.inner.try_borrow().is_ok_and(|inner| {
            !inner.disposed
                && inner
                    .entries
                    .get(key)
                    .is_some_and(|entry| !entry.is_disposing())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_entry_is_small() {
        // What an idle entry costs in the slot map; the memory bench measures the whole.
        assert!(
            std::mem::size_of::<Entry<String>>() <= 112,
            "Entry<String> is {} bytes",
            std::mem::size_of::<Entry<String>>()
        );
    }

    #[test]
    fn the_expiry_queue_never_outgrows_the_live_entries() {
        use crate::test_util::TestRuntime;

        let rt = TestRuntime::new();
        let shared = Shared::<String>::new(RegistryConfig::default(), Rc::new(rt.clone()));
        let options = StoreOptions::new("a".to_string(), |_: LoadContext<String>| async {
            Ok::<_, std::io::Error>(1_u32)
        })
        .unused_cache_time(Duration::from_secs(3600));
        for _ in 0..1_000 {
            assert!(shared.get_or_load(&options).is_ready());
            assert!(shared.invalidate(&options));
            let inner = shared.inner.borrow();
            assert!(inner.expiry.len() <= inner.entries.len());
        }
        assert!(shared.get_or_load(&options).is_ready());
        assert_eq!(shared.inner.borrow().expiry.len(), 1);
    }
}
