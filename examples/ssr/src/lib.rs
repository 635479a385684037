//! Server-side rendering with stores: a `leptos_axum` app whose pages render the data of their
//! stores on the server, and whose browser side starts from that data without loading it
//! again.
//!
//! - [`stores`]: `Todos` and `Members` are [`HydratableStore`](registry_leptos::HydratableStore)s
//!   (loaded on the server, carried to the browser); `Clock` stays in the browser (the server
//!   renders its fallback).
//! - [`app`]: the routes. `/ws/:id` is a route whose component is the route loader: it preloads
//!   both stores of the page, so that they load at the same time on the server and as soon as
//!   the browser navigates. `/plain/ws/:id` is the same page with plain Leptos resources, for
//!   the benchmark.
//! - `server` (native targets): the axum router, with [`SsrRenderer`](registry_leptos::ssr::SsrRenderer).
//!
//! A native build is the server (`cargo run -p ssr-example`); a wasm32 build of the library is
//! the browser's side (`hydrate`). `bash scripts/ssr.sh` builds both and serves the app.

pub mod app;
pub mod data;
pub mod stores;

#[cfg(not(target_arch = "wasm32"))]
pub mod server;

#[cfg(target_arch = "wasm32")]
mod browser;

/// The browser's entry point, called by the page's hydration script: hydrates the server's
/// HTML.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // For the end-to-end tests: the page is interactive from here on.
    if let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
