//! The server path (every native target): components render to HTML without loading stores,
//! without panicking, and show the Suspense fallback.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use futures::StreamExt;
use leptos::prelude::*;
use registry_core::{
    LoadContext, Lookup, RegistryConfig, RegistryError, StoreOptions, StoreRegistry,
};
#[path = "support/hydrate_app.rs"]
mod hydrate_app;

use registry_leptos::{
    StoreFuture, StoreResource, provide_store_registry, use_store, use_store_registry,
};

#[derive(Debug)]
struct Todos {
    items: Vec<String>,
}

#[derive(Debug)]
struct TodoError;

impl std::fmt::Display for TodoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("offline")
    }
}

impl std::error::Error for TodoError {}

type Registry = StoreRegistry<String>;

thread_local! {
    static LOADS: Cell<usize> = const { Cell::new(0) };
    static OPTIONS_CALLS: Cell<usize> = const { Cell::new(0) };
}

fn options(id: String) -> StoreOptions<String, Todos, TodoError> {
    OPTIONS_CALLS.with(|c| c.set(c.get() + 1));
    StoreOptions::new(id, |ctx: LoadContext<String>| async move {
        LOADS.with(|c| c.set(c.get() + 1));
        Ok(Todos {
            items: vec![ctx.store_id().clone()],
        })
    })
}

#[component]
fn TodoList() -> impl IntoView {
    let store: StoreResource<Todos, TodoError> = use_store(|| options("ws-1".to_string()));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=move |_| view! { <button on:click=move |_| { store.retry(); }>"Retry"</button> }>
                {move || Suspend::new(async move {
                    store.await.map(|todos| view! { <ul>{todos.items.len()}</ul> })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
fn SyncRead() -> impl IntoView {
    let store: StoreResource<Todos, TodoError> = use_store(|| options("ws-1".to_string()));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || store.get().map(|todos| todos.map(|t| t.items.len()))}
        </Suspense>
    }
}

#[component]
fn App(#[prop(optional)] sync: bool) -> impl IntoView {
    provide_store_registry(Registry::new(RegistryConfig::default()));
    if sync {
        view! { <main><SyncRead/></main> }.into_any()
    } else {
        view! { <main><TodoList/></main> }.into_any()
    }
}

fn reset() {
    LOADS.with(|c| c.set(0));
    OPTIONS_CALLS.with(|c| c.set(0));
}

fn loads() -> usize {
    LOADS.with(Cell::get)
}

fn options_calls() -> usize {
    OPTIONS_CALLS.with(Cell::get)
}

/// A root owner with a server shared context, as leptos_axum sets up per request.
fn ssr_owner() -> Owner {
    let owner = Owner::new_root(Some(Arc::new(hydration_context::SsrSharedContext::new())));
    owner.set();
    owner
}

#[test]
fn synchronous_render_shows_the_suspense_fallback_and_loads_nothing() {
    reset();
    let _owner = ssr_owner();
    let html = view! { <App/> }.to_html();
    assert!(html.contains("<p>Loading…</p>"), "{html}");
    assert!(!html.contains("<ul>"), "{html}");
    assert_eq!(loads(), 0);
    assert_eq!(options_calls(), 0);
}

fn stream(view: impl RenderHtml + 'static, out_of_order: bool) -> String {
    let _ = any_spawner::Executor::init_futures_executor();
    let builder = if out_of_order {
        view.to_html_stream_out_of_order()
    } else {
        view.to_html_stream_in_order()
    };
    futures::executor::block_on(builder.collect::<Vec<String>>()).concat()
}

#[test]
fn in_order_stream_renders_the_fallback_without_waiting() {
    reset();
    let _owner = ssr_owner();
    let html = stream(view! { <App/> }, false);
    assert!(html.contains("<p>Loading…</p>"), "{html}");
    assert!(!html.contains("<ul>"), "{html}");
    assert_eq!(loads(), 0);
}

#[test]
fn out_of_order_stream_renders_the_fallback_without_waiting() {
    reset();
    let _owner = ssr_owner();
    let html = stream(view! { <App/> }, true);
    assert!(html.contains("<p>Loading…</p>"), "{html}");
    assert!(!html.contains("<ul>"), "{html}");
    assert_eq!(loads(), 0);
}

/// The chunk ids the server marks as incomplete (rendered as their fallback), as the page's
/// hydration script lists them.
fn incomplete_chunks(context: &Arc<hydration_context::SsrSharedContext>) -> String {
    use hydration_context::SharedContext;
    let data = context
        .pending_data()
        .expect("a server context streams its data");
    let script = futures::executor::block_on(data.collect::<Vec<String>>()).concat();
    let start = script
        .find("__INCOMPLETE_CHUNKS=[")
        .expect("the incomplete chunks are listed");
    script[start..]
        .split(']')
        .next()
        .unwrap_or_default()
        .to_string()
        + "]"
}

#[test]
fn streamed_fallbacks_are_marked_incomplete_so_hydration_starts_from_them() {
    for out_of_order in [false, true] {
        let context = Arc::new(hydration_context::SsrSharedContext::new());
        let owner = Owner::new_root(Some(
            Arc::clone(&context) as Arc<dyn hydration_context::SharedContext + Send + Sync>
        ));
        owner.set();
        let html = stream(view! { <App/> }, out_of_order);
        assert!(html.contains("<p>Loading…</p>"), "{html}");
        let chunks = incomplete_chunks(&context);
        assert_ne!(
            chunks, "__INCOMPLETE_CHUNKS=[]",
            "out_of_order: {out_of_order}"
        );
        owner.unset();
    }
}

#[test]
fn synchronous_reads_render_the_fallback_in_every_mode() {
    reset();
    let _owner = ssr_owner();
    assert!(
        view! { <App sync=true/> }
            .to_html()
            .contains("<p>Loading…</p>")
    );
    // The Suspense races its tasks against the browser-only notice: render many times so a
    // lost race shows.
    for _ in 0..200 {
        for out_of_order in [false, true] {
            let owner = ssr_owner();
            let html = stream(view! { <App sync=true/> }, out_of_order);
            assert!(html.contains("<p>Loading…</p>"), "{html}");
            owner.unset();
        }
    }
    assert_eq!(loads(), 0);
}

#[test]
fn many_renders_on_many_threads_never_panic() {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                for out_of_order in [false, true] {
                    for _ in 0..25 {
                        let owner = ssr_owner();
                        let html = stream(view! { <App/> }, out_of_order);
                        assert!(html.contains("Loading…"));
                        owner.unset();
                    }
                }
                loads()
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().expect("a render panicked"), 0);
    }
}

