//! One load shared by every caller: the loader's future, its outcome, and [`LoadFuture`].

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::future::LocalBoxFuture;
use slab::Slab;

use crate::RegistryError;
use crate::panic::{drop_contained, panic_message, wake_all};

/// What every caller of one load gets.
pub(crate) type Outcome<S, E> = Result<Rc<S>, RegistryError<E>>;

/// A load in flight, shared by its entry, the task that drives it and every [`LoadFuture`].
pub(crate) struct Load<S, E> {
    state: RefCell<LoadState<S, E>>,
}

struct LoadState<S, E> {
    /// The loader's future; `None` while it is being polled, once it finished, or once the load
    /// was aborted.
    future: Option<LocalBoxFuture<'static, Result<S, E>>>,
    /// Set once: by completion or by abort.
    outcome: Option<Outcome<S, E>>,
    /// Set instead of an outcome when the entry restarted while this load was in flight: its
    /// waiters follow it to the entry's next load.
    next: Option<Rc<Load<S, E>>>,
    /// Wakers of the [`LoadFuture`]s waiting for the outcome.
    waiters: Slab<Waker>,
    /// The driving task's waker, woken on abort so the task ends.
    task: Option<Waker>,
}

impl<S, E> LoadState<S, E> {
    /// Whether the load is settled or was handed to a next load: its loader is done with.
    fn is_over(&self) -> bool {
        self.outcome.is_some() || self.next.is_some()
    }

    /// The load is over: what must wake (its waiters, its task) and drop (the loader's future)
    /// once no borrow is held.
    fn wake_up(&mut self) -> Settled<S, E> {
        Settled {
            future: self.future.take(),
            task: self.task.take(),
            wakers: self.waiters.drain().collect(),
        }
    }
}

/// What [`Load::drive`] observed.
pub(crate) enum Driven<S, E> {
    /// The loader is still running (or is being polled further up the stack).
    Pending,
    /// The load already has an outcome: nothing to do.
    Settled,
    /// The loader just finished with this result; the caller must [`Load::settle`] it.
    Finished(Outcome<S, E>),
}

impl<S, E> Load<S, E> {
    /// A load whose loader has not been called yet.
    pub(crate) fn new() -> Rc<Self> {
        Rc::new(Self {
            state: RefCell::new(LoadState {
                future: None,
                outcome: None,
                next: None,
                waiters: Slab::new(),
                task: None,
            }),
        })
    }

