//! Model-based test of [`StoreRegistry`]: random operation sequences checked, after every
//! step, against a small reference model.
//!
//! # What is driven
//!
//! Three store ids. Each operation that names an id carries its own options: a cache time
//! (0, 100 ms, the registry default of 1 s, 30 days (longer than [`MAX_SLEEP`], so served by
//! chained sleeps), or `Infinite`) and a loader flavour. Only the first options of a live id
//! count, except a `restart`'s, which become the entry's first. Loaders are controlled by the
//! test: a *controlled* load waits on a oneshot channel that `CompleteLoad`/`FailLoad` answer; an
//! *immediate* load succeeds or fails on its first poll, so `get_or_load` (or `restart`) settles
//! it inside the call. Time is virtual ([`TestRuntime`]); every step ends with
//! `run_until_stalled`. Teardown is synchronous (`on_dispose` only), so a restart's new load never
//! waits for its predecessor's teardown.
//!
//! # The model
//!
//! One record per live entry: the load number of its current instance (one load per instance;
//! a restart starts the next), its stage (loading, ready, failed), its unreleased retain guards,
//! whether a `get_or_load`/`preload` holds its load in flight, its cache time and its idle
//! deadline. The rules, from the registry's docs:
//!
//! - holders = unreleased guards + 1 while a load that a `get_or_load`/`preload` started or
//!   joined is in flight (`retain` and `retain_and_get` never add that load hold);
//! - at 0 holders: cache time 0 ends the entry at once, a finite one (re)starts the countdown,
//!   `Infinite` does nothing. A retain (or a `get_or_load` joining a load) stops the countdown;
//!   a `get_or_load` hit on an idle ready/failed entry restarts it; a load that settles when
//!   its own `get_or_load` hold was the last restarts it, one whose guards were all released
//!   while it loaded keeps the countdown that started at the last release;
//! - an entry whose countdown runs out ends; if it was still loading, its futures resolve to
//!   `Cancelled`;
//! - `invalidate` ends a failed entry (even held) or a ready one with 0 holders;
//! - `restart` of a live entry (loading, ready or failed) keeps its slot, holders (guards and
//!   the load hold) and countdown, takes the restart's cache time, runs the old instance's
//!   teardown (a failed one's ran already) and loads again with the restart's loader. A load in
//!   flight is cancelled without failing its futures: they follow the entry to the new load
//!   (the test redirects them, and the guards, to the new load number). The new load settles by
//!   the usual rules. No live entry (or a disposed registry): `false`, nothing happens.
//! - `dispose` ends everything (loading futures resolve to `Disposed`), and afterwards every
//!   call answers `Disposed`, guards are inert, `invalidate` is `false`. Dropping the registry at
//!   the end of every case does the same.
//!
//! # What is checked after every step
//!
//! Twice: right after the call (disposal at cache time 0, cancellation and wakes happen inside
//! it), then after `run_until_stalled` (where answered loads complete):
//!
//! - loader calls and `on_dispose` calls per id; that each ended entry ran its teardown exactly
//!   once, newest callback first, and that `LoadContext::is_cancelled` is true exactly for ended
//!   entries;
//! - the snapshot: state, holders and `disposes_in` of every entry, and `is_disposed`;
//! - which loads still wait for an answer (exactly the loading entries');
//! - every `Lookup`: `Ready`/`Pending` as the model says, the same `Rc` (or `Arc::ptr_eq` error)
//!   for every caller of one load;
//! - every pending future (`get_or_load`, `retain_and_get`, `preload`): woken, and resolved to
//!   the model's outcome (store, load error, `Cancelled`, `Disposed`) exactly when its load ends;
//! - that the registry drops a store when its entry ends, and keeps it while it lives;
//! - after the executor ran: at most one armed timer (exactly one while a countdown runs), no
//!   sleep longer than [`MAX_SLEEP`], no leaked task (none at all once disposed).
//!
//! Failing cases are printed with the steps up to the failure; proptest shrinks them first.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::LocalBoxFuture;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestCaseError};
use registry_core::test_util::TestRuntime;
use registry_core::{
    CacheTime, EntryState, LoadContext, LoadFuture, Lookup, Preload, RegistryConfig, RegistryError,
    RetainGuard, Runtime, StoreOptions, StoreRegistry,
};

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// A store id.
type Id = usize;
/// How many ids the sequences use.
const IDS: usize = 3;
/// A load's serial number: the n-th loader call of the test case. One per entry instance: a
/// restart gives the entry the next one.
type LoadNo = usize;

const SHORT: Duration = Duration::from_millis(100);
/// The registry's `default_unused_cache_time` in this test.
const DEFAULT: Duration = Duration::from_secs(1);
/// Longer than [`MAX_SLEEP`]: the registry must chain its sleeps.
const LONG: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The browser's `setTimeout` limit (2^31 - 1 ms): the longest sleep the registry may ask for.
const MAX_SLEEP: Duration = Duration::from_millis(i32::MAX as u64);

/// The cache time an operation's options ask for, shortest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum CacheChoice {
    Zero,
    Short,
    /// No `unused_cache_time`: the registry's default ([`DEFAULT`]).
    Default,
    Long,
    Infinite,
}

impl CacheChoice {
    /// `None` for `Infinite`.
    fn duration(self) -> Option<Duration> {
        match self {
            Self::Zero => Some(Duration::ZERO),
            Self::Short => Some(SHORT),
            Self::Default => Some(DEFAULT),
            Self::Long => Some(LONG),
            Self::Infinite => None,
        }
    }
}

/// How an operation's loader behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavour {
    /// Waits until the test answers with `CompleteLoad` or `FailLoad`.
    Controlled,
    /// Succeeds on its first poll.
    ImmediateOk,
    /// Fails on its first poll.
    ImmediateErr,
}

/// The options an operation passes; only the first options of a live id count.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Opts {
    cache: CacheChoice,
    flavour: Flavour,
}

impl fmt::Debug for Opts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}/{:?}", self.cache, self.flavour)
    }
}

const fn opts(cache: CacheChoice, flavour: Flavour) -> Opts {
    Opts { cache, flavour }
}

#[derive(Clone, Debug)]
enum Op {
    GetOrLoad(Id, Opts),
    /// Keeps the guard in the test's list of guards.
    Retain(Id, Opts),
    /// Releases the kept guard at this position, modulo how many are kept (no-op when none).
    Release(usize),
    RetainAndGet(Id, Opts),
    Preload(Id, Opts),
    Advance(Duration),
    Invalidate(Id),
    Dispose,
    /// Answers the id's controlled load in flight with a store (no-op when there is none).
    CompleteLoad(Id),
    /// Answers the id's controlled load in flight with an error (no-op when there is none).
    FailLoad(Id),
    /// Drops the watched pending future at this position, modulo how many are watched (no-op
    /// when none).
    DropLoadFuture(usize),
    /// `StoreRegistry::restart` with these options (no-op returning `false` without a live entry).
    Restart(Id, Opts),
}

