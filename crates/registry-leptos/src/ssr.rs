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
//! renders). When the body has been sent (or the client went away), every store the request
//! loaded is released and its registries disposed, teardown included, on the same thread.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;

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

use crate::server::{InRequest, LIVE_ENTRIES, LIVE_REGISTRIES, RequestScope};

/// Renders Leptos pages with stores: one registry per request and id type, loaded during the
/// render and disposed once the response has been sent.
///
/// Cheap to clone (the clones share the threads). Build one per server, and use
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
        }
    }

    /// Renders `req` with `render` (a `leptos_axum` rendering function, such as the handler
    /// of `render_app_async_with_context`) on one of the renderer's threads, with the
    /// request's store registries.
    ///
    /// The response's head is returned as soon as `render` gives it, and its body streams from
    /// that thread. When the body ends, or the client goes away (even while the page waits for
    /// a store that never loads), the request's stores are released and its registries
    /// disposed there.
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
        let task = self.pool.spawn_pinned(move || async move {
            let scope = RequestScope::enter();
            let key = scope.key();
            let response = InRequest {
                key,
                inner: Box::pin(render(req)),
            }
            .await;
            let (parts, body) = response.into_parts();
            let (sender, mut chunks) = tokio::sync::mpsc::channel::<Result<Bytes, axum::Error>>(4);
            let chunks = futures::stream::poll_fn(move |cx| chunks.poll_recv(cx));
            if head_sender
                .send(Response::from_parts(parts, Body::from_stream(chunks)))
                .is_ok()
            {
                stream_body(key, body, &sender).await;
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
                let mut response = Response::new(Body::from("the page failed to render"));
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response
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
) {
    let mut body = body.into_data_stream();
    loop {
        let next = InRequest {
            key,
            inner: Box::pin(AssertUnwindSafe(body.next()).catch_unwind()),
        };
        let next = match future::select(next, Box::pin(sender.closed())).await {
            Either::Left((next, _)) => next,
            // The client went away.
            Either::Right(_) => return,
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
