//! [`StoreOptions`]: what to load for a store id, and how long to keep it.

use std::fmt;
use std::future::Future;
use std::rc::Rc;

use futures::future::LocalBoxFuture;

use crate::{CacheTime, LoadContext};

pub(crate) type Loader<K, S, E> =
    Rc<dyn Fn(LoadContext<K>) -> LocalBoxFuture<'static, Result<S, E>>>;

/// Everything the registry needs to load one store: its id, its loader and, optionally, its
/// cache time. Cheap to clone.
///
/// An entry is named by the id *and* the options' store type `S` and error type `E`: options
/// of another store type for the same id name another entry. The first options seen for an
/// entry win until it ends: later options for a live entry (their loader, and their cache time
/// unless the registry's [`CacheTimePolicy`](crate::CacheTimePolicy) is `Longest`) are
/// ignored.
///
/// ```
/// use std::time::Duration;
/// use registry_core::{LoadContext, StoreOptions};
///
/// struct Doc { id: String }
///
/// let options = StoreOptions::new("doc-1".to_string(), |ctx: LoadContext<String>| async move {
///     ctx.on_dispose(|| { /* close the socket */ });
///     Ok::<_, std::io::Error>(Doc { id: ctx.store_id().clone() })
/// })
/// .unused_cache_time(Duration::from_secs(30));
///
/// assert_eq!(options.store_id(), "doc-1");
/// ```
pub struct StoreOptions<K, S, E> {
    pub(crate) store_id: K,
    pub(crate) loader: Loader<K, S, E>,
    pub(crate) cache_time: Option<CacheTime>,
}

impl<K, S, E> StoreOptions<K, S, E> {
    /// Options that load `store_id` with `loader`.
    ///
    /// The loader is called once per load (not per caller) with a [`LoadContext`], through
    /// which it registers teardown with [`LoadContext::on_dispose`].
    pub fn new<F, Fut>(store_id: K, loader: F) -> Self
    where
        F: Fn(LoadContext<K>) -> Fut + 'static,
        Fut: Future<Output = Result<S, E>> + 'static,
    {
        Self {
            store_id,
            loader: Rc::new(move |ctx| Box::pin(loader(ctx))),
            cache_time: None,
        }
    }

    /// Keeps the store this long after its last holder lets go, instead of the registry's
    /// [`default_unused_cache_time`](crate::RegistryConfig::default_unused_cache_time).
    #[must_use]
    pub fn unused_cache_time(mut self, cache_time: impl Into<CacheTime>) -> Self {
        self.cache_time = Some(cache_time.into());
        self
    }

    /// The same options (id and cache time) with another loader: for a store that can be
    /// built another way than its usual load, such as from a snapshot the server rendered.
    ///
    /// The entry these options name does not change: it is named by the id and the store and
    /// error types, never by the loader.
    ///
    /// ```
    /// use registry_core::{LoadContext, StoreOptions};
    ///
    /// let fetch = StoreOptions::new("doc-1".to_string(), |_: LoadContext<String>| async {
    ///     Ok::<_, std::io::Error>(vec!["from the network".to_string()])
    /// });
    /// let from_snapshot = fetch.with_loader(|_: LoadContext<String>| async {
    ///     Ok(vec!["from the snapshot".to_string()])
    /// });
    /// assert_eq!(from_snapshot.store_id(), "doc-1");
    /// ```
    #[must_use]
    pub fn with_loader<F, Fut>(self, loader: F) -> Self
    where
        F: Fn(LoadContext<K>) -> Fut + 'static,
        Fut: Future<Output = Result<S, E>> + 'static,
    {
        Self {
            loader: Rc::new(move |ctx| Box::pin(loader(ctx))),
            ..self
        }
    }

    /// The id of the store these options load.
    pub fn store_id(&self) -> &K {
        &self.store_id
    }
}

impl<K: Clone, S, E> Clone for StoreOptions<K, S, E> {
    fn clone(&self) -> Self {
        Self {
            store_id: self.store_id.clone(),
            loader: Rc::clone(&self.loader),
            cache_time: self.cache_time,
        }
    }
}

impl<K: fmt::Debug, S, E> fmt::Debug for StoreOptions<K, S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field("store_id", &self.store_id)
            .field("cache_time", &self.cache_time)
            .finish_non_exhaustive()
    }
}