// The strategies draw plain integers and map them through weight tables: `prop_oneof!` costs
// a runner clone per unpicked branch, which made generation 10x slower than running the model.

/// The bucket `draw` (in `0..weights.iter().sum()`) falls in.
fn bucket(draw: u32, weights: &[u32]) -> usize {
    let mut rest = draw;
    for (bucket, &weight) in weights.iter().enumerate() {
        if rest < weight {
            return bucket;
        }
        rest -= weight;
    }
    unreachable!("draw {draw} is past the weights {weights:?}")
}

/// A strategy for a bucket of `weights`; shrinks towards the first bucket.
fn weighted(weights: &'static [u32]) -> impl Strategy<Value = usize> {
    (0..weights.iter().sum::<u32>()).prop_map(move |draw| bucket(draw, weights))
}

fn cache_choice() -> impl Strategy<Value = CacheChoice> {
    const CHOICES: [CacheChoice; 5] = [
        CacheChoice::Zero,
        CacheChoice::Short,
        CacheChoice::Default,
        CacheChoice::Long,
        CacheChoice::Infinite,
    ];
    weighted(&[2, 3, 1, 1, 2]).prop_map(|bucket| CHOICES[bucket])
}

fn flavour() -> impl Strategy<Value = Flavour> {
    const CHOICES: [Flavour; 3] = [
        Flavour::Controlled,
        Flavour::ImmediateOk,
        Flavour::ImmediateErr,
    ];
    weighted(&[6, 1, 1]).prop_map(|bucket| CHOICES[bucket])
}

fn options_choice() -> impl Strategy<Value = Opts> {
    (cache_choice(), flavour()).prop_map(|(cache, flavour)| Opts { cache, flavour })
}

/// Half the time a few milliseconds, half the time a step around a cache time.
fn advance() -> impl Strategy<Value = Duration> {
    const MS: Duration = Duration::from_millis(1);
    const AROUND_CACHE_TIMES: [Duration; 8] = [
        MS,
        SHORT.saturating_sub(MS),
        SHORT,
        SHORT.saturating_add(MS),
        DEFAULT,
        MAX_SLEEP,
        LONG.saturating_sub(MS),
        LONG,
    ];
    (any::<bool>(), 0u64..250, 0..AROUND_CACHE_TIMES.len()).prop_map(|(around, ms, which)| {
        if around {
            AROUND_CACHE_TIMES[which]
        } else {
            Duration::from_millis(ms)
        }
    })
}

fn op() -> impl Strategy<Value = Op> {
    // GetOrLoad, Retain, Release, RetainAndGet, Preload, Advance, Invalidate, Dispose,
    // CompleteLoad, FailLoad, DropLoadFuture, Restart. Dispose is rare (about 2 cases in 5):
    // little happens after it, and every case ends by dropping the registry anyway. Restart is
    // about one step in 20 (3 per case): enough to hit every stage, holder mix and countdown,
    // few enough that a restarted entry usually goes on to settle, be released and expire.
    const WEIGHTS: [u32; 12] = [10, 6, 8, 4, 4, 10, 4, 1, 8, 4, 2, 3];
    (
        weighted(&WEIGHTS),
        0..IDS,
        options_choice(),
        advance(),
        0..8usize,
    )
        .prop_map(|(kind, id, options, by, index)| match kind {
            0 => Op::GetOrLoad(id, options),
            1 => Op::Retain(id, options),
            2 => Op::Release(index),
            3 => Op::RetainAndGet(id, options),
            4 => Op::Preload(id, options),
            5 => Op::Advance(by),
            6 => Op::Invalidate(id),
            7 => Op::Dispose,
            8 => Op::CompleteLoad(id),
            9 => Op::FailLoad(id),
            10 => Op::DropLoadFuture(index),
            _ => Op::Restart(id, options),
        })
}

// ---------------------------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Loading,
    Ready,
    Failed,
}

/// How a load ended, as its futures see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Settled {
    Loaded,
    Failed,
    Cancelled,
    Disposed,
}

#[derive(Clone, Debug)]
struct ModelEntry {
    /// The load of the entry's current instance.
    load_no: LoadNo,
    stage: Stage,
    retains: usize,
    load_hold: bool,
    cache: CacheChoice,
    deadline: Option<Duration>,
    /// When the entry last became idle or was hit while idle (the recency order).
    last_used: u64,
}

impl ModelEntry {
    fn holders(&self) -> usize {
        self.retains + usize::from(self.load_hold)
    }

    /// Idle: nothing holds it and its load settled (only idle entries are ever evicted).
    fn is_idle(&self) -> bool {
        self.holders() == 0 && self.stage != Stage::Loading
    }
}

/// What a restart did.
#[derive(Clone, Copy, Debug)]
struct Restarted {
    /// The load of the instance that ended.
    old: LoadNo,
    /// The load of the new instance.
    new: LoadNo,
}

/// Which hold a lookup takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hold {
    /// `get_or_load` and `preload`.
    Load,
    /// `retain` and `retain_and_get`.
    Guard,
}

/// What a lookup must answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expected {
    Disposed,
    /// `Ready` with load `LoadNo`'s store or error (`Loaded` or `Failed`).
    Ready(LoadNo, Settled),
    /// `Pending` on load `LoadNo`.
    Pending(LoadNo),
}

#[derive(Debug, Default)]
struct Model {
    now: Duration,
    disposed: bool,
    /// `RegistryConfig::max_idle_entries`.
    max_idle: Option<usize>,
    /// The last recency number handed out.
    last_used: u64,
    next_load: LoadNo,
    entries: BTreeMap<Id, ModelEntry>,
    loads_started: [usize; IDS],
    disposals: [usize; IDS],
    /// Loads whose entry ended (and so ran its `on_dispose` once).
    ended: BTreeSet<LoadNo>,
    /// How each settled load ended.
    settled: HashMap<LoadNo, Settled>,
}