    /// Hands the loader's future to the load. Gives it back when the load was settled
    /// (cancelled) while the loader was being called: the caller drops it.
    pub(crate) fn start(
        &self,
        future: LocalBoxFuture<'static, Result<S, E>>,
    ) -> Result<(), LocalBoxFuture<'static, Result<S, E>>> {
        let mut state = self.state.borrow_mut();
        if state.is_over() {
            return Err(future);
        }
        state.future = Some(future);
        Ok(())
    }

    /// Polls the loader once. No borrow is held while the loader runs, so it may call back
    /// into the registry (even abort its own load).
    pub(crate) fn drive(&self, cx: &mut Context<'_>) -> Driven<S, E> {
        let mut future = {
            let mut state = self.state.borrow_mut();
            if state.is_over() {
                return Driven::Settled;
            }
            state.task = Some(cx.waker().clone());
            match state.future.take() {
                Some(future) => future,
                // Re-entrant poll from inside the loader itself.
                None => return Driven::Pending,
            }
        };
        let polled =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx)));
        match polled {
            Ok(Poll::Pending) => {
                let mut state = self.state.borrow_mut();
                if state.is_over() {
                    // Aborted or restarted while it ran: drop the future outside the borrow.
                    drop(state);
                    drop_contained("dropping a cancelled loader's future", future);
                    Driven::Settled
                } else {
                    state.future = Some(future);
                    Driven::Pending
                }
            }
            Ok(Poll::Ready(result)) => {
                drop(future);
                Driven::Finished(
                    result
                        .map(Rc::new)
                        .map_err(|e| RegistryError::Load(Arc::new(e))),
                )
            }
            Err(panic) => {
                // Dropping a future that panicked may panic again; keep that from unwinding.
                drop_contained("dropping a loader's future", future);
                let message = panic_message(&*panic);
                drop_contained("dropping a panic payload", panic);
                Driven::Finished(Err(RegistryError::LoaderPanicked(message.into())))
            }
        }
    }

    /// Records the outcome (first one wins; none once restarted) and returns what the caller
    /// must do outside its borrows: wake the waiters and drop the loader's future.
    #[must_use]
    pub(crate) fn settle(&self, outcome: Outcome<S, E>) -> Settled<S, E> {
        let mut state = self.state.borrow_mut();
        if state.is_over() {
            return Settled::default();
        }
        state.outcome = Some(outcome);
        state.wake_up()
    }

    /// Hands this load's waiters to `next`, the load of the entry's next generation (the entry
    /// restarted while this one was in flight): this load never settles, and its loader's
    /// future is dropped. Returns what must run once no borrow is held.
    #[must_use]
    pub(crate) fn forward_to(&self, next: Rc<Load<S, E>>) -> Settled<S, E> {
        let mut state = self.state.borrow_mut();
        if state.is_over() {
            return Settled::default();
        }
        state.next = Some(next);
        state.wake_up()
    }

    /// The outcome, once settled.
    pub(crate) fn outcome(&self) -> Option<Outcome<S, E>> {
        self.state.borrow().outcome.clone()
    }

    pub(crate) fn is_settled(&self) -> bool {
        self.state.borrow().outcome.is_some()
    }

    /// Called by a holder about to drop its `Rc` of this load: if it is the last, the outcome
    /// (perhaps the last reference to the store or the cached failure, whose `Drop` may panic)
    /// is dropped here, contained, rather than wherever the holder itself is dropped (a
    /// runtime dropping a finished task).
    pub(crate) fn release(self: &Rc<Self>) {
        if Rc::strong_count(self) == 1 {
            let (outcome, next) = match self.state.try_borrow_mut() {
                Ok(mut state) => (state.outcome.take(), state.next.take()),
                Err(_) => (None, None),
            };
            drop_contained("dropping a store or a cached failure", outcome);
            // A restarted load holds the next one for its waiters.
            if let Some(next) = next {
                next.release();
            }
        }
    }
}

/// A load in flight with its store and error types erased, as an entry holds it.
pub(crate) trait PendingLoad {
    /// Settles the load as cancelled (its entry ended) or, when `registry_disposed`, as
    /// disposed; returns what must run once no borrow is held: waking the waiters and dropping
    /// the loader's future.
    fn abort(&self, registry_disposed: bool) -> Box<dyn FnOnce()>;

    /// Hands the waiters to `next`, the entry's next load (a `Load<S, E>` of the same types);
    /// returns what must run once no borrow is held.
    fn forward(&self, next: Rc<dyn Any>) -> Box<dyn FnOnce()>;

    /// The load itself, to be downcast to `Load<S, E>`.
    fn as_any(self: Rc<Self>) -> Rc<dyn Any>;
}

impl<S: 'static, E: 'static> PendingLoad for Load<S, E> {
    fn abort(&self, registry_disposed: bool) -> Box<dyn FnOnce()> {
        let error = if registry_disposed {
            RegistryError::Disposed
        } else {
            RegistryError::Cancelled
        };
        let settled = self.settle(Err(error));
        Box::new(move || settled.finish())
    }

    fn forward(&self, next: Rc<dyn Any>) -> Box<dyn FnOnce()> {
        let Ok(next) = next.downcast::<Load<S, E>>() else {
            unreachable!("an entry's next load has the entry's types")
        };
        let forwarded = self.forward_to(next);
        Box::new(move || forwarded.finish())
    }

    fn as_any(self: Rc<Self>) -> Rc<dyn Any> {
        self
    }
}

/// Work left by [`Load::settle`], done by [`Settled::finish`] once no borrow is held.
pub(crate) struct Settled<S, E> {
    future: Option<LocalBoxFuture<'static, Result<S, E>>>,
    task: Option<Waker>,
    wakers: Vec<Waker>,
}

impl<S, E> Default for Settled<S, E> {
    fn default() -> Self {
        Self {
            future: None,
            task: None,
            wakers: Vec::new(),
        }
    }
}

