//! Stores carried from the server to the browser: [`HydratableStore`], [`use_hydrated_store`],
//! and the route loaders [`preload_store`] and [`preload_hydrated_store`].

use registry_core::{LoadContext, StoreId, StoreOptions};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreResource;

/// A store that the server can render and hand to the browser: on the server it is
/// *dehydrated* into a serializable snapshot that goes into the page, and in the browser it is
/// *hydrated* from that snapshot instead of being loaded again.
///
/// Implement it for stores whose visible data fits in a snapshot (the todos of a workspace, a
/// document's text), and read them with [`use_hydrated_store`]. Stores that do not implement
/// it are read with [`use_store`](crate::use_store) and stay in the browser.
///
/// ```
/// use registry_core::LoadContext;
/// use registry_leptos::HydratableStore;
///
/// struct Todos { items: Vec<String> }
///
/// impl HydratableStore for Todos {
///     type Snapshot = Vec<String>;
///
///     fn dehydrate(&self) -> Vec<String> {
///         self.items.clone()
///     }
///
///     fn hydrate(items: Vec<String>, ctx: &LoadContext<String>) -> Self {
///         // Whatever the loader would set up in the browser (a socket, a subscription) starts
///         // here, and its teardown is registered as usual.
///         ctx.on_dispose(|| { /* close the socket */ });
///         Todos { items }
///     }
/// }
/// ```
pub trait HydratableStore<K: StoreId = String>: Sized + 'static {
    /// What the server writes into the page for the browser: the store's visible data.
    ///
    /// It is serialized as JSON inside a `<script>` of the page; Leptos escapes it so that no
    /// value (`</script>`, `<!--`, quotes) can end the script.
    type Snapshot: Serialize + DeserializeOwned + Clone + 'static;

    /// The snapshot of this store, taken on the server once its load has finished.
    fn dehydrate(&self) -> Self::Snapshot;

    /// The store, built in the browser from the server's snapshot instead of running the
    /// options' loader. Called synchronously while the page hydrates, as a loader would be,
    /// with the entry's [`LoadContext`]: teardown registered through it runs when the browser's
    /// registry disposes the store.
    fn hydrate(snapshot: Self::Snapshot, ctx: &LoadContext<K>) -> Self;
}

