//! The browser side (wasm32): one [`Driver`] per `use_store` call, holding the store on screen
//! and the one being switched to.

use std::cell::RefCell;
use std::panic::Location;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use futures::future::{AbortHandle, Abortable};
use leptos::prelude::{ArcTrigger, Notify, Owner, RenderEffect, Track, untrack, use_context};
use leptos::reactive::computed::suspense::{SuspenseContext, TaskHandle};
use registry_core::{Lookup, RetainGuard, StoreId, StoreOptions, StoreRegistry};

use crate::provider::RegistryContext;
use crate::resource::Outcome;

/// A `Driver` with its store id type erased, as `StoreResource<S, E>` sees it.
pub(crate) trait Source<S, E> {
    /// The store on screen (if any) and whether a load is under way. With `track`, subscribes
    /// the current observer; with `suspend`, while loading, holds the nearest Suspense.
    fn read(&self, track: bool, suspend: bool) -> (Option<Outcome<S, E>>, bool);
    /// Ready once no load is under way; tracks like [`read`](Self::read).
    fn poll_settled(&self, cx: &mut Context<'_>) -> Poll<Outcome<S, E>>;
    /// Drops a failure on screen and loads the store again.
    fn retry(&self) -> bool;
    /// Restarts the entry on screen under its holders.
    fn restart(&self) -> bool;
}

/// A store on screen: its options, the hold that keeps it, what its load gave, and the
/// generation of the entry it came from (a restart makes it stale).
struct Shown<K, S, E> {
    options: StoreOptions<K, S, E>,
    _guard: RetainGuard,
    outcome: Outcome<S, E>,
    generation: Option<u64>,
}

impl<K, S, E> Shown<K, S, E> {
    fn new(options: StoreOptions<K, S, E>, guard: RetainGuard, outcome: Outcome<S, E>) -> Self {
        Self {
            generation: guard.generation(),
            options,
            _guard: guard,
            outcome,
        }
    }

