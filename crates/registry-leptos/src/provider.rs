//! [`provide_store_registry`] and [`use_store_registry`]: the registry in Leptos context.

use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;

use leptos::prelude::{provide_context, use_context};
use registry_core::StoreRegistry;

/// Names the registry's type parameters without owning any value of them.
type Marker<K, S, E> = PhantomData<fn() -> (K, S, E)>;

/// What [`provide_store_registry`] puts into context.
///
/// In the browser it carries the registry (in a `SendWrapper`: Leptos 0.8 context values must
/// be `Send + Sync`, and wasm32 is single-threaded). On the server it carries nothing: an `Rc`
/// registry must never enter Leptos context there (see the crate docs, "Server-side rendering").
pub(crate) struct RegistryContext<K: 'static, S: 'static, E: 'static> {
    #[cfg(target_arch = "wasm32")]
    registry: send_wrapper::SendWrapper<StoreRegistry<K, S, E>>,
    _types: Marker<K, S, E>,
}

impl<K, S, E> Clone for RegistryContext<K, S, E> {
    fn clone(&self) -> Self {
        Self {
            #[cfg(target_arch = "wasm32")]
            registry: self.registry.clone(),
            _types: PhantomData,
        }
    }
}

impl<K, S, E> RegistryContext<K, S, E>
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
    S: 'static,
    E: 'static,
{
    /// The registry behind this context: the provided one in the browser, a disposed stand-in
    /// on the server.
    pub(crate) fn registry(&self) -> StoreRegistry<K, S, E> {
        #[cfg(target_arch = "wasm32")]
        {
            StoreRegistry::clone(&self.registry)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            crate::server::inert_registry()
        }
    }
}

/// Makes `registry` the store registry of this component and its descendants: the only set-up
/// [`use_store`](crate::use_store) and [`use_store_registry`] need. Call it once at the app
/// root (one registry per app; a component deeper down may provide another one for its
/// subtree, or one per store type).
///
/// The context is keyed by the registry's type `StoreRegistry<K, S, E>`: provide one registry
/// for each store type the app uses.
///
/// # Server
///
/// On the server (any native target) the registry is **dropped** at once and only a marker
/// goes into context: the notes on Leptos 0.8 SSR found that an `Rc` registry in context (even
/// in a `SendWrapper`) crashes a multi-threaded server. Stores load in the browser after
/// hydration; see the crate docs, "Server-side rendering".
///
/// # Example
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{RegistryConfig, StoreRegistry};
/// use registry_leptos::{provide_store_registry, use_store_registry};
///
/// struct Todos;
///
/// #[component]
/// fn App() -> impl IntoView {
///     provide_store_registry(StoreRegistry::<String, Todos, std::io::Error>::new(
///         RegistryConfig::default(),
///     ));
///     view! { <p>"app"</p> }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # let html = view! { <App/> }.to_html();
/// # assert_eq!(html, "<p>app</p>");
/// ```
pub fn provide_store_registry<K, S, E>(registry: StoreRegistry<K, S, E>)
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
    S: 'static,
    E: 'static,
{
    #[cfg(target_arch = "wasm32")]
    let context = RegistryContext {
        registry: send_wrapper::SendWrapper::new(registry),
        _types: PhantomData,
    };
    #[cfg(not(target_arch = "wasm32"))]
    let context = {
        drop(registry);
        RegistryContext::<K, S, E> {
            _types: PhantomData,
        }
    };
    provide_context(context);
}

/// The context of [`provide_store_registry`], or a panic that says what to add.
#[track_caller]
pub(crate) fn expect_context<K, S, E>(caller: &str) -> RegistryContext<K, S, E>
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
    S: 'static,
    E: 'static,
{
    match use_context::<RegistryContext<K, S, E>>() {
        Some(context) => context,
        None => panic!(
            "{caller}: no StoreRegistry<{k}, {s}, {e}> in context. Call \
             `provide_store_registry(StoreRegistry::<{k}, {s}, {e}>::new(RegistryConfig::default()))` \
             in an ancestor component (usually the app root) before using stores of this type.",
            k = std::any::type_name::<K>(),
            s = std::any::type_name::<S>(),
            e = std::any::type_name::<E>(),
        ),
    }
}

/// The registry that [`provide_store_registry`] provided for stores of type `S` (ids `K`,
/// errors `E`): for route-level code, link hovers and event handlers that warm the cache with
/// [`preload`](StoreRegistry::preload) or read it without suspending.
///
/// # Panics
///
/// When no ancestor called [`provide_store_registry`] with a registry of this type; the message
/// says what to add.
///
/// # Server
///
/// On the server this returns a *disposed* stand-in registry, never the provided one (which was
/// dropped): [`preload`](StoreRegistry::preload) does nothing and resolves at once,
/// [`get_or_load`](StoreRegistry::get_or_load) answers `RegistryError::Disposed`, `retain`
/// gives an inert guard. Nothing is spawned and nothing panics.
///
/// # Example
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
/// use registry_leptos::{provide_store_registry, use_store_registry};
///
/// struct Todos { workspace: String }
///
/// fn workspace_options(id: String) -> StoreOptions<String, Todos, std::io::Error> {
///     StoreOptions::new(id, |ctx: LoadContext<String>| async move {
///         Ok(Todos { workspace: ctx.store_id().clone() })
///     })
/// }
///
/// #[component]
/// fn WorkspaceLink(id: String) -> impl IntoView {
///     let registry = use_store_registry::<String, Todos, std::io::Error>();
///     let hover_id = id.clone();
///     // Warm the cache when the pointer rests on the link: the click finds the store loaded.
///     let warm = move |_| drop(registry.preload(&workspace_options(hover_id.clone())));
///     view! { <a href=format!("/ws/{id}") on:mouseenter=warm>{id.clone()}</a> }
/// }
///
/// #[component]
/// fn App() -> impl IntoView {
///     provide_store_registry(StoreRegistry::<String, Todos, std::io::Error>::new(
///         RegistryConfig::default(),
///     ));
///     view! { <WorkspaceLink id="ws-1".to_string()/> }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # assert!(view! { <App/> }.to_html().contains("ws-1"));
/// ```
#[track_caller]
pub fn use_store_registry<K, S, E>() -> StoreRegistry<K, S, E>
where
    K: Eq + Hash + Clone + fmt::Debug + 'static,
    S: 'static,
    E: 'static,
{
    expect_context::<K, S, E>("use_store_registry").registry()
}
