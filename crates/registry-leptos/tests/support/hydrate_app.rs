//! The app that `ssr.rs` renders on the server and `browser.rs` hydrates from that HTML.

use leptos::prelude::*;
use registry_core::{StoreOptions, StoreRegistry};
use registry_leptos::{provide_store_registry, use_store};

/// The store of the hydration test.
#[derive(Debug)]
pub struct Page {
    pub name: String,
}

/// Its error type.
#[derive(Debug)]
pub struct PageError;

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("offline")
    }
}

impl std::error::Error for PageError {}

/// One store read two ways, each under its own Suspense: awaited in a `Suspend`, and with
/// `get()`.
#[component]
pub fn HydrateApp(
    registry: StoreRegistry<String>,
    options: StoreOptions<String, Page, PageError>,
) -> impl IntoView {
    provide_store_registry(registry);
    let second = options.clone();
    let awaited = use_store(move || options.clone());
    let read = use_store(move || second.clone());
    view! {
        <main>
            <Suspense fallback=|| view! { <p>"Loading A"</p> }>
                {move || Suspend::new(async move {
                    awaited.await.ok().map(|page| view! { <p>{format!("Await {}", page.name)}</p> })
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p>"Loading B"</p> }>
                <p>{move || read.get().and_then(Result::ok).map(|page| format!("Get {}", page.name))}</p>
            </Suspense>
        </main>
    }
}