#[test]
fn use_store_registry_on_the_server_is_a_disposed_stand_in() {
    reset();
    let _owner = ssr_owner();
    provide_store_registry(Registry::new(RegistryConfig::default()));
    let registry = use_store_registry();
    assert!(registry.is_disposed());
    let preload = registry.preload(&options("ws-1".to_string()));
    futures::executor::block_on(preload);
    assert!(matches!(
        registry.get_or_load(&options("ws-1".to_string())),
        Lookup::Ready(Err(RegistryError::Disposed))
    ));
    assert!(registry.retain(&options("ws-1".to_string())).is_inert());
    assert!(registry.snapshot().is_empty());
    assert_eq!(loads(), 0);
}

#[test]
fn a_store_resource_on_the_server_is_always_loading_and_cannot_retry() {
    let _owner = ssr_owner();
    provide_store_registry(Registry::new(RegistryConfig::default()));
    let store = use_store(|| options("ws-1".to_string()));
    assert!(store.get().is_none());
    assert!(store.get_untracked().is_none());
    assert!(store.is_loading());
    assert!(!store.retry());
    let mut future = std::pin::pin!(store.into_future());
    let waker = futures::task::noop_waker();
    assert!(
        future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker))
            .is_pending()
    );
    assert!(format!("{store:?}").starts_with("StoreResource"));
}

#[test]
#[should_panic(expected = "provide_store_registry")]
fn use_store_without_a_provider_panics_with_what_to_add() {
    let _owner = ssr_owner();
    let _ = use_store(|| options("ws-1".to_string()));
}

#[test]
#[should_panic(
    expected = "no StoreRegistry in context. Call `provide_store_registry(StoreRegistry::new(RegistryConfig::default()))`"
)]
fn use_store_registry_without_a_provider_says_what_to_add() {
    let _owner = ssr_owner();
    let _ = use_store_registry();
}

#[test]
#[should_panic(expected = "no StoreRegistry<u64> in context. Call `provide_store_registry_of")]
fn use_store_registry_of_without_a_provider_names_the_id_type() {
    let _owner = ssr_owner();
    let _ = registry_leptos::use_store_registry_of::<u64>();
}

#[test]
fn registry_errors_become_leptos_errors() {
    let error: RegistryError<TodoError> = RegistryError::Load(Arc::new(TodoError));
    let leptos_error: leptos::error::Error = error.into();
    assert_eq!(
        leptos_error.to_string(),
        "the store failed to load: offline"
    );
}

#[test]
fn handles_and_futures_are_send_sync_and_copy() {
    fn send_sync_copy<T: Send + Sync + Copy + 'static>() {}
    fn send<T: Send + 'static>() {}
    send_sync_copy::<StoreResource<Todos, TodoError>>();
    send::<StoreFuture<Todos, TodoError>>();
    // `Rc` stores are fine: the handle never holds one across threads.
    send_sync_copy::<StoreResource<Rc<Cell<u8>>, TodoError>>();
}

/// What the server sends for `HydrateApp` (the `<body>` part), and the chunks it marks
/// incomplete: `browser.rs` hydrates exactly this.
const HYDRATE_HTML: &str = include_str!("support/hydrate.html");
const HYDRATE_INCOMPLETE: &str = "__INCOMPLETE_CHUNKS=[0,1,]";

#[test]
fn the_server_renders_what_the_hydration_test_hydrates() {
    use hydrate_app::{HydrateApp, Page};
    let context = Arc::new(hydration_context::SsrSharedContext::new());
    let owner = Owner::new_root(Some(
        Arc::clone(&context) as Arc<dyn hydration_context::SharedContext + Send + Sync>
    ));
    owner.set();
    let registry = StoreRegistry::new(RegistryConfig::default());
    let options = StoreOptions::new("h".to_string(), |_: LoadContext<String>| async {
        Ok(Page {
            name: "h".to_string(),
        })
    });
    let html = stream(view! { <HydrateApp registry options/> }, false);
    assert_eq!(html, HYDRATE_HTML.trim_end());
    assert_eq!(incomplete_chunks(&context), HYDRATE_INCOMPLETE);
    owner.unset();
}
