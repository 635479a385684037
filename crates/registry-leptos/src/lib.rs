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
//!     // One registry per app, for every store type (on the server it is dropped: see below).
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
//! - Leptos 0.8's `Suspend` always waits one tick, even for a ready future: under
//!   `<Suspense>`, a remount or a navigation back to a cached store flashes the fallback for a
//!   frame when the store is awaited in a `Suspend`. Read it with [`StoreResource::get`]
//!   (`{move || store.get().map(|result| result.map(|todos| view! { .. }))}`) for a synchronous
//!   render, or keep the `Suspend` under `<Transition>` as above.
//!
//! # Server-side rendering
//!
//! Client or server is decided by the target: wasm32 is the browser, every native target is
//! the server. The crate has no `ssr`/`hydrate` features of its own; the app enables Leptos's.
//!
//! Stores are `Rc` and load in the browser only (as a Leptos `LocalResource` does). On the
//! server:
//!
//! - [`provide_store_registry`] drops the registry at once and puts only a marker into context:
//!   an `Rc` registry in Leptos context (even in a `SendWrapper`) crashes a multi-threaded
//!   server when the context is dropped on another worker thread.
//! - [`use_store`] never calls the options and loads nothing; its [`StoreResource`] never
//!   resolves. Awaited in a `Suspend` (or read with [`get`](StoreResource::get)) inside
//!   `<Suspense>`/`<Transition>`, it tells the Suspense (as a `LocalResource` does) that it
//!   reads a browser-only value, so **the server renders the Suspense's fallback** (in every
//!   SSR mode, without waiting) and marks that chunk as incomplete. Outside any Suspense a
//!   `Suspend` that awaits it renders nothing.
//! - [`use_store_registry`] returns a disposed stand-in registry: `preload` does nothing.
//! - Nothing creates a `SendWrapper`, calls `spawn_local`, or panics (except a missing
//!   provider, on both sides).
//!
//! In the browser, hydration starts from that same fallback (the chunk is marked incomplete,
//! and a store that happens to be loaded already still waits one tick while hydrating), so
//! there is no hydration mismatch; the store then loads and the children replace the fallback.
//! The registry's default cache time is `Infinite` on native targets and 60 s in the browser
//! ([`RegistryConfig::default`](registry_core::RegistryConfig)).
//!
//! To render a store's data into the server's HTML, compute a `Send` snapshot of it with a
//! normal Leptos `Resource` on the server and boot the browser store from it; this crate does
//! not do that for you yet.
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
mod server;
#[cfg(all(feature = "ssr", not(target_arch = "wasm32")))]
#[cfg_attr(docsrs, doc(cfg(feature = "ssr")))]
pub mod ssr;

pub use hydrate::{HydratableStore, preload_hydrated_store, preload_store, use_hydrated_store};
#[cfg(feature = "inspector")]
#[cfg_attr(docsrs, doc(cfg(feature = "inspector")))]
pub use inspector::RegistryInspector;
pub use provider::{
    provide_store_registry, provide_store_registry_of, use_store_registry, use_store_registry_of,
};
pub use registry_core;
pub use resource::{StoreFuture, StoreResource, use_store};
