//! The workspaces demo of store-registry: a Leptos app (client-side rendered, built with
//! Trunk) whose workspaces are stores in a [`StoreRegistry`](registry_core::StoreRegistry).
//!
//! - The route `/w/:id` picks the workspace; its page calls `use_store`, so navigating
//!   switches stores, and coming back within the cache time shows the store at once.
//! - Booting takes a visible while; hovering a sidebar link preloads.
//! - The registry panel shows `snapshot()` live (state, holders, countdown to disposal) and
//!   counts boots and disposals; the cache time is picked on the page.
//! - "Flaky sync" fails every other boot: the error reaches an `ErrorBoundary` with a retry.
//!
//! Run it with `bash scripts/demo.sh` from the repository root.

pub mod activity;
pub mod app;
pub mod live;
pub mod page;
pub mod panel;
pub mod settings;
pub mod sidebar;
pub mod workspace;

/// Mounts the app on `<body>`, with panics and `tracing` output going to the browser console.
#[cfg(target_arch = "wasm32")]
pub fn start() {
    use leptos::prelude::*;
    use registry_core::RegistryConfig;

    console_error_panic_hook::set_once();
    tracing_wasm::set_as_global_default_with_config(
        tracing_wasm::WASMLayerConfigBuilder::new()
            .set_max_level(tracing::Level::DEBUG)
            .build(),
    );
    let registry = workspace::WorkspaceRegistry::new(RegistryConfig::default());
    leptos::mount::mount_to_body(move || view! { <app::App registry/> });
}
