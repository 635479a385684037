//! The store of this demo: a [`Workspace`] (a todo list with a live "sync connection"), the
//! catalog of workspaces, and [`workspace_options`], which tells the registry how to boot one.

use std::time::Duration;

use gloo_timers::callback::Interval;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use registry_core::{CacheTime, LoadContext, StoreOptions, StoreRegistry};

use crate::activity::Activity;

/// The registry of this app: workspaces by id.
pub type WorkspaceRegistry = StoreRegistry<String>;

/// One workspace the sidebar lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkspaceInfo {
    /// The id in the route (`/w/{id}`) and in the registry.
    pub id: &'static str,
    /// What the sidebar shows.
    pub name: &'static str,
    /// How long booting it takes.
    pub boot: Duration,
    /// Whether every other boot fails (the first, third, ...), to show errors and retry.
    pub flaky: bool,
    /// The todos a fresh boot starts with.
    pub seed: &'static [&'static str],
}

/// Every workspace of the demo, in sidebar order.
pub const CATALOG: &[WorkspaceInfo] = &[
    WorkspaceInfo {
        id: "acme",
        name: "Acme Corp",
        boot: Duration::from_millis(800),
        flaky: false,
        seed: &[
            "Ship the Q3 roadmap",
            "Review the store registry PR",
            "Book the offsite",
        ],
    },
    WorkspaceInfo {
        id: "garden",
        name: "Community garden",
        boot: Duration::from_millis(800),
        flaky: false,
        seed: &["Water the tomatoes", "Order compost", "Fix the shed door"],
    },
    WorkspaceInfo {
        id: "studio",
        name: "Design studio",
        boot: Duration::from_millis(1500),
        flaky: false,
        seed: &["Pick a typeface", "Export the icon set"],
    },
    WorkspaceInfo {
        id: "flaky",
        name: "Flaky sync",
        boot: Duration::from_millis(800),
        flaky: true,
        seed: &["Survive a failed boot"],
    },
];

/// The catalog entry of `id`, if there is one.
pub fn find_workspace(id: &str) -> Option<&'static WorkspaceInfo> {
    CATALOG.iter().find(|info| info.id == id)
}

/// One todo item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Todo {
    /// Unique within its workspace.
    pub id: u32,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}

/// A workspace's todo list: a handle to a signal (`Clone + Send`, so views can hold it).
#[derive(Clone, Debug)]
pub struct TodoList(ArcRwSignal<Vec<Todo>>);

impl TodoList {
    /// A list of `titles`, none done.
    pub fn new(titles: &[&str]) -> Self {
        let todos = titles
            .iter()
            .zip(0..)
            .map(|(title, id)| Todo {
                id,
                title: (*title).to_string(),
                done: false,
            })
            .collect();
        Self(ArcRwSignal::new(todos))
    }

    /// The todos, reactively.
    pub fn items(&self) -> Vec<Todo> {
        self.0.get()
    }

    /// How many are not done, reactively.
    pub fn open_count(&self) -> usize {
        self.0
            .with(|todos| todos.iter().filter(|todo| !todo.done).count())
    }

    /// Adds a todo at the end of the list.
    pub fn add(&self, title: String) {
        self.0.update(|todos| {
            let id = todos.iter().map(|todo| todo.id + 1).max().unwrap_or(0);
            todos.push(Todo {
                id,
                title,
                done: false,
            });
        });
    }

    /// Flips a todo between done and not done.
    pub fn toggle(&self, id: u32) {
        self.0.update(|todos| {
            if let Some(todo) = todos.iter_mut().find(|todo| todo.id == id) {
                todo.done = !todo.done;
            }
        });
    }
}