    /// Whether the entry restarted since this store was shown.
    fn is_stale(&self) -> bool {
        self._guard.is_live() && self._guard.generation() != self.generation
    }
}

/// A store being switched to. Dropping it releases the hold and stops waiting for the load
/// (the load itself is the registry's: it goes on, or is cancelled after the cache time).
struct Switching<K, S, E> {
    options: StoreOptions<K, S, E>,
    guard: RetainGuard,
    generation: u64,
    _wait: AbortOnDrop,
}

struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct State<K, S, E> {
    shown: Option<Shown<K, S, E>>,
    switching: Option<Switching<K, S, E>>,
    generation: u64,
    /// Futures waiting for the load to settle.
    waiters: Vec<Waker>,
    /// Suspense tasks taken by `read(track = true)` while loading.
    suspense: Vec<TaskHandle>,
    /// The effect that follows the options; taken on cleanup.
    effect: Option<RenderEffect<()>>,
    ended: bool,
}

/// Follows one component's options: retains the store they name, shows it once it is ready and
/// releases the one before.
pub(crate) struct Driver<K, S, E> {
    /// This driver, for the tasks it spawns.
    this: Weak<Self>,
    registry: StoreRegistry<K>,
    trigger: ArcTrigger,
    /// The registry context's: notified when any component retries a failure.
    retried: ArcTrigger,
    /// The registry context's: notified when any entry restarts.
    restarted: ArcTrigger,
    /// Where the component called `use_store` (its holds are recorded there, with the
    /// `provenance` feature).
    location: &'static Location<'static>,
    state: RefCell<State<K, S, E>>,
    /// Whether the next store may show at once while the page hydrates: it was built from the
    /// server's snapshot, so the server rendered it rather than the fallback. Set by the
    /// options of `use_hydrated_store` when they find a snapshot; taken by the next switch.
    hydrated: Rc<std::cell::Cell<bool>>,
    /// The component's options, asked again by a retry: the options a failure was shown
    /// with may be those that started it from the server's snapshot, not those that load.
    options: Rc<dyn Fn() -> StoreOptions<K, S, E>>,
}

/// Whether the page is hydrating: the server rendered the Suspense fallback, so the first
/// render must suspend too, even for a store that is already loaded.
pub(crate) fn hydrating() -> bool {
    Owner::current_shared_context().is_some_and(|context| context.during_hydration())
}

impl<K, S, E> Driver<K, S, E>
where
    K: StoreId,
    S: 'static,
    E: 'static,
{
    /// Starts following `options` (now, synchronously) under the current owner, and ends on
    /// its cleanup.
    ///
    /// With `after_hydration` (a `use_store`), a first store asked for while the page hydrates
    /// is not looked up until hydration has ended: the server rendered this read's fallback,
    /// so it shows that fallback meanwhile, and it starts no load that would keep a
    /// `use_hydrated_store` of the same entry, later on the page, from starting from the
    /// server's snapshot.
    pub(crate) fn start(
        context: RegistryContext<K>,
        options: impl Fn() -> StoreOptions<K, S, E> + 'static,
        hydrated: Rc<std::cell::Cell<bool>>,
        location: &'static Location<'static>,
        after_hydration: bool,
    ) -> Rc<Self> {
        let options: Rc<dyn Fn() -> StoreOptions<K, S, E>> = Rc::new(options);
        let driver = Rc::new_cyclic(|this| Self {
            this: Weak::clone(this),
            registry: context.registry(),
            trigger: ArcTrigger::new(),
            retried: context.retried,
            restarted: context.restarted,
            location,
            state: RefCell::new(State {
                shown: None,
                switching: None,
                generation: 0,
                waiters: Vec::new(),
                suspense: Vec::new(),
                effect: None,
                ended: false,
            }),
            hydrated,
            options: Rc::clone(&options),
        });
        let weak = Rc::downgrade(&driver);
        let effect = RenderEffect::new(move |_: Option<()>| {
            let options = options();
            if let Some(driver) = weak.upgrade() {
                // A retry elsewhere may have dropped the failure this component shows; a
                // restart may have replaced the store it shows.
                driver.retried.track();
                driver.restarted.track();
                if after_hydration && hydrating() {
                    // Runs once the synchronous hydration has returned, unless the options
                    // switched (or the component ended) before.
                    let weak = Rc::downgrade(&driver);
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Some(driver) = weak.upgrade()
                            && driver.untouched()
                        {
                            untrack(|| driver.switch(options));
                        }
                    });
                    return;
                }
                untrack(|| driver.switch(options));
            }
        });
        driver.state.borrow_mut().effect = Some(effect);
        let on_cleanup = send_wrapper::SendWrapper::new(Rc::downgrade(&driver));
        Owner::on_cleanup(move || {
            if let Some(driver) = on_cleanup.upgrade() {
                driver.end();
            }
        });
        driver
    }

    /// Moves to `options`' store, unless it is already the target.
    fn switch(&self, options: StoreOptions<K, S, E>) {
        let back_to_shown = {
            let mut state = self.state.borrow_mut();
            let id = options.store_id();
            if state.ended
                || state
                    .switching
                    .as_ref()
                    .is_some_and(|next| next.options.store_id() == id)
            {
                return;
            }
            if state.shown.as_ref().is_some_and(|shown| {
                shown.options.store_id() == id
                    // Unless it is a failure whose entry ended (another component retried
                    // it), or its entry restarted: then follow the new load.
                    && (shown.outcome.is_ok() || shown._guard.is_live())
                    && !shown.is_stale()
            }) {
                // Back to the store on screen before the other one was ready.
                match state.switching.take() {
                    Some(abandoned) => Some(abandoned),
                    None => return,
                }
            } else {
                None
            }
        };
        if let Some(abandoned) = back_to_shown {
            drop(abandoned);
            self.settled();
            return;
        }

        let hydrated = self.hydrated.take();
        let (guard, lookup) = self.registry.retain_and_get_from(&options, self.location);
        let lookup = match lookup {
            Lookup::Ready(outcome) if hydrated || !hydrating() => {
                self.show(Shown::new(options, guard, outcome));
                return;
            }
            other => other,
        };
        let (handle, registration) = AbortHandle::new_pair();
        let (generation, abandoned) = {
            let mut state = self.state.borrow_mut();
            if state.ended {
                drop(state);
                drop(guard);
                return;
            }
            state.generation += 1;
            let generation = state.generation;
            let abandoned = state.switching.replace(Switching {
                options,
                guard,
                generation,
                _wait: AbortOnDrop(handle),
            });
            (generation, abandoned)
        };
        drop(abandoned);
        let weak = Weak::clone(&self.this);
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(outcome) = Abortable::new(lookup.into_future(), registration).await
                && let Some(driver) = weak.upgrade()
            {
                driver.finish(generation, outcome);
            }
        });
        self.trigger.notify();
    }

    /// The load of switch `generation` settled: show its store (if it is still the target).
    fn finish(&self, generation: u64, outcome: Outcome<S, E>) {
        let switching = {
            let mut state = self.state.borrow_mut();
            match &state.switching {
                Some(next) if next.generation == generation => state.switching.take(),
                _ => None,
            }
        };
        if let Some(Switching { options, guard, .. }) = switching {
            self.show(Shown::new(options, guard, outcome));
        }
    }

    /// Puts `shown` on screen and releases the store it replaces.
    fn show(&self, shown: Shown<K, S, E>) {
        let (replaced, abandoned) = {
            let mut state = self.state.borrow_mut();
            if state.ended {
                drop(state);
                drop(shown);
                return;
            }
            (state.shown.replace(shown), state.switching.take())
        };
        drop(abandoned);
        drop(replaced);
        self.settled();
    }

    /// Tells readers and waiters that what is on screen changed.
    fn settled(&self) {
        let (waiters, suspense) = {
            let mut state = self.state.borrow_mut();
            (
                std::mem::take(&mut state.waiters),
                std::mem::take(&mut state.suspense),
            )
        };
        self.trigger.notify();
        waiters.into_iter().for_each(Waker::wake);
        drop(suspense);
    }

    /// The owner is cleaned up (the component unmounted): release every hold, stop following.
    fn end(&self) {
        let (effect, shown, switching, waiters, suspense) = {
            let mut state = self.state.borrow_mut();
            state.ended = true;
            (
                state.effect.take(),
                state.shown.take(),
                state.switching.take(),
                std::mem::take(&mut state.waiters),
                std::mem::take(&mut state.suspense),
            )
        };
        drop(effect);
        drop(switching);
        drop(shown);
        drop(waiters);
        drop(suspense);
    }

    /// Whether nothing was asked for yet (a first switch put off until hydration ended).
    fn untouched(&self) -> bool {
        let state = self.state.borrow();
        !state.ended && state.generation == 0 && state.shown.is_none() && state.switching.is_none()
    }

    fn loading(state: &State<K, S, E>) -> bool {
        state.switching.is_some() || state.shown.is_none()
    }
}