/// [`use_store`](crate::use_store) for a store that the server renders: the store loads on the
/// server (in the request's registry) and its data is rendered into the HTML, and the browser
/// starts from the server's snapshot with no second load.
///
/// - **On the server**, inside a render of [`SsrRenderer`](crate::ssr::SsrRenderer): the store
///   loads in the request's registry (shared with every other use of the same id in that
///   request, and with route loaders), `<Suspense>` waits for it, and its children render the
///   store. Its [`dehydrate`](HydratableStore::dehydrate)d snapshot is written into the page.
///   Outside such a render it behaves as `use_store`: the Suspense renders its fallback.
/// - **In the browser, while the page hydrates**: the store is built with
///   [`hydrate`](HydratableStore::hydrate) from the snapshot (the options' loader does not
///   run), the entry is ready at once, and the children hydrate the server's HTML. From then
///   on the browser's registry owns it: its cache time, its teardown.
/// - **In the browser after hydration** (client navigation, a later switch of the options):
///   exactly `use_store`.
///
/// The browser finds a snapshot by the entry it names (the id and store types and the id's
/// serialized form, never its `Debug` output), not by the position of the call: components may
/// call `use_hydrated_store` in any order, and several components may use the same store. The
/// page carries one snapshot per entry, however many components read it, taken once.
///
/// **A store that fails on the server** is left to the browser: the browser could not start
/// from a failure, so its `<Suspense>` renders the fallback (marked incomplete, as for a
/// browser-only store), no snapshot is written, and the browser loads the store as `use_store`
/// does. The same happens when a snapshot cannot be taken (`dehydrate` or `Serialize` fails or
/// panics; a warning is logged), and when the id cannot be serialized.
///
/// **A read outside every `<Suspense>`** (`get`, `get_untracked`, `is_loading`) cannot wait
/// for the store on the server, so it renders nothing there. Unless the store had already
/// loaded, the store is then left to the browser for the whole page: no snapshot, so that the
/// browser renders nothing there either while it hydrates, and the Suspense boundaries that
/// read it render their fallback. Read stores under `<Suspense>`.
///
/// **Limits.** A snapshot the browser cannot read (the browser runs another version of the
/// snapshot type than the server) is logged and the store loads in the browser, which Leptos
/// then reports as a hydration mismatch. In Leptos 0.8 a `<Suspense>` nested in another one's
/// children is created twice on the server; when such a nested boundary renders its fallback
/// there (a failure, a browser-only store), the browser cannot match it while hydrating: read
/// the stores of nested components under the outer `<Suspense>` instead of a nested one.
/// `use_store` and `use_hydrated_store` of the same entry may be mixed on a page: while the
/// page hydrates, `use_store` renders the fallback the server rendered for it and looks
/// nothing up until hydration has ended (then it shows the hydrated store). A `preload` called
/// on the registry itself while the page hydrates still starts a load that the snapshot can no
/// longer replace: use [`preload_hydrated_store`] in route code. Every reader of one entry
/// passes the same [`Hydration`] (the first one in the browser decides how the entry starts).
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
/// use registry_leptos::{provide_store_registry, use_hydrated_store, HydratableStore};
///
/// struct Todos { items: Vec<String> }
///
/// impl HydratableStore for Todos {
///     type Snapshot = Vec<String>;
///     fn dehydrate(&self) -> Vec<String> { self.items.clone() }
///     fn hydrate(items: Vec<String>, _ctx: &LoadContext<String>) -> Self { Todos { items } }
/// }
///
/// fn todos(id: String) -> StoreOptions<String, Todos, std::io::Error> {
///     StoreOptions::new(id, |_ctx: LoadContext<String>| async { Ok(Todos { items: vec![] }) })
/// }
///
/// #[component]
/// fn TodoList(id: String) -> impl IntoView {
///     let store = use_hydrated_store(move || todos(id.clone()));
///     view! {
///         <Suspense fallback=|| "Loading…">
///             {move || store.get().map(|todos| todos.map(|todos| view! {
///                 <ul>{todos.items.iter().map(|item| view! { <li>{item.clone()}</li> }).collect_view()}</ul>
///             }))}
///         </Suspense>
///     }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
/// # let _ = view! { <TodoList id="ws-1".to_string()/> };
/// ```
#[track_caller]
pub fn use_hydrated_store<K, S, E>(
    options: impl Fn() -> StoreOptions<K, S, E> + 'static,
) -> StoreResource<S, E>
where
    K: StoreId + Serialize,
    S: HydratableStore<K>,
    E: 'static,
{
    use_hydrated_store_with(options, Hydration::new())
}

/// How a store the server renders travels to the browser, for [`use_hydrated_store_with`]:
/// what its snapshot is, and whether a failure travels too.
///
/// - [`Hydration::new`]: through the store's [`HydratableStore`] impl (a snapshot that
///   differs from the store).
/// - [`Hydration::serialized`]: a store that is plain serializable data is its own snapshot;
///   no trait impl, no wrapper type.
/// - [`render_errors`](Hydration::render_errors): a failure of the store's loader (with a
///   serializable error) is rendered by the server too, and the browser starts from the same
///   failure with no load; [`StoreResource::retry`] then loads. Without it, a store that
///   fails on the server is left to the browser.
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
/// use registry_leptos::{provide_store_registry, use_hydrated_store_with, Hydration};
///
/// #[derive(Clone, serde::Serialize, serde::Deserialize)]
/// struct Profile { name: String }
///
/// #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
/// struct ProfileError(String);
/// impl std::fmt::Display for ProfileError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
/// }
/// impl std::error::Error for ProfileError {}
///
/// fn profile(id: String) -> StoreOptions<String, Profile, ProfileError> {
///     StoreOptions::new(id, |ctx: LoadContext<String>| async move {
///         Ok(Profile { name: ctx.store_id().clone() })
///     })
/// }
///
/// #[component]
/// fn ProfileCard() -> impl IntoView {
///     let profile = use_hydrated_store_with(
///         || profile("ada".to_string()),
///         Hydration::serialized().render_errors(),
///     );
///     view! {
///         <Suspense fallback=|| "Loading…">
///             <ErrorBoundary fallback=move |_| view! {
///                 <button on:click=move |_| { profile.retry(); }>"Retry"</button>
///             }>
///                 {move || profile.get().map(|profile| profile.map(|profile| profile.name.clone()))}
///             </ErrorBoundary>
///         </Suspense>
///     }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
/// # let _ = view! { <ProfileCard/> };
/// ```
pub struct Hydration<K: 'static, S: 'static, E: 'static> {
    /// The store's snapshot as JSON (server).
    #[cfg(not(target_arch = "wasm32"))]
    snapshot: fn(&S) -> serde_json::Result<String>,
    /// What builds the store from its snapshot (browser).
    #[cfg(target_arch = "wasm32")]
    restore: fn(serde_json::Value) -> serde_json::Result<Restore<K, S>>,
    /// A failure of the loader as JSON (server), when failures travel.
    #[cfg(not(target_arch = "wasm32"))]
    error: Option<fn(&E) -> serde_json::Result<String>>,
    /// The failure from its JSON (browser), when failures travel.
    #[cfg(target_arch = "wasm32")]
    error: Option<ReadError<E>>,
    _types: std::marker::PhantomData<fn(K, S, E)>,
}

