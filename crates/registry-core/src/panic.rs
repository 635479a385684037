//! Containing panics of user code the registry calls: one place that says what happens.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`; a panic is logged with `what` (what was running) instead of unwinding through the
/// registry, so that the work after it (the rest of a batch of disposals, the timer task) goes
/// on. Returns `None` when `f` panicked.
///
/// On wasm32 a panic aborts the module, so there is nothing to contain.
pub(crate) fn contain<T>(what: &'static str, f: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(payload) => {
            tracing::error!(message = %panic_message(&*payload), "{what} panicked; the registry goes on");
            // Dropping the payload may panic in turn; that must not unwind either.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            None
        }
    }
}

/// Drops `value` (a store, a cached failure, a loader's future), containing a panicking `Drop`.
pub(crate) fn drop_contained<T>(what: &'static str, value: T) {
    contain(what, move || drop(value));
}

/// Wakes `wakers` (no borrow may be held): a waker that panics is contained, and the others
/// are still woken.
pub(crate) fn wake_all(wakers: impl IntoIterator<Item = std::task::Waker>) {
    for waker in wakers {
        contain("a waker", move || waker.wake());
    }
}

/// The text of a panic payload, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}
