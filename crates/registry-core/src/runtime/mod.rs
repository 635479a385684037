//! [`Runtime`]: where the registry spawns its tasks and reads its clock.

use std::time::Duration;

use futures::future::LocalBoxFuture;

use crate::Subscription;

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(feature = "test-util")]
pub(crate) mod test;
#[cfg(all(feature = "tokio", not(target_arch = "wasm32")))]
mod tokio;

#[cfg(target_arch = "wasm32")]
pub use browser::BrowserRuntime;
#[cfg(all(feature = "tokio", not(target_arch = "wasm32")))]
pub use tokio::TokioRuntime;

/// The longest single sleep the registry asks for: the browser's `setTimeout` limit
/// (2^31 - 1 ms, about 24.8 days). Longer cache times are served by chained sleeps.
pub(crate) const MAX_SLEEP: Duration = Duration::from_millis(i32::MAX as u64);

/// The small interface between the registry and the platform: spawn a task on this thread,
/// sleep, and read a monotonic clock.
///
/// The registry drives each load in a spawned task (so a load started by
/// [`preload`](crate::StoreRegistry::preload) finishes even if nobody awaits it) and keeps one
/// timer task for all idle countdowns. Implementations: `BrowserRuntime` (wasm32),
/// `TokioRuntime` (feature `tokio`), and `test_util::TestRuntime` (feature `test-util`).
///
/// A runtime never needs `Send`: the registry is single-threaded.
///
/// The registry may call [`now`](Self::now) while it holds a borrow of its state, so an
/// implementation must not call back into the registry from its methods (none of the provided
/// ones does).
pub trait Runtime {
    /// Runs `task` to completion on the current thread, concurrently with the caller.
    fn spawn_local(&self, task: LocalBoxFuture<'static, ()>);

    /// A future that completes after `duration`. The registry never asks for more than
    /// 2^31 - 1 ms (the browser's `setTimeout` limit, about 24.8 days) at once: longer cache
    /// times are served by chained sleeps. Dropping the future cancels the platform timer.
    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()>;

    /// Monotonic time elapsed since an origin fixed by this runtime.
    fn now(&self) -> Duration;

    /// Whether the page is hidden (a background tab). Read by registries with
    /// [`pause_while_hidden`](crate::RegistryConfig::pause_while_hidden). The default: never.
    fn is_hidden(&self) -> bool {
        false
    }

    /// Calls `listener` whenever the page's visibility may have changed, until the returned
    /// subscription is dropped. The default: never calls it, and returns
    /// [`Subscription::none`], with which a registry never pauses.
    fn on_visibility_change(&self, listener: Box<dyn Fn()>) -> Subscription {
        drop(listener);
        Subscription::none()
    }
}