/// Builds a store from its snapshot, with the entry's context (as often as its loader runs).
#[cfg(target_arch = "wasm32")]
type Restore<K, S> = std::rc::Rc<dyn Fn(&LoadContext<K>) -> S>;

/// Reads the failure the server wrote; what it returns gives it as often as the loader runs.
#[cfg(target_arch = "wasm32")]
type ReadError<E> = fn(serde_json::Value) -> serde_json::Result<std::rc::Rc<dyn Fn() -> E>>;

impl<K, S, E> Clone for Hydration<K, S, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, S, E> Copy for Hydration<K, S, E> {}

impl<K, S, E> std::fmt::Debug for Hydration<K, S, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hydration")
            .field("render_errors", &self.error.is_some())
            .finish_non_exhaustive()
    }
}

impl<K: StoreId, S: HydratableStore<K>, E: 'static> Hydration<K, S, E> {
    /// Through the store's [`HydratableStore`] impl: [`dehydrate`](HydratableStore::dehydrate)
    /// on the server, [`hydrate`](HydratableStore::hydrate) in the browser.
    #[must_use]
    pub fn new() -> Self {
        Self {
            #[cfg(not(target_arch = "wasm32"))]
            snapshot: |store: &S| serde_json::to_string(&store.dehydrate()),
            #[cfg(target_arch = "wasm32")]
            restore: |value| {
                let snapshot: S::Snapshot = serde_json::from_value(value)?;
                Ok(std::rc::Rc::new(move |ctx: &LoadContext<K>| {
                    S::hydrate(snapshot.clone(), ctx)
                }))
            },
            error: None,
            _types: std::marker::PhantomData,
        }
    }
}

impl<K: StoreId, S: HydratableStore<K>, E: 'static> Default for Hydration<K, S, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, S, E> Hydration<K, S, E>
where
    K: StoreId,
    S: Serialize + DeserializeOwned + Clone + 'static,
    E: 'static,
{
    /// A store that is plain serializable data: the store is its own snapshot (serialized on
    /// the server, deserialized in the browser), with no [`HydratableStore`] impl.
    #[must_use]
    pub fn serialized() -> Self {
        Self {
            #[cfg(not(target_arch = "wasm32"))]
            snapshot: |store: &S| serde_json::to_string(store),
            #[cfg(target_arch = "wasm32")]
            restore: |value| {
                let store: S = serde_json::from_value(value)?;
                Ok(std::rc::Rc::new(move |_: &LoadContext<K>| store.clone()))
            },
            error: None,
            _types: std::marker::PhantomData,
        }
    }
}

impl<K, S, E> Hydration<K, S, E>
where
    E: Serialize + DeserializeOwned + Clone + 'static,
{
    /// Failures travel too: when the store's loader fails on the server
    /// (`RegistryError::Load`), the server renders the failure (its `ErrorBoundary` renders
    /// in the HTML) and writes it into the page, and the browser starts from the same failure
    /// with no load. [`StoreResource::retry`] then loads the store in the browser. Other
    /// failures (a panicking loader, a cancelled load) are still left to the browser.
    #[must_use]
    pub fn render_errors(mut self) -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.error = Some(|error: &E| serde_json::to_string(error));
        }
        #[cfg(target_arch = "wasm32")]
        {
            self.error = Some(|value| {
                let error: E = serde_json::from_value(value)?;
                Ok(std::rc::Rc::new(move || error.clone()))
            });
        }
        self
    }
}

