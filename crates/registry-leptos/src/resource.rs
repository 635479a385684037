//! [`use_store`] and [`StoreResource`]: a store as a Suspense resource.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use registry_core::{RegistryError, StoreId, StoreOptions};

#[cfg(target_arch = "wasm32")]
use leptos::prelude::{LocalStorage, StoredValue, WithValue};

/// What a [`StoreResource`] hands out: the store, or why it could not be loaded.
pub(crate) type Outcome<S, E> = Result<Rc<S>, RegistryError<E>>;

/// The store on screen, if any, and whether a load is under way.
type Read<S, E> = (Option<Outcome<S, E>>, bool);

/// A store for a component, from [`use_store`]: read it inside `<Suspense>` by awaiting it in
/// a [`Suspend`](leptos::prelude::Suspend), or with [`get`](Self::get).
///
/// `Copy`, `Send` and `Sync` (it is a handle into Leptos's arena, like a signal), so it can be
/// moved into `Suspend::new(async move { .. })`, event handlers and `ErrorBoundary` fallbacks.
/// It lives as long as the component that called `use_store`.
///
/// - `store.await` (it is [`IntoFuture`], `Send`) resolves to `Result<Rc<S>, RegistryError<E>>`
///   once the store the options name is ready; read inside a `Suspend`, it re-runs the view
///   when the options switch to another store. The future of a loaded store is ready on its
///   first poll, but Leptos 0.8's `Suspend` still spawns a task and waits one tick before it
///   renders, so under `<Suspense>` a switch back to a cached store shows the fallback for one
///   frame (under `<Transition>` the old view stays instead).
/// - [`get`](Self::get) reads it synchronously and reactively: inside `<Suspense>` it suspends
///   while the store loads and renders a cached store in the same tick. **Use `get` where a
///   remount or a navigation back must not flash the fallback** (the demo app does).
/// - [`retry`](Self::retry) drops a cached failure and loads the store again (for an
///   `ErrorBoundary` fallback).
///
/// # Server
///
/// From [`use_store`], on the server a `StoreResource` holds nothing and never resolves: the
/// nearest `<Suspense>` renders its fallback, as for a Leptos `LocalResource`. From
/// [`use_hydrated_store`](crate::use_hydrated_store) inside a render of
/// [`SsrRenderer`](crate::ssr::SsrRenderer), it holds the request's store and resolves once it
/// has loaded. See the crate docs.
pub struct StoreResource<S: 'static, E: 'static> {
    #[cfg(target_arch = "wasm32")]
    source: StoredValue<Rc<dyn crate::client::Source<S, E>>, LocalStorage>,
    /// On the server: the request slot that holds the store, when it loads on the server.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) slot: Option<crate::server::SlotKey>,
    _types: PhantomData<fn() -> Outcome<S, E>>,
}

impl<S: 'static, E: 'static> Clone for StoreResource<S, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: 'static, E: 'static> Copy for StoreResource<S, E> {}

impl<S: 'static, E: 'static> fmt::Debug for StoreResource<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreResource")
            .field("loading", &self.is_loading_untracked())
            .finish_non_exhaustive()
    }
}