/// A booted workspace: the store the registry loads, shares and disposes.
///
/// Its todos live in the store, so edits survive navigating away and back while the store is
/// cached, and are gone once it is disposed (the next visit boots a fresh copy).
#[derive(Debug)]
pub struct Workspace {
    /// The catalog entry it was booted from.
    pub info: &'static WorkspaceInfo,
    /// Which boot of this id produced it (1 for the first): a new number means a new store.
    pub boot_number: u32,
    /// The todo list.
    pub todos: TodoList,
    /// Ticks of the fake sync connection: one a second while the store is alive, shown or not.
    pub sync_ticks: ArcRwSignal<u32>,
}

/// Why a workspace failed to boot.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// No workspace has this id.
    #[error("there is no workspace called “{0}”")]
    NotFound(String),
    /// The (simulated) sync server did not answer.
    #[error("the sync server did not answer while booting {name} (boot #{boot_number})")]
    SyncUnreachable {
        /// The workspace's display name.
        name: &'static str,
        /// Which boot of this id failed.
        boot_number: u32,
    },
}

/// How the registry loads workspace `id`: wait the workspace's boot time, then open its
/// sync connection (closed by `on_dispose`). Every boot and every disposal is recorded in
/// `activity`. `cache_time` only matters when this call creates the entry: the first options
/// for a live id win.
pub fn workspace_options(
    id: String,
    cache_time: CacheTime,
    activity: Activity,
) -> StoreOptions<String, Workspace, LoadError> {
    StoreOptions::new(id, move |ctx: LoadContext<String>| async move {
        let id = ctx.store_id().clone();
        let boot_number = activity.record_load_started(&id);
        // Registered first, so it runs last: every entry's end is counted, failed ones too.
        let disposed_id = id.clone();
        ctx.on_dispose(move || activity.record_disposed(&disposed_id));

        let Some(info) = find_workspace(&id) else {
            let error = LoadError::NotFound(id.clone());
            activity.record_load_failed(&id, &error);
            return Err(error);
        };
        let boot_ms = u32::try_from(info.boot.as_millis()).unwrap_or(u32::MAX);
        TimeoutFuture::new(boot_ms).await;
        if info.flaky && boot_number % 2 == 1 {
            let error = LoadError::SyncUnreachable {
                name: info.name,
                boot_number,
            };
            activity.record_load_failed(&id, &error);
            return Err(error);
        }

        let sync_ticks = ArcRwSignal::new(0);
        let ticks = sync_ticks.clone();
        let connection = Interval::new(1_000, move || ticks.update(|n| *n += 1));
        // Dropping the interval clears it: the connection closes with the store.
        ctx.on_dispose(move || drop(connection));

        activity.record_load_ready(&id, info.boot);
        Ok(Workspace {
            info,
            boot_number,
            todos: TodoList::new(info.seed),
            sync_ticks,
        })
    })
    .unused_cache_time(cache_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_workspace_is_found_by_its_id() {
        for info in CATALOG {
            assert_eq!(find_workspace(info.id), Some(info));
        }
        assert_eq!(find_workspace("nope"), None);
    }

    #[test]
    fn added_todos_get_fresh_ids_and_start_open() {
        let todos = TodoList::new(&["a", "b"]);
        todos.add("c".to_string());
        let items = todos.items();
        assert_eq!(
            items.iter().map(|todo| todo.id).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(items[2].title, "c");
        assert_eq!(todos.open_count(), 3);
    }

    #[test]
    fn toggling_a_todo_flips_only_that_todo() {
        let todos = TodoList::new(&["a", "b"]);
        todos.toggle(1);
        assert_eq!(
            todos
                .items()
                .iter()
                .map(|todo| todo.done)
                .collect::<Vec<_>>(),
            [false, true]
        );
        todos.toggle(1);
        assert_eq!(todos.open_count(), 2);
    }

    #[test]
    fn load_errors_read_as_sentences() {
        let error = LoadError::SyncUnreachable {
            name: "Flaky sync",
            boot_number: 1,
        };
        assert_eq!(
            error.to_string(),
            "the sync server did not answer while booting Flaky sync (boot #1)"
        );
    }
}