/// [`use_hydrated_store`] with another [`Hydration`]: for a store that is plain serializable
/// data ([`Hydration::serialized`]), or whose failures the server renders too
/// ([`Hydration::render_errors`]). Everything [`use_hydrated_store`] says holds.
#[track_caller]
pub fn use_hydrated_store_with<K, S, E>(
    options: impl Fn() -> StoreOptions<K, S, E> + 'static,
    hydration: Hydration<K, S, E>,
) -> StoreResource<S, E>
where
    K: StoreId + Serialize,
    S: 'static,
    E: 'static,
{
    let context = crate::provider::expect_context::<K>("use_hydrated_store");

    #[cfg(target_arch = "wasm32")]
    {
        use std::cell::Cell;
        use std::rc::Rc;

        // The snapshot is looked up (and the store built from it) on the first call of the
        // options only, which `Driver::start` makes now, synchronously, while the page
        // hydrates; `found` tells the driver that the server rendered this store.
        let first = Cell::new(crate::client::hydrating());
        let snapshot_found = Rc::new(Cell::new(false));
        let found = Rc::clone(&snapshot_found);
        let options = move || {
            let options = options();
            if !first.replace(false) {
                return options;
            }
            let Some(key) = snapshot_key::<K, S>(options.store_id()) else {
                return options;
            };
            let unreadable = |error: serde_json::Error| {
                leptos::logging::warn!(
                    "use_hydrated_store: the server's snapshot of {key} could not be read \
                     ({error}); loading the store in the browser"
                );
            };
            match browser::server_snapshot(&key) {
                Some(browser::Carried::Store(value)) => match (hydration.restore)(value) {
                    Ok(restore) => {
                        found.set(true);
                        options.with_loader(move |ctx: LoadContext<K>| {
                            std::future::ready(Ok(restore(&ctx)))
                        })
                    }
                    Err(error) => {
                        unreadable(error);
                        options
                    }
                },
                Some(browser::Carried::Error(value)) => {
                    match hydration.error.map(|read| read(value)) {
                        Some(Ok(error)) => {
                            found.set(true);
                            options.with_loader(move |_: LoadContext<K>| {
                                std::future::ready(Err(error()))
                            })
                        }
                        Some(Err(error)) => {
                            unreadable(error);
                            options
                        }
                        None => options,
                    }
                }
                None => options,
            }
        };
        let driver = crate::client::Driver::start(
            context,
            options,
            snapshot_found,
            std::panic::Location::caller(),
            false,
        );
        StoreResource::from_source(driver)
    }

    #[cfg(not(target_arch = "wasm32"))]
    {
        let Some(request) = context.request else {
            return StoreResource::browser_only();
        };
        let registry = context.registry();
        let options = leptos::prelude::untrack(options);
        let shared = leptos::prelude::Owner::current_shared_context();
        let writer = match (shared, snapshot_key::<K, S>(options.store_id())) {
            (Some(shared), Some(key)) => {
                let key: std::rc::Rc<str> = key.into();
                // One snapshot per entry and request, whichever call comes first.
                crate::server::promise_snapshot(request, &key, |id| {
                    let (sender, receiver) = futures::channel::oneshot::channel::<String>();
                    shared.write_async(
                        hydration_context::SerializedDataId::new(id),
                        Box::pin(async move {
                            // No snapshot (the store is left to the browser): `null`.
                            receiver.await.unwrap_or_else(|_| "null".to_string())
                        }),
                    );
                    sender
                });
                Some(crate::server::SnapshotWriter {
                    key,
                    encode: std::rc::Rc::new(
                        move |key: &str, outcome: &crate::resource::Outcome<S, E>| {
                            encode_snapshot(&hydration, key, outcome)
                        },
                    ),
                })
            }
            // No page to write into, or an id that cannot be serialized: rendered as
            // `use_store` would render it without the snapshot's help.
            (Some(_), None) => return StoreResource::browser_only(),
            (None, _) => None,
        };
        match crate::server::start_slot(request, &registry, &options, writer) {
            Some(slot) => StoreResource::on_server(slot),
            None => StoreResource::browser_only(),
        }
    }
}