/// Uses the store that `options` names, for as long as the calling component lives: the
/// Leptos form of LiveStore's `useStore`.
///
/// `options` is called at once and again whenever a signal it reads changes (a route param, a
/// selected workspace): when it names another store id, the component switches stores.
///
/// - The store is retained for the component and released on its cleanup (unmount) and on
///   every switch; it is then disposed after its cache time unless something else holds it.
/// - On a switch, the store on screen stays retained (and on screen under a `<Transition>`)
///   until the next one is ready; then it is released. Switching back to it before then simply
///   abandons the switch. No load is repeated: loads are the registry's, shared by id.
/// - A store that is already loaded is shown synchronously, with no Suspense fallback, when it
///   is read with [`StoreResource::get`] (a `Suspend` waits one tick, see [`StoreResource`]).
/// - A load that fails reaches the nearest `ErrorBoundary` when the `Result` is rendered
///   (`RegistryError<E>` converts into `leptos::error::Error` when `E: Error + Send + Sync`);
///   [`StoreResource::retry`] loads again.
/// - Unmounting while the store loads releases the hold: if nothing else holds the store, its
///   load is cancelled after the cache time, like any idle entry.
///
/// Only the first options for an entry (its id and store type) count until that store is
/// disposed, unless the registry's cache-time policy is `Longest` (the registry's rule).
///
/// # Panics
///
/// When no ancestor provided a registry with ids of type `K`
/// ([`provide_store_registry`](crate::provide_store_registry) for `String` ids,
/// [`provide_store_registry_of`](crate::provide_store_registry_of) otherwise); the message says
/// what to add.
///
/// # Server
///
/// On the server `options` is never called and nothing is loaded; the returned resource never
/// resolves, so `<Suspense>` renders its fallback, and the store loads in the browser. For a
/// store the server should render, implement [`HydratableStore`](crate::HydratableStore) and
/// call [`use_hydrated_store`](crate::use_hydrated_store) instead (see the crate docs).
///
/// While a server-rendered page hydrates, `use_store` renders that fallback too and looks
/// nothing up until hydration has ended; then it loads the store, or shows the one a
/// [`use_hydrated_store`](crate::use_hydrated_store) of the same entry started from the
/// server's snapshot.
///
/// # Example
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
/// use registry_leptos::{provide_store_registry, use_store, StoreResource};
///
/// struct Todos { items: Vec<String> }
///
/// #[derive(Debug)]
/// struct TodoError;
/// impl std::fmt::Display for TodoError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("offline") }
/// }
/// impl std::error::Error for TodoError {}
///
/// fn workspace_options(id: String) -> StoreOptions<String, Todos, TodoError> {
///     StoreOptions::new(id, |_ctx: LoadContext<String>| async move {
///         Ok(Todos { items: vec!["write docs".to_string()] })
///     })
/// }
///
/// #[component]
/// fn TodoPage(workspace: ReadSignal<String>) -> impl IntoView {
///     let store: StoreResource<Todos, TodoError> =
///         use_store(move || workspace_options(workspace.get()));
///     view! {
///         <Suspense fallback=|| view! { <p>"Loading…"</p> }>
///             <ErrorBoundary fallback=move |_errors| view! {
///                 <button on:click=move |_| { store.retry(); }>"Retry"</button>
///             }>
///                 {move || Suspend::new(async move {
///                     store.await.map(|todos| view! { <p>{todos.items.len()}" todos"</p> })
///                 })}
///             </ErrorBoundary>
///         </Suspense>
///     }
/// }
///
/// #[component]
/// fn App() -> impl IntoView {
///     provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
///     let (workspace, _set_workspace) = signal("ws-1".to_string());
///     view! { <TodoPage workspace/> }
/// }
///
/// // On the server the page renders the Suspense fallback; the browser loads the store.
/// # let owner = Owner::new();
/// # owner.set();
/// #[cfg(not(target_arch = "wasm32"))]
/// assert!(view! { <App/> }.to_html().contains("Loading…"));
/// ```
#[track_caller]
pub fn use_store<K, S, E>(
    options: impl Fn() -> StoreOptions<K, S, E> + 'static,
) -> StoreResource<S, E>
where
    K: StoreId,
    S: 'static,
    E: 'static,
{
    let context = crate::provider::expect_context::<K>("use_store");
    #[cfg(target_arch = "wasm32")]
    {
        let driver = crate::client::Driver::start(
            context,
            options,
            Rc::default(),
            std::panic::Location::caller(),
            true,
        );
        StoreResource::from_source(driver)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        drop((context, options));
        StoreResource::browser_only()
    }
}

impl<S: 'static, E: 'static> StoreResource<S, E> {
    #[cfg(target_arch = "wasm32")]
    fn read(&self, track: bool) -> Read<S, E> {
        self.source
            .try_with_value(|source| source.read(track, track))
            .unwrap_or((None, true))
    }

