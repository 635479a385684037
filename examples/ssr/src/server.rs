//! The example's server: the axum router, the JSON API the browser's loaders fetch, and the
//! counters tests read.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use registry_core::LoadContext;
use registry_leptos::ssr::SsrRenderer;

use crate::app::{App, shell};
use crate::data;
use crate::stores::{LoadError, Start};

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// How long every store load (and every API call) takes on the server: a stand-in for a
    /// database.
    pub store_delay: Duration,
    /// Threads that render pages.
    pub render_threads: usize,
    /// The folder whose `pkg/` holds the browser's JavaScript and wasm.
    pub site_root: PathBuf,
}

impl ServerConfig {
    /// The configuration from the environment: `STORE_DELAY_MS` (default 300), `SITE_ROOT`
    /// (default `target/ssr-site` of the repository).
    pub fn from_env() -> Self {
        let store_delay = std::env::var("STORE_DELAY_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(Duration::from_millis(300), Duration::from_millis);
        let site_root = std::env::var_os("SITE_ROOT").map_or_else(default_site_root, PathBuf::from);
        Self {
            store_delay,
            render_threads: std::thread::available_parallelism().map_or(2, usize::from),
            site_root,
        }
    }
}

fn default_site_root() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/ssr-site"
    ))
}

/// What the server counted: store loads and teardowns, and when each load ran.
#[derive(Debug, Default)]
pub struct Stats {
    /// Stores whose loader ran on the server.
    pub loads: AtomicUsize,
    /// Stores torn down on the server.
    pub teardowns: AtomicUsize,
    /// When each load's database read started and ended.
    pub load_times: Mutex<Vec<(Instant, Instant)>>,
}

/// What the server provides to every render, read by the loaders.
#[derive(Clone, Debug)]
struct ServerContext {
    delay: Duration,
    stats: Arc<Stats>,
}

/// The example's server.
#[derive(Clone, Debug)]
pub struct Server {
    config: ServerConfig,
    stats: Arc<Stats>,
    renderer: SsrRenderer,
}

impl Server {
    /// A server with `config`.
    pub fn new(config: ServerConfig) -> Self {
        let renderer = SsrRenderer::new(config.render_threads);
        Self {
            config,
            stats: Arc::default(),
            renderer,
        }
    }

    /// The counters of this server.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Leptos's options (where the browser's files are) and what every render is given.
    fn leptos_setup(&self) -> (LeptosOptions, ServerContext) {
        let options = LeptosOptions::builder()
            .output_name("ssr_example")
            .site_root(self.config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .build();
        let context = ServerContext {
            delay: self.config.store_delay,
            stats: Arc::clone(&self.stats),
        };
        (options, context)
    }

    /// The app's routes (rendered with stores, the 404 page too), the API and the browser's
    /// files.
    pub fn router(&self) -> Router {
        let (options, context) = self.leptos_setup();
        let pages = self.renderer.routes(
            generate_route_list(App),
            {
                let context = context.clone();
                move || provide_context(context.clone())
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        );
        let pkg = tower_http::services::ServeDir::new(self.config.site_root.join("pkg"));
        Router::new()
            .route("/api/todos/{id}", get(api_todos))
            .route("/api/members/{id}", get(api_members))
            .with_state(context)
            .merge(pages)
            .nest_service("/pkg", pkg)
            .with_state(options)
    }
}

impl Server {
    /// The same app rendered by `leptos_axum`'s own handlers on the multi-threaded runtime,
    /// without [`SsrRenderer`]: there is no request registry, so every store renders its
    /// fallback on the server and loads in the browser. For tests.
    pub fn router_without_stores(&self) -> Router {
        let (options, context) = self.leptos_setup();
        let routes = generate_route_list(App);
        Router::new()
            .leptos_routes_with_context(
                &options,
                routes,
                move || provide_context(context.clone()),
                {
                    let options = options.clone();
                    move || shell(options.clone())
                },
            )
            .with_state(options)
    }
}

async fn api_todos(
    State(context): State<ServerContext>,
    Path(id): Path<String>,
) -> Json<Vec<data::Todo>> {
    tokio::time::sleep(context.delay).await;
    Json(data::todos_of(&id))
}

async fn api_members(
    State(context): State<ServerContext>,
    Path(id): Path<String>,
) -> Json<Vec<data::Member>> {
    tokio::time::sleep(context.delay).await;
    Json(data::members_of(&id))
}

/// Counts a store's load on the server, and its teardown when the request's registry disposes
/// it.
pub(crate) fn started(ctx: &LoadContext<String>, _store: &'static str, _start: Start) {
    if let Some(context) = use_context::<ServerContext>() {
        context.stats.loads.fetch_add(1, Ordering::Relaxed);
        ctx.on_dispose(move || {
            context.stats.teardowns.fetch_add(1, Ordering::Relaxed);
        });
    }
}

/// Reads `id`'s data from the "database", taking the server's store delay.
pub(crate) fn read_database<T>(
    id: String,
    read: fn(&str) -> T,
) -> impl std::future::Future<Output = Result<T, LoadError>> + Send + 'static
where
    T: Send + 'static,
{
    let context = use_context::<ServerContext>();
    async move {
        if let Some(context) = &context {
            let start = Instant::now();
            tokio::time::sleep(context.delay).await;
            if let Ok(mut times) = context.stats.load_times.lock() {
                times.push((start, Instant::now()));
            }
        }
        Ok(read(&id))
    }
}