impl Model {
    /// `get_or_load`/`preload` (`Hold::Load`) or `retain`/`retain_and_get` (`Hold::Guard`).
    /// Returns the load a guard holds (`None` for no guard or an inert one) and the answer.
    fn lookup(&mut self, id: Id, options: Opts, hold: Hold) -> (Option<LoadNo>, Expected) {
        if self.disposed {
            return (None, Expected::Disposed);
        }
        if let Some(entry) = self.entries.get_mut(&id) {
            let load_no = entry.load_no;
            let expected = match entry.stage {
                Stage::Loading => Expected::Pending(load_no),
                Stage::Ready => Expected::Ready(load_no, Settled::Loaded),
                Stage::Failed => Expected::Ready(load_no, Settled::Failed),
            };
            match hold {
                Hold::Guard => {
                    entry.retains += 1;
                    entry.deadline = None;
                }
                Hold::Load if entry.stage == Stage::Loading => {
                    entry.load_hold = true;
                    entry.deadline = None;
                }
                // A hit on an idle entry restarts its countdown.
                Hold::Load => {
                    if entry.holders() == 0 {
                        self.go_idle(id, true);
                    }
                }
            }
            return ((hold == Hold::Guard).then_some(load_no), expected);
        }

        let load_no = self.next_load;
        self.next_load += 1;
        self.loads_started[id] += 1;
        self.entries.insert(
            id,
            ModelEntry {
                load_no,
                stage: Stage::Loading,
                retains: usize::from(hold == Hold::Guard),
                load_hold: hold == Hold::Load,
                cache: options.cache,
                deadline: None,
                last_used: 0,
            },
        );
        let guard = (hold == Hold::Guard).then_some(load_no);
        self.run_loader(id, options.flavour);
        let expected = match options.flavour {
            Flavour::Controlled => Expected::Pending(load_no),
            Flavour::ImmediateOk => Expected::Ready(load_no, Settled::Loaded),
            Flavour::ImmediateErr => Expected::Ready(load_no, Settled::Failed),
        };
        (guard, expected)
    }

    /// The id's new load calls its loader: an immediate one settles inside the call.
    fn run_loader(&mut self, id: Id, flavour: Flavour) {
        match flavour {
            Flavour::Controlled => {}
            Flavour::ImmediateOk => {
                self.settle_load(id, true);
            }
            Flavour::ImmediateErr => {
                self.settle_load(id, false);
            }
        }
    }

    /// `restart`: the live entry's instance ends and the entry loads again in place with
    /// `options`. Returns what it did, or `None` (nothing happens) when there is no live entry.
    fn restart(&mut self, id: Id, options: Opts) -> Option<Restarted> {
        if self.disposed {
            return None;
        }
        let new = self.next_load;
        let entry = self.entries.get_mut(&id)?;
        // The same entry: its guards, its load hold and its countdown (deadline) stay; while it
        // loads it is not idle. Only the cache time is the restart's.
        let old = std::mem::replace(&mut entry.load_no, new);
        let old_stage = std::mem::replace(&mut entry.stage, Stage::Loading);
        entry.cache = options.cache;
        self.next_load += 1;
        self.loads_started[id] += 1;
        // The old instance's teardown runs once (a failed one's ran when it failed). A load in
        // flight gets no outcome of its own: its futures resolve to the new load's.
        if old_stage != Stage::Failed {
            self.ended.insert(old);
            self.disposals[id] += 1;
        }
        self.run_loader(id, options.flavour);
        Some(Restarted { old, new })
    }

    /// The id's load in flight finishes. Returns its number, or `None` when nothing loads.
    fn settle_load(&mut self, id: Id, ok: bool) -> Option<LoadNo> {
        let entry = self.entries.get_mut(&id)?;
        if entry.stage != Stage::Loading {
            return None;
        }
        let load_no = entry.load_no;
        entry.stage = if ok { Stage::Ready } else { Stage::Failed };
        let load_held = std::mem::replace(&mut entry.load_hold, false);
        let settled = if ok { Settled::Loaded } else { Settled::Failed };
        self.settled.insert(load_no, settled);
        if !ok {
            // A failed load's teardown runs at once; the failure stays cached.
            self.ended.insert(load_no);
            self.disposals[id] += 1;
        }
        // Its own hold ends now: the countdown (re)starts. Held by guards only, all released
        // while it loaded: the countdown runs since the last release.
        self.go_idle(id, load_held);
        Some(load_no)
    }

    /// Starts (or, with `restart` false, keeps) the countdown of an entry without holders.
    ///
    /// Kept, nothing about the countdown changes, whatever the cache time: only a start or a
    /// restart reads it. So an unheld entry that a `restart` gave cache time zero (or
    /// `Infinite`) keeps the countdown it had when its new load settles without a load hold,
    /// and one that had none keeps none: the registry's docs, where cache time zero ends the
    /// entry "instead" of a start only.
    fn go_idle(&mut self, id: Id, restart: bool) {
        let now = self.now;
        let Some(entry) = self.entries.get_mut(&id) else {
            return;
        };
        if entry.holders() > 0 {
            return;
        }
        match entry.cache.duration() {
            _ if !restart => {}
            // No countdown to start; one kept through a restart from a finite cache time
            // stops here.
            None => entry.deadline = None,
            Some(d) if d.is_zero() => return self.end(id, Settled::Cancelled),
            Some(d) => entry.deadline = Some(now + d),
        }
        let Some(max) = self.max_idle else { return };
        if entry.is_idle() {
            self.last_used += 1;
            entry.last_used = self.last_used;
        }
        // Evict the least recently used idle entries beyond the bound.
        loop {
            let idle: Vec<(u64, Id)> = self
                .entries
                .iter()
                .filter(|(_, entry)| entry.is_idle())
                .map(|(&id, entry)| (entry.last_used, id))
                .collect();
            if idle.len() <= max {
                break;
            }
            let (_, oldest) = idle
                .into_iter()
                .min()
                .expect("more idle entries than the bound");
            self.end(oldest, Settled::Cancelled);
        }
    }

    /// Ends the id's entry; a load in flight settles as `reason`.
    fn end(&mut self, id: Id, reason: Settled) {
        let entry = self.entries.remove(&id).expect("ending a live entry");
        if entry.stage == Stage::Loading {
            self.settled.insert(entry.load_no, reason);
        }
        // A failed entry's teardown ran when it failed.
        if entry.stage != Stage::Failed {
            self.ended.insert(entry.load_no);
            self.disposals[id] += 1;
        }
    }

    /// A guard on load `load_no`'s entry is released.
    fn release(&mut self, id: Id, load_no: LoadNo) {
        if self.disposed {
            return;
        }
        match self.entries.get_mut(&id) {
            Some(entry) if entry.load_no == load_no => {
                entry.retains -= 1;
                self.go_idle(id, true);
            }
            // A guard of an ended entry touches nothing.
            _ => {}
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        let now = self.now;
        let due: Vec<Id> = self
            .entries
            .iter()
            .filter(|(_, entry)| entry.deadline.is_some_and(|deadline| deadline <= now))
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            self.end(id, Settled::Cancelled);
        }
    }

    fn invalidate(&mut self, id: Id) -> bool {
        let removable = self
            .entries
            .get(&id)
            .is_some_and(|entry| match entry.stage {
                Stage::Failed => true,
                Stage::Ready => entry.holders() == 0,
                Stage::Loading => false,
            });
        if removable {
            self.end(id, Settled::Cancelled);
        }
        removable
    }

