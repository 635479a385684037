//! The registry's one timer task: sleeps until the earliest idle deadline, then expires what
//! is due. Re-armed through [`TimerSignal`] when an earlier deadline appears.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::future::{Either, select};

use crate::runtime::MAX_SLEEP;
use crate::shared::Shared;

/// Wakes the timer task: an earlier deadline appeared, or the registry was disposed.
#[derive(Default)]
pub(crate) struct TimerSignal {
    notified: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl TimerSignal {
    pub(crate) fn notify(&self) {
        self.notified.set(true);
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn notified(self: &Rc<Self>) -> Notified {
        Notified(Rc::clone(self))
    }
}

struct Notified(Rc<TimerSignal>);

impl Future for Notified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.notified.replace(false) {
            return Poll::Ready(());
        }
        *self.0.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// What the timer task does next.
pub(crate) enum Next {
    /// The registry is disposed: end the task.
    Stop,
    /// No deadline: wait for a signal.
    Idle,
    /// Sleep this long (or until a signal).
    Wait(Duration),
}

/// The timer task. Holds the registry weakly: it never keeps a dropped registry (nor, through
/// it, the runtime) alive.
pub(crate) async fn run<K: crate::StoreId>(registry: Weak<Shared<K>>, signal: Rc<TimerSignal>) {
    loop {
        let (next, sleep) = match registry.upgrade() {
            Some(shared) => match shared.expire_due() {
                Next::Wait(wait) => (Next::Wait(wait), Some(shared.sleep(wait.min(MAX_SLEEP)))),
                next => (next, None),
            },
            None => (Next::Stop, None),
        };
        match (next, sleep) {
            (Next::Stop, _) => return,
            (_, Some(sleep)) => {
                if let Either::Right(((), sleep)) = select(sleep, signal.notified()).await {
                    // Cancel the platform timer before arming another one.
                    drop(sleep);
                }
            }
            (_, None) => signal.notified().await,
        }
    }
}
