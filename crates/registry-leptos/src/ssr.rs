//! Server-side rendering with stores: [`SsrRenderer`] renders each request on one pinned
//! thread with its own registries, for `leptos_axum`.
//!
//! Stores are `Rc`, and Leptos 0.8 moves context, resources and `Suspend` futures between the
//! threads of a multi-threaded server. So the renderer runs each request's render (and the
//! streaming of its body) on one thread of a [`LocalPoolHandle`], where the request's
//! registries live in a thread-local map. Only `Copy + Send` keys into that map enter Leptos
//! context and futures; no `Rc` is put in a `SendWrapper` and nothing calls `spawn_local`
//! outside that thread.
//!
//! Each request's registries have an `Infinite` cache time (nothing is disposed while the page
//! renders). When the body has been sent (or the client went away, or the request's deadline
//! passed), every store the request loaded is released and its registries disposed, teardown
//! included, on the same thread.
//!
//! Requests are bounded: each has a deadline ([`SsrRenderer::deadline`], after which its
//! unfinished stores are left to the browser and the page ends), and each thread renders a
//! bounded number at once ([`SsrRenderer::max_renders_per_thread`], beyond which a request is
//! answered `503`).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, State};
use axum::http::{Request, Response, StatusCode};
use std::panic::AssertUnwindSafe;

use futures::channel::oneshot;
use futures::future::{self, Either};
use futures::{FutureExt, StreamExt};
use leptos::IntoView;
use leptos::config::LeptosOptions;
use leptos_axum::AxumRouteListing;
use tokio_util::task::LocalPoolHandle;

use crate::server::{
    InRequest, LIVE_ENTRIES, LIVE_REGISTRIES, RequestScope, leave_pending_to_browser, with_current,
};

/// Renders Leptos pages with stores: one registry per request and id type, loaded during the
/// render and disposed once the response has been sent.
///
/// Cheap to clone (the clones share the threads). Build one per server, and mount the app with
/// [`routes`](Self::routes) (every route, every method, and a 404 page), or use
/// [`route_handler`](Self::route_handler) in place of `leptos_axum`'s route handler, or
/// [`render`](Self::render) around any `leptos_axum` rendering function.
///
/// The app needs nothing else: [`provide_store_registry`](crate::provide_store_registry) at its
/// root finds the request's registry, and [`use_hydrated_store`](crate::use_hydrated_store) and
/// [`preload_hydrated_store`](crate::preload_hydrated_store) load through it.
///
/// Every `SsrMode` works: `Async` renders the whole page before sending it; `InOrder` streams
/// it, waiting at each `<Suspense>`; `OutOfOrder` and `PartiallyBlocked` stream the fallbacks
/// first and the stores' HTML later in the same response (the browser swaps it in with
/// JavaScript). For pages that must read without JavaScript, use `Async` or `InOrder`.
///
/// ```no_run
/// use axum::Router;
/// use leptos::prelude::*;
/// use leptos_axum::{generate_route_list, LeptosRoutes};
/// use registry_leptos::ssr::SsrRenderer;
///
/// # #[component] fn App() -> impl IntoView { view! { <p>"app"</p> } }
/// # async fn serve(options: LeptosOptions) {
/// let routes = generate_route_list(App);
/// let renderer = SsrRenderer::new(std::thread::available_parallelism().map_or(2, usize::from));
/// let app = Router::new()
///     .leptos_routes_with_handler(
///         routes.clone(),
///         axum::routing::get(renderer.route_handler(routes, || (), App)),
///     )
///     .with_state(options);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
/// axum::serve(listener, app).await.unwrap();
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SsrRenderer {
    pool: LocalPoolHandle,
    deadline: Option<Duration>,
    max_renders_per_thread: Option<usize>,
}

/// How long a request may take by default: see [`SsrRenderer::deadline`].
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// How many requests one thread renders at once by default: see
/// [`SsrRenderer::max_renders_per_thread`].
pub const DEFAULT_MAX_RENDERS_PER_THREAD: usize = 1024;

/// How long a page has, once its deadline has passed, to end with its unfinished stores left
/// to the browser, before it is cut off.
const GRACE: Duration = Duration::from_secs(1);

thread_local! {
    /// Requests this thread is rendering (or streaming) now.
    static RENDERS: Cell<usize> = const { Cell::new(0) };
}

/// The future of a page's response, as `leptos_axum`'s handlers return it.
pub type ResponseFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

/// Live request state across the server, for tests and metrics: see
/// [`SsrRenderer::live_counts`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveCounts {
    /// Registries of requests that have not finished (one per request and id type in use).
    pub registries: usize,
    /// Entries (loading, loaded or failed stores) in those registries.
    pub entries: usize,
}