    fn dispose(&mut self) {
        if self.disposed {
            return;
        }
        self.disposed = true;
        let ids: Vec<Id> = self.entries.keys().copied().collect();
        for id in ids {
            self.end(id, Settled::Disposed);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The system under test, and the test's loaders
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Store {
    id: Id,
    load_no: LoadNo,
}

#[derive(Debug)]
struct LoadFailed {
    id: Id,
    load_no: LoadNo,
}

type Registry = StoreRegistry<Id>;
type Reply = oneshot::Sender<Result<Store, LoadFailed>>;

/// What the loaders and their `on_dispose` callbacks record, shared with the test.
#[derive(Default)]
struct Loaders {
    next_load: LoadNo,
    started: [usize; IDS],
    disposed: [usize; IDS],
    /// Load numbers, in the order their `on_dispose` ran.
    disposed_loads: Vec<LoadNo>,
    /// The load whose second `on_dispose` callback ran last: it must run just before the
    /// first one (callbacks run newest first).
    newest_teardown: Option<LoadNo>,
    /// Loads whose two callbacks did not run newest first, back to back.
    teardown_out_of_order: Vec<LoadNo>,
    /// Every loader's context, by load number.
    contexts: Vec<LoadContext<Id>>,
    /// A handle the loaders and teardown callbacks read the registry through (re-entrancy:
    /// the registry must hold no borrow while it calls them). Taken before the registry is
    /// dropped, to break the cycle through the entries' callbacks.
    registry: Option<Registry>,
    /// The id's latest controlled load and the channel that answers it.
    replies: [Option<(LoadNo, Reply)>; IDS],
}

/// Reads the registry from inside a loader or a teardown callback. A borrow held across the
/// call would panic here, which fails the load or skips the teardown's count.
fn read_registry_reentrantly(loaders: &Rc<RefCell<Loaders>>) {
    let registry = loaders.borrow().registry.clone();
    if let Some(registry) = registry {
        let _ = registry.snapshot();
        let _ = registry.is_disposed();
    }
}

fn store_options(
    loaders: &Rc<RefCell<Loaders>>,
    id: Id,
    options: Opts,
) -> StoreOptions<Id, Store, LoadFailed> {
    let loaders = Rc::clone(loaders);
    let flavour = options.flavour;
    let store_options = StoreOptions::new(id, move |ctx: LoadContext<Id>| {
        read_registry_reentrantly(&loaders);
        let load_no = {
            let mut loaders = loaders.borrow_mut();
            let load_no = loaders.next_load;
            loaders.next_load += 1;
            loaders.started[id] += 1;
            load_no
        };
        let on_dispose = Rc::clone(&loaders);
        ctx.on_dispose(move || {
            read_registry_reentrantly(&on_dispose);
            let mut loaders = on_dispose.borrow_mut();
            if loaders.newest_teardown.take() != Some(load_no) {
                loaders.teardown_out_of_order.push(load_no);
            }
            loaders.disposed[id] += 1;
            loaders.disposed_loads.push(load_no);
        });
        let on_dispose = Rc::clone(&loaders);
        ctx.on_dispose(move || on_dispose.borrow_mut().newest_teardown = Some(load_no));
        loaders.borrow_mut().contexts.push(ctx);
        let reply = (flavour == Flavour::Controlled).then(|| {
            let (sender, receiver) = oneshot::channel();
            loaders.borrow_mut().replies[id] = Some((load_no, sender));
            receiver
        });
        async move {
            match (reply, flavour) {
                (Some(receiver), _) => receiver
                    .await
                    .expect("the test answers every controlled load it does not drop"),
                (None, Flavour::ImmediateErr) => Err(LoadFailed { id, load_no }),
                (None, _) => Ok(Store { id, load_no }),
            }
        }
    });
    match options.cache {
        CacheChoice::Default => store_options,
        CacheChoice::Infinite => store_options.unused_cache_time(CacheTime::Infinite),
        finite => store_options.unused_cache_time(finite.duration().expect("finite")),
    }
}

#[derive(Default)]
struct WakeFlag(AtomicBool);

impl WakeFlag {
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

enum WatchedFuture {
    Get(LoadFuture<Store, LoadFailed>),
    Preload(Preload<Store, LoadFailed>),
}

/// A pending future the test polls after every step.
struct Watched {
    id: Id,
    load_no: LoadNo,
    future: WatchedFuture,
    flag: Arc<WakeFlag>,
    /// Polled and pending: it is owed a wake when its load settles.
    waiting: bool,
}

struct HeldGuard {
    guard: RetainGuard,
    id: Id,
    /// The load of the entry the guard holds; `None` for an inert guard.
    load_no: Option<LoadNo>,
}

/// The `Rc`/`Arc` a load produced, to check that every caller gets the same one, and that
/// the registry drops a store when its entry ends.
enum Identity {
    Store(Weak<Store>),
    Error(std::sync::Weak<LoadFailed>),
}

/// The test runtime, recording the longest sleep the registry asks for: it must chain sleeps
/// of at most [`MAX_SLEEP`] (the browser's `setTimeout` limit) to serve the long cache time.
struct SleepLimit {
    rt: TestRuntime,
    longest_sleep: Rc<Cell<Duration>>,
}

impl Runtime for SleepLimit {
    fn spawn_local(&self, task: LocalBoxFuture<'static, ()>) {
        self.rt.spawn_local(task);
    }

    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        self.longest_sleep
            .set(self.longest_sleep.get().max(duration));
        self.rt.sleep(duration)
    }

    fn now(&self) -> Duration {
        self.rt.now()
    }
}

type StepResult = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(format!($($message)+));
        }
    };
}

/// The registry, its runtime, the test's loaders and what the test holds, next to the model.
struct Harness {
    rt: TestRuntime,
    /// The longest sleep the registry asked its runtime for.
    longest_sleep: Rc<Cell<Duration>>,
    registry: Option<Registry>,
    loaders: Rc<RefCell<Loaders>>,
    guards: Vec<HeldGuard>,
    futures: Vec<Watched>,
    identities: HashMap<LoadNo, Identity>,
    /// Every resolved future, in order: its load and how it ended (preloads as `None`).
    resolved: Vec<(LoadNo, Option<Settled>)>,
    model: Model,
}

impl Harness {
    fn new() -> Self {
        Self::with_max_idle(None)
    }

    /// A harness whose registry keeps at most `max_idle` idle entries.
    fn with_max_idle(max_idle: Option<usize>) -> Self {
        let rt = TestRuntime::new();
        let mut config = RegistryConfig::default().default_unused_cache_time(DEFAULT);
        config.max_idle_entries = max_idle;
        let runtime = SleepLimit {
            rt: rt.clone(),
            longest_sleep: Rc::default(),
        };
        let runtime_sleep = Rc::clone(&runtime.longest_sleep);
        let registry = StoreRegistry::with_runtime(config, runtime);
        let loaders = Rc::new(RefCell::new(Loaders {
            registry: Some(registry.clone()),
            ..Loaders::default()
        }));
        Self {
            longest_sleep: Rc::clone(&runtime_sleep),
            registry: Some(registry),
            rt,
            loaders,
            guards: Vec::new(),
            futures: Vec::new(),
            identities: HashMap::new(),
            resolved: Vec::new(),
            model: Model {
                max_idle,
                ..Model::default()
            },
        }
    }

