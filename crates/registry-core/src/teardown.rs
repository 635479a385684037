//! [`Teardown`]: what an entry runs when it ends, registered by its loader through
//! [`LoadContext`](crate::LoadContext), and the futures that wait for it.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use slab::Slab;

use crate::Runtime;
use crate::panic::{contain, panic_message, wake_all};

/// An async teardown callback: called once, its future awaited.
type AsyncCallback = Box<dyn FnOnce() -> LocalBoxFuture<'static, ()>>;

/// One registered teardown callback.
enum Callback {
    Sync(Box<dyn FnOnce()>),
    Async(AsyncCallback),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Progress {
    /// The entry runs; callbacks are collected.
    Open,
    /// The entry ended and an async callback is still running.
    Running,
    /// Every callback has run.
    Finished,
}

/// The teardown of one entry, shared by the entry and the [`LoadContext`](crate::LoadContext)s
/// handed to its loader.
pub(crate) struct Teardown {
    callbacks: RefCell<Vec<Callback>>,
    progress: Cell<Progress>,
    /// Whether an async callback was registered while the entry ran: its end must then wait.
    has_async: Cell<bool>,
    /// Wakers of [`Cancelled`] futures.
    cancelled: RefCell<Slab<Waker>>,
    /// Wakers of [`Finished`] futures.
    finished: RefCell<Slab<Waker>>,
    /// Run once, in order, when the teardown has finished (the registry drops the store and
    /// forgets the ended entry then).
    on_finished: RefCell<Vec<Box<dyn FnOnce()>>>,
    /// Where async callbacks run: the registry's runtime, which this does not keep alive.
    runtime: Weak<dyn Runtime>,
    /// The teardowns of earlier instances of the same entry that this instance's load waits
    /// for (weakly: the load's future holds them while it waits).
    waits_for: RefCell<Vec<Weak<Teardown>>>,
}

impl fmt::Debug for Teardown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Teardown")
            .field("progress", &self.progress.get())
            .finish_non_exhaustive()
    }
}

impl Teardown {
    pub(crate) fn new(runtime: Weak<dyn Runtime>) -> Self {
        Self {
            callbacks: RefCell::new(Vec::new()),
            progress: Cell::new(Progress::Open),
            has_async: Cell::new(false),
            cancelled: RefCell::new(Slab::new()),
            finished: RefCell::new(Slab::new()),
            on_finished: RefCell::new(Vec::new()),
            runtime,
            waits_for: RefCell::new(Vec::new()),
        }
    }

    /// Records the teardowns this instance's load waits for.
    pub(crate) fn set_waits_for(&self, teardowns: &[Rc<Teardown>]) {
        *self.waits_for.borrow_mut() = teardowns.iter().map(Rc::downgrade).collect();
    }

