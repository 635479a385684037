//! The store of this demo: a [`Workspace`] (a todo list kept in IndexedDB, live across tabs
//! through a `BroadcastChannel`), and [`workspace_options`], which tells the registry how to
//! boot one and how to shut it down.
//!
//! With `?crash=MS` a workspace loses its channel that long after it opens, notices, and
//! restarts itself through the [`RestartHandle`] its load was given: its holders keep it, the
//! new instance reopens the database and the channel.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::{LocalBoxFuture, Shared};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use registry_core::{LoadContext, RestartHandle, StoreOptions};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::BroadcastChannel;

use crate::config::DemoConfig;
use crate::db::{Database, DbError, Todo};
use crate::resources::Resources;

/// A write to the database in flight, awaited by the teardown.
type Write = Shared<LocalBoxFuture<'static, ()>>;

/// What other tabs are told after a write.
const CHANGED: &str = "changed";

/// A booted workspace: its todos (in a signal, for the views), the database connection they
/// live in, and the channel that keeps other tabs' copies live.
pub struct Workspace {
    id: String,
    todos: ArcRwSignal<Vec<Todo>>,
    db: Rc<Database>,
    channel: BroadcastChannel,
    writes: Rc<RefCell<Vec<Write>>>,
    /// Restarts this instance's entry (the `?crash=` timer holds a clone: a workspace whose
    /// channel died restarts itself); also tells which instance this is.
    restart: RestartHandle,
    /// Keeps the channel's `message` handler alive.
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Workspace {
    /// The workspace's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Which instance of the workspace this is: 0 for the first, one more after every restart
    /// (a reconnect, or a recovery from a lost channel).
    pub fn generation(&self) -> u64 {
        self.restart.generation()
    }

    /// The todos, a signal (`Send`, for views).
    pub fn todos(&self) -> ArcRwSignal<Vec<Todo>> {
        self.todos.clone()
    }

    /// Adds a todo: on screen at once, then written to the database; other tabs are told once
    /// it is written.
    pub fn add(&self, title: String) {
        let todo = Todo::new(title);
        self.todos.update(|todos| todos.push(todo.clone()));
        self.write(todo);
    }

    /// Flips a todo between done and not done.
    pub fn toggle(&self, id: &str) {
        let mut changed = None;
        self.todos.update(|todos| {
            if let Some(todo) = todos.iter_mut().find(|todo| todo.id == id) {
                todo.done = !todo.done;
                changed = Some(todo.clone());
            }
        });
        if let Some(todo) = changed {
            self.write(todo);
        }
    }

    fn write(&self, todo: Todo) {
        let (db, channel, id) = (Rc::clone(&self.db), self.channel.clone(), self.id.clone());
        let write = async move {
            match db.put(&todo).await {
                Ok(()) => {
                    let _ = channel.post_message(&CHANGED.into());
                }
                Err(error) => tracing::warn!(workspace = %id, %error, "a todo was not saved"),
            }
        }
        .boxed_local()
        .shared();
        self.writes.borrow_mut().push(write.clone());
        wasm_bindgen_futures::spawn_local(write);
    }

    /// Waits for every write in flight.
    async fn flush(writes: &RefCell<Vec<Write>>) {
        loop {
            let pending = std::mem::take(&mut *writes.borrow_mut());
            if pending.is_empty() {
                return;
            }
            futures::future::join_all(pending).await;
        }
    }
}

/// Why a workspace failed to boot.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A `fail-` workspace: its sync server never answers.
    #[error("the sync server of “{0}” is unreachable")]
    Unreachable(String),
    /// A `flaky-` workspace's first boot in this page session.
    #[error("the first boot of “{0}” timed out; try again")]
    TimedOut(String),
    /// The browser refused the database.
    #[error("“{id}” could not open its database: {error}")]
    Database {
        /// The workspace.
        id: String,
        /// What IndexedDB said.
        error: DbError,
    },
}