    fn registry(&self) -> &Registry {
        self.registry
            .as_ref()
            .expect("the registry is dropped only at the end")
    }

    fn options(&self, id: Id, options: Opts) -> StoreOptions<Id, Store, LoadFailed> {
        store_options(&self.loaders, id, options)
    }

    /// Runs `ops`, checking the registry against the model after each step, then drops the
    /// registry and checks that it disposed everything.
    fn run(ops: &[Op]) -> Result<Self, String> {
        Self::run_bounded(None, ops)
    }

    /// [`run`](Self::run) with a bound on idle entries.
    fn run_bounded(max_idle: Option<usize>, ops: &[Op]) -> Result<Self, String> {
        let mut harness = Self::with_max_idle(max_idle);
        for (step, op) in ops.iter().enumerate() {
            harness
                .step(op)
                .map_err(|e| format!("step {step} {op:?}: {e}\nops so far: {:?}", &ops[..=step]))?;
        }
        harness
            .drop_registry()
            .map_err(|e| format!("dropping the registry: {e}\nops: {ops:?}"))?;
        Ok(harness)
    }

    fn step(&mut self, op: &Op) -> StepResult {
        self.apply(op)?;
        // Only an answered load needs the executor; everything else (disposal at cache time
        // zero, cancellation, wakes) happens inside the call itself.
        if !matches!(op, Op::CompleteLoad(_) | Op::FailLoad(_)) {
            self.check_state()
                .map_err(|e| format!("before running tasks: {e}"))?;
        }
        self.rt.run_until_stalled();
        self.check()
    }

    fn apply(&mut self, op: &Op) -> StepResult {
        match *op {
            Op::GetOrLoad(id, options) => {
                let (_, expected) = self.model.lookup(id, options, Hold::Load);
                let lookup = self.registry().get_or_load(&self.options(id, options));
                self.check_lookup(id, lookup, expected)?;
            }
            Op::Retain(id, options) => {
                let (load_no, _) = self.model.lookup(id, options, Hold::Guard);
                let guard = self.registry().retain(&self.options(id, options));
                self.keep_guard(guard, id, load_no)?;
            }
            Op::RetainAndGet(id, options) => {
                let (load_no, expected) = self.model.lookup(id, options, Hold::Guard);
                let (guard, lookup) = self.registry().retain_and_get(&self.options(id, options));
                self.keep_guard(guard, id, load_no)?;
                self.check_lookup(id, lookup, expected)?;
            }
            Op::Release(index) => {
                if !self.guards.is_empty() {
                    let held = self.guards.remove(index % self.guards.len());
                    if let Some(load_no) = held.load_no {
                        self.model.release(held.id, load_no);
                    }
                    held.guard.release();
                }
            }
            Op::Preload(id, options) => {
                let (_, expected) = self.model.lookup(id, options, Hold::Load);
                let mut preload = self.registry().preload(&self.options(id, options));
                match expected {
                    Expected::Disposed => {
                        let polled = Pin::new(&mut preload)
                            .poll(&mut Context::from_waker(futures::task::noop_waker_ref()));
                        ensure!(polled.is_ready(), "a preload after dispose is done at once");
                    }
                    Expected::Ready(load_no, _) | Expected::Pending(load_no) => {
                        self.watch(id, load_no, WatchedFuture::Preload(preload));
                    }
                }
            }
            Op::Advance(by) => {
                self.model.advance(by);
                self.rt.advance(by);
            }
            Op::Invalidate(id) => {
                let expected = self.model.invalidate(id);
                // The options name the entry; their loader and cache time play no part.
                let names = Opts {
                    cache: CacheChoice::Default,
                    flavour: Flavour::Controlled,
                };
                let actual = self.registry().invalidate(&self.options(id, names));
                ensure!(
                    actual == expected,
                    "invalidate returned {actual}, model {expected}"
                );
            }
            Op::Dispose => {
                self.model.dispose();
                self.registry().dispose();
            }
            Op::CompleteLoad(id) | Op::FailLoad(id) => {
                let ok = matches!(op, Op::CompleteLoad(_));
                if let Some(load_no) = self.model.settle_load(id, ok) {
                    let reply = self.loaders.borrow_mut().replies[id].take();
                    let Some((reply_load, sender)) = reply else {
                        return Err(format!("load {load_no} of id {id} has no reply channel"));
                    };
                    ensure!(
                        reply_load == load_no,
                        "id {id}: the model answers load {load_no}, the latest loader call was load {reply_load}"
                    );
                    let answer = if ok {
                        Ok(Store { id, load_no })
                    } else {
                        Err(LoadFailed { id, load_no })
                    };
                    ensure!(
                        sender.send(answer).is_ok(),
                        "load {load_no} of id {id} was dropped while its entry is loading"
                    );
                }
            }
            Op::DropLoadFuture(index) => {
                if !self.futures.is_empty() {
                    let len = self.futures.len();
                    drop(self.futures.remove(index % len));
                }
            }
            Op::Restart(id, options) => {
                let restarted = self.model.restart(id, options);
                if let Some(restarted) = restarted {
                    self.follow_restart(id, restarted);
                }
                let actual = self.registry().restart(&self.options(id, options));
                ensure!(
                    actual == restarted.is_some(),
                    "restart returned {actual}, model {}",
                    restarted.is_some()
                );
            }
        }
        Ok(())
    }

    /// The id's entry restarted from load `old` to load `new`: its guards hold the new
    /// instance, and the futures of a cancelled load in flight wait for the new load.
    fn follow_restart(&mut self, id: Id, restarted: Restarted) {
        let Restarted { old, new, .. } = restarted;
        for held in &mut self.guards {
            if held.id == id && held.load_no == Some(old) {
                held.load_no = Some(new);
            }
        }
        for watched in &mut self.futures {
            if watched.id == id && watched.load_no == old {
                watched.load_no = new;
            }
        }
    }

    fn keep_guard(&mut self, guard: RetainGuard, id: Id, load_no: Option<LoadNo>) -> StepResult {
        ensure!(
            guard.is_inert() == load_no.is_none(),
            "retain gave an inert guard: {}, model expects one: {}",
            guard.is_inert(),
            load_no.is_none()
        );
        self.guards.push(HeldGuard { guard, id, load_no });
        Ok(())
    }

    fn watch(&mut self, id: Id, load_no: LoadNo, future: WatchedFuture) {
        self.futures.push(Watched {
            id,
            load_no,
            future,
            flag: Arc::default(),
            waiting: false,
        });
    }

