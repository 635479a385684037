//! The example's stores: two that the server renders and hands to the browser, one that stays
//! in the browser.

use leptos::prelude::ArcRwSignal;
use registry_core::{LoadContext, StoreOptions};
use registry_leptos::HydratableStore;

use crate::data::{self, Member, Todo};

/// Why a store could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// A workspace's todos: read from the database on the server, from the server's API in the
/// browser, or hydrated from the server's snapshot.
pub struct Todos {
    /// The todos, in order.
    pub items: Vec<Todo>,
}

impl HydratableStore for Todos {
    type Snapshot = Vec<Todo>;

    fn dehydrate(&self) -> Vec<Todo> {
        self.items.clone()
    }

    fn hydrate(items: Vec<Todo>, ctx: &LoadContext<String>) -> Self {
        started(ctx, "todos", Start::Hydrated);
        Todos { items }
    }
}

/// A workspace's members, loaded like [`Todos`].
pub struct Members {
    /// The members, in order.
    pub members: Vec<Member>,
}

impl HydratableStore for Members {
    type Snapshot = Vec<Member>;

    fn dehydrate(&self) -> Vec<Member> {
        self.members.clone()
    }

    fn hydrate(members: Vec<Member>, ctx: &LoadContext<String>) -> Self {
        started(ctx, "members", Start::Hydrated);
        Members { members }
    }
}

/// How long this browser tab has had a workspace open: a browser-only store holding a timer.
/// It does not implement `HydratableStore`, so the server renders its fallback.
pub struct Clock {
    /// Seconds since the store was loaded, updated every second.
    pub seconds: ArcRwSignal<u32>,
    #[cfg(target_arch = "wasm32")]
    _timer: gloo_timers::callback::Interval,
}

/// The options of `workspace`'s todos.
pub fn todos(workspace: String) -> StoreOptions<String, Todos, LoadError> {
    StoreOptions::new(workspace, |ctx: LoadContext<String>| {
        let items = load(&ctx, "todos", data::todos_of);
        async move {
            Ok(Todos {
                items: items.await?,
            })
        }
    })
}

/// The options of `workspace`'s members. Those of an `offline-` workspace fail to load, on
/// the server and in the browser.
pub fn members(workspace: String) -> StoreOptions<String, Members, LoadError> {
    StoreOptions::new(workspace, |ctx: LoadContext<String>| {
        let offline = ctx.store_id().starts_with("offline-");
        let members = load(&ctx, "members", data::members_of);
        async move {
            let members = members.await?;
            if offline {
                return Err(LoadError("the member directory is offline".to_string()));
            }
            Ok(Members { members })
        }
    })
}

/// The options of `workspace`'s clock (browser only).
pub fn clock(workspace: String) -> StoreOptions<String, Clock, LoadError> {
    StoreOptions::new(workspace, |ctx: LoadContext<String>| {
        #[cfg(target_arch = "wasm32")]
        let clock = {
            started(&ctx, "clock", Start::Loaded);
            let seconds = ArcRwSignal::new(0_u32);
            let tick = seconds.clone();
            let timer = gloo_timers::callback::Interval::new(1_000, move || {
                use leptos::prelude::Update;
                tick.update(|seconds| *seconds += 1);
            });
            Ok(Clock {
                seconds,
                _timer: timer,
            })
        };
        #[cfg(not(target_arch = "wasm32"))]
        let clock = {
            drop(ctx);
            Err(LoadError("the clock runs in the browser only".to_string()))
        };
        std::future::ready(clock)
    })
}

/// How a store came to be, for the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// Its loader ran.
    Loaded,
    /// It was built from the server's snapshot.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Hydrated,
}

/// Counts the start of a `store` (its type's name), and its teardown when it is disposed.
fn started(ctx: &LoadContext<String>, store: &'static str, start: Start) {
    #[cfg(target_arch = "wasm32")]
    crate::browser::started(ctx, store, start);
    #[cfg(not(target_arch = "wasm32"))]
    crate::server::started(ctx, store, start);
}

/// Loads `what` of the context's workspace: from the database on the server (after the
/// server's store delay), from the server's API in the browser.
fn load<T>(
    ctx: &LoadContext<String>,
    what: &'static str,
    read: fn(&str) -> T,
) -> impl std::future::Future<Output = Result<T, LoadError>> + use<T>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    started(ctx, what, Start::Loaded);
    #[cfg(target_arch = "wasm32")]
    {
        let _ = read;
        crate::browser::fetch_json(format!("/api/{what}/{}", ctx.store_id()))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = what;
        crate::server::read_database(ctx.store_id().clone(), read)
    }
}
