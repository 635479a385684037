//! The server side (every native target): nothing `Rc` is created, kept or polled.
//!
//! See the crate docs, "Server-side rendering", for what the server renders.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::LocalBoxFuture;
use leptos::prelude::{Owner, use_context};
use leptos::reactive::computed::suspense::{LocalResourceNotifier, SuspenseContext};
use registry_core::{RegistryConfig, Runtime, StoreId, StoreRegistry};

/// Tells the nearest `<Suspense>` that it reads a browser-only value, as a `LocalResource`
/// does: the Suspense then renders its fallback instead of waiting (which would hang the
/// response), and marks its chunk so that the browser starts from the fallback when it
/// hydrates. Outside any Suspense there is nothing to tell.
///
/// It also keeps a Suspense task open until the reading owner is cleaned up (the end of the
/// request), as a pending `LocalResource` does: otherwise the Suspense would see no pending
/// task and race "render the children" against "render the fallback", and a synchronous read
/// could put the children, without the store, into the page.
pub(crate) fn notify_browser_only() {
    if let Some(mut notifier) = use_context::<LocalResourceNotifier>() {
        notifier.notify();
    }
    if let Some(suspense) = use_context::<SuspenseContext>() {
        let task = suspense.task_id();
        Owner::on_cleanup(move || drop(task));
    }
}

/// A future that is pending for ever, telling the enclosing Suspense so at every poll.
pub(crate) fn poll_pending<T>(_cx: &mut Context<'_>) -> Poll<T> {
    notify_browser_only();
    Poll::Pending
}

/// A runtime that is never asked for anything: the registry it serves is disposed at birth.
struct NoRuntime;

impl Runtime for NoRuntime {
    fn spawn_local(&self, task: LocalBoxFuture<'static, ()>) {
        drop(task);
    }

    fn sleep(&self, _duration: Duration) -> LocalBoxFuture<'static, ()> {
        Box::pin(Never)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

struct Never;

impl Future for Never {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

/// What [`use_store_registry`](crate::use_store_registry) hands out on the server: a disposed
/// registry, so that `preload` is a no-op and lookups answer `RegistryError::Disposed`.
pub(crate) fn inert_registry<K: StoreId>() -> StoreRegistry<K> {
    let registry = StoreRegistry::with_runtime(RegistryConfig::default(), NoRuntime);
    registry.dispose();
    registry
}
