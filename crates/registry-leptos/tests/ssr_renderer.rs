//! `ssr::SsrRenderer` with `leptos_axum`: stores loaded per request and rendered, and every
//! fault (a failing loader, a loader that never finishes under a client that goes away, a
//! panicking render, async teardown) ending with the request's registries disposed and each
//! teardown run once.
#![cfg(all(feature = "ssr", not(target_arch = "wasm32")))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use leptos::prelude::*;
use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
use registry_leptos::ssr::{LiveCounts, SsrRenderer};
use registry_leptos::{
    HydratableStore, preload_hydrated_store, provide_store_registry, provide_store_registry_of,
    use_hydrated_store, use_store_registry,
};

/// The live counts are process-wide: the tests run one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Default)]
struct Counters {
    loads: AtomicUsize,
    teardowns: AtomicUsize,
    async_teardowns_finished: AtomicUsize,
}

/// What the loaders count. A loader's id says how it behaves: "fail", "never" (a load that
/// never finishes), "slow-teardown" (50 ms of async teardown and a 60 ms load), "slow…" (a
/// 60 ms load), or else a 10 ms load.
#[derive(Clone)]
struct Setup {
    counters: Arc<Counters>,
}

struct Notes {
    items: Vec<String>,
}

impl HydratableStore for Notes {
    type Snapshot = Vec<String>;

    fn dehydrate(&self) -> Vec<String> {
        self.items.clone()
    }

    fn hydrate(items: Vec<String>, _ctx: &LoadContext<String>) -> Self {
        Notes { items }
    }
}

#[derive(Debug)]
struct NotesError(String);

impl std::fmt::Display for NotesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot load: {}", self.0)
    }
}

impl std::error::Error for NotesError {}

fn notes(id: String) -> StoreOptions<String, Notes, NotesError> {
    StoreOptions::new(id, |ctx: LoadContext<String>| {
        let setup = use_context::<Setup>().expect("the test's setup in context");
        let id = ctx.store_id().clone();
        setup.counters.loads.fetch_add(1, Ordering::SeqCst);
        let counters = Arc::clone(&setup.counters);
        ctx.on_dispose(move || {
            counters.teardowns.fetch_add(1, Ordering::SeqCst);
        });
        if id == "slow-teardown" {
            let counters = Arc::clone(&setup.counters);
            ctx.on_dispose_async(move || async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                counters
                    .async_teardowns_finished
                    .fetch_add(1, Ordering::SeqCst);
            });
        }
        async move {
            match id.as_str() {
                "fail" => Err(NotesError(id)),
                "never" => std::future::pending().await,
                _ => {
                    let ms = if id.starts_with("slow") { 60 } else { 10 };
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok(Notes {
                        items: vec![format!("first note of {id}")],
                    })
                }
            }
        }
    })
}

/// A store with number ids, in a registry of its own id type.
struct Counter {
    label: String,
}

impl HydratableStore<u64> for Counter {
    type Snapshot = String;

    fn dehydrate(&self) -> String {
        self.label.clone()
    }

    fn hydrate(label: String, _ctx: &LoadContext<u64>) -> Self {
        Counter { label }
    }
}

fn counter(id: u64) -> StoreOptions<u64, Counter, NotesError> {
    StoreOptions::new(id, |ctx: LoadContext<u64>| {
        let id = *ctx.store_id();
        async move {
            Ok(Counter {
                label: format!("counter {id}"),
            })
        }
    })
}

