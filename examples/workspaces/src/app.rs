//! The app's shell: providers, the router, the pages, and the registry panel.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::path;
use registry_core::StoreRegistry;
use registry_leptos::{RegistryInspector, provide_store_registry};

use crate::catalog;
use crate::config::DemoConfig;
use crate::links::{PreloadingLink, RoutePreloader};
use crate::resources::ResourceCounts;
use crate::view::WorkspaceView;

/// The whole app, around `registry` (one per page) and `config` (from the query string).
#[component]
pub fn App(
    /// The page's registry.
    registry: StoreRegistry,
    /// The knobs from the query string.
    config: DemoConfig,
) -> impl IntoView {
    provide_store_registry(registry);
    provide_context(config);
    view! {
        <Router>
            <RoutePreloader/>
            <div class="shell">
                <header class="topbar">
                    <A href="/">
                        <span class="logo" aria-hidden="true">"◆"</span>
                        " store-registry"
                        <span class="subtitle">" · local-first workspaces"</span>
                    </A>
                </header>
                <main class="content">
                    <Routes fallback=|| view! { <NotFound/> }>
                        <Route path=path!("/") view=Home/>
                        <Route path=path!("/workspace/:id") view=WorkspacePage/>
                        <Route path=path!("/split/:a/:b") view=SplitPage/>
                    </Routes>
                </main>
                <aside class="panel" aria-label="Registry">
                    <ResourceCounts/>
                    <RegistryInspector/>
                </aside>
            </div>
        </Router>
    }
}

/// The start page: the workspaces this browser knows, a form to create one, a split view.
#[component]
fn Home() -> impl IntoView {
    let known = RwSignal::new(catalog::known());
    let name = RwSignal::new(String::new());
    let navigate = use_navigate();
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let id = catalog::slug(&name.get_untracked());
        if id.is_empty() {
            return;
        }
        catalog::remember(&id);
        known.set(catalog::known());
        name.set(String::new());
        navigate(&format!("/workspace/{id}"), Default::default());
    };
    view! {
        <section class="card intro" data-testid="home">
            <h1>"Local-first workspaces"</h1>
            <p>
                "Each workspace is a store: it opens an IndexedDB database and a channel to your
                other tabs when it boots, and closes both when the registry disposes it, after
                its writes are flushed. Open one, add todos, open the same page in a second tab."
            </p>
            <ul class="workspaces">
                {move || known.get().into_iter().map(|id| view! {
                    <li>
                        <PreloadingLink href=format!("/workspace/{id}") test_id="workspace-link" store_id=id.clone()>
                            {id.clone()}
                        </PreloadingLink>
                    </li>
                }).collect_view()}
            </ul>
            <form class="create" on:submit=create>
                <label for="new-workspace">"New workspace"</label>
                <input id="new-workspace" data-testid="new-workspace" type="text" placeholder="Team roadmap"
                    bind:value=name/>
                <button type="submit">"Create"</button>
            </form>
            <p>
                <PreloadingLink href="/split/acme/garden".to_string() test_id="split-link">
                    "acme and garden side by side"
                </PreloadingLink>
            </p>
            <p class="hint">
                "Query parameters: " <code>"?ttl=MS"</code> " cache time, " <code>"?delay=MS"</code>
                " boot delay, " <code>"?max_idle=N"</code> " bound on idle stores, "
                <code>"?teardown=MS"</code> " closing time, " <code>"?crash=MS"</code>
                " when a workspace loses its channel and restarts itself."
            </p>
        </section>
    }
}

/// `/workspace/:id`.
#[component]
fn WorkspacePage() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    view! {
        <nav class="crumbs"><A href="/">"All workspaces"</A></nav>
        <WorkspaceView id/>
    }
}

/// `/split/:a/:b`: two workspaces at once (two components, each holding its store).
#[component]
fn SplitPage() -> impl IntoView {
    let params = use_params_map();
    let a = Signal::derive(move || params.read().get("a").unwrap_or_default());
    let b = Signal::derive(move || params.read().get("b").unwrap_or_default());
    view! {
        <nav class="crumbs"><A href="/">"All workspaces"</A></nav>
        <div class="split">
            <WorkspaceView id=a/>
            <WorkspaceView id=b/>
        </div>
    }
}

/// Any path the router does not know.
#[component]
fn NotFound() -> impl IntoView {
    view! {
        <section class="card" data-testid="not-found">
            <h1>"Nothing here"</h1>
            <p><A href="/">"Back to the workspaces"</A></p>
        </section>
    }
}