    fn check_lookup(
        &mut self,
        id: Id,
        lookup: Lookup<Store, LoadFailed>,
        expected: Expected,
    ) -> StepResult {
        match (expected, lookup) {
            (Expected::Disposed, Lookup::Ready(Err(RegistryError::Disposed))) => Ok(()),
            (Expected::Ready(load_no, settled), Lookup::Ready(result)) => {
                self.check_outcome(id, load_no, settled, &result)
            }
            (Expected::Pending(load_no), Lookup::Pending(future)) => {
                self.watch(id, load_no, WatchedFuture::Get(future));
                Ok(())
            }
            (expected, lookup) => Err(format!("lookup answered {lookup:?}, model {expected:?}")),
        }
    }

    /// Checks that `result` is what load `load_no` ended with, and is the very same `Rc`/`Arc`
    /// every other caller of that load got.
    fn check_outcome(
        &mut self,
        id: Id,
        load_no: LoadNo,
        settled: Settled,
        result: &Result<Rc<Store>, RegistryError<LoadFailed>>,
    ) -> StepResult {
        match (settled, result) {
            (Settled::Loaded, Ok(store)) => {
                ensure!(
                    store.id == id && store.load_no == load_no,
                    "got {store:?} for load {load_no} of id {id}"
                );
                let identity = self
                    .identities
                    .entry(load_no)
                    .or_insert_with(|| Identity::Store(Rc::downgrade(store)));
                ensure!(
                    matches!(identity, Identity::Store(first) if first.ptr_eq(&Rc::downgrade(store))),
                    "load {load_no} handed out two different stores"
                );
                Ok(())
            }
            (Settled::Failed, Err(RegistryError::Load(error))) => {
                ensure!(
                    error.id == id && error.load_no == load_no,
                    "got {error:?} for load {load_no} of id {id}"
                );
                let identity = self
                    .identities
                    .entry(load_no)
                    .or_insert_with(|| Identity::Error(Arc::downgrade(error)));
                ensure!(
                    matches!(identity, Identity::Error(first) if first.ptr_eq(&Arc::downgrade(error))),
                    "load {load_no} handed out two different errors (not Arc::ptr_eq)"
                );
                Ok(())
            }
            (Settled::Cancelled, Err(RegistryError::Cancelled))
            | (Settled::Disposed, Err(RegistryError::Disposed)) => Ok(()),
            (settled, result) => Err(format!(
                "load {load_no} resolved to {}, model {settled:?}",
                describe(result)
            )),
        }
    }

    /// Polls every watched future: one whose load settled must be woken and resolve to the
    /// model's outcome; the others must stay pending.
    fn check_futures(&mut self) -> StepResult {
        for mut watched in std::mem::take(&mut self.futures) {
            let expected = self.model.settled.get(&watched.load_no).copied();
            let woken = watched.flag.take();
            let waker = Waker::from(Arc::clone(&watched.flag));
            let mut cx = Context::from_waker(&waker);
            let polled = match &mut watched.future {
                WatchedFuture::Get(future) => Pin::new(future).poll(&mut cx).map(Some),
                WatchedFuture::Preload(preload) => Pin::new(preload).poll(&mut cx).map(|()| None),
            };
            let load_no = watched.load_no;
            match (expected, polled) {
                (None, Poll::Pending) => {
                    watched.waiting = true;
                    self.futures.push(watched);
                }
                (None, Poll::Ready(result)) => {
                    return Err(format!(
                        "a future of load {load_no} resolved to {} while the model says it still loads",
                        result.as_ref().map_or("()".to_owned(), describe)
                    ));
                }
                (Some(settled), Poll::Pending) => {
                    return Err(format!(
                        "a future of load {load_no} is pending; the model says it ended {settled:?}"
                    ));
                }
                (Some(settled), Poll::Ready(result)) => {
                    ensure!(
                        !watched.waiting || woken,
                        "a future of load {load_no} resolved ({settled:?}) without being woken"
                    );
                    if let Some(result) = &result {
                        self.check_outcome(watched.id, load_no, settled, result)?;
                    }
                    self.resolved
                        .push((load_no, result.is_some().then_some(settled)));
                }
            }
        }
        Ok(())
    }

    /// Compares everything observable with the model, once tasks ran.
    fn check(&mut self) -> StepResult {
        self.check_state()?;
        self.check_tasks()
    }

    /// Compares the registry's state, the loaders' records, every watched future and what
    /// the registry still references with the model.
    fn check_state(&mut self) -> StepResult {
        {
            let loaders = self.loaders.borrow();
            ensure!(
                loaders.started == self.model.loads_started,
                "loader calls per id {:?}, model {:?}",
                loaders.started,
                self.model.loads_started
            );
            ensure!(
                loaders.disposed == self.model.disposals,
                "on_dispose calls per id {:?}, model {:?}",
                loaders.disposed,
                self.model.disposals
            );
            let mut disposed_loads = loaders.disposed_loads.clone();
            disposed_loads.sort_unstable();
            let ended: Vec<LoadNo> = self.model.ended.iter().copied().collect();
            ensure!(
                disposed_loads == ended,
                "loads whose on_dispose ran {disposed_loads:?}, model (each once) {ended:?}"
            );
            ensure!(
                loaders.teardown_out_of_order.is_empty(),
                "the on_dispose callbacks of loads {:?} did not run newest first",
                loaders.teardown_out_of_order
            );
            let cancelled: Vec<LoadNo> = (0..loaders.contexts.len())
                .filter(|&load_no| loaders.contexts[load_no].is_cancelled())
                .collect();
            ensure!(
                cancelled == ended,
                "loads whose LoadContext::is_cancelled() {cancelled:?}, model (ended) {ended:?}"
            );
            for id in 0..IDS {
                let waiting = loaders.replies[id]
                    .as_ref()
                    .filter(|(_, sender)| !sender.is_canceled())
                    .map(|(load_no, _)| *load_no);
                let loading = self
                    .model
                    .entries
                    .get(&id)
                    .filter(|entry| entry.stage == Stage::Loading)
                    .map(|entry| entry.load_no);
                ensure!(
                    waiting == loading,
                    "id {id}: the loader waiting for an answer is load {waiting:?}, model {loading:?}"
                );
            }
        }

        if let Some(registry) = &self.registry {
            ensure!(
                registry.is_disposed() == self.model.disposed,
                "is_disposed {}, model {}",
                registry.is_disposed(),
                self.model.disposed
            );
            let mut actual: Vec<_> = registry
                .snapshot()
                .into_iter()
                .map(|entry| {
                    (
                        entry.store_id,
                        entry.state,
                        entry.holders,
                        entry.disposes_in,
                    )
                })
                .collect();
            actual.sort_by_key(|entry| entry.0);
            let now = self.model.now;
            let expected: Vec<_> = self
                .model
                .entries
                .iter()
                .map(|(&id, entry)| {
                    let state = match entry.stage {
                        Stage::Loading => EntryState::Loading,
                        Stage::Ready => EntryState::Ready,
                        Stage::Failed => EntryState::Failed,
                    };
                    let disposes_in = entry.deadline.map(|deadline| deadline - now);
                    (id, state, entry.holders(), disposes_in)
                })
                .collect();
            ensure!(
                actual == expected,
                "snapshot (id, state, holders, disposes_in):\n  registry {actual:?}\n  model    {expected:?}"
            );
        }
        ensure!(
            self.rt.now() == self.model.now,
            "clock {:?}, model {:?}",
            self.rt.now(),
            self.model.now
        );

        self.check_futures()?;

        // The registry drops a store when its entry ends (the test keeps only `Weak`s).
        for (load_no, identity) in &self.identities {
            if let Identity::Store(store) = identity {
                let ended = self.model.ended.contains(load_no);
                ensure!(
                    (store.strong_count() == 0) == ended,
                    "store of load {load_no}: {} strong references, entry ended: {ended}",
                    store.strong_count()
                );
            }
        }
        Ok(())
    }