#[component]
fn NotesView(id: String) -> impl IntoView {
    let store = use_hydrated_store(move || notes(id.clone()));
    view! {
        <Suspense fallback=|| "loading">
            {move || store.get().map(|notes| match notes {
                Ok(notes) => view! { <p class="notes">{notes.items.join(", ")}</p> }.into_any(),
                Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn CounterView(id: u64) -> impl IntoView {
    let store = use_hydrated_store(move || counter(id));
    view! {
        <Suspense fallback=|| "loading">
            {move || store.get().map(|counter| counter.map(|counter| view! { <p class="counter">{counter.label.clone()}</p> }))}
        </Suspense>
    }
}

#[component]
fn App(ids: Vec<&'static str>, #[prop(optional)] panic: bool) -> impl IntoView {
    provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    provide_store_registry_of(StoreRegistry::<u64>::new(RegistryConfig::default()));
    for id in &ids {
        preload_hydrated_store(&notes(id.to_string()));
    }
    assert!(
        !use_store_registry().is_disposed(),
        "the request's registry"
    );
    if panic {
        panic!("the app panicked while rendering");
    }
    view! {
        <main>
            {ids.into_iter().map(|id| view! { <NotesView id=id.to_string()/> }).collect_view()}
            <CounterView id=7/>
        </main>
    }
}

fn setup() -> Setup {
    Setup {
        counters: Arc::default(),
    }
}

fn request() -> Request<Body> {
    Request::builder()
        .uri("/")
        .body(Body::empty())
        .expect("a request")
}

/// Renders the app (SsrMode::Async) with the renderer.
fn render(
    renderer: &SsrRenderer,
    setup: &Setup,
    ids: Vec<&'static str>,
    panic: bool,
) -> impl Future<Output = Response<Body>> + Send + 'static {
    let setup = setup.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || provide_context(setup.clone()),
        move || view! { <App ids=ids.clone() panic/> },
    );
    renderer.render(request(), handler)
}

async fn body_text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body");
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

async fn nothing_live() {
    for _ in 0..500 {
        if SsrRenderer::live_counts() == LiveCounts::default() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("still live after 5 s: {:?}", SsrRenderer::live_counts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_load_per_request_render_and_are_torn_down_after_the_response() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(2);
    let setup = setup();
    let html = body_text(render(&renderer, &setup, vec!["a", "b"], false).await).await;
    assert!(
        html.contains(r#"<p class="notes">first note of a</p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="notes">first note of b</p>"#),
        "{html}"
    );
    // A registry per id type: the u64 one too.
    assert!(
        html.contains(r#"<p class="counter">counter 7</p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"first note of a\"]"#),
        "the snapshot: {html}"
    );
    nothing_live().await;
    // Preloaded by the app and used by a component: one load each, one teardown each.
    assert_eq!(setup.counters.loads.load(Ordering::SeqCst), 2);
    assert_eq!(setup.counters.teardowns.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_load_renders_the_fallback_for_the_browser_to_load() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let html = body_text(render(&renderer, &setup, vec!["fail", "ok"], false).await).await;
    // The browser cannot start from a failure: the server renders the fallback, marks the
    // chunk incomplete (hydration starts from the fallback) and writes no snapshot.
    assert!(!html.contains("cannot load"), "{html}");
    assert!(html.contains("<main>loading"), "{html}");
    assert!(html.contains("__INCOMPLETE_CHUNKS=[0,"), "{html}");
    assert!(html.contains(r#"= "null";"#), "{html}");
    // The other store on the page renders.
    assert!(
        html.contains(r#"<p class="notes">first note of ok</p>"#),
        "{html}"
    );
    nothing_live().await;
    assert_eq!(setup.counters.teardowns.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_during_a_load_that_never_finishes_ends_the_request() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let response = render(&renderer, &setup, vec!["never"], false);
    // The async render waits for the store for ever; the client gives up.
    let gave_up = tokio::time::timeout(Duration::from_millis(100), response).await;
    assert!(gave_up.is_err(), "the render finished");
    nothing_live().await;
    assert_eq!(setup.counters.loads.load(Ordering::SeqCst), 1);
    assert_eq!(setup.counters.teardowns.load(Ordering::SeqCst), 1);

    // The renderer's thread is free for the next request.
    let html = body_text(render(&renderer, &setup, vec!["next"], false).await).await;
    assert!(html.contains("first note of next"), "{html}");
    nothing_live().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_that_panics_gives_a_500_and_disposes_the_request() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let response = render(&renderer, &setup, vec!["p"], true).await;
    assert_eq!(response.status(), 500);
    assert_eq!(body_text(response).await, "the page failed to render");
    nothing_live().await;
    // The store preloaded before the panic was torn down.
    assert_eq!(setup.counters.loads.load(Ordering::SeqCst), 1);
    assert_eq!(setup.counters.teardowns.load(Ordering::SeqCst), 1);

    let html = body_text(render(&renderer, &setup, vec!["after"], false).await).await;
    assert!(html.contains("first note of after"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_teardown_finishes_before_the_request_ends() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let html = body_text(render(&renderer, &setup, vec!["slow-teardown"], false).await).await;
    assert!(html.contains("first note of slow-teardown"), "{html}");
    nothing_live().await;
    // The registries count as live until their async teardown has finished.
    assert_eq!(
        setup
            .counters
            .async_teardowns_finished
            .load(Ordering::SeqCst),
        1
    );
}

/// A store read by a component that another store's Suspense renders once it is ready.
#[component]
fn Nested() -> impl IntoView {
    let outer = use_hydrated_store(move || notes("outer".to_string()));
    view! {
        <Suspense fallback=|| "loading outer">
            {move || outer.get().map(|_| view! { <NotesView id="inner".to_string()/> })}
        </Suspense>
        <NotesView id="sibling".to_string()/>
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_stores_each_carry_their_own_snapshot() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let context = setup.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || provide_context(context.clone()),
        || {
            provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
            view! { <main><Nested/></main> }
        },
    );
    let html = body_text(renderer.render(request(), handler).await).await;
    // Each snapshot names its store, wherever it is written: the browser finds it by that
    // name, not by its position (a Suspense runs its children twice on the server).
    for id in ["outer", "inner", "sibling"] {
        let snapshot = format!(r#"\"snapshot\":[\"first note of {id}\"]"#);
        assert!(html.contains(&snapshot), "no snapshot of {id}: {html}");
        assert!(
            html.contains(&format!(r#"|\\\"{id}\\\"\",\"snapshot"#)),
            "{id}'s key: {html}"
        );
    }
    // Leptos's own data ids are left alone: the snapshots are numbered from 2^40.
    assert!(
        html.contains("__RESOLVED_RESOURCES[1099511627776] = "),
        "{html}"
    );
    nothing_live().await;
}

/// A line that reads a store under its parent's `<Suspense>` (no Suspense of its own).
#[component]
fn InnerLine(id: String) -> impl IntoView {
    let store = use_hydrated_store(move || notes(id.clone()));
    move || {
        store
            .get()
            .map(|notes| notes.map(|notes| view! { <p class="inner">{notes.items.join(", ")}</p> }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_read_by_a_component_the_suspense_creates_later_is_waited_for() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    for _ in 0..20 {
        let context = setup.clone();
        // The outer store loads in 10 ms; the inner one, read by a component that exists only
        // once the outer one is ready, in 60 ms. The Suspense re-creates that component while
        // it waits: it must still wait for the inner store.
        let handler = leptos_axum::render_app_to_stream_in_order_with_context(
            move || provide_context(context.clone()),
            || {
                provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
                let outer = use_hydrated_store(move || notes("outer".to_string()));
                view! {
                    <main>
                        <Suspense fallback=|| "loading">
                            {move || outer.get().map(|_| view! { <InnerLine id="slow-inner".to_string()/> })}
                        </Suspense>
                    </main>
                }
            },
        );
        let html = body_text(renderer.render(request(), handler).await).await;
        assert!(
            html.contains(r#"<main><p class="inner">first note of slow-inner</p>"#),
            "{html}"
        );
    }
    nothing_live().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_while_the_body_waits_for_a_store_ends_the_request() {
    use futures::StreamExt;

    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let context = setup.clone();
    // Out of order: the head and the fallback come at once, the store never loads.
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(context.clone()),
        || {
            provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
            view! { <main><NotesView id="never".to_string()/></main> }
        },
    );
    let response = renderer.render(request(), handler).await;
    assert_eq!(response.status(), 200);
    let mut body = response.into_body().into_data_stream();
    let first = body.next().await.expect("a first chunk").expect("a chunk");
    assert!(String::from_utf8_lossy(&first).contains("loading"));
    // The client goes away.
    drop(body);
    nothing_live().await;
    assert_eq!(setup.counters.teardowns.load(Ordering::SeqCst), 1);
}

#[component]
fn PanicsWhenReady() -> impl IntoView {
    let store = use_hydrated_store(move || notes("ready".to_string()));
    view! {
        <Suspense fallback=|| "loading">
            {move || Suspend::new(async move {
                let notes = store.await;
                if notes.is_ok() {
                    panic!("the view panicked while the body was streamed");
                }
                "unreachable"
            })}
        </Suspense>
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_while_the_body_streams_breaks_the_response() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let context = setup.clone();
    let handler = leptos_axum::render_app_to_stream_in_order_with_context(
        move || provide_context(context.clone()),
        || {
            provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
            view! { <main><p>"first part"</p><PanicsWhenReady/></main> }
        },
    );
    let response = renderer.render(request(), handler).await;
    assert_eq!(response.status(), 200, "the head was sent before the panic");
    let body = tokio::time::timeout(
        Duration::from_secs(5),
        axum::body::to_bytes(response.into_body(), usize::MAX),
    )
    .await;
    match body {
        Ok(Err(_broken)) => {}
        // A panic inside a task Leptos spawned leaves the body pending: the client gives up.
        Err(_pending) => {}
        Ok(Ok(bytes)) => panic!(
            "a complete-looking response: {}",
            String::from_utf8_lossy(&bytes)
        ),
    }
    nothing_live().await;
}

/// A store whose snapshot JSON cannot hold: a map with non-string keys.
struct Grid {
    cells: std::collections::HashMap<(u32, u32), String>,
}

impl HydratableStore for Grid {
    type Snapshot = std::collections::HashMap<(u32, u32), String>;

    fn dehydrate(&self) -> Self::Snapshot {
        self.cells.clone()
    }

    fn hydrate(cells: Self::Snapshot, _ctx: &LoadContext<String>) -> Self {
        Grid { cells }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_that_cannot_be_serialized_leaves_the_store_to_the_browser() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let handler = leptos_axum::render_app_async_with_context(
        || (),
        || {
            provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
            let grid = use_hydrated_store(|| {
                StoreOptions::new("grid".to_string(), |_: LoadContext<String>| async {
                    let cells = [((0, 0), "a".to_string())].into_iter().collect();
                    Ok::<_, NotesError>(Grid { cells })
                })
            });
            view! {
                <main>
                    <Suspense fallback=|| "loading grid">
                        {move || grid.get().map(|grid| grid.map(|grid| view! { <p>{grid.cells.len()}" cells"</p> }))}
                    </Suspense>
                </main>
            }
        },
    );
    let html = body_text(renderer.render(request(), handler).await).await;
    // The server could not write the snapshot, so it must not render what the browser could
    // not hydrate: the fallback, marked incomplete, and no snapshot.
    assert!(html.contains("<main>loading grid"), "{html}");
    assert!(!html.contains("1 cells"), "{html}");
    assert!(html.contains("__INCOMPLETE_CHUNKS=[0,"), "{html}");
    assert!(html.contains(r#"= "null";"#), "{html}");
    nothing_live().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_never_share_a_store() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(2);
    let setup = setup();
    let mut renders = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let response = render(&renderer, &setup, vec!["same"], false);
        renders.spawn(async move { body_text(response.await).await });
    }
    while let Some(html) = renders.join_next().await {
        assert!(html.expect("a render").contains("first note of same"));
    }
    nothing_live().await;
    // One load per request: no request reused another's store of the same id.
    assert_eq!(setup.counters.loads.load(Ordering::SeqCst), 100);
    assert_eq!(setup.counters.teardowns.load(Ordering::SeqCst), 100);
}

/// The page's snapshots as the browser reads them: each `registry_leptos::store` envelope's
/// key and snapshot (or `{"error": ...}` for a failure), in page order.
fn page_snapshots(html: &str) -> Vec<(String, serde_json::Value)> {
    let mut snapshots = Vec::new();
    for line in html.split("__RESOLVED_RESOURCES[").skip(1) {
        let Some((_, rest)) = line.split_once("] = ") else {
            continue;
        };
        let Some(end) = rest.find("\";") else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<String>(&rest[..=end]) else {
            continue;
        };
        let Ok(serde_json::Value::Object(envelope)) = serde_json::from_str(&json) else {
            continue;
        };
        // A failure travels as `{"registry_leptos::store": key, "error": ...}`.
        let carried = envelope.get("snapshot").cloned().or_else(|| {
            envelope
                .get("error")
                .map(|error| serde_json::json!({ "error": error }))
        });
        if let (Some(serde_json::Value::String(key)), Some(carried)) =
            (envelope.get("registry_leptos::store"), carried)
        {
            snapshots.push((key.clone(), carried));
        }
    }
    snapshots
}

/// How a page is streamed (leptos_router's `SsrMode`, as far as these tests need it).
#[derive(Clone, Copy, Debug)]
enum Mode {
    Async,
    InOrder,
    OutOfOrder,
}

/// Renders `app` with the renderer in `mode`, with `setup` in context, within 5 s.
async fn render_app<IV: IntoView + 'static>(
    renderer: &SsrRenderer,
    setup: &Setup,
    mode: Mode,
    app: fn() -> IV,
) -> Result<Response<Body>, tokio::time::error::Elapsed> {
    let context = setup.clone();
    let additional = move || provide_context(context.clone());
    use futures::FutureExt;
    let response = match mode {
        Mode::InOrder => renderer
            .render(
                request(),
                leptos_axum::render_app_to_stream_in_order_with_context(additional, app),
            )
            .boxed(),
        Mode::OutOfOrder => renderer
            .render(
                request(),
                leptos_axum::render_app_to_stream_with_context(additional, app),
            )
            .boxed(),
        Mode::Async => renderer
            .render(
                request(),
                leptos_axum::render_app_async_with_context(additional, app),
            )
            .boxed(),
    };
    tokio::time::timeout(Duration::from_secs(5), response).await
}

/// The whole body within 5 s, or `None`.
async fn body_within_5s(response: Response<Body>) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(5), body_text(response))
        .await
        .ok()
}

/// A store whose snapshot cannot be taken: `dehydrate` panics.
struct Brittle;

impl HydratableStore for Brittle {
    type Snapshot = String;

    fn dehydrate(&self) -> String {
        panic!("this store cannot be dehydrated");
    }

    fn hydrate(_: String, _ctx: &LoadContext<String>) -> Self {
        Brittle
    }
}

fn brittle_app() -> impl IntoView {
    provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    let brittle = use_hydrated_store(|| {
        StoreOptions::new("brittle".to_string(), |_: LoadContext<String>| async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok::<_, NotesError>(Brittle)
        })
    });
    view! {
        <main>
            <Suspense fallback=|| "loading brittle">
                {move || brittle.get().map(|brittle| brittle.map(|_| view! { <p>"brittle rendered"</p> }))}
            </Suspense>
            <NotesView id="beside".to_string()/>
        </main>
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_dehydrate_leaves_the_store_to_the_browser_in_every_mode() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    for mode in [Mode::Async, Mode::InOrder, Mode::OutOfOrder] {
        let response = render_app(&renderer, &setup, mode, brittle_app)
            .await
            .unwrap_or_else(|_| panic!("{mode:?}: no response within 5 s"));
        let html = body_within_5s(response)
            .await
            .unwrap_or_else(|| panic!("{mode:?}: the body did not end within 5 s"));
        // As for a snapshot that cannot be serialized: the fallback, and no snapshot.
        assert!(!html.contains("brittle rendered"), "{mode:?}: {html}");
        assert!(html.contains("loading brittle"), "{mode:?}: {html}");
        assert!(html.contains("first note of beside"), "{mode:?}: {html}");
        let keys: Vec<_> = page_snapshots(&html)
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert_eq!(keys.len(), 1, "{mode:?}: {keys:?}");
        nothing_live().await;
    }
}

/// A document of a tenant. Its `Debug` leaves the tenant out and prints the access token; its
/// serialized form is the tenant and the document, never the token.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
struct TenantDoc {
    tenant: String,
    doc: String,
    #[serde(skip)]
    token: String,
}

impl std::fmt::Debug for TenantDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (token {})", self.doc, self.token)
    }
}

struct Doc {
    text: String,
}

impl HydratableStore<TenantDoc> for Doc {
    type Snapshot = String;

    fn dehydrate(&self) -> String {
        self.text.clone()
    }

    fn hydrate(text: String, _ctx: &LoadContext<TenantDoc>) -> Self {
        Doc { text }
    }
}

fn tenant_doc(tenant: &str) -> StoreOptions<TenantDoc, Doc, NotesError> {
    let id = TenantDoc {
        tenant: tenant.to_string(),
        doc: "readme".to_string(),
        token: "secret-token".to_string(),
    };
    StoreOptions::new(id, |ctx: LoadContext<TenantDoc>| {
        let text = format!("the readme of {}", ctx.store_id().tenant);
        async move { Ok(Doc { text }) }
    })
}

#[component]
fn DocView(tenant: &'static str) -> impl IntoView {
    let doc = use_hydrated_store(move || tenant_doc(tenant));
    view! {
        <Suspense fallback=|| "loading doc">
            {move || doc.get().map(|doc| doc.map(|doc| view! { <p class="doc">{doc.text.clone()}</p> }))}
        </Suspense>
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_whose_debug_omits_a_field_get_a_snapshot_each_and_debug_stays_out_of_the_page() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let response = render_app(&renderer, &setup, Mode::Async, || {
        provide_store_registry_of(StoreRegistry::<TenantDoc>::new(RegistryConfig::default()));
        view! { <main><DocView tenant="acme"/><DocView tenant="globex"/></main> }
    })
    .await
    .expect("a response");
    let html = body_text(response).await;
    assert!(html.contains("the readme of acme"), "{html}");
    assert!(html.contains("the readme of globex"), "{html}");
    assert!(
        !html.contains("secret-token"),
        "the id's Debug is in the page: {html}"
    );
    // The browser keeps one snapshot per key: each tenant must find its own.
    let snapshots: std::collections::HashMap<_, _> = page_snapshots(&html).into_iter().collect();
    let mut texts: Vec<_> = snapshots.values().cloned().collect();
    texts.sort_by_key(ToString::to_string);
    assert_eq!(
        texts,
        [
            serde_json::json!("the readme of acme"),
            serde_json::json!("the readme of globex")
        ],
        "{snapshots:?}"
    );
    nothing_live().await;
}

/// Snapshots taken of `Counted` stores.
static DEHYDRATED: AtomicUsize = AtomicUsize::new(0);

struct Counted {
    items: Vec<String>,
}

impl HydratableStore for Counted {
    type Snapshot = Vec<String>;

    fn dehydrate(&self) -> Vec<String> {
        DEHYDRATED.fetch_add(1, Ordering::SeqCst);
        self.items.clone()
    }

    fn hydrate(items: Vec<String>, _ctx: &LoadContext<String>) -> Self {
        Counted { items }
    }
}

fn counted(id: &str) -> StoreOptions<String, Counted, NotesError> {
    StoreOptions::new(id.to_string(), |ctx: LoadContext<String>| {
        let items = vec![format!("item of {}", ctx.store_id())];
        async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok(Counted { items })
        }
    })
}

#[component]
fn CountedView(id: &'static str) -> impl IntoView {
    let store = use_hydrated_store(move || counted(id));
    view! {
        <Suspense fallback=|| "loading counted">
            {move || store.get().map(|store| store.map(|store| view! { <p class="counted">{store.items.join(", ")}</p> }))}
        </Suspense>
    }
}

fn three_readers_app() -> impl IntoView {
    provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    let outer = use_hydrated_store(|| counted("shared"));
    view! {
        <main>
            <CountedView id="shared"/>
            <CountedView id="shared"/>
            // A nested Suspense, whose children the outer one creates twice on the server.
            <Suspense fallback=|| "loading outer">
                {move || outer.get().map(|_| view! { <CountedView id="shared"/> })}
            </Suspense>
        </main>
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_read_by_many_components_is_written_into_the_page_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    for mode in [Mode::Async, Mode::InOrder] {
        DEHYDRATED.store(0, Ordering::SeqCst);
        let response = render_app(&renderer, &setup, mode, three_readers_app)
            .await
            .expect("a response");
        let html = body_text(response).await;
        assert_eq!(
            html.matches(r#"<p class="counted">item of shared</p>"#)
                .count(),
            3,
            "{mode:?}: {html}"
        );
        let snapshots = page_snapshots(&html);
        assert_eq!(snapshots.len(), 1, "{mode:?}: {snapshots:?}");
        assert!(!html.contains(r#"= "null";"#), "{mode:?}: {html}");
        assert_eq!(DEHYDRATED.load(Ordering::SeqCst), 1, "{mode:?}");
        nothing_live().await;
    }
}

/// Reads a store outside any `<Suspense>`, and again inside one.
fn read_outside_suspense_app() -> impl IntoView {
    provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    let store = use_hydrated_store(|| counted("outside"));
    view! {
        <main>
            <p class="outside">{move || store.get().map(|store| store.map(|store| store.items.join(", ")))}</p>
            <Suspense fallback=|| "loading inside">
                {move || store.get().map(|store| store.map(|store| view! { <p class="inside">{store.items.join(", ")}</p> }))}
            </Suspense>
        </main>
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_read_outside_suspense_is_left_to_the_browser_on_both_sides() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    for mode in [Mode::Async, Mode::InOrder] {
        let response = render_app(&renderer, &setup, mode, read_outside_suspense_app)
            .await
            .expect("a response");
        let html = body_text(response).await;
        // Outside a Suspense nothing waits: the server renders nothing there. The browser
        // must render nothing there while it hydrates either, so it gets no snapshot to
        // render from, and the Suspense that reads the same store leaves it to the browser.
        assert!(
            html.contains(r#"<p class="outside"><!></p>"#),
            "{mode:?}: {html}"
        );
        assert!(page_snapshots(&html).is_empty(), "{mode:?}: {html}");
        assert!(!html.contains(r#"<p class="inside">"#), "{mode:?}: {html}");
        assert!(html.contains("loading inside"), "{mode:?}: {html}");
        nothing_live().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_deadline_unfinished_stores_are_left_to_the_browser_and_the_requests_end() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(2).deadline(Some(Duration::from_millis(200)));
    let setup = setup();
    for mode in [Mode::Async, Mode::InOrder, Mode::OutOfOrder] {
        let mut clients = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let (renderer, setup) = (renderer.clone(), setup.clone());
            clients.spawn(async move {
                // A store that never loads beside one that does.
                let response = render_app(&renderer, &setup, mode, || {
                    provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
                    view! {
                        <main>
                            <NotesView id="never".to_string()/>
                            <NotesView id="quick".to_string()/>
                        </main>
                    }
                })
                .await
                .expect("a response within 5 s");
                assert_eq!(response.status(), 200);
                body_within_5s(response).await.expect("a body that ends")
            });
        }
        while let Some(html) = clients.join_next().await {
            let html = html.expect("a client");
            assert!(html.contains("first note of quick"), "{mode:?}: {html}");
            assert!(html.contains("loading"), "{mode:?}: {html}");
            assert!(!html.contains("first note of never"), "{mode:?}: {html}");
            assert!(html.contains("__INCOMPLETE_CHUNKS=["), "{mode:?}: {html}");
            // Only the loaded store's snapshot.
            assert_eq!(page_snapshots(&html).len(), 1, "{mode:?}: {html}");
        }
        nothing_live().await;
    }
    assert_eq!(setup.counters.loads.load(Ordering::SeqCst), 300);
    assert_eq!(setup.counters.teardowns.load(Ordering::SeqCst), 300);
}

/// A page that waits for a plain Leptos resource that never resolves.
fn never_resource_app() -> impl IntoView {
    provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    preload_hydrated_store(&notes("held".to_string()));
    let never = Resource::new(|| (), |()| std::future::pending::<String>());
    view! {
        <main>
            <Suspense fallback=|| "loading">{move || Suspend::new(async move { never.await })}</Suspense>
        </main>
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_does_not_end_after_its_deadline_is_cut_off_and_disposed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1).deadline(Some(Duration::from_millis(200)));
    let setup = setup();
    // Before the head: a 503.
    let response = render_app(&renderer, &setup, Mode::Async, never_resource_app)
        .await
        .expect("a response");
    assert_eq!(response.status(), 503);
    assert_eq!(
        body_text(response).await,
        "the page did not render before its deadline"
    );
    nothing_live().await;
    // After the head: the body breaks off.
    let response = render_app(&renderer, &setup, Mode::InOrder, never_resource_app)
        .await
        .expect("a response");
    assert_eq!(response.status(), 200);
    let body = tokio::time::timeout(
        Duration::from_secs(5),
        axum::body::to_bytes(response.into_body(), usize::MAX),
    )
    .await
    .expect("the body ends");
    assert!(body.is_err(), "a complete-looking body: {body:?}");
    nothing_live().await;
    assert_eq!(setup.counters.loads.load(Ordering::SeqCst), 2);
    assert_eq!(setup.counters.teardowns.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_renders_a_thread_may_hold_requests_are_answered_503() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1)
        .deadline(None)
        .max_renders_per_thread(Some(2));
    let setup = setup();
    // Two requests whose stores never load hold the thread's two renders.
    let held: Vec<_> = (0..2)
        .map(|_| tokio::spawn(render(&renderer, &setup, vec!["never"], false)))
        .collect();
    // Each holds two registries (two id types) and two entries (its notes, and a counter).
    let counts = || {
        let live = SsrRenderer::live_counts();
        (live.registries, live.entries)
    };
    for _ in 0..500 {
        if counts() == (4, 4) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(counts(), (4, 4));
    let response = render(&renderer, &setup, vec!["a"], false).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(body_text(response).await, "the server is busy: try again");
    // No registry for the refused request, no load.
    assert_eq!(setup.counters.loads.load(Ordering::SeqCst), 2);
    // Once the held requests end, the thread renders again.
    for client in held {
        client.abort();
    }
    nothing_live().await;
    let html = body_text(render(&renderer, &setup, vec!["b"], false).await).await;
    assert!(html.contains("first note of b"), "{html}");
    nothing_live().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_read_in_one_suspend_render_together() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let response = render_app(&renderer, &setup, Mode::InOrder, || {
        provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
        provide_store_registry_of(StoreRegistry::<u64>::new(RegistryConfig::default()));
        let notes = use_hydrated_store(|| notes("slow-joined".to_string()));
        let counter = use_hydrated_store(|| counter(3));
        view! {
            <main>
                <Suspense fallback=|| "loading both">
                    {move || Suspend::new(async move {
                        let (notes, counter) = registry_leptos::join_stores((notes, counter)).await;
                        let (notes, counter) = (notes?, counter?);
                        Ok::<_, registry_core::RegistryError<NotesError>>(view! {
                            <p class="both">{notes.items.join(", ")}" / "{counter.label.clone()}</p>
                        })
                    })}
                </Suspense>
            </main>
        }
    })
    .await
    .expect("a response");
    let html = body_text(response).await;
    assert!(
        html.contains(r#"<p class="both">first note of slow-joined<!> / <!>counter 3</p>"#),
        "{html}"
    );
    assert_eq!(page_snapshots(&html).len(), 2, "{html}");
    nothing_live().await;
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct DirectoryError(String);

impl std::fmt::Display for DirectoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DirectoryError {}

/// A store that is plain data (no `HydratableStore` impl); `offline` ids fail.
fn directory(id: &str) -> StoreOptions<String, Vec<String>, DirectoryError> {
    StoreOptions::new(id.to_string(), |ctx: LoadContext<String>| {
        let id = ctx.store_id().clone();
        async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if id == "offline" {
                return Err(DirectoryError("the directory is offline".to_string()));
            }
            Ok(vec![format!("Ada of {id}"), format!("Grace of {id}")])
        }
    })
}

#[component]
fn DirectoryView(id: &'static str, render_errors: bool) -> impl IntoView {
    let hydration = if render_errors {
        registry_leptos::Hydration::serialized().render_errors()
    } else {
        registry_leptos::Hydration::serialized()
    };
    let people = registry_leptos::use_hydrated_store_with(move || directory(id), hydration);
    view! {
        <Suspense fallback=|| "loading directory">
            <ErrorBoundary fallback=|errors| view! {
                <p class="failed">{move || errors.get().into_iter().map(|(_, error)| error.to_string()).collect::<Vec<_>>().join(", ")}</p>
            }>
                {move || people.get().map(|people| people.map(|people| view! { <p class="people">{people.join(", ")}</p> }))}
            </ErrorBoundary>
        </Suspense>
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_of_plain_serializable_data_is_rendered_and_carried_without_a_trait_impl() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let response = render_app(&renderer, &setup, Mode::Async, || {
        provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
        view! { <main><DirectoryView id="acme" render_errors=false/></main> }
    })
    .await
    .expect("a response");
    let html = body_text(response).await;
    assert!(
        html.contains(r#"<p class="people">Ada of acme, Grace of acme</p>"#),
        "{html}"
    );
    let snapshots = page_snapshots(&html);
    assert_eq!(snapshots.len(), 1, "{html}");
    assert_eq!(
        snapshots[0].1,
        serde_json::json!(["Ada of acme", "Grace of acme"])
    );
    nothing_live().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_render_errors_the_server_renders_a_failure_and_carries_it_to_the_browser() {
    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    for mode in [Mode::Async, Mode::InOrder] {
        let response = render_app(&renderer, &setup, mode, || {
            provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
            view! { <main><DirectoryView id="offline" render_errors=true/></main> }
        })
        .await
        .expect("a response");
        let html = body_text(response).await;
        // The ErrorBoundary's fallback, in the HTML; the failure in the page for the browser.
        assert!(html.contains(r#"<p class="failed">"#), "{mode:?}: {html}");
        assert!(
            html.contains("the directory is offline"),
            "{mode:?}: {html}"
        );
        assert!(!html.contains("loading directory"), "{mode:?}: {html}");
        assert!(
            !html.contains("__INCOMPLETE_CHUNKS=[0,"),
            "{mode:?}: {html}"
        );
        let snapshots = page_snapshots(&html);
        assert_eq!(
            snapshots
                .iter()
                .map(|(_, carried)| carried.clone())
                .collect::<Vec<_>>(),
            [serde_json::json!({ "error": "the directory is offline" })],
            "{mode:?}: {html}"
        );
        nothing_live().await;
    }

    // Without the opt-in, a failure is left to the browser, as before.
    let response = render_app(&renderer, &setup, Mode::Async, || {
        provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
        view! { <main><DirectoryView id="offline" render_errors=false/></main> }
    })
    .await
    .expect("a response");
    let html = body_text(response).await;
    assert!(html.contains("loading directory"), "{html}");
    assert!(!html.contains("the directory is offline"), "{html}");
    assert!(page_snapshots(&html).is_empty(), "{html}");
    nothing_live().await;
}

/// A page for `routes`: its method, path and status, and a store.
#[component]
fn RoutedPage() -> impl IntoView {
    provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
    let request = use_context::<axum::http::request::Parts>();
    let line = request.map_or_else(String::new, |parts| {
        format!("{} {}", parts.method, parts.uri.path())
    });
    view! {
        <main>
            <p class="request">{line}</p>
            <NotesView id="routed".to_string()/>
        </main>
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_mounts_every_declared_method_and_a_404_page_rendered_with_stores() {
    use tower::ServiceExt;

    let _one = ONE_AT_A_TIME.lock().await;
    let renderer = SsrRenderer::new(1);
    let setup = setup();
    let listings = vec![
        leptos_axum::AxumRouteListing::new(
            "/form".to_string(),
            leptos_router::SsrMode::Async,
            [leptos_router::Method::Get, leptos_router::Method::Post],
            vec![],
        ),
        leptos_axum::AxumRouteListing::new(
            "/page".to_string(),
            leptos_router::SsrMode::InOrder,
            [leptos_router::Method::Get],
            vec![],
        ),
    ];
    let context = setup.clone();
    let router: axum::Router = renderer
        .routes(
            listings,
            move || provide_context(context.clone()),
            RoutedPage,
        )
        .with_state(LeptosOptions::builder().output_name("app").build());
    let call = |method: &str, path: &str| {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .expect("a request");
        router.clone().oneshot(request)
    };
    for (method, path, status) in [
        ("GET", "/form", 200),
        ("POST", "/form", 200),
        ("GET", "/page", 200),
        ("GET", "/elsewhere", 404),
    ] {
        let response = call(method, path).await.expect("a response");
        assert_eq!(response.status(), status, "{method} {path}");
        let html = body_text(response).await;
        assert!(
            html.contains(&format!(r#"<p class="request">{method} {path}</p>"#)),
            "{method} {path}: {html}"
        );
        assert!(
            html.contains("first note of routed"),
            "{method} {path}: {html}"
        );
    }
    // Only what the route declares.
    let response = call("POST", "/page").await.expect("a response");
    assert_eq!(response.status(), 405);
    nothing_live().await;
}