    /// What a load of the entry's next instance must wait for: this teardown, unless it has
    /// finished, and whatever this instance's own load was still waiting for.
    pub(crate) fn unfinished_chain(self: &Rc<Self>) -> Vec<Rc<Teardown>> {
        let mut chain: Vec<Rc<Teardown>> = self
            .waits_for
            .borrow()
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|teardown| !teardown.is_finished())
            .collect();
        if !self.is_finished() {
            chain.push(Rc::clone(self));
        }
        chain
    }

    /// Whether the entry has ended (its teardown started).
    pub(crate) fn has_ended(&self) -> bool {
        self.progress.get() != Progress::Open
    }

    /// Whether every callback has run (and every async one resolved).
    pub(crate) fn is_finished(&self) -> bool {
        self.progress.get() == Progress::Finished
    }

    /// Whether an async callback was registered while the entry ran: its end was announced as
    /// disposing, and is announced as disposed once the teardown finished.
    pub(crate) fn has_async(&self) -> bool {
        self.has_async.get()
    }

    /// Whether nothing but the entry refers to this and nothing is registered: the entry may
    /// then drop it, to keep idle entries small.
    pub(crate) fn is_unused(self: &Rc<Self>) -> bool {
        Rc::strong_count(self) == 1
            && self.callbacks.borrow().is_empty()
            && self.cancelled.borrow().is_empty()
    }

    /// Whether the end of the entry has async work that a new load of its id must wait for:
    /// registered and not started yet, or running.
    pub(crate) fn is_pending(&self) -> bool {
        match self.progress.get() {
            Progress::Open => self.has_async.get(),
            Progress::Running => true,
            Progress::Finished => false,
        }
    }

    pub(crate) fn push_sync(&self, callback: Box<dyn FnOnce()>) {
        if self.has_ended() {
            contain("an on_dispose callback", callback);
        } else {
            self.callbacks.borrow_mut().push(Callback::Sync(callback));
        }
    }

    pub(crate) fn push_async(&self, callback: AsyncCallback) {
        if self.has_ended() {
            // Nothing waits for a callback registered this late: run it on its own.
            if let Some(future) = contain("an on_dispose_async callback", callback) {
                self.spawn(Box::pin(run_contained(future)));
            }
        } else {
            self.has_async.set(true);
            self.callbacks.borrow_mut().push(Callback::Async(callback));
        }
    }

    /// Ends the entry: wakes [`Cancelled`] futures, then runs the callbacks newest first.
    /// Synchronous callbacks run here until the first async one; from there the rest run in
    /// order in a task on the registry's runtime, each async one awaited before the next.
    /// Must be called with no registry borrow held. Does nothing the second time.
    ///
    /// A task that its runtime drops before it finished (a runtime dropped with the registry
    /// that owned it) runs the rest at once, when dropped ([`RestOfTeardown`]).
    pub(crate) fn end(self: &Rc<Self>) {
        if self.has_ended() {
            return;
        }
        self.progress.set(Progress::Running);
        let wakers: Vec<Waker> = self.cancelled.borrow_mut().drain().collect();
        wake_all(wakers);
        let Some(first) = self.run_until_async() else {
            self.finish();
            return;
        };
        let mut rest = RestOfTeardown {
            teardown: Rc::clone(self),
            next: Some(first),
        };
        let task = async move {
            while let Some(callback) = rest.next.take() {
                if let Some(future) = contain("an on_dispose_async callback", callback) {
                    run_contained(future).await;
                }
                rest.next = rest.teardown.run_until_async();
            }
            rest.teardown.finish();
        };
        if !self.spawn(Box::pin(task)) && !self.is_finished() {
            // Nothing can run async teardown. The task was dropped unpolled while a panic
            // unwound (a runtime whose spawn panics), which left the rest for here.
            drop(RestOfTeardown {
                teardown: Rc::clone(self),
                next: None,
            });
        }
    }

    /// Runs the synchronous callbacks, newest first, until it meets an async one, which it
    /// returns (nothing new is collected once the entry ended: late callbacks run at once).
    fn run_until_async(&self) -> Option<AsyncCallback> {
        loop {
            let next = self.callbacks.borrow_mut().pop();
            match next? {
                Callback::Sync(callback) => {
                    contain("an on_dispose callback", callback);
                }
                Callback::Async(callback) => return Some(callback),
            }
        }
    }

    /// Spawns `task` on the registry's runtime; `false` when it cannot (the runtime is gone,
    /// or its `spawn_local` panicked), which is logged.
    fn spawn(&self, task: LocalBoxFuture<'static, ()>) -> bool {
        let Some(runtime) = self.runtime.upgrade() else {
            tracing::error!("an async teardown cannot run: the registry's runtime is gone");
            return false;
        };
        contain("spawning an async teardown", move || {
            runtime.spawn_local(task);
        })
        .is_some()
    }

    fn finish(&self) {
        self.progress.set(Progress::Finished);
        let wakers: Vec<Waker> = self.finished.borrow_mut().drain().collect();
        wake_all(wakers);
        loop {
            let next = {
                let mut on_finished = self.on_finished.borrow_mut();
                (!on_finished.is_empty()).then(|| on_finished.remove(0))
            };
            let Some(callback) = next else { break };
            contain("finishing an ended entry", callback);
        }
    }

    /// Runs `callback` once the teardown has finished: now, if it has.
    pub(crate) fn on_finished(&self, callback: Box<dyn FnOnce()>) {
        if self.is_finished() {
            contain("finishing an ended entry", callback);
        } else {
            self.on_finished.borrow_mut().push(callback);
        }
    }

    /// Resolves once the teardown has finished.
    pub(crate) fn finished(self: &Rc<Self>) -> Finished {
        Finished(Waiter::new(self, Moment::Finished))
    }

    /// Resolves once the entry has ended.
    pub(crate) fn cancelled(self: &Rc<Self>) -> Cancelled {
        Cancelled(Waiter::new(self, Moment::Ended))
    }
}

/// Awaits an async teardown, logging a panic instead of unwinding through the task.
async fn run_contained(future: LocalBoxFuture<'static, ()>) {
    if let Err(payload) = std::panic::AssertUnwindSafe(future).catch_unwind().await {
        tracing::error!(
            message = %panic_message(&*payload),
            "an on_dispose_async teardown panicked; it counts as finished"
        );
    }
}

/// The rest of a teardown whose task runs it. Dropped before the task finished (its runtime
/// dropped the task, or could not spawn it), it runs the rest at once: the synchronous
/// callbacks as usual, and each async one called and its future polled once (a future that
/// needs no waiting, such as a flush into memory, completes; one that would wait is dropped, and
/// logged). The future being awaited when the task was dropped is dropped with it. Either way
/// the teardown then counts as finished: every callback has run once.
struct RestOfTeardown {
    teardown: Rc<Teardown>,
    next: Option<AsyncCallback>,
}