impl<S, E> Settled<S, E> {
    pub(crate) fn finish(self) {
        if let Some(future) = self.future {
            drop_contained("dropping a cancelled loader's future", future);
        }
        wake_all(self.wakers.into_iter().chain(self.task));
    }
}

/// A store that is loading or already known: awaits to `Result<Rc<S>, RegistryError<E>>`.
///
/// Returned by [`Lookup::Pending`](crate::Lookup::Pending) and by awaiting a
/// [`Lookup`](crate::Lookup). Every clone resolves to the same outcome: the same `Rc<S>`, or the
/// same cached `Arc<E>` inside [`RegistryError::Load`].
///
/// # Cancellation
///
/// Dropping a `LoadFuture` only stops waiting: the load goes on, driven by the registry, and its
/// result is cached. The load itself is cancelled only when its entry ends while it runs (nothing
/// held it for its cache time, or [`dispose`](crate::StoreRegistry::dispose)); every
/// `LoadFuture` of it then resolves to [`RegistryError::Cancelled`] (or
/// [`RegistryError::Disposed`] after `dispose`).
#[must_use = "futures do nothing unless polled"]
pub struct LoadFuture<S, E> {
    inner: Inner<S, E>,
}

enum Inner<S, E> {
    Ready(Option<Outcome<S, E>>),
    Waiting {
        load: Rc<Load<S, E>>,
        slot: Option<usize>,
    },
}

impl<S, E> LoadFuture<S, E> {
    pub(crate) fn ready(outcome: Outcome<S, E>) -> Self {
        Self {
            inner: Inner::Ready(Some(outcome)),
        }
    }

    pub(crate) fn waiting(load: Rc<Load<S, E>>) -> Self {
        Self {
            inner: Inner::Waiting { load, slot: None },
        }
    }
}

impl<S, E> Clone for LoadFuture<S, E> {
    fn clone(&self) -> Self {
        match &self.inner {
            Inner::Ready(outcome) => Self {
                inner: Inner::Ready(outcome.clone()),
            },
            Inner::Waiting { load, .. } => Self::waiting(Rc::clone(load)),
        }
    }
}

impl<S, E> Future for LoadFuture<S, E> {
    type Output = Result<Rc<S>, RegistryError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.inner {
            Inner::Ready(outcome) => match outcome.take() {
                Some(outcome) => Poll::Ready(outcome),
                None => panic!("LoadFuture polled after completion"),
            },
            Inner::Waiting { load, slot } => {
                // Follow the entry's restarts to the load that will settle.
                loop {
                    let next = {
                        let mut state = load.state.borrow_mut();
                        let next = state.next.clone();
                        if next.is_some()
                            && let Some(key) = slot.take()
                        {
                            state.waiters.try_remove(key);
                        }
                        next
                    };
                    match next {
                        Some(next) => *load = next,
                        None => break,
                    }
                }
                let mut state = load.state.borrow_mut();
                if let Some(outcome) = &state.outcome {
                    let outcome = outcome.clone();
                    if let Some(key) = slot.take() {
                        state.waiters.try_remove(key);
                    }
                    return Poll::Ready(outcome);
                }
                match slot {
                    Some(key) => match state.waiters.get_mut(*key) {
                        Some(waker) => waker.clone_from(cx.waker()),
                        None => *slot = Some(state.waiters.insert(cx.waker().clone())),
                    },
                    None => *slot = Some(state.waiters.insert(cx.waker().clone())),
                }
                Poll::Pending
            }
        }
    }
}

impl<S, E> Drop for LoadFuture<S, E> {
    fn drop(&mut self) {
        if let Inner::Waiting { load, slot } = &self.inner {
            if let Some(key) = slot
                && let Ok(mut state) = load.state.try_borrow_mut()
            {
                state.waiters.try_remove(*key);
            }
            load.release();
        }
    }
}

impl<S, E> fmt::Debug for LoadFuture<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let settled = match &self.inner {
            Inner::Ready(_) => true,
            Inner::Waiting { load, .. } => load.is_settled(),
        };
        f.debug_struct("LoadFuture")
            .field("settled", &settled)
            .finish()
    }
}
