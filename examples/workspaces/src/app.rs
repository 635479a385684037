//! The app's shell: providers, the router, and the three columns (sidebar, workspace, registry).

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;
use registry_leptos::provide_store_registry;

use crate::activity::Activity;
use crate::live::LiveSnapshot;
use crate::page::WorkspacePage;
use crate::panel::RegistryPanel;
use crate::settings::Settings;
use crate::sidebar::Sidebar;
use crate::workspace::WorkspaceRegistry;

/// The whole app, around `registry` (one per page).
#[component]
pub fn App(
    /// The registry the whole app shares (`StoreRegistry::new` in the browser).
    registry: WorkspaceRegistry,
) -> impl IntoView {
    provide_store_registry(registry);
    provide_context(Activity::new());
    Settings::provide();
    LiveSnapshot::provide();

    view! {
        <Router>
            <div class="shell">
                <header class="topbar">
                    <A href="/">
                        <span class="logo">"◆"</span>
                        " store-registry"
                        <span class="subtitle">" · workspaces demo"</span>
                    </A>
                </header>
                <Sidebar/>
                <main class="content">
                    <Routes fallback=|| view! { <NotFound/> }>
                        <Route path=path!("/") view=Home/>
                        <Route path=path!("/w/:id") view=WorkspacePage/>
                    </Routes>
                </main>
                <RegistryPanel/>
            </div>
        </Router>
    }
}

/// The start page: what the demo shows and what to try.
#[component]
fn Home() -> impl IntoView {
    view! {
        <section class="card intro" data-testid="home">
            <h1>"One store per workspace, shared and cached"</h1>
            <p>
                "Each workspace is a store that takes a moment to boot. The "
                <code>"StoreRegistry"</code>
                " boots it once, keeps it while a page shows it, and disposes it a cache time after
                the last page lets go."
            </p>
            <ul>
                <li>"Open a workspace: the loading card shows while it boots."</li>
                <li>"Switch away and back within the cache time: it is there at once, edits included."</li>
                <li>"Wait out the cache time: the registry panel counts it down, then disposes it."</li>
                <li>"Hover a link: the workspace boots before you click."</li>
                <li>"Open Flaky sync: its first boot fails; retry it."</li>
            </ul>
        </section>
    }
}

/// Any path the router does not know.
#[component]
fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Nothing here"</h1>
            <p><A href="/">"Back to the start"</A></p>
        </section>
    }
}