    /// A resource that never resolves on the server: its Suspense renders the fallback.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn browser_only() -> Self {
        StoreResource {
            slot: None,
            _types: PhantomData,
        }
    }

    /// A resource whose store is held by a request slot on the server.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn on_server(slot: crate::server::SlotKey) -> Self {
        StoreResource {
            slot: Some(slot),
            _types: PhantomData,
        }
    }

    /// A resource whose store is followed by `source` in the browser.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn from_source(source: Rc<dyn crate::client::Source<S, E>>) -> Self {
        StoreResource {
            source: StoredValue::new_local(source),
            _types: PhantomData,
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn read(&self, track: bool) -> Read<S, E> {
        match self.slot {
            Some(slot) => crate::server::read_slot(slot, track),
            None => {
                if track {
                    crate::server::notify_browser_only();
                }
                (None, true)
            }
        }
    }

    /// The store on screen, reactively: `None` until the first store is ready, then
    /// `Some(Ok(store))` or `Some(Err(error))`. During a switch it still returns the previous
    /// store (as a Leptos `Resource` returns its previous value while it reloads); read
    /// [`is_loading`](Self::is_loading) to tell.
    ///
    /// Read inside `<Suspense>` while loading, it makes the Suspense show its fallback until the
    /// load settles (`<Transition>` keeps the previous children instead).
    ///
    /// On the server, from `use_store`: always `None` (and it tells the enclosing Suspense to
    /// render its fallback).
    ///
    /// ```
    /// use leptos::prelude::*;
    /// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
    /// use registry_leptos::{provide_store_registry, use_store};
    ///
    /// struct Counter { start: u32 }
    ///
    /// #[component]
    /// fn Count() -> impl IntoView {
    ///     let store = use_store(|| {
    ///         StoreOptions::new("counter".to_string(), |_: LoadContext<String>| async {
    ///             Ok::<_, std::io::Error>(Counter { start: 7 })
    ///         })
    ///     });
    ///     view! {
    ///         <Suspense fallback=|| "…">
    ///             {move || match store.get() {
    ///                 Some(Ok(counter)) => counter.start.to_string(),
    ///                 Some(Err(error)) => error.to_string(),
    ///                 None => String::new(),
    ///             }}
    ///         </Suspense>
    ///     }
    /// }
    /// # let owner = Owner::new();
    /// # owner.set();
    /// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # assert_eq!(view! { <Count/> }.to_html(), "…");
    /// ```
    pub fn get(&self) -> Option<Result<Rc<S>, RegistryError<E>>> {
        self.read(true).0
    }

    /// Like [`get`](Self::get), without subscribing the current observer or holding a
    /// Suspense.
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
    /// # use registry_leptos::{provide_store_registry, use_store};
    /// # let owner = Owner::new();
    /// # owner.set();
    /// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    /// let store = use_store(|| StoreOptions::new("n".to_string(), |_: LoadContext<String>| async { Ok::<_, std::io::Error>(1_u32) }));
    /// // On the server nothing loads.
    /// #[cfg(not(target_arch = "wasm32"))]
    /// assert!(store.get_untracked().is_none());
    /// ```
    pub fn get_untracked(&self) -> Option<Result<Rc<S>, RegistryError<E>>> {
        self.read(false).0
    }

    /// Whether a load is under way: before the first store is ready, during a switch and during
    /// a [`retry`](Self::retry). Reactive. On the server: `true` until a store that
    /// [`use_hydrated_store`](crate::use_hydrated_store) loads there has loaded (always, from
    /// `use_store`).
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
    /// # use registry_leptos::{provide_store_registry, use_store};
    /// # let owner = Owner::new();
    /// # owner.set();
    /// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    /// let store = use_store(|| StoreOptions::new("n".to_string(), |_: LoadContext<String>| async { Ok::<_, std::io::Error>(1_u32) }));
    /// let spinner = move || store.is_loading().then_some("…");
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # assert_eq!(spinner(), Some("…"));
    /// ```
    pub fn is_loading(&self) -> bool {
        #[cfg(target_arch = "wasm32")]
        {
            self.source
                .try_with_value(|source| source.read(true, false).1)
                .unwrap_or(true)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.read(false).1
        }
    }

    /// Whether a load is under way, for `Debug`: on the server it reads the slot without the
    /// effects of a read in the page (see [`crate::server::read_slot`]).
    fn is_loading_untracked(&self) -> bool {
        #[cfg(target_arch = "wasm32")]
        {
            self.read(false).1
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.slot.is_none_or(crate::server::slot_loading)
        }
    }

    /// Retries a failed store: when the store on screen is a failure, drops the registry's
    /// cached failure ([`invalidate`](registry_core::StoreRegistry::invalidate)) and loads the
    /// store again, with the options that named it. The view suspends (fallback) while it
    /// loads; an `ErrorBoundary` around it clears its error once the result renders `Ok`.
    ///
    /// Returns whether a load started: `false` when the store on screen did not fail, while a
    /// load is under way, after the component unmounted, and always on the server.
    ///
    /// The failure is dropped from the registry for every component that shows it; the others
    /// keep showing their error until they retry too.
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
    /// # use registry_leptos::{provide_store_registry, use_store};
    /// # let owner = Owner::new();
    /// # owner.set();
    /// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    /// let store = use_store(|| StoreOptions::new("n".to_string(), |_: LoadContext<String>| async {
    ///     Err::<u32, _>(std::io::Error::other("offline"))
    /// }));
    /// let view = view! {
    ///     <ErrorBoundary fallback=move |_errors| view! {
    ///         <button on:click=move |_| { store.retry(); }>"Try again"</button>
    ///     }>
    ///         {move || Suspend::new(async move { store.await.map(|n| n.to_string()) })}
    ///     </ErrorBoundary>
    /// };
    /// # let _ = view;
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # assert!(!store.retry());
    /// ```
    pub fn retry(&self) -> bool {
        #[cfg(target_arch = "wasm32")]
        {
            self.source
                .try_with_value(|source| source.retry())
                .unwrap_or(false)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            false
        }
    }

    /// Restarts the store on screen under its holders
    /// ([`StoreRegistry::restart`](registry_core::StoreRegistry::restart)): its current
    /// instance ends (teardown runs, async teardown finishes) and the same entry loads again
    /// with the options it was shown with. Nothing remounts, here or in any other component
    /// that holds the store: under a `<Suspense>` they show the fallback while the new
    /// instance loads, under a `<Transition>` they keep showing the previous children; then
    /// they render the new instance. A store that restarts itself (through
    /// [`LoadContext::restart_handle`](registry_core::LoadContext::restart_handle)) is followed
    /// the same way.
    ///
    /// Returns whether it restarted: `false` while nothing is on screen yet or the component is
    /// switching to another store, after it unmounted, and always on the server.
    ///
    /// [`retry`](Self::retry) stays the way to retry a failure (it drops the cached failure and
    /// loads afresh); `restart` also works on a failure, and on a healthy store.
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
    /// # use registry_leptos::{provide_store_registry, use_store};
    /// # let owner = Owner::new();
    /// # owner.set();
    /// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    /// let socket = use_store(|| StoreOptions::new("doc".to_string(), |_: LoadContext<String>| async {
    ///     Ok::<_, std::io::Error>(42_u32)
    /// }));
    /// let view = view! {
    ///     <button on:click=move |_| { socket.restart(); }>"Reconnect"</button>
    ///     <Transition fallback=|| "Connecting…">
    ///         {move || Suspend::new(async move { socket.await.map(|n| n.to_string()) })}
    ///     </Transition>
    /// };
    /// # let _ = view;
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # assert!(!socket.restart());
    /// ```
    pub fn restart(&self) -> bool {
        #[cfg(target_arch = "wasm32")]
        {
            self.source
                .try_with_value(|source| source.restart())
                .unwrap_or(false)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            false
        }
    }
}

