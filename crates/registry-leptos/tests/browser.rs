//! The browser path, in headless Chromium: real components mounted with `leptos::mount`, the
//! registry on the core's `TestRuntime` (virtual clock), the DOM and `snapshot()` asserted.
//!
//! Run with `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test
//! --target wasm32-unknown-unknown -p registry-leptos`.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use registry_core::test_util::TestRuntime;
use registry_core::{
    EntrySnapshot, EntryState, LoadContext, RegistryConfig, Runtime, StoreOptions, StoreRegistry,
};
use registry_leptos::{StoreResource, provide_store_registry, use_store, use_store_registry};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/hydrate_app.rs"]
mod hydrate_app;

const LOAD: Duration = Duration::from_millis(100);
const SLOW_LOAD: Duration = Duration::from_secs(10);
const CACHE: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Doc {
    name: String,
}

#[derive(Debug)]
struct DocError;

impl std::fmt::Display for DocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("offline")
    }
}

impl std::error::Error for DocError {}

type Registry = StoreRegistry<String>;

/// The registry on a virtual clock, with counters of loader calls and `on_dispose` calls.
#[derive(Clone)]
struct Env {
    rt: TestRuntime,
    registry: Registry,
    loads: Rc<Cell<usize>>,
    disposes: Rc<Cell<usize>>,
    /// How many times each id fails before it loads.
    failures: Rc<RefCell<HashMap<String, u32>>>,
}

impl Env {
    fn new() -> Self {
        let rt = TestRuntime::new();
        let config = RegistryConfig::default().default_unused_cache_time(CACHE);
        Self {
            registry: StoreRegistry::with_runtime(config, rt.clone()),
            rt,
            loads: Rc::default(),
            disposes: Rc::default(),
            failures: Rc::default(),
        }
    }

    /// Options whose loader takes `LOAD` of virtual time (`SLOW_LOAD` for ids starting with
    /// "slow"), failing as `failures` says.
    fn options(&self, id: String) -> StoreOptions<String, Doc, DocError> {
        let (rt, loads, disposes, failures) = (
            self.rt.clone(),
            Rc::clone(&self.loads),
            Rc::clone(&self.disposes),
            Rc::clone(&self.failures),
        );
        StoreOptions::new(id, move |ctx: LoadContext<String>| {
            loads.set(loads.get() + 1);
            let disposes = Rc::clone(&disposes);
            ctx.on_dispose(move || disposes.set(disposes.get() + 1));
            let id = ctx.store_id().clone();
            let took = if id.starts_with("slow") {
                SLOW_LOAD
            } else {
                LOAD
            };
            let sleep = rt.sleep(took);
            let failures = Rc::clone(&failures);
            async move {
                sleep.await;
                let mut failures = failures.borrow_mut();
                match failures.get_mut(&id) {
                    Some(left) if *left > 0 => {
                        *left -= 1;
                        Err(DocError)
                    }
                    _ => Ok(Doc { name: id }),
                }
            }
        })
    }

    fn loads(&self) -> usize {
        self.loads.get()
    }

    fn disposes(&self) -> usize {
        self.disposes.get()
    }

