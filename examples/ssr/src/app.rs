//! The app: a start page, and workspace pages whose route component preloads their stores.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::hooks::use_params_map;
use leptos_router::{SsrMode, path};
use registry_core::{RegistryConfig, StoreRegistry};
use registry_leptos::{
    Hydration, StoreResource, preload_hydrated_store, preload_store, provide_store_registry,
    use_hydrated_store, use_hydrated_store_with, use_store,
};

use crate::data::{self, Todo};
use crate::stores::{self, LoadError, Members};

const STYLE: &str = "
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; padding: .75rem 1.5rem; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
.workspace nav a { margin-right: 1rem; }
.cards { display: grid; grid-template-columns: 2fr 1fr; gap: 1rem; margin-top: 1rem; }
.card { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 1rem; }
.loading { color: #6b7385; }
li[data-done=true] { text-decoration: line-through; color: #6b7385; }
@media (max-width: 700px) { .cards { grid-template-columns: 1fr; } }
";

/// The whole page around [`App`], rendered by the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Stores rendered on the server"</title>
                <link rel="icon" href="data:,"/>
                <style>{STYLE}</style>
                <HydrationScripts options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: its registry and its routes.
#[component]
pub fn App() -> impl IntoView {
    // In the browser, the app's registry. On the server, `SsrRenderer` gives each request a
    // registry of its own instead (cache time `Infinite`, disposed after the response).
    provide_store_registry(StoreRegistry::new(registry_config()));
    view! {
        <Router>
            <header>
                <A href="/">"Workspaces"</A>
            </header>
            <main>
                <Routes fallback=|| view! { <p>"Not found."</p> }>
                    <Route path=path!("") view=Home/>
                    <ParentRoute path=path!("/ws/:id") view=WorkspaceRoute ssr=SsrMode::InOrder>
                        <Route path=path!("") view=TodosCard ssr=SsrMode::InOrder/>
                        <Route path=path!("members") view=MembersCard ssr=SsrMode::InOrder/>
                    </ParentRoute>
                    // The same page in every SSR mode.
                    <ParentRoute path=path!("/async/ws/:id") view=WorkspaceRoute ssr=SsrMode::Async>
                        <Route path=path!("") view=TodosCard ssr=SsrMode::Async/>
                    </ParentRoute>
                    <ParentRoute
                        path=path!("/out-of-order/ws/:id")
                        view=WorkspaceRoute
                        ssr=SsrMode::OutOfOrder
                    >
                        <Route path=path!("") view=TodosCard ssr=SsrMode::OutOfOrder/>
                    </ParentRoute>
                    <ParentRoute
                        path=path!("/partially-blocked/ws/:id")
                        view=WorkspaceRoute
                        ssr=SsrMode::PartiallyBlocked
                    >
                        <Route path=path!("") view=TodosCard ssr=SsrMode::PartiallyBlocked/>
                    </ParentRoute>
                    // The same page with plain Leptos resources instead of stores (the
                    // benchmark's baseline).
                    <Route path=path!("/plain/ws/:id") view=PlainWorkspace ssr=SsrMode::InOrder/>
                </Routes>
            </main>
        </Router>
    }
}

/// The browser registry's configuration: `?ttl=MS` in the page's URL sets the cache time
/// (default 60 s).
fn registry_config() -> RegistryConfig {
    #[cfg(target_arch = "wasm32")]
    if let Some(ms) = crate::browser::query_param("ttl").and_then(|ms| ms.parse().ok()) {
        return RegistryConfig::default()
            .default_unused_cache_time(std::time::Duration::from_millis(ms));
    }
    RegistryConfig::default()
}

#[component]
fn Home() -> impl IntoView {
    view! {
        <h1>"Workspaces"</h1>
        <ul data-testid="workspaces">
            {data::WORKSPACES
                .iter()
                .map(|(id, name)| view! { <li><A href=format!("/ws/{id}")>{*name}</A></li> })
                .collect_view()}
        </ul>
    }
}

/// The workspace id in the route.
fn workspace_id() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").unwrap_or_default())
}

/// Route loader and layout of a workspace: preloads the page's stores, so that the server
/// loads both at once (not the second only when the first's `<Suspense>` has rendered), and
/// the browser starts loading them on navigation, before the cards mount.
#[component]
fn WorkspaceRoute() -> impl IntoView {
    let id = workspace_id();
    let preload = |id: String| {
        preload_hydrated_store(&stores::todos(id.clone()));
        preload_hydrated_store(&stores::members(id.clone()));
        preload_store(&stores::clock(id));
    };
    preload(id.get_untracked());
    // Client navigation from one workspace to another keeps this layout: preload again.
    Effect::watch(move || id.get(), move |id, _, _| preload(id.clone()), false);

    let clock = use_store(move || stores::clock(id.get()));
    // The members again, read with `use_store` before the cards read them with
    // `use_hydrated_store`: the server renders this one's fallback, and while the page
    // hydrates it must render that fallback too, without starting a load that would keep the
    // cards from starting from the server's snapshot.
    let member_badge = use_store(move || stores::members(id.get()));
    view! {
        <section class="workspace">
            <h1 data-testid="workspace">{move || id.get()}</h1>
            <nav>
                <A href=move || format!("/ws/{}", id.get())>"Todos"</A>
                <A href=move || format!("/ws/{}/members", id.get())>"Members"</A>
            </nav>
            <p class="clock">
                <Suspense fallback=|| view! { <span data-testid="clock">"Open in this tab: …"</span> }>
                    {move || clock.get().map(|clock| match clock {
                        Ok(clock) => {
                            let seconds = clock.seconds.clone();
                            view! { <span data-testid="clock">"Open in this tab: "{move || seconds.get()}" s"</span> }.into_any()
                        }
                        Err(error) => view! { <span data-testid="clock">{error.to_string()}</span> }.into_any(),
                    })}
                </Suspense>
            </p>
            <p class="badge">
                <Suspense fallback=|| view! { <span data-testid="member-badge">"Members: …"</span> }>
                    {move || member_badge.get().map(|members| {
                        let text = match members {
                            Ok(members) => format!("Members: {}", members.members.len()),
                            Err(_) => "Members: unavailable".to_string(),
                        };
                        view! { <span data-testid="member-badge">{text}</span> }
                    })}
                </Suspense>
            </p>
            <div class="cards">
                <Outlet/>
                <MembersSummary id/>
            </div>
        </section>
    }
}

#[component]
fn TodosCard() -> impl IntoView {
    let id = workspace_id();
    let todos = use_hydrated_store(move || stores::todos(id.get()));
    view! {
        <article class="card">
            <h2>"Todos"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading todos…"</p> }>
                {move || todos.get().map(|todos| todos.map(|todos| view! {
                    <TodoList items=todos.items.clone()/>
                    // A component that only exists once the todos have loaded, reading another
                    // store under the same Suspense: nested stores hydrate too.
                    <Owner id/>
                }))}
            </Suspense>
        </article>
    }
}

#[component]
fn TodoList(items: Vec<Todo>) -> impl IntoView {
    view! {
        <ul data-testid="todos">
            {items
                .into_iter()
                .map(|todo| view! { <li data-done=todo.done.to_string()>{todo.title}</li> })
                .collect_view()}
        </ul>
    }
}

/// Who owns the workspace's todos: the first member. Rendered inside the todos' `<Suspense>`,
/// which waits for this store too. (Not a `<Suspense>` of its own: in Leptos 0.8 a Suspense
/// nested in another's children is created twice on the server, and if it renders its
/// fallback there, as when the store fails, the browser cannot match it while hydrating.)
#[component]
fn Owner(id: Memo<String>) -> impl IntoView {
    let members = use_members(id);
    move || {
        members.get().map(|members| {
            let owner = members.ok().and_then(|members| {
                members.members.first().map(|member| member.name.clone())
            });
            view! { <p data-testid="owner">"Owned by "{owner.unwrap_or_else(|| "nobody".to_string())}</p> }
        })
    }
}

/// A workspace's members, rendered by the server, failures included: a failure is rendered
/// into the HTML and the browser starts from it with no load (every reader of an entry must
/// say so alike).
fn use_members(id: Memo<String>) -> StoreResource<Members, LoadError> {
    use_hydrated_store_with(
        move || stores::members(id.get()),
        Hydration::new().render_errors(),
    )
}

#[component]
fn MembersSummary(id: Memo<String>) -> impl IntoView {
    let members = use_members(id);
    view! {
        <aside class="card">
            <h2>"Members"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading members…"</p> }>
                {move || members.get().map(|loaded| match loaded {
                    Ok(loaded) => view! { <MemberList members=loaded.members.clone()/> }.into_any(),
                    Err(error) => view! {
                        <p data-testid="members-error">{error.to_string()}</p>
                        <button data-testid="members-retry" on:click=move |_| { members.retry(); }>
                            "Retry"
                        </button>
                    }.into_any(),
                })}
            </Suspense>
        </aside>
    }
}

#[component]
fn MemberList(members: Vec<data::Member>) -> impl IntoView {
    view! {
        <p data-testid="member-count">{members.len()}" members"</p>
        <ul data-testid="members">
            {members.into_iter().map(|member| view! { <li>{member.name}</li> }).collect_view()}
        </ul>
    }
}

#[component]
fn MembersCard() -> impl IntoView {
    let id = workspace_id();
    let members = use_members(id);
    view! {
        <article class="card">
            <h2>"Roles"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading roles…"</p> }>
                {move || members.get().map(|members| members.map(|members| view! {
                    <ul data-testid="roles">
                        {members.members.iter().map(|member| view! {
                            <li>{member.name.clone()}": "{member.role.clone()}</li>
                        }).collect_view()}
                    </ul>
                }))}
            </Suspense>
        </article>
    }
}

/// The workspace page with plain Leptos resources: the benchmark's baseline.
#[component]
fn PlainWorkspace() -> impl IntoView {
    let id = workspace_id();
    let todos = Resource::new(
        move || id.get(),
        |id| plain_load(id, "todos", data::todos_of),
    );
    let members = Resource::new(
        move || id.get(),
        |id| plain_load(id, "members", data::members_of),
    );
    // The same markup as the page with stores: the layout, the clock's fallback, the owner
    // line under the todos' Suspense.
    view! {
        <section class="workspace">
            <h1 data-testid="workspace">{move || id.get()}</h1>
            <nav>
                <A href=move || format!("/ws/{}", id.get())>"Todos"</A>
                <A href=move || format!("/ws/{}/members", id.get())>"Members"</A>
            </nav>
            <p class="clock"><span data-testid="clock">"Open in this tab: …"</span></p>
            <div class="cards">
                <article class="card">
                    <h2>"Todos"</h2>
                    <Suspense fallback=|| view! { <p class="loading">"Loading todos…"</p> }>
                        {move || todos.get().map(|todos| todos.map(|items| {
                            let owner = members
                                .get()
                                .and_then(Result::ok)
                                .and_then(|members| members.into_iter().next())
                                .map_or_else(|| "nobody".to_string(), |member| member.name);
                            view! {
                                <TodoList items/>
                                <p data-testid="owner">"Owned by "{owner}</p>
                            }
                        }))}
                    </Suspense>
                </article>
                <aside class="card">
                    <h2>"Members"</h2>
                    <Suspense fallback=|| view! { <p class="loading">"Loading members…"</p> }>
                        {move || members.get().map(|members| members.map(|members| view! { <MemberList members/> }))}
                    </Suspense>
                </aside>
            </div>
        </section>
    }
}

/// A plain resource's fetcher: the database on the server, the API in the browser.
fn plain_load<T>(
    id: String,
    what: &'static str,
    read: fn(&str) -> T,
) -> impl std::future::Future<Output = Result<T, LoadError>> + Send + 'static
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = what;
        crate::server::read_database(id, read)
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = read;
        send_wrapper::SendWrapper::new(crate::browser::fetch_json(format!("/api/{what}/{id}")))
    }
}