impl<K, S, E> Source<S, E> for Driver<K, S, E>
where
    K: StoreId,
    S: 'static,
    E: 'static,
{
    fn read(&self, track: bool, suspend: bool) -> (Option<Outcome<S, E>>, bool) {
        if track {
            self.trigger.track();
        }
        let (outcome, loading, ended) = {
            let state = self.state.borrow();
            (
                state.shown.as_ref().map(|shown| shown.outcome.clone()),
                Self::loading(&state),
                state.ended,
            )
        };
        if suspend
            && loading
            && !ended
            && let Some(suspense) = use_context::<SuspenseContext>()
        {
            let task = suspense.task_id();
            self.state.borrow_mut().suspense.push(task);
        }
        (outcome, loading)
    }

    fn poll_settled(&self, cx: &mut Context<'_>) -> Poll<Outcome<S, E>> {
        self.trigger.track();
        let mut state = self.state.borrow_mut();
        match &state.shown {
            Some(shown) if !Self::loading(&state) => Poll::Ready(shown.outcome.clone()),
            _ => {
                if !state.ended && !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    state.waiters.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }

    fn retry(&self) -> bool {
        let failed = {
            let mut state = self.state.borrow_mut();
            let failed = !state.ended
                && state.switching.is_none()
                && state
                    .shown
                    .as_ref()
                    .is_some_and(|shown| shown.outcome.is_err());
            if !failed {
                return false;
            }
            state.shown.take()
        };
        let Some(failed) = failed else { return false };
        self.registry.invalidate(&failed.options);
        drop(failed);
        let options = untrack(|| (self.options)());
        self.switch(options);
        // Every other component showing this failure follows the new load.
        self.retried.notify();
        true
    }

    fn restart(&self) -> bool {
        let options = {
            let state = self.state.borrow();
            match &state.shown {
                Some(shown) if !state.ended && state.switching.is_none() => shown.options.clone(),
                _ => return false,
            }
        };
        // The registry's `Restarted` event notifies `restarted`: this component, and every
        // other that shows the store, follows the new instance.
        self.registry.restart(&options)
    }
}