impl<S: 'static, E: 'static> IntoFuture for StoreResource<S, E> {
    type Output = Result<Rc<S>, RegistryError<E>>;
    type IntoFuture = StoreFuture<S, E>;

    fn into_future(self) -> StoreFuture<S, E> {
        StoreFuture { resource: self }
    }
}

/// The future of [`StoreResource`]'s [`IntoFuture`]: resolves to the store on screen once no
/// load is under way. `Send`, so it can be awaited inside
/// [`Suspend::new`](leptos::prelude::Suspend::new).
///
/// Polled inside a reactive observer (as `Suspend` does), it subscribes it: the view re-runs
/// when the component switches to another store or retries.
///
/// On the server, from `use_store`, it never resolves and tells the enclosing `<Suspense>` to
/// render its fallback.
///
/// ```
/// # use leptos::prelude::*;
/// # use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
/// # use registry_leptos::{provide_store_registry, use_store};
/// # let owner = Owner::new();
/// # owner.set();
/// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
/// let store = use_store(|| StoreOptions::new("n".to_string(), |_: LoadContext<String>| async { Ok::<_, std::io::Error>(1_u32) }));
/// let view = move || Suspend::new(async move { store.await.map(|n| n.to_string()) });
/// # let _ = view;
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct StoreFuture<S: 'static, E: 'static> {
    resource: StoreResource<S, E>,
}

impl<S: 'static, E: 'static> fmt::Debug for StoreFuture<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreFuture").finish_non_exhaustive()
    }
}