impl SsrRenderer {
    /// A renderer with `threads` rendering threads (at least one). Renders are spread over
    /// them; each thread renders many requests at once.
    ///
    /// Also sets Leptos's task executor to tokio, if nothing set one before.
    pub fn new(threads: usize) -> Self {
        // Leptos only does this in `.leptos_routes*`; a handler of our own needs it too.
        let _ = any_spawner::Executor::init_tokio();
        Self {
            pool: LocalPoolHandle::new(threads.max(1)),
            deadline: Some(DEFAULT_DEADLINE),
            max_renders_per_thread: Some(DEFAULT_MAX_RENDERS_PER_THREAD),
        }
    }

    /// How long a request may live, from the start of its render to the end of its body
    /// ([`DEFAULT_DEADLINE`] unless set; `None`: no bound).
    ///
    /// When it passes, every store of the request that has not loaded yet is left to the
    /// browser, as a failed one is: its `<Suspense>` renders the fallback (marked incomplete),
    /// no snapshot is written, and the browser loads it. The page then ends normally, with
    /// what it has rendered. If it still has not ended a second later (something other than a
    /// store keeps it waiting), it is cut off: before the head, the response is a
    /// `503 Service Unavailable`; after it, the body ends with an error (the client sees a
    /// broken response, not a complete-looking one). Either way the request's registries are
    /// disposed, teardown included.
    ///
    /// A `tower` timeout around the handler bounds only the time to the head; this bounds the
    /// streamed body too, and with it how long a slow page holds its stores.
    ///
    /// ```
    /// use std::time::Duration;
    /// use registry_leptos::ssr::SsrRenderer;
    ///
    /// let renderer = SsrRenderer::new(2).deadline(Some(Duration::from_secs(5)));
    /// ```
    #[must_use]
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// How many requests one rendering thread renders (and streams) at once
    /// ([`DEFAULT_MAX_RENDERS_PER_THREAD`] unless set; `None`: no bound).
    ///
    /// A request that finds its thread at the bound is not queued: it is answered at once
    /// with `503 Service Unavailable` and `Retry-After: 1`, without rendering and without a
    /// registry. Waiting would hold the connection and its memory all the same, and a queue
    /// behind pages that wait for slow stores could grow without end; a 503 lets a load
    /// balancer or the client retry elsewhere or later. Requests go to the least busy thread,
    /// so a server with `threads` threads renders up to `threads * max` requests at once.
    ///
    /// ```
    /// use registry_leptos::ssr::SsrRenderer;
    ///
    /// let renderer = SsrRenderer::new(2).max_renders_per_thread(Some(256));
    /// ```
    #[must_use]
    pub fn max_renders_per_thread(mut self, max: Option<usize>) -> Self {
        self.max_renders_per_thread = max;
        self
    }