thread_local! {
    /// `flaky-` workspaces whose first boot already failed in this page session.
    static FLAKED: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// The database of workspace `id`.
fn database_name(id: &str) -> String {
    format!("store-registry-demo/{id}")
}

/// How the registry boots workspace `id`: wait the configured boot delay, fail for `fail-`
/// ids (and the first time for `flaky-` ids), open its database and read its todos, open its
/// channel to other tabs. Its async teardown flushes the writes in flight, then closes the
/// channel and the database. With `config.crash`, the first instance of each entry loses its
/// channel that long after it opens and restarts itself.
pub fn workspace_options(
    id: String,
    config: DemoConfig,
) -> StoreOptions<String, Workspace, LoadError> {
    StoreOptions::new(id, move |ctx: LoadContext<String>| {
        let id = ctx.store_id().clone();
        async move {
            TimeoutFuture::new(millis(config.delay)).await;
            if id.starts_with("fail-") {
                let error = LoadError::Unreachable(id.clone());
                tracing::warn!(workspace = %id, %error, "boot failed");
                return Err(error);
            }
            if id.starts_with("flaky-")
                && FLAKED.with(|flaked| flaked.borrow_mut().insert(id.clone()))
            {
                let error = LoadError::TimedOut(id.clone());
                tracing::warn!(workspace = %id, %error, "boot failed");
                return Err(error);
            }
            boot(&ctx, id, config).await
        }
    })
}

async fn boot(
    ctx: &LoadContext<String>,
    id: String,
    config: DemoConfig,
) -> Result<Workspace, LoadError> {
    let resources = Resources::of_page();
    let database_error = |error| LoadError::Database {
        id: id.clone(),
        error,
    };
    let db = Rc::new(
        Database::open(&database_name(&id))
            .await
            .map_err(database_error)?,
    );
    resources.connections.update(|n| *n += 1);
    // This browser has it now: the start page lists it.
    crate::catalog::remember(&id);
    let todos = match db.todos().await {
        Ok(todos) => todos,
        Err(error) => {
            db.close();
            resources.connections.update(|n| *n -= 1);
            return Err(database_error(error));
        }
    };
    let todos = ArcRwSignal::new(todos);

    let channel = match BroadcastChannel::new(&database_name(&id)) {
        Ok(channel) => channel,
        Err(error) => {
            db.close();
            resources.connections.update(|n| *n -= 1);
            return Err(database_error(DbError::from(error)));
        }
    };
    resources.channels.update(|n| *n += 1);
    // Another tab wrote: read the todos again.
    let (reader, live) = (Rc::clone(&db), todos.clone());
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
        let (reader, live) = (Rc::clone(&reader), live.clone());
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(todos) = reader.todos().await {
                live.set(todos);
            }
        });
    });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

    let restart = ctx.restart_handle();
    let writes: Rc<RefCell<Vec<Write>>> = Rc::default();
    let (flushing, closer, db_closer, teardown_id) = (
        Rc::clone(&writes),
        channel.clone(),
        Rc::clone(&db),
        id.clone(),
    );
    ctx.on_dispose_async(move || async move {
        tracing::info!(workspace = %teardown_id, "closing: flushing writes");
        Workspace::flush(&flushing).await;
        TimeoutFuture::new(millis(config.teardown)).await;
        closer.set_onmessage(None);
        closer.close();
        resources.channels.update(|n| *n -= 1);
        db_closer.close();
        resources.connections.update(|n| *n -= 1);
        tracing::info!(workspace = %teardown_id, "closed");
    });
    // Only the first instance crashes, so that the demo settles after one recovery.
    if let Some(after) = config.crash.filter(|_| restart.generation() == 0) {
        let (crash, cancel) = futures::future::abortable(lose_channel(
            after,
            channel.clone(),
            restart.clone(),
            id.clone(),
        ));
        wasm_bindgen_futures::spawn_local(crash.map(drop));
        // Registered last, so it runs first: an instance that ends for another reason never
        // crashes afterwards.
        ctx.on_dispose(move || cancel.abort());
    }

    Ok(Workspace {
        id,
        todos,
        db,
        channel,
        writes,
        restart,
        _on_message: on_message,
    })
}

/// After `after`, the workspace's channel dies (as when the browser drops it): the instance
/// notices and restarts its entry through `restart`. The new instance opens a channel of its
/// own; this one's teardown flushes its writes and closes its database as usual.
async fn lose_channel(
    after: Duration,
    channel: BroadcastChannel,
    restart: RestartHandle,
    id: String,
) {
    TimeoutFuture::new(millis(after)).await;
    channel.set_onmessage(None);
    channel.close();
    tracing::warn!(workspace = %id, "lost its channel to other tabs; restarting");
    if !restart.restart() {
        tracing::info!(workspace = %id, "already ended: nothing to restart");
    }
}

fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_errors_read_as_sentences() {
        assert_eq!(
            LoadError::Unreachable("fail-x".into()).to_string(),
            "the sync server of “fail-x” is unreachable"
        );
        assert_eq!(
            LoadError::TimedOut("flaky-y".into()).to_string(),
            "the first boot of “flaky-y” timed out; try again"
        );
    }

    #[test]
    fn every_workspace_has_its_own_database() {
        assert_ne!(database_name("a"), database_name("b"));
    }
}
