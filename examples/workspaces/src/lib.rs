//! The workspaces demo of store-registry: a Leptos app (client-side rendered, built with
//! Trunk) whose workspaces are local-first stores in a
//! [`StoreRegistry`](registry_core::StoreRegistry).
//!
//! - Each workspace boots from IndexedDB and stays live across tabs through a
//!   `BroadcastChannel` (`workspace.rs`); its async teardown flushes pending writes and closes
//!   both, and re-opening it meanwhile waits for that.
//! - Reconnect restarts the open workspace under its view (`view.rs`, read under a
//!   `<Transition>`, so nothing remounts); with `?crash=MS` a workspace that loses its channel
//!   restarts itself through its `RestartHandle`.
//! - Routes (`/`, `/workspace/:id`, `/split/:a/:b`) hold stores through `use_store`; route code
//!   and links preload them (`links.rs`).
//! - The panel is `registry_leptos::RegistryInspector`, beside the open connections and
//!   channels (`resources.rs`).
//! - Query parameters set the cache time, boot delay, idle bound, closing time and crash time
//!   (`config.rs`); `fail-` workspaces always fail, `flaky-` ones fail their first boot.
//!
//! Run it with `bash scripts/demo.sh` from the repository root.

pub mod app;
pub mod catalog;
pub mod config;
pub mod db;
pub mod links;
pub mod resources;
pub mod view;
pub mod workspace;

/// Mounts the app on `<body>`, with panics and `tracing` output going to the browser console.
#[cfg(target_arch = "wasm32")]
pub fn start() {
    use leptos::prelude::*;
    use registry_core::{RegistryConfig, StoreRegistry};

    console_error_panic_hook::set_once();
    tracing_wasm::set_as_global_default_with_config(
        tracing_wasm::WASMLayerConfigBuilder::new()
            .set_max_level(tracing::Level::INFO)
            .build(),
    );
    let config = config::DemoConfig::of_page();
    let mut registry_config = RegistryConfig::default()
        .default_unused_cache_time(config.ttl)
        .pause_while_hidden(true);
    registry_config.max_idle_entries = config.max_idle;
    let registry = StoreRegistry::new(registry_config);
    leptos::mount::mount_to_body(move || view! { <app::App registry config/> });
}