    /// `(id, state, holders)` of every entry, sorted by id.
    fn entries(&self) -> Vec<(String, EntryState, usize)> {
        let mut entries: Vec<_> = self
            .registry
            .snapshot()
            .into_iter()
            .map(
                |EntrySnapshot {
                     store_id,
                     state,
                     holders,
                     ..
                 }| (store_id, state, holders),
            )
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    fn disposes_in(&self, id: &str) -> Option<Duration> {
        self.registry
            .snapshot()
            .into_iter()
            .find(|entry| entry.store_id == id)
            .and_then(|entry| entry.disposes_in)
    }
}

/// Shows one store: the Transition fallback while the first one loads, the store's name, or
/// the error with a retry button.
#[component]
fn DocView(env: Env, id: Signal<String>) -> impl IntoView {
    let store: StoreResource<Doc, DocError> = use_store(move || env.options(id.get()));
    view! {
        <Transition fallback=|| view! { <p class="fallback">"Loading"</p> }>
            <ErrorBoundary fallback=move |errors| view! {
                <p class="error">
                    {move || errors.get().into_iter().map(|(_, e)| format!("Error: {e}")).collect::<Vec<_>>().join(";")}
                </p>
                <button class="retry" on:click=move |_| { store.retry(); }>"Retry"</button>
            }>
                {move || Suspend::new(async move {
                    store.await.map(|doc| view! { <p class="doc">{format!("Doc {}", doc.name)}</p> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The app root: provides the registry, shows `DocView` for `id`.
#[component]
fn App(env: Env, id: Signal<String>) -> impl IntoView {
    provide_store_registry(env.registry.clone());
    view! { <DocView env id/> }
}

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|window| window.document())
        .expect("a document")
}

/// A fresh element attached to the body, for one test's app.
fn fresh_root() -> web_sys::HtmlElement {
    let document = document();
    let root = document
        .create_element("div")
        .expect("create a div")
        .dyn_into::<web_sys::HtmlElement>()
        .expect("a div is an HtmlElement");
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("append the root");
    root
}

fn text(root: &web_sys::HtmlElement) -> String {
    root.text_content().unwrap_or_default()
}

/// Lets the browser run its microtasks and timers once.
async fn tick() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Polls until `condition` holds (the browser's event loop runs between polls); panics with
/// `what` after 2 s.
async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..400 {
        if condition() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
    panic!("timed out waiting for {what}");
}

/// Moves the virtual clock, then lets the browser run what that woke.
async fn advance(env: &Env, by: Duration) {
    env.rt.advance(by);
    tick().await;
    tick().await;
}

fn mount(
    root: &web_sys::HtmlElement,
    env: &Env,
    id: Signal<String>,
) -> leptos::mount::UnmountHandle<impl leptos::tachys::view::Mountable> {
    let env = env.clone();
    mount_to(root.clone(), move || view! { <App env id/> })
}

#[wasm_bindgen_test]
async fn loads_shows_and_releases_the_store_on_unmount() {
    let env = Env::new();
    let root = fresh_root();
    let handle = mount(&root, &env, Signal::stored("a".to_string()));
    assert_eq!(env.entries(), [("a".into(), EntryState::Loading, 1)]);
    // Leptos shows a Transition's fallback on the render after the one that found the pending
    // read.
    until("the fallback", || text(&root) == "Loading").await;

    advance(&env, LOAD).await;
    until("the store on screen", || text(&root) == "Doc a").await;
    assert_eq!(env.entries(), [("a".into(), EntryState::Ready, 1)]);
    assert_eq!(env.disposes_in("a"), None);

    drop(handle);
    assert_eq!(text(&root), "");
    assert_eq!(env.entries(), [("a".into(), EntryState::Ready, 0)]);
    assert_eq!(env.disposes_in("a"), Some(CACHE));

    advance(&env, CACHE).await;
    assert_eq!(env.entries(), []);
    assert_eq!((env.loads(), env.disposes()), (1, 1));
}

#[wasm_bindgen_test]
async fn a_loaded_store_renders_synchronously_on_remount_within_the_cache_time() {
    let env = Env::new();
    let root = fresh_root();
    let handle = mount(&root, &env, Signal::stored("a".to_string()));
    advance(&env, LOAD).await;
    until("the store on screen", || text(&root) == "Doc a").await;
    drop(handle);

    advance(&env, CACHE / 2).await;
    let handle = mount(&root, &env, Signal::stored("a".to_string()));
    // No await: the store is on screen in the same task as the mount, no fallback.
    assert_eq!(text(&root), "Doc a");
    assert_eq!(env.entries(), [("a".into(), EntryState::Ready, 1)]);
    tick().await;
    assert_eq!(text(&root), "Doc a");

    // Held again: the old countdown no longer applies.
    advance(&env, CACHE * 2).await;
    assert_eq!(env.entries(), [("a".into(), EntryState::Ready, 1)]);
    drop(handle);
    advance(&env, CACHE).await;
    assert_eq!(env.entries(), []);
    assert_eq!((env.loads(), env.disposes()), (1, 1));
}

#[wasm_bindgen_test]
async fn a_switch_keeps_the_old_store_until_the_new_one_is_ready_then_releases_it() {
    let env = Env::new();
    let root = fresh_root();
    let id = RwSignal::new("a".to_string());
    let handle = mount(&root, &env, id.into());
    until("the fallback", || text(&root) == "Loading").await;
    advance(&env, LOAD).await;
    until("store a", || text(&root) == "Doc a").await;

    id.set("b".to_string());
    until("the load of b", || env.entries().len() == 2).await;
    tick().await;
    // The old store is still held and on screen (Transition) while b loads.
    assert_eq!(text(&root), "Doc a");
    assert_eq!(
        env.entries(),
        [
            ("a".into(), EntryState::Ready, 1),
            ("b".into(), EntryState::Loading, 1)
        ]
    );

    advance(&env, LOAD).await;
    until("store b", || text(&root) == "Doc b").await;
    assert_eq!(
        env.entries(),
        [
            ("a".into(), EntryState::Ready, 0),
            ("b".into(), EntryState::Ready, 1)
        ]
    );
    assert_eq!(env.disposes_in("a"), Some(CACHE));

    // Back to a within its cache time: shown again, never loaded again.
    id.set("a".to_string());
    until("store a again", || text(&root) == "Doc a").await;
    assert_eq!(env.loads(), 2);
    assert_eq!(
        env.entries(),
        [
            ("a".into(), EntryState::Ready, 1),
            ("b".into(), EntryState::Ready, 0)
        ]
    );

    drop(handle);
    advance(&env, CACHE).await;
    assert_eq!(env.entries(), []);
    assert_eq!((env.loads(), env.disposes()), (2, 2));
}

#[wasm_bindgen_test]
async fn switching_back_before_the_new_store_is_ready_abandons_the_switch() {
    let env = Env::new();
    let root = fresh_root();
    let id = RwSignal::new("a".to_string());
    let handle = mount(&root, &env, id.into());
    until("the fallback", || text(&root) == "Loading").await;
    advance(&env, LOAD).await;
    until("store a", || text(&root) == "Doc a").await;

    id.set("slow-b".to_string());
    until("the load of slow-b", || env.entries().len() == 2).await;
    id.set("a".to_string());
    until("slow-b released", || {
        env.entries()
            .contains(&("slow-b".into(), EntryState::Loading, 0))
    })
    .await;
    assert_eq!(text(&root), "Doc a");
    assert!(env.entries().contains(&("a".into(), EntryState::Ready, 1)));

    // Nothing holds slow-b: its load is cancelled after the cache time.
    advance(&env, CACHE).await;
    assert_eq!(env.entries(), [("a".into(), EntryState::Ready, 1)]);
    assert_eq!(text(&root), "Doc a");
    assert_eq!(env.loads(), 2);

    drop(handle);
    advance(&env, CACHE).await;
    assert_eq!(env.entries(), []);
}

#[wasm_bindgen_test]
async fn an_error_reaches_the_error_boundary_and_retry_loads_again() {
    let env = Env::new();
    env.failures.borrow_mut().insert("bad".into(), 1);
    let root = fresh_root();
    let handle = mount(&root, &env, Signal::stored("bad".to_string()));

    advance(&env, LOAD).await;
    until("the error", || {
        text(&root).contains("Error: the store failed to load: offline")
    })
    .await;
    assert_eq!(env.entries(), [("bad".into(), EntryState::Failed, 1)]);

    let retry = root
        .query_selector("button.retry")
        .ok()
        .flatten()
        .and_then(|button| button.dyn_into::<web_sys::HtmlElement>().ok())
        .expect("a retry button in the fallback");
    retry.click();
    until("a new load", || env.loads() == 2).await;
    assert_eq!(env.entries(), [("bad".into(), EntryState::Loading, 1)]);

    advance(&env, LOAD).await;
    until("the store after the retry", || text(&root) == "Doc bad").await;
    assert_eq!(env.entries(), [("bad".into(), EntryState::Ready, 1)]);

    drop(handle);
    advance(&env, CACHE).await;
    assert_eq!(env.entries(), []);
    assert_eq!(env.loads(), 2);
}

#[wasm_bindgen_test]
async fn unmounting_during_the_load_releases_it_and_it_is_cancelled_after_the_cache_time() {
    let env = Env::new();
    let root = fresh_root();
    let handle = mount(&root, &env, Signal::stored("slow".to_string()));
    assert_eq!(env.entries(), [("slow".into(), EntryState::Loading, 1)]);

    drop(handle);
    assert_eq!(env.entries(), [("slow".into(), EntryState::Loading, 0)]);
    assert_eq!(env.disposes_in("slow"), Some(CACHE));

    advance(&env, CACHE).await;
    assert_eq!(env.entries(), []);
    // Cancelled: the loader's future was dropped before it finished; teardown ran once.
    assert_eq!((env.loads(), env.disposes()), (1, 1));
    advance(&env, SLOW_LOAD).await;
    assert_eq!(env.entries(), []);
    assert_eq!(text(&root), "");
}

#[wasm_bindgen_test]
async fn a_thousand_mount_unmount_cycles_leave_no_holders_and_no_entries() {
    let env = Env::new();
    let root = fresh_root();
    for cycle in 0..1000 {
        // Unmount during the load, after it, and with the store already loaded.
        let id = format!("doc-{}", cycle % 10);
        let handle = mount(&root, &env, Signal::stored(id.clone()));
        if cycle % 3 == 0 {
            advance(&env, LOAD).await;
            until("the store on screen", || text(&root) == format!("Doc {id}")).await;
        }
        drop(handle);
        assert!(
            env.registry
                .snapshot()
                .iter()
                .all(|entry| entry.holders == 0),
            "cycle {cycle}: {:?}",
            env.entries()
        );
    }
    assert_eq!(text(&root), "");
    advance(&env, CACHE).await;
    assert_eq!(env.entries(), []);
    assert_eq!(env.loads(), env.disposes());
    // Only the registry's own timer task is left, with no timer armed.
    assert!(env.rt.live_tasks() <= 1, "{:?}", env.rt);
    assert_eq!(env.rt.armed_timers(), 0);
}

#[wasm_bindgen_test]
async fn preload_from_use_store_registry_warms_the_cache() {
    let env = Env::new();
    let root = fresh_root();
    let show = RwSignal::new(false);
    let app_env = env.clone();
    let handle = mount_to(root.clone(), move || {
        provide_store_registry(app_env.registry.clone());
        let registry = use_store_registry();
        drop(registry.preload(&app_env.options("p".to_string())));
        // `Show`'s children must be `Send + Sync`: keep the `Rc` test fixture in the arena.
        let env = StoredValue::new_local(app_env.clone());
        view! {
            <Show when=move || show.get() fallback=|| "hidden">
                <DocView env=env.get_value() id=Signal::stored("p".to_string())/>
            </Show>
        }
    });
    assert_eq!(env.entries(), [("p".into(), EntryState::Loading, 1)]);
    advance(&env, LOAD).await;
    assert_eq!(env.entries(), [("p".into(), EntryState::Ready, 0)]);

    show.set(true);
    until("the preloaded store", || text(&root) == "Doc p").await;
    assert_eq!(env.loads(), 1);
    assert_eq!(env.entries(), [("p".into(), EntryState::Ready, 1)]);
    drop(handle);
    advance(&env, CACHE).await;
    assert_eq!(env.entries(), []);
}

#[wasm_bindgen_test]
async fn get_reads_the_store_synchronously_inside_suspense() {
    #[component]
    fn Sync(env: Env) -> impl IntoView {
        provide_store_registry(env.registry.clone());
        let store = use_store(move || env.options("s".to_string()));
        view! {
            <Suspense fallback=|| "Loading">
                {move || match store.get() {
                    Some(Ok(doc)) => format!("Doc {}", doc.name),
                    Some(Err(error)) => error.to_string(),
                    None => "none".to_string(),
                }}
            </Suspense>
        }
    }
    let env = Env::new();
    let root = fresh_root();
    let app_env = env.clone();
    let handle = mount_to(root.clone(), move || view! { <Sync env=app_env/> });
    until("the fallback", || text(&root) == "Loading").await;
    advance(&env, LOAD).await;
    until("the store", || text(&root) == "Doc s").await;
    drop(handle);
    advance(&env, CACHE).await;
    assert_eq!(env.entries(), []);
}

/// What the server renders for `HydrateApp`: `ssr.rs` checks that it still does.
const HYDRATE_HTML: &str = include_str!("support/hydrate.html");

#[wasm_bindgen_test]
async fn hydration_keeps_the_servers_fallback_then_shows_a_store_that_was_already_loaded() {
    use hydrate_app::{HydrateApp, Page};
    use leptos::wasm_bindgen::JsValue;

    // What the server's hydration script defines: both Suspense chunks (ids 0 and 1) were sent
    // as their fallback.
    let global = js_sys::global();
    let incomplete = js_sys::Array::of2(&JsValue::from_f64(0.0), &JsValue::from_f64(1.0));
    for (name, value) in [
        ("__INCOMPLETE_CHUNKS", incomplete),
        ("__RESOLVED_RESOURCES", js_sys::Array::new()),
        ("__SERIALIZED_ERRORS", js_sys::Array::new()),
    ] {
        js_sys::Reflect::set(&global, &JsValue::from_str(name), &value).expect("set a global");
    }

    // The store is loaded before hydration (ready on its first poll): the first, hydrating
    // render must still show the fallback the server sent.
    let rt = TestRuntime::new();
    let registry = StoreRegistry::<String>::with_runtime(
        RegistryConfig::default().default_unused_cache_time(CACHE),
        rt.clone(),
    );
    let loads = Rc::new(Cell::new(0));
    let counter = Rc::clone(&loads);
    let options = StoreOptions::new("h".to_string(), move |ctx: LoadContext<String>| {
        counter.set(counter.get() + 1);
        let name = ctx.store_id().clone();
        async move { Ok(Page { name }) }
    });
    drop(registry.preload(&options));
    assert_eq!(registry.snapshot()[0].state, EntryState::Ready);

    let root = fresh_root();
    root.set_inner_html(HYDRATE_HTML.trim_end());
    let server_node = root
        .query_selector("p")
        .ok()
        .flatten()
        .expect("the server's <p>");

    let app_registry = registry.clone();
    let handle = leptos::mount::hydrate_from(root.clone(), move || {
        view! { <HydrateApp registry=app_registry options/> }
    });
    // No mismatch (tachys panics on one): the server's nodes are adopted as they are.
    assert_eq!(text(&root), "Loading ALoading B");
    let first = root.query_selector("p").ok().flatten().expect("a <p>");
    assert!(first.is_same_node(Some(&server_node)));

    until("both readers showing the store", || {
        text(&root) == "Await hGet h"
    })
    .await;
    assert_eq!(loads.get(), 1);
    assert_eq!(registry.snapshot()[0].holders, 2);

    drop(handle);
    rt.advance(CACHE);
    assert!(registry.snapshot().is_empty());
}

#[wasm_bindgen_test]
async fn every_component_showing_a_failure_follows_a_retry_in_one_of_them() {
    let env = Env::new();
    env.failures.borrow_mut().insert("x".to_string(), 1);
    let root = fresh_root();
    let app_env = env.clone();
    let handle = mount_to(root.clone(), move || {
        provide_store_registry(app_env.registry.clone());
        let (one, two) = (app_env.clone(), app_env.clone());
        view! {
            <div class="one"><DocView env=one id=Signal::stored("x".to_string())/></div>
            <div class="two"><DocView env=two id=Signal::stored("x".to_string())/></div>
        }
    });
    advance(&env, LOAD).await;
    let error = "Error: the store failed to load: offlineRetry";
    until("both errors", || text(&root) == format!("{error}{error}")).await;

    let retry = root
        .query_selector(".one .retry")
        .ok()
        .flatten()
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        .expect("the first component's retry button");
    retry.click();
    advance(&env, LOAD).await;
    until("both components show the store", || {
        text(&root) == "Doc xDoc x"
    })
    .await;
    assert_eq!(env.loads(), 2);
    assert_eq!(env.entries(), [("x".into(), EntryState::Ready, 2)]);
    drop(handle);
}

#[wasm_bindgen_test]
async fn a_loader_runs_under_the_registrys_owner_not_the_component_that_asked_first() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let env = Env::new();
    let cleaned = Arc::new(AtomicUsize::new(0));
    let created: Rc<RefCell<Option<RwSignal<u32>>>> = Rc::default();
    let (counter, slot) = (Arc::clone(&cleaned), Rc::clone(&created));
    let options = StoreOptions::new("owned".to_string(), move |_: LoadContext<String>| {
        let counter = Arc::clone(&counter);
        Owner::on_cleanup(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        *slot.borrow_mut() = Some(RwSignal::new(7));
        async {
            Ok::<_, DocError>(Doc {
                name: "owned".to_string(),
            })
        }
    });
    let root = fresh_root();
    let app_env = env.clone();
    let shown = RwSignal::new(true);
    let handle = mount_to(root.clone(), move || {
        provide_store_registry(app_env.registry.clone());
        // `Show`'s children must be `Send`; wasm32 has one thread.
        let options = send_wrapper::SendWrapper::new(options.clone());
        view! {
            <Show when=move || shown.get()>
                <Owned options=StoreOptions::clone(&options)/>
            </Show>
        }
    });
    until("the store", || text(&root) == "owned").await;
    shown.set(false);
    until("the component unmounted", || text(&root).is_empty()).await;
    assert_eq!(env.entries(), [("owned".into(), EntryState::Ready, 0)]);

    // The component is gone; what the loader created lives on with the store.
    assert_eq!(cleaned.load(Ordering::SeqCst), 0);
    let signal = created.borrow().expect("the loader ran");
    assert_eq!(signal.try_get_untracked(), Some(7));
    drop(handle);
}

#[component]
fn Owned(options: StoreOptions<String, Doc, DocError>) -> impl IntoView {
    let store = use_store(move || options.clone());
    view! {
        <Suspense fallback=|| "…">
            {move || store.get().map(|doc| doc.map(|doc| doc.name.clone()).unwrap_or_default())}
        </Suspense>
    }
}

/// The attribute `name` of every element `selector` matches under `root`.
fn attributes(root: &web_sys::HtmlElement, selector: &str, name: &str) -> Vec<String> {
    let Ok(found) = root.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|i| found.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::Element>().ok())
        .filter_map(|element| element.get_attribute(name))
        .collect()
}

#[wasm_bindgen_test]
async fn the_inspector_shows_entries_counters_and_events_live() {
    use registry_leptos::RegistryInspector;

    let env = Env::new();
    let root = fresh_root();
    let shown = RwSignal::new(true);
    let app_env = env.clone();
    let handle = mount_to(root.clone(), move || {
        provide_store_registry(app_env.registry.clone());
        // `Show`'s children must be `Send`; wasm32 has one thread.
        let doc_env = send_wrapper::SendWrapper::new(app_env.clone());
        view! {
            <Show when=move || shown.get()>
                <DocView env=Env::clone(&doc_env) id=Signal::stored("a".to_string())/>
            </Show>
            <RegistryInspector/>
        }
    });
    let entry = "[data-testid=entry][data-store-id=a]";
    until("the loading entry", || {
        attributes(&root, entry, "data-state") == ["loading"]
    })
    .await;
    assert_eq!(attributes(&root, entry, "data-holders"), ["1"]);
    assert_eq!(attributes(&root, entry, "data-store-type"), ["Doc"]);

    advance(&env, LOAD).await;
    until("the ready entry", || {
        attributes(&root, entry, "data-state") == ["ready"]
    })
    .await;
    let counter = "[data-testid=counter][data-store-id=a]";
    assert_eq!(attributes(&root, counter, "data-loads"), ["1"]);
    assert_eq!(attributes(&root, counter, "data-disposals"), ["0"]);

    // Unmounted: its hold is released, the countdown shows, then the disposal.
    shown.set(false);
    until("the idle entry", || {
        attributes(&root, entry, "data-holders") == ["0"]
    })
    .await;
    advance(&env, CACHE).await;
    until("the disposal", || {
        attributes(&root, counter, "data-disposals") == ["1"]
    })
    .await;
    assert!(attributes(&root, entry, "data-state").is_empty());
    assert_eq!(
        attributes(&root, "[data-testid=event]", "data-kind"),
        ["disposed", "loaded", "load-started"],
        "newest first"
    );
    drop(handle);
}

/// Shows `id` under a `<Transition>` (the previous store stays on screen while the next one
/// loads), and hands its `StoreResource` out; counts its mounts.
#[component]
fn RestartView(
    env: Env,
    id: String,
    mounts: Rc<Cell<usize>>,
    resource: Rc<Cell<Option<StoreResource<Doc, DocError>>>>,
) -> impl IntoView {
    mounts.set(mounts.get() + 1);
    let store: StoreResource<Doc, DocError> = use_store(move || env.options(id.clone()));
    resource.set(Some(store));
    view! {
        <Transition fallback=|| view! { <p class="fallback">"Loading"</p> }>
            {move || Suspend::new(async move {
                store.await.map(|doc| view! { <p class="transition">{format!("T {}", doc.name)}</p> })
            })}
        </Transition>
    }
}

/// Shows `id` under a `<Suspense>` (the fallback while it loads); counts its mounts.
#[component]
fn SuspendedView(env: Env, id: String, mounts: Rc<Cell<usize>>) -> impl IntoView {
    mounts.set(mounts.get() + 1);
    let store: StoreResource<Doc, DocError> = use_store(move || env.options(id.clone()));
    view! {
        <Suspense fallback=|| view! { <p class="fallback">"Waiting"</p> }>
            {move || Suspend::new(async move {
                store.await.map(|doc| view! { <p class="suspense">{format!("S {}", doc.name)}</p> })
            })}
        </Suspense>
    }
}

#[wasm_bindgen_test]
async fn a_restart_reloads_the_store_under_its_holders_without_remounting_them() {
    let env = Env::new();
    // Two apps on one registry: one shows the store under a Transition, one under a Suspense.
    let (transition_root, suspense_root) = (fresh_root(), fresh_root());
    let (transition_mounts, suspense_mounts) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let resource: Rc<Cell<Option<StoreResource<Doc, DocError>>>> = Rc::default();
    let (app_env, mounts, handed) = (
        env.clone(),
        Rc::clone(&transition_mounts),
        Rc::clone(&resource),
    );
    let transition = mount_to(transition_root.clone(), move || {
        provide_store_registry(app_env.registry.clone());
        view! {
            <RestartView env=app_env.clone() id="r".to_string() mounts=mounts.clone() resource=handed.clone()/>
        }
    });
    let (app_env, mounts) = (env.clone(), Rc::clone(&suspense_mounts));
    let suspense = mount_to(suspense_root.clone(), move || {
        provide_store_registry(app_env.registry.clone());
        view! { <SuspendedView env=app_env.clone() id="r".to_string() mounts=mounts.clone()/> }
    });
    let shown = || (text(&transition_root), text(&suspense_root));
    let on_screen = |t: &str, s: &str| (t.to_owned(), s.to_owned());
    until("both fallbacks", || {
        shown() == on_screen("Loading", "Waiting")
    })
    .await;
    advance(&env, LOAD).await;
    until("both show the store", || shown() == on_screen("T r", "S r")).await;

    let store = resource.get().expect("the view handed its resource out");
    assert!(store.restart());
    // The Transition keeps the previous children; the Suspense shows its fallback.
    until("the Suspense fallback", || {
        shown() == on_screen("T r", "Waiting")
    })
    .await;
    assert_eq!(env.entries(), [("r".into(), EntryState::Loading, 4)]);
    assert_eq!(env.disposes(), 1, "the old instance was torn down");

    advance(&env, LOAD).await;
    until("both show the new instance", || {
        shown() == on_screen("T r", "S r")
    })
    .await;
    assert_eq!((env.loads(), env.disposes()), (2, 1));
    assert_eq!(env.entries(), [("r".into(), EntryState::Ready, 2)]);
    assert_eq!(env.registry.snapshot()[0].generation, 1);
    assert_eq!((transition_mounts.get(), suspense_mounts.get()), (1, 1));

    // A restart by anyone else (here the registry itself, as a store's own handle would) is
    // followed the same way.
    assert!(env.registry.restart(&env.options("r".to_string())));
    until("the Suspense fallback again", || {
        shown() == on_screen("T r", "Waiting")
    })
    .await;
    advance(&env, LOAD).await;
    until("the third instance", || shown() == on_screen("T r", "S r")).await;
    assert_eq!((env.loads(), env.disposes()), (3, 2));
    assert_eq!(env.entries(), [("r".into(), EntryState::Ready, 2)]);
    drop((transition, suspense));
    assert_eq!(env.entries(), [("r".into(), EntryState::Ready, 0)]);
}