impl Drop for RestOfTeardown {
    fn drop(&mut self) {
        if self.teardown.is_finished() {
            return;
        }
        let mut next = self.next.take();
        if std::thread::panicking() {
            // A callback that panicked now would abort the process: leave the rest to whoever
            // contains this panic (`Teardown::end`, when spawning failed).
            if let Some(callback) = next {
                self.teardown
                    .callbacks
                    .borrow_mut()
                    .push(Callback::Async(callback));
            }
            return;
        }
        if next.is_none() {
            next = self.teardown.run_until_async();
        }
        while let Some(callback) = next {
            if let Some(future) = contain("an on_dispose_async callback", callback) {
                poll_once(future);
            }
            next = self.teardown.run_until_async();
        }
        self.teardown.finish();
    }
}

/// Polls a teardown future once where nothing can drive it further.
fn poll_once(mut future: LocalBoxFuture<'static, ()>) {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let polled = contain("an on_dispose_async teardown", || {
        future.as_mut().poll(&mut cx)
    });
    if polled.is_some_and(|poll| poll.is_pending()) {
        tracing::error!(
            "an on_dispose_async teardown was cut short: its runtime is gone, so nothing can drive it"
        );
    }
    crate::panic::drop_contained("dropping an async teardown", future);
}

/// What a [`Waiter`] waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Moment {
    /// The entry ended (its teardown started).
    Ended,
    /// Its teardown finished.
    Finished,
}

impl Teardown {
    fn reached(&self, moment: Moment) -> bool {
        match moment {
            Moment::Ended => self.has_ended(),
            Moment::Finished => self.progress.get() == Progress::Finished,
        }
    }

    fn wakers(&self, moment: Moment) -> &RefCell<Slab<Waker>> {
        match moment {
            Moment::Ended => &self.cancelled,
            Moment::Finished => &self.finished,
        }
    }
}

/// A future of a [`Moment`] of one teardown. Registers its waker once (`slot` remembers
/// where) and unregisters it when dropped.
struct Waiter {
    teardown: Rc<Teardown>,
    moment: Moment,
    slot: Option<usize>,
}

impl Waiter {
    fn new(teardown: &Rc<Teardown>, moment: Moment) -> Self {
        Self {
            teardown: Rc::clone(teardown),
            moment,
            slot: None,
        }
    }
}

impl Future for Waiter {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.teardown.reached(self.moment) {
            self.slot = None;
            return Poll::Ready(());
        }
        let this = &mut *self;
        let mut wakers = this.teardown.wakers(this.moment).borrow_mut();
        match this.slot.and_then(|key| wakers.get_mut(key)) {
            Some(waker) => waker.clone_from(cx.waker()),
            None => this.slot = Some(wakers.insert(cx.waker().clone())),
        }
        Poll::Pending
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(key) = self.slot
            && let Ok(mut wakers) = self.teardown.wakers(self.moment).try_borrow_mut()
        {
            wakers.try_remove(key);
        }
    }
}

/// Future returned by [`LoadContext::cancelled`](crate::LoadContext::cancelled): resolves when
/// the entry ends. Dropping it unregisters it.
#[must_use = "futures do nothing unless polled"]
pub struct Cancelled(Waiter);

impl Future for Cancelled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancelled")
            .field("ended", &self.0.teardown.has_ended())
            .finish()
    }
}

/// Resolves when a teardown has finished (every callback ran, every async one resolved).
pub(crate) struct Finished(Waiter);

impl Future for Finished {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::task::Context;

    use super::*;

    #[test]
    fn a_dropped_cancelled_future_leaves_no_waker_behind() {
        let runtime: Rc<dyn Runtime> = Rc::new(crate::test_util::TestRuntime::new());
        let teardown = Rc::new(Teardown::new(Rc::downgrade(&runtime)));
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        for _ in 0..1_000 {
            let mut cancelled = teardown.cancelled();
            assert!(Pin::new(&mut cancelled).poll(&mut cx).is_pending());
            assert!(Pin::new(&mut cancelled).poll(&mut cx).is_pending());
            assert_eq!(teardown.cancelled.borrow().len(), 1, "one waker per future");
            drop(cancelled);
            assert!(teardown.cancelled.borrow().is_empty());
        }
        let mut finished = teardown.finished();
        assert!(Pin::new(&mut finished).poll(&mut cx).is_pending());
        drop(finished);
        assert!(teardown.finished.borrow().is_empty());
    }
}
