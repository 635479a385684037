use std::time::Duration;

use futures::future::LocalBoxFuture;

use super::Runtime;

/// Tokio, for native targets (server-side rendering, tests, tools).
///
/// Tasks are spawned with [`tokio::task::spawn_local`], so the registry must be used inside a
/// [`tokio::task::LocalSet`] (or a `LocalRuntime`, or a pinned task of a
/// `tokio_util::task::LocalPoolHandle`); spawning elsewhere panics inside tokio. Honours
/// `tokio::time::pause`.
#[derive(Clone, Copy, Debug)]
pub struct TokioRuntime {
    origin: tokio::time::Instant,
}

impl TokioRuntime {
    /// A runtime whose clock starts now.
    pub fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioRuntime {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtime for TokioRuntime {
    fn spawn_local(&self, task: LocalBoxFuture<'static, ()>) {
        tokio::task::spawn_local(task);
    }

    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}
