//! Leptos 0.8 bindings for [`registry_core`]: stores loaded by id, shared, kept while a
//! component uses them, and read through `<Suspense>`.
//!
//! - [`provide_store_registry`] at the app root: the only set-up. One registry holds the
//!   stores of every type the app uses (an entry is named by its id and its store type).
//! - [`use_store`] in a component: a [`StoreResource`] that retains the store the options name
//!   while the component lives, switches stores when the options change, and is awaited inside
//!   `Suspend` (or read with [`StoreResource::get`]) under `<Suspense>` and `<ErrorBoundary>`.
//! - [`use_store_registry`] in route code, link hovers and event handlers:
//!   [`preload`](registry_core::StoreRegistry::preload) warms the cache without suspending.
//! - [`provide_store_registry_of`] and [`use_store_registry_of`]: the same for ids of another
//!   type than `String`.
//! - [`use_hydrated_store`], [`HydratableStore`], [`use_hydrated_store_with`] and
//!   [`Hydration`], [`preload_hydrated_store`], [`preload_store`] and [`ssr::SsrRenderer`]:
//!   stores rendered by the server and carried to the browser (see "Server-side rendering"
//!   below).
//! - [`join_stores`]: several stores read in one `Suspend`.
//!
//! ```
//! use leptos::prelude::*;
//! use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
//! use registry_leptos::{provide_store_registry, use_store, use_store_registry, StoreResource};
//!
//! struct Todos { items: Vec<String> }
//!
//! #[derive(Debug)]
//! struct TodoError(String);
//! impl std::fmt::Display for TodoError {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
//! }
//! impl std::error::Error for TodoError {}
//!
//! fn workspace_options(id: String) -> StoreOptions<String, Todos, TodoError> {
//!     StoreOptions::new(id, |ctx: LoadContext<String>| async move {
//!         ctx.on_dispose(|| { /* close the socket */ });
//!         Ok(Todos { items: vec![format!("first todo of {}", ctx.store_id())] })
//!     })
//! }
//!
//! #[component]
//! fn App() -> impl IntoView {
//!     // One registry per app, for every store type (on the server, see below).
//!     provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
//!     let (workspace, set_workspace) = signal("ws-1".to_string());
//!     // Warm the cache of the next workspace without suspending.
//!     let registry = use_store_registry();
//!     drop(registry.preload(&workspace_options("ws-2".to_string())));
//!
//!     // The options read a signal: changing it switches stores.
//!     let store: StoreResource<Todos, TodoError> = use_store(move || workspace_options(workspace.get()));
//!     view! {
//!         <button on:click=move |_| set_workspace.set("ws-2".to_string())>"Next"</button>
//!         <Transition fallback=|| view! { <p>"Loading…"</p> }>
//!             <ErrorBoundary fallback=move |errors| view! {
//!                 <p>{move || format!("{} error(s)", errors.get().into_iter().count())}</p>
//!                 <button on:click=move |_| { store.retry(); }>"Retry"</button>
//!             }>
//!                 {move || Suspend::new(async move {
//!                     store.await.map(|todos| view! { <ul>{todos.items.iter().map(|t| view! { <li>{t.clone()}</li> }).collect_view()}</ul> })
//!                 })}
//!             </ErrorBoundary>
//!         </Transition>
//!     }
//! }
//!
//! // On a native target this is the server path: the Suspense renders its fallback.
//! let owner = Owner::new();
//! owner.set();
//! #[cfg(not(target_arch = "wasm32"))]
//! assert!(view! { <App/> }.to_html().contains("<p>Loading…</p>"));
//! ```
//!
//! # Shaped by Leptos 0.8
//!
//! - `Suspend::new` needs a `Send` future, and Leptos context needs `Send + Sync` values, while
//!   stores are `Rc`. So [`StoreResource`] is an arena handle (`Copy + Send + Sync`, like a
//!   signal) whose `IntoFuture` is `Send` and *resolves* to
//!   `Result<Rc<S>, RegistryError<E>>`; the `Rc` never crosses an `.await` point. Use the store
//!   inside the `map` after the `.await`, as above.
//! - `RegistryError<E>` needs no wrapper for `ErrorBoundary`: it implements
//!   `std::error::Error`, so with `E: Error + Send + Sync + 'static` it converts into
//!   `leptos::error::Error` through Leptos's blanket `From`.
//! - A retry is [`StoreResource::retry`] (invalidate + reload), called from the fallback.
//! - A restart is [`StoreResource::restart`]: the store on screen is replaced under every
//!   component that holds it (registry-core's `StoreRegistry::restart`), none remounts; under
//!   `<Transition>` they keep the previous children while the new instance loads, under
//!   `<Suspense>` they show the fallback. A store that restarts itself (through
//!   `LoadContext::restart_handle`) is followed the same way.
//! - Why is a store alive: [`RegistryInspector`] (feature `inspector`) shows every entry's
//!   reason in words, its generation and, with the feature `provenance`, the `file:line` of
//!   each component that holds it (`use_store` and `use_hydrated_store` are
//!   `#[track_caller]`). A debugging aid: off, it costs nothing.
//! - Leptos 0.8's `Suspend` always waits one tick, even for a ready future: under
//!   `<Suspense>`, a remount or a navigation back to a cached store flashes the fallback for a
//!   frame when the store is awaited in a `Suspend`. Read it with [`StoreResource::get`]
//!   (`{move || store.get().map(|result| result.map(|todos| view! { .. }))}`) for a synchronous
//!   render, or keep the `Suspend` under `<Transition>` as above.
//!
//! # Server-side rendering
//!
//! Client or server is decided by the target: wasm32 is the browser, every native target is
//! the server. The crate's `ssr` feature adds [`ssr::SsrRenderer`] for `leptos_axum`; the app
//! enables Leptos's own `ssr`/`hydrate` features as usual.
//!
//! **Stores the server renders** implement [`HydratableStore`] (a serializable snapshot of
//! the store, `dehydrate` on the server, `hydrate` in the browser) and are read with
//! [`use_hydrated_store`]:
//!
//! - [`ssr::SsrRenderer`] renders each request on one pinned thread with a registry of its
//!   own (cache time `Infinite`: nothing is disposed while the page renders), disposed with
//!   its teardown once the response has been sent. [`provide_store_registry`] at the app root
//!   finds it by itself.
//! - On the server the store loads in that registry, `<Suspense>` waits for it, its children
//!   render its data into the HTML, and its snapshot is written into the page (Leptos escapes
//!   it: data cannot end the `<script>`).
//! - In the browser, while the page hydrates, the store is built from the snapshot (its loader
//!   does not run), the entry is ready at once, and the server's HTML is kept. From then on it
//!   is the browser registry's: its cache time, its teardown. After hydration
//!   `use_hydrated_store` is `use_store`.
//! - The page carries one snapshot per entry, named by the id and store types and the id's
//!   serialized form (the ids of hydrated stores are `Serialize`; their `Debug` output never
//!   reaches the page).
//! - A store that fails on the server is left to the browser: its `<Suspense>` renders the
//!   fallback, and the browser loads it; with [`Hydration::render_errors`] the failure is
//!   rendered and carried instead. So is a store whose snapshot cannot be taken (`dehydrate`
//!   or `Serialize` fails or panics), and one read outside every `<Suspense>` before it loaded.
//!   [`use_hydrated_store`] says what else to know.
//! - A store that is plain serializable data needs no [`HydratableStore`] impl:
//!   [`use_hydrated_store_with`] with [`Hydration::serialized`].
//! - Requests are bounded: [`ssr::SsrRenderer::deadline`] leaves the stores that have not
//!   loaded in time to the browser and ends the page;
//!   [`ssr::SsrRenderer::max_renders_per_thread`] answers `503` beyond it.
//!
//! **Stores that stay in the browser** are read with [`use_store`]. On the server it loads
//! nothing: its `<Suspense>` renders the fallback (as for a Leptos `LocalResource`, in every
//! SSR mode, without waiting) and marks the chunk incomplete, so that hydration starts from
//! that fallback; the store then loads in the browser and replaces it. No hydration mismatch.
//!
//! **Route loaders.** A route's component calls [`preload_hydrated_store`] (and
//! [`preload_store`] for browser-only stores) for the stores its page needs. On the server
//! the stores of one page then load at the same time instead of one nested `<Suspense>`
//! after another; in the browser they start loading on navigation, before the components that
//! use them mount (and not while the page hydrates, where the snapshots serve). With
//! `leptos_router`:
//!
//! ```
//! use leptos::prelude::*;
//! # use registry_core::{LoadContext, StoreOptions};
//! # use registry_leptos::{preload_hydrated_store, use_hydrated_store, HydratableStore};
//! # struct Todos { items: Vec<String> }
//! # impl HydratableStore for Todos {
//! #     type Snapshot = Vec<String>;
//! #     fn dehydrate(&self) -> Vec<String> { self.items.clone() }
//! #     fn hydrate(items: Vec<String>, _: &LoadContext<String>) -> Self { Todos { items } }
//! # }
//! # type Members = Todos;
//! # fn todos(id: String) -> StoreOptions<String, Todos, std::io::Error> {
//! #     StoreOptions::new(id, |_: LoadContext<String>| async { Ok(Todos { items: vec![] }) })
//! # }
//! # fn members(id: String) -> StoreOptions<String, Members, std::io::Error> { todos(id) }
//! # #[derive(Clone, Default, PartialEq)] struct ParamsMap;
//! # impl ParamsMap { fn get(&self, _: &str) -> Option<String> { Some("ws-1".into()) } }
//! # fn use_params_map() -> Memo<ParamsMap> { Memo::new(|_| ParamsMap) }
//! // `use_params_map` is leptos_router's (`leptos_router::hooks::use_params_map`).
//!
//! /// The component of `<ParentRoute path=path!("/ws/:id") view=WorkspaceRoute>`.
//! #[component]
//! fn WorkspaceRoute() -> impl IntoView {
//!     let params = use_params_map();
//!     let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
//!     let preload = |id: String| {
//!         preload_hydrated_store(&todos(id.clone()));
//!         preload_hydrated_store(&members(id));
//!     };
//!     preload(id.get_untracked());
//!     // Navigating from one workspace to another keeps this component: preload again.
//!     Effect::watch(move || id.get(), move |id, _, _| preload(id.clone()), false);
//!     view! { /* the page's layout, with <Outlet/> */ }
//! }
//! ```
//!
//! **SSR modes.** `Async` renders the whole page before sending it, `InOrder` streams it and
//! waits at each `<Suspense>`: both put the stores' data inline, readable without
//! JavaScript. `OutOfOrder` and `PartiallyBlocked` stream the fallbacks first and the data
//! later in the same response, swapped in by a script. All four hydrate with no second load.
//!
//! **Why a pinned thread.** Leptos 0.8 needs `Send` for context, resources and `Suspend`,
//! and moves them between a multi-threaded server's threads; stores are `Rc`. The renderer
//! keeps each request's registry in a thread-local map on the thread that renders it, and
//! only `Copy + Send` keys enter Leptos: nothing is put in a `SendWrapper`, and nothing calls
//! `spawn_local` outside that thread. Without the renderer (`leptos_axum`'s own handlers,
//! or no `ssr` feature), [`use_hydrated_store`] behaves as [`use_store`] does on the server,
//! and [`use_store_registry`] returns a disposed stand-in: nothing loads there.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(target_arch = "wasm32")]
mod client;
mod hydrate;
#[cfg(feature = "inspector")]
mod inspector;
mod provider;
mod resource;
#[cfg(not(target_arch = "wasm32"))]
#[cfg_attr(
    all(not(target_arch = "wasm32"), not(feature = "ssr")),
    allow(
        dead_code,
        reason = "the request scope serves `SsrRenderer` (feature `ssr`)"
    )
)]
mod server;
#[cfg(all(feature = "ssr", not(target_arch = "wasm32")))]
#[cfg_attr(docsrs, doc(cfg(feature = "ssr")))]
pub mod ssr;

pub use hydrate::{
    HydratableStore, Hydration, preload_hydrated_store, preload_store, use_hydrated_store,
    use_hydrated_store_with,
};
#[cfg(feature = "inspector")]
#[cfg_attr(docsrs, doc(cfg(feature = "inspector")))]
pub use inspector::RegistryInspector;
pub use provider::{
    provide_store_registry, provide_store_registry_of, use_store_registry, use_store_registry_of,
};
pub use registry_core;
pub use resource::{JoinStores, StoreFuture, StoreResource, StoreSet, join_stores, use_store};