/// What names a snapshot in the page: the id and store types and the id's serialized form,
/// so that the browser finds the snapshot of the entry it hydrates, wherever the server wrote
/// it. The id's serialized form is what the app chose to publish (its `Debug` may print
/// secrets, or leave out what tells two ids apart). The error type is left out: the server and
/// the browser may fail differently. `None` when the id cannot be serialized.
fn snapshot_key<K: StoreId + Serialize, S: 'static>(id: &K) -> Option<String> {
    let id = serde_json::to_string(id)
        .map_err(|error| {
            leptos::logging::warn!(
                "use_hydrated_store: a store id of type {} could not be serialized ({error}); \
                 the store is left to the browser",
                std::any::type_name::<K>()
            );
        })
        .ok()?;
    Some(format!("{}|{id}", std::any::type_name::<(K, S)>()))
}

/// The field that opens every snapshot the page carries, and names its entry. A snapshot is
/// `{"registry_leptos::store": key, "snapshot": ...}`, or for a failure that travels
/// `{"registry_leptos::store": key, "error": ...}`.
const KEY_FIELD: &str = "registry_leptos::store";

/// The JSON the server writes for a store: its key and its snapshot (or its failure, when
/// failures travel). `None` when the browser cannot start from it (the load failed, or the
/// snapshot cannot be serialized).
#[cfg(not(target_arch = "wasm32"))]
fn encode_snapshot<K, S, E>(
    hydration: &Hydration<K, S, E>,
    key: &str,
    outcome: &crate::resource::Outcome<S, E>,
) -> Option<String> {
    let (field, json) = match outcome {
        Ok(store) => ("snapshot", (hydration.snapshot)(store)),
        Err(registry_core::RegistryError::Load(error)) => ("error", (hydration.error?)(error)),
        Err(_) => return None,
    };
    let json = json
        .map_err(|error| {
            leptos::logging::warn!(
                "use_hydrated_store: the {field} of {key} could not be serialized ({error}); \
                 the server renders its fallback and the browser loads it"
            );
        })
        .ok()?;
    let key = serde_json::to_string(key).ok()?;
    Some(format!("{{\"{KEY_FIELD}\":{key},\"{field}\":{json}}}"))
}

/// The browser's side: the snapshots the server wrote into the page, by key.
#[cfg(target_arch = "wasm32")]
mod browser {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use wasm_bindgen::{JsCast, JsValue};

    use super::KEY_FIELD;

    /// What the server wrote for one entry.
    #[derive(Clone)]
    pub(super) enum Carried {
        /// The store's snapshot.
        Store(serde_json::Value),
        /// The failure of its loader ([`Hydration::render_errors`](super::Hydration::render_errors)).
        Error(serde_json::Value),
    }

    thread_local! {
        /// The page's snapshots, read on the first lookup. The page has them all by then: it
        /// hydrates from a module script, which runs once the whole (streamed) document has
        /// been parsed, after the scripts that carry them.
        static SNAPSHOTS: RefCell<Option<HashMap<String, Carried>>> = const { RefCell::new(None) };
    }

    /// The snapshots among Leptos's serialized data (`__RESOLVED_RESOURCES`).
    fn read_page() -> HashMap<String, Carried> {
        let prefix = format!("{{\"{KEY_FIELD}\":");
        let mut snapshots = HashMap::new();
        let Ok(data) = js_sys::Reflect::get(
            &js_sys::global(),
            &JsValue::from_str("__RESOLVED_RESOURCES"),
        ) else {
            return snapshots;
        };
        let Some(data) = data.dyn_ref::<js_sys::Object>() else {
            return snapshots;
        };
        for key in js_sys::Object::keys(data).iter() {
            let Some(json) = js_sys::Reflect::get(data, &key)
                .ok()
                .and_then(|value| value.as_string())
            else {
                continue;
            };
            if !json.starts_with(&prefix) {
                continue;
            }
            let Ok(mut envelope) =
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&json)
            else {
                continue;
            };
            let Some(serde_json::Value::String(store)) = envelope.remove(KEY_FIELD) else {
                continue;
            };
            let carried = match (envelope.remove("snapshot"), envelope.remove("error")) {
                (Some(snapshot), _) => Carried::Store(snapshot),
                (None, Some(error)) => Carried::Error(error),
                (None, None) => continue,
            };
            snapshots.insert(store, carried);
        }
        snapshots
    }

    /// What the server wrote for `key`, if the page has it.
    pub(super) fn server_snapshot(key: &str) -> Option<Carried> {
        SNAPSHOTS
            .with_borrow_mut(|snapshots| snapshots.get_or_insert_with(read_page).get(key).cloned())
    }
}