impl<S: 'static, E: 'static> Future for StoreFuture<S, E> {
    type Output = Result<Rc<S>, RegistryError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        #[cfg(target_arch = "wasm32")]
        {
            self.resource
                .source
                .try_with_value(|source| source.poll_settled(cx))
                .unwrap_or(Poll::Pending)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            match self.resource.slot {
                Some(slot) => crate::server::poll_slot(slot, cx),
                None => crate::server::poll_pending(cx),
            }
        }
    }
}

/// Waits for several stores at once: resolves, once none of them is loading, to a tuple of
/// what each [`StoreResource`] resolves to.
///
/// Awaiting two stores one after the other inside [`Suspend::new`](leptos::prelude::Suspend)
/// does not compile: the first store (an `Rc`) would be held across the second `.await`, and
/// `Suspend` needs a `Send` future. The future of `join_stores` holds no store between polls
/// (it is `Send`), and hands all of them out together. Tuples of two to four stores.
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
/// use registry_leptos::{join_stores, provide_store_registry, use_store};
///
/// struct Todos { items: Vec<String> }
/// struct Members { names: Vec<String> }
///
/// #[component]
/// fn Workspace() -> impl IntoView {
///     let todos = use_store(|| StoreOptions::new("ws-1".to_string(), |_: LoadContext<String>| async {
///         Ok::<_, std::io::Error>(Todos { items: vec!["write docs".to_string()] })
///     }));
///     let members = use_store(|| StoreOptions::new("ws-1".to_string(), |_: LoadContext<String>| async {
///         Ok::<_, std::io::Error>(Members { names: vec!["Ada".to_string()] })
///     }));
///     view! {
///         <Suspense fallback=|| "Loading…">
///             {move || Suspend::new(async move {
///                 let (todos, members) = join_stores((todos, members)).await;
///                 let (todos, members) = (todos?, members?);
///                 Ok::<_, registry_core::RegistryError<std::io::Error>>(view! {
///                     <p>{todos.items.len()}" todos, "{members.names.len()}" members"</p>
///                 })
///             })}
///         </Suspense>
///     }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
/// # let _ = view! { <Workspace/> };
/// ```
pub fn join_stores<T: StoreSet>(stores: T) -> JoinStores<T> {
    JoinStores { stores }
}

/// A tuple of [`StoreResource`]s that [`join_stores`] waits for (two to four).
pub trait StoreSet: Copy + Send + 'static {
    /// What the stores resolve to, in the same order.
    type Output;

    /// All the stores, once none is loading. Holds nothing between polls.
    #[doc(hidden)]
    fn poll_all(&self, cx: &mut Context<'_>) -> Poll<Self::Output>;
}

macro_rules! store_set {
    ($(($s:ident, $e:ident, $field:tt, $value:ident)),+) => {
        impl<$($s: 'static, $e: 'static),+> StoreSet for ($(StoreResource<$s, $e>,)+) {
            type Output = ($(Result<Rc<$s>, RegistryError<$e>>,)+);

            fn poll_all(&self, cx: &mut Context<'_>) -> Poll<Self::Output> {
                // Every one is polled (so that each pending one wakes this task), and what is
                // ready is dropped unless all are: nothing `Rc` is kept between polls.
                let polled = ($(Pin::new(&mut self.$field.into_future()).poll(cx),)+);
                match polled {
                    ($(Poll::Ready($value),)+) => Poll::Ready(($($value,)+)),
                    _ => Poll::Pending,
                }
            }
        }
    };
}

store_set!((S1, E1, 0, s1), (S2, E2, 1, s2));
store_set!((S1, E1, 0, s1), (S2, E2, 1, s2), (S3, E3, 2, s3));
store_set!(
    (S1, E1, 0, s1),
    (S2, E2, 1, s2),
    (S3, E3, 2, s3),
    (S4, E4, 3, s4)
);

/// The future of [`join_stores`]: `Send`, so it can be awaited inside
/// [`Suspend::new`](leptos::prelude::Suspend::new).
#[must_use = "futures do nothing unless awaited"]
pub struct JoinStores<T> {
    stores: T,
}

impl<T> fmt::Debug for JoinStores<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinStores").finish_non_exhaustive()
    }
}

impl<T: StoreSet> Future for JoinStores<T> {
    type Output = T::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T::Output> {
        self.stores.poll_all(cx)
    }
}