    /// At most one armed timer (one while a countdown runs), and no leaked task.
    fn check_tasks(&self) -> StepResult {
        let longest_sleep = self.longest_sleep.get();
        ensure!(
            longest_sleep <= MAX_SLEEP,
            "the registry asked for a sleep of {longest_sleep:?}, over MAX_SLEEP"
        );
        let armed = self.rt.armed_timers();
        let counting_down = self.model.entries.values().any(|e| e.deadline.is_some());
        ensure!(armed <= 1, "{armed} timers armed");
        ensure!(
            !counting_down || armed == 1,
            "a countdown runs but no timer is armed"
        );
        let loading = self
            .model
            .entries
            .values()
            .filter(|entry| entry.stage == Stage::Loading)
            .count();
        let tasks = self.rt.live_tasks();
        if self.model.disposed {
            ensure!(tasks == 0, "{tasks} tasks alive after dispose");
            ensure!(armed == 0, "{armed} timers armed after dispose");
        } else {
            ensure!(
                (loading..=loading + 1).contains(&tasks),
                "{tasks} tasks alive for {loading} loads in flight and one timer task"
            );
        }
        Ok(())
    }

    /// Drops the last registry handle: it must dispose everything, as `dispose()` does. Guards
    /// released afterwards touch nothing.
    fn drop_registry(&mut self) -> StepResult {
        self.model.dispose();
        self.loaders.borrow_mut().registry = None;
        drop(self.registry.take());
        self.check_state()
            .map_err(|e| format!("before running tasks: {e}"))?;
        self.rt.run_until_stalled();
        self.check()?;
        ensure!(self.futures.is_empty(), "futures still pending");
        for held in std::mem::take(&mut self.guards) {
            held.guard.release();
        }
        self.rt.run_until_stalled();
        self.check()
    }
}

fn describe(result: &Result<Rc<Store>, RegistryError<LoadFailed>>) -> String {
    match result {
        Ok(store) => format!("Ok({store:?})"),
        Err(error) => format!("Err({error:?})"),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig {
        // Failures are reduced to a plain regression test in this file, not persisted.
        failure_persistence: None,
        // Unoptimized ChaCha took most of the run time; the cases need no cryptographic
        // randomness.
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::with_cases(10_000)
    })]

    #[test]
    fn registry_matches_the_model(
        max_idle in prop_oneof![2 => Just(None), 1 => (0_usize..3).prop_map(Some)],
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        if let Err(message) = Harness::run_bounded(max_idle, &ops) {
            return Err(TestCaseError::fail(format!("max_idle_entries {max_idle:?}: {message}")));
        }
    }
}

fn run_ok(ops: &[Op]) -> Harness {
    Harness::run(ops).unwrap_or_else(|message| panic!("{message}"))
}

const SHORT_CONTROLLED: Opts = opts(CacheChoice::Short, Flavour::Controlled);
const ZERO_CONTROLLED: Opts = opts(CacheChoice::Zero, Flavour::Controlled);
const INFINITE_CONTROLLED: Opts = opts(CacheChoice::Infinite, Flavour::Controlled);

/// The model is not vacuous: a hand-computed sequence gives the counts a reader expects,
/// straight from the loaders' own counters.
#[test]
fn known_sequence_gives_the_expected_counts() {
    let ms = Duration::from_millis;
    let harness = run_ok(&[
        // Load 0 for id 0 (100 ms); a second caller joins it, its options ignored.
        Op::GetOrLoad(0, SHORT_CONTROLLED),
        Op::GetOrLoad(0, INFINITE_CONTROLLED),
        // Load 1 for id 1 (cache time 0), held only by a guard.
        Op::RetainAndGet(1, ZERO_CONTROLLED),
        Op::CompleteLoad(0),
        Op::Advance(ms(99)),
        // A hit restarts the countdown: not disposed at 100 ms, but at 199 ms.
        Op::GetOrLoad(0, SHORT_CONTROLLED),
        Op::Advance(ms(99)),
        Op::Advance(ms(1)),
        // Releasing id 1's only guard cancels its load at once.
        Op::Release(0),
        // Load 2 fails at once and is cached; invalidate drops it.
        Op::Preload(2, opts(CacheChoice::Long, Flavour::ImmediateErr)),
        Op::Invalidate(2),
        // Load 3 for id 0, then the registry is disposed under it.
        Op::GetOrLoad(0, INFINITE_CONTROLLED),
        Op::Dispose,
        Op::GetOrLoad(0, SHORT_CONTROLLED),
        Op::Retain(1, SHORT_CONTROLLED),
    ]);
    let loaders = harness.loaders.borrow();
    assert_eq!(loaders.started, [2, 1, 1]);
    assert_eq!(loaders.disposed, [2, 1, 1]);
    assert_eq!(loaders.disposed_loads, [0, 1, 2, 3]);
    assert_eq!(
        harness.resolved,
        [
            (0, Some(Settled::Loaded)),
            (0, Some(Settled::Loaded)),
            (1, Some(Settled::Cancelled)),
            (2, None),
            (3, Some(Settled::Disposed)),
        ]
    );
}

