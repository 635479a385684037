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
/// the stores of nested components under the outer `<Suspense>` instead of a nested one. Read
/// a store with the same hook everywhere on a page: a `use_store` (or a `preload` on the
/// registry) of the same entry earlier on the page starts a load in the browser that the
/// snapshot can no longer replace.
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
            let snapshot = snapshot_key::<K, S>(options.store_id())
                .and_then(|key| browser::server_snapshot::<S::Snapshot>(&key));
            match snapshot {
                Some(snapshot) => {
                    found.set(true);
                    options.with_loader(move |ctx: LoadContext<K>| {
                        let store = S::hydrate(snapshot.clone(), &ctx);
                        std::future::ready(Ok(store))
                    })
                }
                None => options,
            }
        };
        let driver = crate::client::Driver::start(
            context.registry(),
            context.retried,
            options,
            snapshot_found,
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
                    encode: encode_snapshot::<K, S, E>,
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

/// A snapshot as the page carries it. Its first field marks it among the page's serialized
/// data.
#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope<T> {
    #[serde(rename = "registry_leptos::store")]
    store: String,
    snapshot: T,
}

/// The JSON the server writes for a store: its key and its snapshot. `None` when the browser
/// cannot start from it (the load failed, or the snapshot cannot be serialized).
#[cfg(not(target_arch = "wasm32"))]
fn encode_snapshot<K: StoreId, S: HydratableStore<K>, E: 'static>(
    key: &str,
    outcome: &crate::resource::Outcome<S, E>,
) -> Option<String> {
    let store = outcome.as_ref().ok()?;
    let envelope = Envelope {
        store: key.to_string(),
        snapshot: store.dehydrate(),
    };
    serde_json::to_string(&envelope)
        .map_err(|error| {
            leptos::logging::warn!(
                "use_hydrated_store: the snapshot of {key} could not be serialized ({error}); \
                 the server renders its fallback and the browser loads it"
            );
        })
        .ok()
}

/// The browser's side: the snapshots the server wrote into the page, by key.
#[cfg(target_arch = "wasm32")]
mod browser {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use serde::de::DeserializeOwned;
    use wasm_bindgen::{JsCast, JsValue};

    use super::Envelope;

    /// How every snapshot's JSON starts (the first field of [`Envelope`]).
    const PREFIX: &str = "{\"registry_leptos::store\":";

    thread_local! {
        /// The page's snapshots, read on the first lookup. The page has them all by then: it
        /// hydrates from a module script, which runs once the whole (streamed) document has
        /// been parsed, after the scripts that carry them.
        static SNAPSHOTS: RefCell<Option<HashMap<String, serde_json::Value>>> =
            const { RefCell::new(None) };
    }

    /// The snapshots among Leptos's serialized data (`__RESOLVED_RESOURCES`).
    fn read_page() -> HashMap<String, serde_json::Value> {
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
            if !json.starts_with(PREFIX) {
                continue;
            }
            if let Ok(envelope) = serde_json::from_str::<Envelope<serde_json::Value>>(&json)
                && !envelope.snapshot.is_null()
            {
                snapshots.insert(envelope.store, envelope.snapshot);
            }
        }
        snapshots
    }

    /// The server's snapshot for `key`, if the page has one.
    pub(super) fn server_snapshot<T: DeserializeOwned>(key: &str) -> Option<T> {
        let value = SNAPSHOTS.with_borrow_mut(|snapshots| {
            snapshots.get_or_insert_with(read_page).get(key).cloned()
        })?;
        serde_json::from_value(value)
            .map_err(|error| {
                leptos::logging::warn!(
                    "use_hydrated_store: the server's snapshot of {key} could not be read \
                     ({error}); loading the store in the browser"
                );
            })
            .ok()
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
    S: HydratableStore<K>,
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
