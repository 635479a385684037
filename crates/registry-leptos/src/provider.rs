//! [`provide_store_registry`], [`use_store_registry`] and their forms for other id types: the
//! registry in Leptos context.

use std::marker::PhantomData;

#[cfg(target_arch = "wasm32")]
use leptos::prelude::Notify;
use leptos::prelude::{ArcTrigger, provide_context, use_context};
use registry_core::{StoreId, StoreRegistry};

/// What [`provide_store_registry`] puts into context.
///
/// In the browser it carries the registry (in a `SendWrapper`: Leptos 0.8 context values must
/// be `Send + Sync`, and wasm32 is single-threaded). On the server it carries at most the key
/// of the request whose registry it is: an `Rc` registry must never enter Leptos context there
/// (see the crate docs, "Server-side rendering").
pub(crate) struct RegistryContext<K: 'static> {
    #[cfg(target_arch = "wasm32")]
    registry: send_wrapper::SendWrapper<StoreRegistry<K>>,
    /// Notified when a component drops a cached failure to retry it: every other component
    /// that shows that failure follows the new load.
    pub(crate) retried: ArcTrigger,
    /// Notified when an entry restarts (by any caller, the store itself included): every
    /// component that shows its previous instance follows the new one. In the browser, a
    /// listener of the registry's `Restarted` events only (the others are not even recorded
    /// for it) notifies it; it lives as long as the context.
    pub(crate) restarted: ArcTrigger,
    #[cfg(target_arch = "wasm32")]
    _restarts: send_wrapper::SendWrapper<std::rc::Rc<registry_core::Subscription>>,
    /// On the server: the request whose registry this is, when [`SsrRenderer`] renders it.
    ///
    /// [`SsrRenderer`]: crate::ssr::SsrRenderer
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) request: Option<crate::server::RequestKey>,
    _ids: PhantomData<fn() -> K>,
}

impl<K> Clone for RegistryContext<K> {
    fn clone(&self) -> Self {
        Self {
            #[cfg(target_arch = "wasm32")]
            registry: self.registry.clone(),
            retried: self.retried.clone(),
            restarted: self.restarted.clone(),
            #[cfg(target_arch = "wasm32")]
            _restarts: self._restarts.clone(),
            #[cfg(not(target_arch = "wasm32"))]
            request: self.request,
            _ids: PhantomData,
        }
    }
}

impl<K: StoreId> RegistryContext<K> {
    /// The registry behind this context: the provided one in the browser, the request's on a
    /// server that renders with stores, a disposed stand-in on any other server.
    pub(crate) fn registry(&self) -> StoreRegistry<K> {
        #[cfg(target_arch = "wasm32")]
        {
            StoreRegistry::clone(&self.registry)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.request
                .and_then(|request| crate::server::request_registry(request, |_| {}))
                .unwrap_or_else(crate::server::inert_registry)
        }
    }
}

/// Makes `registry` the store registry of this component and its descendants: the only set-up
/// [`use_store`](crate::use_store) and [`use_store_registry`] need. Call it once at the app
/// root: one registry holds the stores of every type (a component deeper down may provide
/// another one for its subtree).
///
/// Loaders run under the registry's own reactive owner, a child of the owner that called this
/// function, and not under the component that happened to ask for the store first: what a
/// loader creates (signals, effects, cleanups) lives as long as the app, not as long as that
/// component. Their cleanups run when the registry is disposed.
///
/// # Server
///
/// On the server (any native target) `registry` is **dropped** at once: an `Rc` registry in
/// Leptos context (even in a `SendWrapper`) crashes a multi-threaded server when the context is
/// dropped on another worker thread. Inside a render of
/// [`SsrRenderer`](crate::ssr::SsrRenderer), the context names the request's own registry
/// instead (cache time `Infinite`, disposed after the response), which
/// [`use_hydrated_store`](crate::use_hydrated_store) loads through. Elsewhere it names
/// nothing, and stores load in the browser after hydration. See the crate docs, "Server-side
/// rendering".
///
/// # Example
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{RegistryConfig, StoreRegistry};
/// use registry_leptos::{provide_store_registry, use_store_registry};
///
/// #[component]
/// fn App() -> impl IntoView {
///     provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
///     view! { <p>"app"</p> }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # let html = view! { <App/> }.to_html();
/// # assert_eq!(html, "<p>app</p>");
/// ```
pub fn provide_store_registry(registry: StoreRegistry) {
    provide_store_registry_of(registry);
}