/// A route loader for a store that stays in the browser: starts loading the store `options`
/// name, so that it is loading (or loaded) before the component that uses it mounts.
///
/// Call it in route components (the component of a `<Route>` or `<ParentRoute>`), on every
/// navigation: reading the route's params in a closure, or directly in the component body.
/// It does nothing on the server (the store is read with [`use_store`](crate::use_store) and
/// the server renders the fallback) and while the page hydrates (the components mount in the
/// same tick).
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
/// use registry_leptos::{preload_store, provide_store_registry};
///
/// fn chat(id: String) -> StoreOptions<String, Vec<String>, std::io::Error> {
///     StoreOptions::new(id, |_ctx: LoadContext<String>| async { Ok(vec![]) })
/// }
///
/// #[component]
/// fn ChatRoute() -> impl IntoView {
///     // With leptos_router: `let id = use_params_map().read().get("id")`.
///     preload_store(&chat("general".to_string()));
///     view! { <p>"chat"</p> }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
/// # let _ = view! { <ChatRoute/> };
/// ```
#[track_caller]
pub fn preload_store<K, S, E>(options: &StoreOptions<K, S, E>)
where
    K: StoreId,
    S: 'static,
    E: 'static,
{
    let context = crate::provider::expect_context::<K>("preload_store");
    #[cfg(target_arch = "wasm32")]
    if !crate::client::hydrating() {
        drop(context.registry().preload(options));
    }
    #[cfg(not(target_arch = "wasm32"))]
    drop((context, options));
}

/// A route loader for a store that the server renders ([`use_hydrated_store`]): starts loading
/// it so that the stores of one page load at the same time, not one after the other as nested
/// `<Suspense>` boundaries would reach them.
///
/// - On the server, inside a render of [`SsrRenderer`](crate::ssr::SsrRenderer), it loads the
///   store in the request's registry; the components that use it later join that load.
/// - In the browser it does nothing while the page hydrates (the store comes from the server's
///   snapshot, and loading it here would load it twice), and preloads on every later
///   navigation.
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
/// use registry_leptos::{preload_hydrated_store, provide_store_registry, HydratableStore};
///
/// #[derive(Clone)]
/// struct Profile { name: String }
///
/// impl HydratableStore for Profile {
///     type Snapshot = String;
///     fn dehydrate(&self) -> String { self.name.clone() }
///     fn hydrate(name: String, _ctx: &LoadContext<String>) -> Self { Profile { name } }
/// }
///
/// fn profile(id: String) -> StoreOptions<String, Profile, std::io::Error> {
///     StoreOptions::new(id, |ctx: LoadContext<String>| async move {
///         Ok(Profile { name: ctx.store_id().clone() })
///     })
/// }
///
/// #[component]
/// fn ProfileRoute() -> impl IntoView {
///     preload_hydrated_store(&profile("ada".to_string()));
///     view! { <p>"profile"</p> }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
/// # let _ = view! { <ProfileRoute/> };
/// ```
#[track_caller]
pub fn preload_hydrated_store<K, S, E>(options: &StoreOptions<K, S, E>)
where
    K: StoreId,
    S: 'static,
    E: 'static,
{
    let context = crate::provider::expect_context::<K>("preload_hydrated_store");
    #[cfg(target_arch = "wasm32")]
    if !crate::client::hydrating() {
        drop(context.registry().preload(options));
    }
    #[cfg(not(target_arch = "wasm32"))]
    if context.request.is_some() {
        drop(context.registry().preload(options));
    }
}
