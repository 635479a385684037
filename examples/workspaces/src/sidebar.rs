//! The sidebar: one link per workspace, with its entry's state as a dot. Hovering a link
//! preloads its workspace, so a click often finds it booted already.

use leptos::prelude::*;
use leptos_router::components::A;
use registry_leptos::use_store_registry;

use crate::activity::Activity;
use crate::live::{LiveSnapshot, state_name};
use crate::settings::Settings;
use crate::workspace::{CATALOG, WorkspaceInfo, workspace_options};

/// The list of workspaces.
#[component]
pub fn Sidebar() -> impl IntoView {
    view! {
        <nav class="sidebar" aria-label="Workspaces">
            <h2>"Workspaces"</h2>
            <ul>
                {CATALOG.iter().map(|info| view! { <WorkspaceLink info/> }).collect_view()}
            </ul>
            <p class="hint">"Hover a link to preload it. Flaky sync fails every other boot."</p>
        </nav>
    }
}

/// One workspace's link: its state dot, its name, and a preload on hover.
#[component]
fn WorkspaceLink(info: &'static WorkspaceInfo) -> impl IntoView {
    let registry = use_store_registry();
    let activity = expect_context::<Activity>();
    let settings = Settings::expect();
    let live = LiveSnapshot::expect();
    let state = move || state_name(live.state_of(info.id));

    let preload = move |_| {
        if live.state_of(info.id).is_none() {
            activity.record_preload(info.id);
        }
        let options = workspace_options(
            info.id.to_string(),
            settings.cache_time.get_untracked(),
            activity,
        );
        // The load runs whether or not this future is awaited.
        drop(registry.preload(&options));
    };

    view! {
        <li on:mouseenter=preload data-workspace=info.id>
            <A href=format!("/w/{}", info.id)>
                <span class=move || format!("dot {}", state()) title=state></span>
                <span class="name">{info.name}</span>
            </A>
        </li>
    }
}
