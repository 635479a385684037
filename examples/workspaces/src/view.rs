//! [`WorkspaceView`]: one workspace on screen, through `use_store`: the loading card while it
//! boots (or waits for its previous session to close), the error with a retry, or its todos
//! with a Reconnect button that restarts the store under the view.

use std::rc::Rc;

use leptos::prelude::*;
use registry_core::{EntryState, RegistryEventKind};
use registry_leptos::{StoreResource, use_store, use_store_registry};
use send_wrapper::SendWrapper;

use crate::config::DemoConfig;
use crate::workspace::{LoadError, Workspace, workspace_options};

/// Workspace `id` (a signal: changing it switches stores, the old one stays until the new one
/// is ready). Holds its store while mounted.
///
/// The store is read under a `<Transition>`: the loading card shows only until the first
/// instance is ready. A restart (the Reconnect button, or the store restarting itself) keeps
/// the board on screen while the new instance boots, then renders it in place, so nothing is
/// remounted and text typed in the todo input stays.
#[component]
pub fn WorkspaceView(
    /// The workspace to show.
    #[prop(into)]
    id: Signal<String>,
) -> impl IntoView {
    let config = expect_context::<DemoConfig>();
    let store = use_store(move || workspace_options(id.get(), config));
    // Read synchronously (not awaited in a `Suspend`): a store that is already loaded renders
    // at once, with no fallback.
    let shown = move || match store.get() {
        None => Ok(None),
        Some(Ok(workspace)) => Ok(Some(view! { <Board workspace store/> })),
        Some(Err(error)) => Err(error),
    };
    view! {
        <section class="card workspace" aria-label=move || format!("Workspace {}", id.get())>
            <Transition fallback=move || view! { <Opening id/> }>
                <ErrorBoundary fallback=move |errors| {
                    let message = move || {
                        errors
                            .get()
                            .into_iter()
                            .map(|(_, error)| error.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    };
                    view! {
                        <div class="failed" data-testid="store-error" role="alert">
                            <h2>{move || format!("{} did not open", id.get())}</h2>
                            <p>{message}</p>
                            <button data-testid="retry" on:click=move |_| { store.retry(); }>
                                "Retry"
                            </button>
                        </div>
                    }
                }>
                    {shown}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// The loading card. Says when the workspace waits for its previous session to finish closing
/// (an ended entry of its id still running its async teardown).
#[component]
fn Opening(id: Signal<String>) -> impl IntoView {
    let registry = use_store_registry();
    let id_now = id.get_untracked();
    let waiting = RwSignal::new(
        registry
            .snapshot()
            .iter()
            .any(|entry| entry.store_id == id_now && entry.state == EntryState::Disposing),
    );
    // While the card is on screen, the registry's events say when the old entry starts and
    // stops disposing (the new load starts only after it did).
    let subscription = registry.subscribe(move |event| {
        if event.store_id != id.get_untracked() {
            return;
        }
        match event.kind {
            RegistryEventKind::Disposing => waiting.set(true),
            RegistryEventKind::Disposed => waiting.set(false),
            _ => {}
        }
    });
    // Leptos cleanups must be `Send`; the browser has one thread.
    let subscription = SendWrapper::new(subscription);
    Owner::on_cleanup(move || drop(subscription.take()));
    view! {
        <div class="opening" data-testid="store-fallback" data-waiting=move || waiting.get().to_string()>
            <div class="spinner" aria-hidden="true"></div>
            <span>
                {move || if waiting.get() {
                    format!("Waiting for {} to finish closing…", id.get())
                } else {
                    format!("Opening {}…", id.get())
                }}
            </span>
        </div>
    }
}

/// A loaded workspace: its todos, the form that adds one, and Reconnect (`store.restart()`:
/// the workspace's database connection and channel close and reopen under this view).
#[component]
fn Board(workspace: Rc<Workspace>, store: StoreResource<Workspace, LoadError>) -> impl IntoView {
    let todos = workspace.todos();
    let input_id = format!("todo-input-{}", workspace.id());
    let name = workspace.id().to_owned();
    let connection = format!("connection {}", workspace.generation() + 1);
    let adder = Rc::clone(&workspace);
    let toggler = workspace;
    let on_keydown = move |event: web_sys::KeyboardEvent| {
        if event.key() != "Enter" {
            return;
        }
        let input: web_sys::HtmlInputElement = event_target(&event);
        let title = input.value().trim().to_owned();
        if !title.is_empty() {
            adder.add(title);
            input.set_value("");
        }
    };
    // The list's render closure must be `Send`; the browser has one thread.
    let toggle = SendWrapper::new(Rc::new(move |id: String| toggler.toggle(&id)));
    let items = {
        let todos = todos.clone();
        move || {
            todos
                .get()
                .into_iter()
                .map(|todo| {
                    let toggle = Rc::clone(&toggle);
                    let id = todo.id.clone();
                    let on_change = move |_| toggle(id.clone());
                    view! {
                        <li data-testid="todo-item" class:done=todo.done>
                            <label>
                                <input type="checkbox" prop:checked=todo.done on:change=on_change/>
                                {todo.title.clone()}
                            </label>
                        </li>
                    }
                })
                .collect_view()
        }
    };
    let open = move || todos.with(|todos| todos.iter().filter(|todo| !todo.done).count());
    let reconnecting = move || store.is_loading();
    view! {
        <header class="board-header">
            <h2 data-testid="workspace-name">{name}</h2>
            <span class="open-count">{move || format!("{} open", open())}</span>
        </header>
        <div class="connection">
            <span data-testid="connection">{connection}</span>
            <button type="button" class="secondary" data-testid="restart" disabled=reconnecting
                title="Close and reopen this workspace's database connection and tab channel"
                on:click=move |_| { store.restart(); }>
                {move || if reconnecting() { "Reconnecting…" } else { "Reconnect" }}
            </button>
        </div>
        <label class="new-todo" for=input_id.clone()>"New todo"</label>
        <input id=input_id data-testid="todo-input" type="text" placeholder="What needs doing? (Enter adds)"
            autocomplete="off" on:keydown=on_keydown/>
        <ul class="todos" data-testid="todo-list">{items}</ul>
    }
}