/// [`provide_store_registry`] for a registry whose ids are `K` rather than `String`; read it
/// with [`use_store_registry_of`].
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{RegistryConfig, StoreRegistry};
/// use registry_leptos::{provide_store_registry_of, use_store_registry_of};
///
/// # let owner = Owner::new();
/// # owner.set();
/// provide_store_registry_of(StoreRegistry::<u64>::new(RegistryConfig::default()));
/// let registry = use_store_registry_of::<u64>();
/// # let _ = registry;
/// ```
pub fn provide_store_registry_of<K: StoreId>(registry: StoreRegistry<K>) {
    #[cfg(target_arch = "wasm32")]
    let context = {
        load_under_own_owner(&registry);
        let restarted = ArcTrigger::new();
        let notify = restarted.clone();
        let restarts = registry
            .subscribe_to(&[registry_core::RegistryEventKind::Restarted], move |_| {
                notify.notify()
            });
        RegistryContext {
            registry: send_wrapper::SendWrapper::new(registry),
            retried: ArcTrigger::new(),
            restarted,
            _restarts: send_wrapper::SendWrapper::new(std::rc::Rc::new(restarts)),
            _ids: PhantomData,
        }
    };
    #[cfg(not(target_arch = "wasm32"))]
    let context = {
        drop(registry);
        let request = use_context::<crate::server::RequestKey>()
            .or_else(crate::server::current_request)
            .filter(|&request| {
                crate::server::request_registry::<K>(request, load_under_own_owner).is_some()
            });
        if let Some(request) = request {
            provide_context(request);
        }
        RegistryContext::<K> {
            retried: ArcTrigger::new(),
            restarted: ArcTrigger::new(),
            request,
            _ids: PhantomData,
        }
    };
    provide_context(context);
}

/// Runs `registry`'s loaders under an owner of its own, a child of the current one (the
/// provider's): what a loader creates lives as long as the registry, not as long as the
/// component that first asked for the store.
fn load_under_own_owner<K: StoreId>(registry: &StoreRegistry<K>) {
    let owner = leptos::prelude::Owner::current()
        .map(|owner| owner.child())
        .unwrap_or_default();
    registry.set_load_scope(move |load: &mut dyn FnMut()| owner.with(load));
}

/// The context of [`provide_store_registry`], or a panic that says what to add.
#[track_caller]
pub(crate) fn expect_context<K: StoreId>(caller: &str) -> RegistryContext<K> {
    match use_context::<RegistryContext<K>>() {
        Some(context) => context,
        None if std::any::TypeId::of::<K>() == std::any::TypeId::of::<String>() => panic!(
            "{caller}: no StoreRegistry in context. Call \
             `provide_store_registry(StoreRegistry::new(RegistryConfig::default()))` in an \
             ancestor component (usually the app root)."
        ),
        None => panic!(
            "{caller}: no StoreRegistry<{k}> in context. Call \
             `provide_store_registry_of(StoreRegistry::<{k}>::new(RegistryConfig::default()))` \
             in an ancestor component (usually the app root).",
            k = std::any::type_name::<K>(),
        ),
    }
}

/// The registry that [`provide_store_registry`] provided (with `String` ids, the default): for
/// route-level code, link hovers and event handlers that warm the cache with
/// [`preload`](StoreRegistry::preload), and for panels that read
/// [`snapshot`](StoreRegistry::snapshot). For another id type, see [`use_store_registry_of`].
///
/// # Panics
///
/// When no ancestor called [`provide_store_registry`]; the message says what to add.
///
/// # Server
///
/// Inside a render of [`SsrRenderer`](crate::ssr::SsrRenderer) this returns the request's
/// registry. Elsewhere on the server it returns a *disposed* stand-in registry, never the
/// provided one (which was dropped): [`preload`](StoreRegistry::preload) does nothing and
/// resolves at once, [`get_or_load`](StoreRegistry::get_or_load) answers
/// `RegistryError::Disposed`, `retain` gives an inert guard. Nothing is spawned and nothing
/// panics. Route loaders should call [`preload_hydrated_store`](crate::preload_hydrated_store)
/// and [`preload_store`](crate::preload_store) rather than `preload` on this registry: they
/// know which stores load on the server and that nothing must load in the browser while the
/// page hydrates.
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
///     let registry = use_store_registry();
///     let hover_id = id.clone();
///     // Warm the cache when the pointer rests on the link: the click finds the store loaded.
///     let warm = move |_| drop(registry.preload(&workspace_options(hover_id.clone())));
///     view! { <a href=format!("/ws/{id}") on:mouseenter=warm>{id.clone()}</a> }
/// }
///
/// #[component]
/// fn App() -> impl IntoView {
///     provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
///     view! { <WorkspaceLink id="ws-1".to_string()/> }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # assert!(view! { <App/> }.to_html().contains("ws-1"));
/// ```
#[track_caller]
pub fn use_store_registry() -> StoreRegistry {
    use_store_registry_of::<String>()
}

/// [`use_store_registry`] for a registry whose ids are `K` rather than `String`, provided by
/// [`provide_store_registry_of`].
#[track_caller]
pub fn use_store_registry_of<K: StoreId>() -> StoreRegistry<K> {
    expect_context::<K>("use_store_registry").registry()
}