    /// Renders `req` with `render` (a `leptos_axum` rendering function, such as the handler
    /// of `render_app_async_with_context`) on one of the renderer's threads, with the
    /// request's store registries.
    ///
    /// The response's head is returned as soon as `render` gives it, and its body streams from
    /// that thread. When the body ends, or the client goes away (even while the page waits for
    /// a store that never loads), the request's stores are released and its registries
    /// disposed there. The [`deadline`](Self::deadline) bounds the whole, and beyond
    /// [`max_renders_per_thread`](Self::max_renders_per_thread) the request is answered `503`
    /// without rendering.
    ///
    /// A render that panics before the head gives a 500 response; one that panics while its
    /// body streams ends the response with an error (the client sees a broken response). The
    /// request's registries are disposed either way. A panic inside a task that Leptos spawns
    /// for a `<Suspense>` (in a view closure under it, in a streamed mode) is caught by tokio and
    /// leaves that Suspense pending: the response then ends when the client goes away, as with
    /// `leptos_axum`'s own handlers.
    ///
    /// ```no_run
    /// use axum::{extract::Request, routing::get, Router};
    /// use leptos::prelude::*;
    /// use registry_leptos::ssr::SsrRenderer;
    ///
    /// # #[component] fn App() -> impl IntoView { view! { <p>"app"</p> } }
    /// let renderer = SsrRenderer::new(2);
    /// // The whole page rendered before it is sent (`SsrMode::Async`), for every path.
    /// let page = leptos_axum::render_app_async_with_context(|| (), || view! { <App/> });
    /// let app: Router = Router::new().fallback(get(move |req: Request| {
    ///     let (renderer, page) = (renderer.clone(), page.clone());
    ///     async move { renderer.render(req, page).await }
    /// }));
    /// ```
    pub fn render<F, Fut>(
        &self,
        req: Request<Body>,
        render: F,
    ) -> impl Future<Output = Response<Body>> + Send + 'static
    where
        F: FnOnce(Request<Body>) -> Fut + Send + 'static,
        Fut: Future<Output = Response<Body>> + 'static,
    {
        let (head_sender, head) = oneshot::channel::<Response<Body>>();
        let (deadline, max_renders) = (self.deadline, self.max_renders_per_thread);
        let task = self.pool.spawn_pinned(move || async move {
            let Some(_rendering) = Rendering::start(max_renders) else {
                drop(head_sender.send(plain_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is busy: try again",
                    Some("1"),
                )));
                return;
            };
            let scope = RequestScope::enter();
            let key = scope.key();
            let mut deadline = Deadline::new(key, deadline);
            let render = InRequest {
                key,
                inner: Box::pin(render(req)),
            };
            let Some(response) = deadline.run(render).await else {
                drop(head_sender.send(plain_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the page did not render before its deadline",
                    None,
                )));
                scope.close().await;
                return;
            };
            let (parts, body) = response.into_parts();
            let (sender, mut chunks) = tokio::sync::mpsc::channel::<Result<Bytes, axum::Error>>(4);
            let chunks = futures::stream::poll_fn(move |cx| chunks.poll_recv(cx));
            if head_sender
                .send(Response::from_parts(parts, Body::from_stream(chunks)))
                .is_ok()
            {
                stream_body(key, body, &sender, &mut deadline).await;
            } else {
                drop(body);
            }
            drop(sender);
            scope.close().await;
        });
        let mut abort = AbortOnDrop(Some(task.abort_handle()));
        async move {
            let response = head.await;
            // From here the render task ends with its body (or the client's going away).
            abort.disarm();
            drop(task);
            response.unwrap_or_else(|_| {
                plain_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page failed to render",
                    None,
                )
            })
        }
    }

    /// `leptos_axum::render_route_with_context`, rendered by this renderer: an axum handler
    /// for `leptos_routes_with_handler` that honours each route's `SsrMode`.
    pub fn route_handler<S, IV>(
        &self,
        paths: Vec<AxumRouteListing>,
        additional_context: impl Fn() + Clone + Send + Sync + 'static,
        app_fn: impl Fn() -> IV + Clone + Send + Sync + 'static,
    ) -> impl Fn(State<S>, Request<Body>) -> ResponseFuture + Clone + Send + 'static
    where
        IV: IntoView + 'static,
        LeptosOptions: FromRef<S>,
        S: Send + 'static,
    {
        let handler =
            leptos_axum::render_route_with_context::<S, IV>(paths, additional_context, app_fn);
        let renderer = self.clone();
        move |state, req| {
            let handler = handler.clone();
            Box::pin(renderer.render(req, move |req| handler(state, req)))
        }
    }

    /// The app's routes, rendered by this renderer: every path of `paths` (from
    /// `leptos_axum::generate_route_list`) for every HTTP method its route declares, each in its
    /// route's `SsrMode`, and a fallback for every other path that renders the app (in
    /// `SsrMode::Async`, so the router's `fallback` view renders) with status `404 Not Found`
    /// (unless the app set another status than `200` through `leptos_axum::ResponseOptions`).
    ///
    /// Merge it into the server's router (API routes, static files) and give the state:
    ///
    /// ```no_run
    /// use axum::{routing::get, Router};
    /// use leptos::prelude::*;
    /// use leptos_axum::generate_route_list;
    /// use registry_leptos::ssr::SsrRenderer;
    ///
    /// # #[component] fn App() -> impl IntoView { view! { <p>"app"</p> } }
    /// # async fn serve(options: LeptosOptions) {
    /// let renderer = SsrRenderer::new(2);
    /// let app = Router::new()
    ///     .route("/api/health", get(|| async { "ok" }))
    ///     .merge(renderer.routes(generate_route_list(App), || (), App))
    ///     .with_state(options);
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
    /// axum::serve(listener, app).await.unwrap();
    /// # }
    /// ```
    pub fn routes<S, IV>(
        &self,
        paths: Vec<AxumRouteListing>,
        additional_context: impl Fn() + Clone + Send + Sync + 'static,
        app_fn: impl Fn() -> IV + Clone + Send + Sync + 'static,
    ) -> axum::Router<S>
    where
        IV: IntoView + 'static,
        LeptosOptions: FromRef<S>,
        S: Clone + Send + Sync + 'static,
    {
        use axum::routing::{MethodFilter, MethodRouter};

        let handler = self.route_handler(paths.clone(), additional_context.clone(), app_fn.clone());
        let mut router = axum::Router::new();
        for listing in &paths {
            let mut methods = MethodRouter::<S>::new();
            for method in listing.methods() {
                let filter = match method {
                    leptos_router::Method::Get => MethodFilter::GET,
                    leptos_router::Method::Post => MethodFilter::POST,
                    leptos_router::Method::Put => MethodFilter::PUT,
                    leptos_router::Method::Delete => MethodFilter::DELETE,
                    leptos_router::Method::Patch => MethodFilter::PATCH,
                };
                methods = methods.on(filter, handler.clone());
            }
            router = router.route(listing.path(), methods);
        }
        let not_found = leptos_axum::render_app_async_with_context(additional_context, app_fn);
        let renderer = self.clone();
        router.fallback(move |req: Request<Body>| {
            let (renderer, not_found) = (renderer.clone(), not_found.clone());
            async move {
                let mut response = renderer.render(req, not_found).await;
                if response.status() == StatusCode::OK {
                    *response.status_mut() = StatusCode::NOT_FOUND;
                }
                response
            }
        })
    }

    /// Registries and entries of requests being rendered right now, over the whole process.
    ///
    /// An entry counts from its load's start until it is disposed; a registry until it is
    /// disposed and its async teardown has finished, except after an aborted render (the
    /// client went away before the head, or the render panicked), where the registries are
    /// disposed at once and their async teardown may still run after they stop counting.
    /// Both are zero once every response has been sent.
    pub fn live_counts() -> LiveCounts {
        LiveCounts {
            registries: LIVE_REGISTRIES.load(Ordering::Relaxed),
            entries: LIVE_ENTRIES.load(Ordering::Relaxed),
        }
    }
}