/// A restart keeps the entry's holders: the waiter of a cancelled load gets the new load's
/// store, a guard holds the new instance, and each old instance tears down once (a failed one
/// when it failed). Without a live entry, or once disposed, it does nothing.
#[test]
fn restart_keeps_holders_and_waiters_follow_the_new_load() {
    let harness = run_ok(&[
        // Load 0 for id 0, awaited and retained; the restart cancels it for load 1, whose cache
        // time (infinite) is now the entry's.
        Op::GetOrLoad(0, SHORT_CONTROLLED),
        Op::Retain(0, SHORT_CONTROLLED),
        Op::Restart(0, INFINITE_CONTROLLED),
        Op::CompleteLoad(0),
        // The guard was the last holder: with the restart's infinite cache time, id 0 stays.
        Op::Release(0),
        Op::Advance(Duration::from_secs(1)),
        // Nothing to restart.
        Op::Restart(1, SHORT_CONTROLLED),
        // Load 2 (id 2) fails at once; the restart retries it with load 3, under its guard.
        Op::Retain(2, opts(CacheChoice::Short, Flavour::ImmediateErr)),
        Op::Restart(2, opts(CacheChoice::Short, Flavour::ImmediateOk)),
        Op::Dispose,
        Op::Restart(0, SHORT_CONTROLLED),
    ]);
    let loaders = harness.loaders.borrow();
    assert_eq!(loaders.started, [2, 0, 2]);
    assert_eq!(loaders.disposed, [2, 0, 2]);
    // 0 at the restart, 2 when it failed, then the dispose ends 1 and 3.
    assert_eq!(loaders.disposed_loads, [0, 2, 1, 3]);
    assert_eq!(harness.resolved, [(1, Some(Settled::Loaded))]);
}

/// A restart moves no countdown: an unheld entry keeps its deadline through the restart (its
/// new load is cancelled when it runs out), and a joined load's hold carries over to the new
/// load, whose settling (as the last hold, at cache time zero) ends the entry at once.
#[test]
fn restart_keeps_the_countdown_and_the_load_hold() {
    let ms = Duration::from_millis;
    let harness = run_ok(&[
        // Load 0 (id 0) is ready at once and counts down 100 ms; 40 ms in, load 1 replaces it
        // and is cancelled 60 ms later.
        Op::GetOrLoad(0, opts(CacheChoice::Short, Flavour::ImmediateOk)),
        Op::Advance(ms(40)),
        Op::Restart(0, INFINITE_CONTROLLED),
        Op::Advance(ms(59)),
        Op::Advance(ms(1)),
        // Load 2 (id 1) is awaited; load 3 inherits its hold and cache time zero.
        Op::GetOrLoad(1, SHORT_CONTROLLED),
        Op::Restart(1, ZERO_CONTROLLED),
        Op::CompleteLoad(1),
    ]);
    let loaders = harness.loaders.borrow();
    assert_eq!(loaders.started, [2, 2, 0]);
    assert_eq!(loaders.disposed_loads, [0, 1, 2, 3]);
    assert_eq!(harness.resolved, [(3, Some(Settled::Loaded))]);
    assert!(harness.model.entries.is_empty());
}

/// Runs `ops`, failing at the first disagreement with the model.
fn run_steps(ops: &[Op]) {
    let mut harness = Harness::new();
    for (step, op) in ops.iter().enumerate() {
        harness
            .step(op)
            .unwrap_or_else(|message| panic!("step {step} {op:?}: {message}"));
    }
}

/// A restart cancels a load in flight, its new load settles at once, and the entry ends inside
/// the same call (cache time zero, the inherited `get_or_load` hold being the last). Its store
/// is dropped then, as everywhere else an entry ends (the cancelled load's task does not keep
/// the new load's outcome).
#[test]
fn a_store_that_ends_inside_the_restart_that_loaded_it_is_dropped_at_once() {
    run_steps(&[
        Op::GetOrLoad(0, ZERO_CONTROLLED),
        Op::Restart(0, opts(CacheChoice::Zero, Flavour::ImmediateOk)),
    ]);
}

/// After a restart shortens an entry's cache time, its next countdown runs out after the new
/// cache time, as the snapshot's `disposes_in` says (the expiry queue's item at the old, later
/// deadline is replaced).
#[test]
fn a_restart_to_a_shorter_cache_time_counts_down_from_it() {
    run_steps(&[
        // Load 0 is ready at once and counts down 1 s; load 1 (100 ms) replaces it, the
        // countdown kept; a hit restarts it, now with 100 ms.
        Op::GetOrLoad(0, opts(CacheChoice::Default, Flavour::ImmediateOk)),
        Op::Restart(0, opts(CacheChoice::Short, Flavour::ImmediateOk)),
        Op::GetOrLoad(0, opts(CacheChoice::Short, Flavour::ImmediateOk)),
        Op::Advance(SHORT),
    ]);
}

/// The bound on idle entries disposes the least recently used idle entry, never a held one,
/// and a hit makes an entry the most recently used.
#[test]
fn eviction_follows_recency_and_spares_held_entries() {
    let ok = opts(CacheChoice::Infinite, Flavour::ImmediateOk);
    let harness = Harness::run_bounded(
        Some(1),
        &[
            // Load 0, held by a guard: never evicted.
            Op::Retain(0, ok),
            // Load 1 goes idle: one idle entry, within the bound.
            Op::GetOrLoad(1, ok),
            // Load 2 goes idle: two idle entries; load 1 is the least recently used.
            Op::GetOrLoad(2, ok),
            // Load 3, id 1 again: load 2 is evicted now.
            Op::GetOrLoad(1, ok),
            // A hit on id 1 keeps it; load 4 (id 2) evicts id 1 (the least recent idle).
            Op::GetOrLoad(1, ok),
            Op::GetOrLoad(2, ok),
        ],
    )
    .unwrap_or_else(|message| panic!("{message}"));
    let loaders = harness.loaders.borrow();
    assert_eq!(loaders.started, [1, 2, 2]);
    // Evicted in this order; dropping the registry at the end disposes the live 0 and 4.
    assert_eq!(loaders.disposed_loads, [1, 2, 3, 0, 4]);
}

/// The checks are not vacuous: a model that disagrees with the registry in any one respect
/// fails the check.
#[test]
fn a_wrong_model_fails_the_check() {
    type Tamper = fn(&mut Model);
    let tampers: [(&str, Tamper); 6] = [
        ("deadline", |m| {
            m.entries.get_mut(&0).expect("entry").deadline = Some(SHORT)
        }),
        ("holders", |m| {
            m.entries.get_mut(&0).expect("entry").retains += 1
        }),
        ("stage", |m| {
            m.entries.get_mut(&0).expect("entry").stage = Stage::Failed
        }),
        ("loads", |m| m.loads_started[0] += 1),
        ("disposals", |m| m.disposals[1] += 1),
        ("outcome", |m| {
            m.settled.insert(1, Settled::Loaded);
        }),
    ];
    for (what, tamper) in tampers {
        let mut harness = Harness::new();
        for op in [
            Op::Retain(0, SHORT_CONTROLLED),
            Op::CompleteLoad(0),
            Op::GetOrLoad(1, SHORT_CONTROLLED),
        ] {
            harness
                .step(&op)
                .unwrap_or_else(|message| panic!("{message}"));
        }
        tamper(&mut harness.model);
        assert!(
            harness.check().is_err(),
            "a model with a wrong {what} passed"
        );
    }
}
