//! Mounting and unmounting 1,000 components in the browser, timed with `performance.now()`:
//!
//! - `store`: each calls `use_store` for one store that is already loaded (a cache hit,
//!   a retain on mount, a release on unmount) and renders it;
//! - `resource`: each reads one `LocalResource` that already holds the same value;
//! - `store_inspected`: as `store`, with a `RegistryInspector` rendered beside them.
//!
//! `run(kind, components, rounds)` returns the milliseconds of every round (mount, then
//! unmount); `perf/browser/leptos-page.mjs` calls it and reports the medians.

use leptos::mount::mount_to;
use leptos::prelude::*;
use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
use registry_leptos::{RegistryInspector, provide_store_registry, use_store};
use wasm_bindgen::prelude::*;

/// The store: a small value, as a real store's handle would be.
struct Counter {
    value: u32,
}

fn options() -> StoreOptions<String, Counter, std::convert::Infallible> {
    StoreOptions::new("counter".to_string(), |_: LoadContext<String>| async {
        Ok(Counter { value: 7 })
    })
}

#[component]
fn StoreReader() -> impl IntoView {
    let store = use_store(options);
    view! { <span>{move || store.get().and_then(Result::ok).map(|counter| counter.value)}</span> }
}

#[component]
fn ResourceReader(resource: LocalResource<u32>) -> impl IntoView {
    view! { <span>{move || resource.get()}</span> }
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or(0.0, |performance| performance.now())
}

fn container() -> Result<web_sys::HtmlElement, JsValue> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or("no document")?;
    let element: web_sys::HtmlElement = document.create_element("div")?.dyn_into()?;
    document.body().ok_or("no body")?.append_child(&element)?;
    Ok(element)
}

/// Mounts `components` readers of kind `kind` into `target`; dropping the handle unmounts them.
fn mount(
    target: web_sys::HtmlElement,
    registry: StoreRegistry,
    resource: LocalResource<u32>,
    kind: &str,
    components: u32,
) -> leptos::mount::UnmountHandle<impl leptos::tachys::view::Mountable> {
    let resource_readers = kind == "resource";
    mount_to(target, move || {
        provide_store_registry(registry.clone());
        if resource_readers {
            (0..components)
                .map(|_| view! { <ResourceReader resource/> })
                .collect_view()
                .into_any()
        } else {
            (0..components)
                .map(|_| view! { <StoreReader/> })
                .collect_view()
                .into_any()
        }
    })
}

/// Times `rounds` rounds of mounting and unmounting `components` readers of kind `kind`
/// (`store`, `resource` or `store_inspected`); returns each round's milliseconds.
#[wasm_bindgen]
pub async fn run(kind: String, components: u32, rounds: u32) -> Result<Vec<f64>, JsValue> {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let registry = StoreRegistry::new(RegistryConfig::default());
    // Loaded before timing: every reader finds it cached.
    if !registry.get_or_load(&options()).is_ready() {
        return Err("the store did not load at once".into());
    }
    let holder = registry.retain(&options());
    // The resource holds its value before timing too.
    let owner = Owner::new();
    let resource = owner.with(|| LocalResource::new(|| async { 7_u32 }));
    let _ = resource.await;
    let inspector = if kind == "store_inspected" {
        let registry = registry.clone();
        Some(mount_to(container()?, move || {
            provide_store_registry(registry.clone());
            view! { <RegistryInspector/> }
        }))
    } else {
        None
    };
    let target = container()?;

    // Untimed: every reader renders the value.
    let check = mount(target.clone(), registry.clone(), resource, &kind, components);
    let text = target.text_content().unwrap_or_default();
    drop(check);
    if text != "7".repeat(components as usize) {
        return Err(format!("{kind}: the readers rendered {} characters", text.len()).into());
    }

    let mut times = Vec::with_capacity(rounds as usize);
    for _ in 0..rounds {
        let start = now();
        let handle = mount(target.clone(), registry.clone(), resource, &kind, components);
        drop(handle);
        times.push(now() - start);
    }
    drop(inspector);
    drop(holder);
    registry.dispose();
    drop(owner);
    Ok(times)
}
