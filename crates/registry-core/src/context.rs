//! [`LoadContext`]: what a loader gets, and the teardown hooks of one entry.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

type Callback = Box<dyn FnOnce()>;

/// Handed to a store's loader: the id being loaded and a place to register teardown.
///
/// The context may be kept (for example by the store itself) for as long as is useful; it does
/// not keep the entry alive.
pub struct LoadContext<K> {
    store_id: K,
    hooks: Rc<Hooks>,
}

impl<K> LoadContext<K> {
    pub(crate) fn new(store_id: K, hooks: Rc<Hooks>) -> Self {
        Self { store_id, hooks }
    }

    /// The id of the store being loaded.
    pub fn store_id(&self) -> &K {
        &self.store_id
    }

    /// Registers `callback` to run once, when this entry ends: after its cache time, on
    /// [`invalidate`](crate::StoreRegistry::invalidate) or
    /// [`dispose`](crate::StoreRegistry::dispose), or when the load is cancelled.
    ///
    /// Callbacks run exactly once, in reverse order of registration, after the registry has
    /// released all its internal borrows: they may call back into the registry. A callback
    /// registered after the entry ended runs at once. A panicking callback is reported through
    /// `tracing` and does not stop the others (where panics unwind).
    pub fn on_dispose(&self, callback: impl FnOnce() + 'static) {
        if self.hooks.ended.get() {
            run_guarded(Box::new(callback));
        } else {
            self.hooks.callbacks.borrow_mut().push(Box::new(callback));
        }
    }

    /// Resolves when the entry ends: for a load still in flight, when it is cancelled.
    ///
    /// Useful to stop work the loader started outside its own future (a worker, a socket
    /// handshake). The loader's future itself is dropped at cancellation.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled {
            hooks: Rc::clone(&self.hooks),
        }
    }

    /// Whether the entry has ended.
    pub fn is_cancelled(&self) -> bool {
        self.hooks.ended.get()
    }
}

impl<K: fmt::Debug> fmt::Debug for LoadContext<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadContext")
            .field("store_id", &self.store_id)
            .field("ended", &self.hooks.ended.get())
            .finish()
    }
}

/// Future returned by [`LoadContext::cancelled`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Cancelled {
    hooks: Rc<Hooks>,
}

impl Future for Cancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.hooks.ended.get() {
            return Poll::Ready(());
        }
        let mut wakers = self.hooks.wakers.borrow_mut();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Teardown shared by an entry and the contexts handed to its loader.
#[derive(Default)]
pub(crate) struct Hooks {
    callbacks: RefCell<Vec<Callback>>,
    wakers: RefCell<Vec<Waker>>,
    ended: Cell<bool>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("ended", &self.ended.get())
            .finish_non_exhaustive()
    }
}

impl Hooks {
    /// Whether nothing but the entry refers to these hooks and nothing is registered: the
    /// entry may then drop them.
    pub(crate) fn is_unused(self: &Rc<Self>) -> bool {
        Rc::strong_count(self) == 1
            && self.callbacks.borrow().is_empty()
            && self.wakers.borrow().is_empty()
    }

    /// Ends the entry: wakes `cancelled()` futures and runs the callbacks, newest first.
    /// Must be called with no registry borrow held.
    pub(crate) fn end(&self) {
        if self.ended.replace(true) {
            return;
        }
        let wakers = std::mem::take(&mut *self.wakers.borrow_mut());
        wakers.into_iter().for_each(Waker::wake);
        // A callback may register another one (or end nothing): take them in a loop.
        loop {
            let next = self.callbacks.borrow_mut().pop();
            match next {
                Some(callback) => run_guarded(callback),
                None => break,
            }
        }
    }
}

/// Runs a teardown callback; a panic is logged instead of unwinding through the registry.
fn run_guarded(callback: Callback) {
    if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(callback)) {
        tracing::error!(
            message = %crate::load::panic_message(&*panic),
            "an on_dispose callback panicked; the remaining callbacks still run"
        );
    }
}