/// Sends `body`'s chunks to `sender` until the body ends or the client goes away (the
/// receiver is dropped, even while the body waits for a store). A panic while the body is
/// rendered ends the response with an error, so that the client sees a broken response rather
/// than a complete-looking one.
async fn stream_body(
    key: crate::server::RequestKey,
    body: Body,
    sender: &tokio::sync::mpsc::Sender<Result<Bytes, axum::Error>>,
    deadline: &mut Deadline,
) {
    let mut body = body.into_data_stream();
    loop {
        let next = InRequest {
            key,
            inner: Box::pin(AssertUnwindSafe(body.next()).catch_unwind()),
        };
        let next = match deadline
            .run(future::select(next, Box::pin(sender.closed())))
            .await
        {
            Some(Either::Left((next, _))) => next,
            // The client went away.
            Some(Either::Right(_)) => return,
            None => {
                let error = axum::Error::new("the page did not end before its deadline");
                drop(sender.send(Err(error)).await);
                return;
            }
        };
        let chunk = match next {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return,
            Err(_panic) => Err(axum::Error::new("the page panicked while it was rendered")),
        };
        let failed = chunk.is_err();
        if sender.send(chunk).await.is_err() || failed {
            return;
        }
    }
}

/// A response of `status` with a plain-text `message` (and a `Retry-After` header).
fn plain_response(
    status: StatusCode,
    message: &'static str,
    retry_after: Option<&'static str>,
) -> Response<Body> {
    let mut response = Response::new(Body::from(message));
    *response.status_mut() = status;
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static(seconds),
        );
    }
    response
}

/// One request counted in this thread's renders, from the start of its render to the end of
/// its body.
struct Rendering;

impl Rendering {
    /// Counts a render on this thread, unless `max` are under way.
    fn start(max: Option<usize>) -> Option<Self> {
        let renders = RENDERS.get();
        if max.is_some_and(|max| renders >= max) {
            return None;
        }
        RENDERS.set(renders + 1);
        Some(Rendering)
    }
}

impl Drop for Rendering {
    fn drop(&mut self) {
        RENDERS.set(RENDERS.get().saturating_sub(1));
    }
}

/// A request's deadline: when it passes, the request's unfinished stores are left to the
/// browser; [`GRACE`] later, what still runs is given up.
struct Deadline {
    request: crate::server::RequestKey,
    next: Option<tokio::time::Instant>,
    passed: bool,
}

impl Deadline {
    fn new(request: crate::server::RequestKey, after: Option<Duration>) -> Self {
        Self {
            request,
            next: after.map(|after| tokio::time::Instant::now() + after),
            passed: false,
        }
    }

    /// Runs `work` to its end, or gives it up (`None`) once the grace after the deadline has
    /// passed too.
    async fn run<F: Future + Unpin>(&mut self, mut work: F) -> Option<F::Output> {
        loop {
            let Some(at) = self.next else {
                return Some(work.await);
            };
            match future::select(&mut work, Box::pin(tokio::time::sleep_until(at))).await {
                Either::Left((output, _)) => return Some(output),
                Either::Right(_) if self.passed => return None,
                Either::Right(_) => {
                    self.passed = true;
                    self.next = Some(at + GRACE);
                    let request = self.request;
                    with_current(request, || leave_pending_to_browser(request));
                }
            }
        }
    }
}

/// Aborts the render when the handler is dropped before the response's head (the client went
/// away); dropping a tokio `JoinHandle` alone would not.
struct AbortOnDrop(Option<tokio::task::AbortHandle>);

impl AbortOnDrop {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}
