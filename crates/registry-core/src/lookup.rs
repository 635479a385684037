//! [`Lookup`]: the answer of `get_or_load`, and [`Preload`].

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::{LoadFuture, RegistryError};

/// What [`get_or_load`](crate::StoreRegistry::get_or_load) found: the store (or its cached
/// failure) at once, or a future of its load. Awaiting a `Lookup` gives the result either way.
#[must_use = "a Lookup holds the store or its pending load"]
pub enum Lookup<S, E> {
    /// Loaded (or failed): the same `Rc<S>`, or the same cached `Arc<E>`, for every caller.
    Ready(Result<Rc<S>, RegistryError<E>>),
    /// Loading: resolves when the load settles.
    Pending(LoadFuture<S, E>),
}

impl<S, E> Lookup<S, E> {
    /// Whether the answer is already known.
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready(_))
    }

    /// The answer, if it is already known.
    pub fn ready(self) -> Option<Result<Rc<S>, RegistryError<E>>> {
        match self {
            Self::Ready(result) => Some(result),
            Self::Pending(_) => None,
        }
    }
}

impl<S, E> IntoFuture for Lookup<S, E> {
    type Output = Result<Rc<S>, RegistryError<E>>;
    type IntoFuture = LoadFuture<S, E>;

    fn into_future(self) -> LoadFuture<S, E> {
        match self {
            Self::Ready(result) => LoadFuture::ready(result),
            Self::Pending(future) => future,
        }
    }
}

impl<S, E: fmt::Debug> fmt::Debug for Lookup<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ready(Ok(_)) => f.write_str("Ready(Ok(..))"),
            Self::Ready(Err(error)) => f.debug_tuple("Ready").field(&Err::<(), _>(error)).finish(),
            Self::Pending(future) => f.debug_tuple("Pending").field(future).finish(),
        }
    }
}

/// Future returned by [`preload`](crate::StoreRegistry::preload): resolves to `()` when the load
/// settles, whatever its outcome. The load runs whether or not this is awaited.
pub struct Preload<S, E> {
    pending: Option<LoadFuture<S, E>>,
}

impl<S, E> Preload<S, E> {
    pub(crate) fn done() -> Self {
        Self { pending: None }
    }

    pub(crate) fn waiting(future: LoadFuture<S, E>) -> Self {
        Self {
            pending: Some(future),
        }
    }
}

impl<S, E> Future for Preload<S, E> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.pending {
            None => Poll::Ready(()),
            Some(future) => match Pin::new(future).poll(cx) {
                Poll::Ready(_) => {
                    self.pending = None;
                    Poll::Ready(())
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<S, E> fmt::Debug for Preload<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Preload")
            .field("settled", &self.pending.is_none())
            .finish()
    }
}
