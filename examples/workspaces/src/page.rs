//! The workspace page (`/w/:id`): the route param picks the store, `use_store` holds it while
//! the page shows it, Suspense shows the loading card while it boots, and an ErrorBoundary
//! shows a failed boot with a retry.

use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use registry_leptos::use_store;

use crate::activity::Activity;
use crate::settings::Settings;
use crate::workspace::{Workspace, find_workspace, workspace_options};

/// The page of the workspace in the route. Navigating to another workspace keeps this
/// component and switches its store.
#[component]
pub fn WorkspacePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let activity = expect_context::<Activity>();
    let settings = Settings::expect();
    // The cache time is read untracked: picking another one must not switch stores.
    let store = use_store(move || {
        workspace_options(id.get(), settings.cache_time.get_untracked(), activity)
    });

    // Drops the cached failure and boots again (the view suspends meanwhile).
    let retry = move || {
        activity.record_retry(&id.get_untracked());
        if !store.retry() {
            tracing::debug!("nothing to retry: the store on screen did not fail");
        }
    };

    // `store.get()` rather than `Suspend::new(async move { store.await .. })`: both suspend
    // while a store boots, but a `Suspend` that re-runs inside `<Suspense>` (the route param
    // switched stores) always waits a tick, so even a cached store would flash the fallback.
    // Read synchronously, a store that is already loaded renders at once.
    let shown = move || match store.get() {
        // Booting (the Suspense shows its fallback meanwhile).
        None => Ok(None),
        Some(Ok(workspace)) => Ok(Some(view! { <Board workspace/> })),
        Some(Err(error)) => Err(error),
    };

    view! {
        <Suspense fallback=move || view! { <Booting id/> }>
            <ErrorBoundary fallback=move |errors| view! { <LoadFailed errors retry/> }>
                {shown}
            </ErrorBoundary>
        </Suspense>
    }
}

/// The loading card, while the workspace `id` names boots.
#[component]
fn Booting(id: Memo<String>) -> impl IntoView {
    let name = move || {
        let id = id.get();
        find_workspace(&id).map_or(id.clone(), |info| info.name.to_string())
    };
    view! {
        <section class="card" data-testid="booting">
            <div class="booting">
                <div class="spinner"></div>
                <span>"Booting " {name} "…"</span>
            </div>
            <div class="skeleton" style="width: 70%"></div>
            <div class="skeleton" style="width: 55%"></div>
            <div class="skeleton" style="width: 62%"></div>
        </section>
    }
}

/// A failed boot: what went wrong, and a button that boots it again.
#[component]
fn LoadFailed(errors: ArcRwSignal<Errors>, retry: impl Fn() + Clone + 'static) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| view! { <p data-testid="error-message">{error.to_string()}</p> })
            .collect_view()
    };
    view! {
        <section class="card error" data-testid="load-error">
            <h1>"This workspace did not boot"</h1>
            {messages}
            <button data-testid="retry" on:click=move |_| retry()>"Retry"</button>
        </section>
    }
}

/// A booted workspace: its todo list, and which boot of the store it is.
#[component]
fn Board(workspace: Rc<Workspace>) -> impl IntoView {
    let info = workspace.info;
    let todos = workspace.todos.clone();
    let ticks = workspace.sync_ticks.clone();
    let (draft, set_draft) = signal(String::new());
    let add = {
        let todos = todos.clone();
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            let title = draft.get_untracked().trim().to_string();
            if !title.is_empty() {
                todos.add(title);
                set_draft.set(String::new());
            }
        }
    };
    let open = {
        let todos = todos.clone();
        move || todos.open_count()
    };
    let items = {
        let todos = todos.clone();
        move || todos.items()
    };

    view! {
        <section class="card" data-testid="workspace" data-workspace=info.id>
            <h1 data-testid="workspace-name">{info.name}</h1>
            <div class="meta">
                <span data-testid="boot-number">"boot #" {workspace.boot_number}</span>
                <span>"synced " <strong data-testid="sync-ticks">{move || ticks.get()}</strong> "×"</span>
                <span><strong>{open}</strong> " open"</span>
            </div>
            <ul class="todos">
                <For
                    each=items
                    key=|todo| (todo.id, todo.done)
                    children=move |todo| {
                        let todos = todos.clone();
                        view! {
                            <li data-testid="todo" class:done=todo.done>
                                <input
                                    type="checkbox"
                                    prop:checked=todo.done
                                    on:change=move |_| todos.toggle(todo.id)
                                />
                                <span>{todo.title.clone()}</span>
                            </li>
                        }
                    }
                />
            </ul>
            <form class="add" on:submit=add>
                <input
                    data-testid="new-todo"
                    placeholder="Add a todo"
                    prop:value=draft
                    on:input=move |event| set_draft.set(event_target_value(&event))
                />
                <button data-testid="add-todo" type="submit">"Add"</button>
            </form>
            <p class="note">
                "This page holds the store while it shows it. Leave it and the registry keeps it
                for the cache time, still syncing: come back by then and it is here at once, edits
                included; later, it is disposed and boots afresh."
            </p>
        </section>
    }
}
