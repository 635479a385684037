//! Requests per second of the example's workspace page (two stores, through `SsrRenderer`)
//! against the same page whose data comes from plain Leptos resources (`/plain/ws/:id`),
//! rendered through `SsrRenderer` and by `leptos_axum`'s own handler, on loopback, in one run;
//! then what a request's registry costs by itself (time and bytes allocated).
//!
//! `cargo bench -p ssr-example --bench rps` prints a markdown table; with `RPS_JSON=path` it
//! also writes the figures as JSON. `RPS_SECONDS` (default 3) is the length of each round,
//! `RPS_ROUNDS` (default 5) the rounds per page, alternating, `RPS_CLIENTS` (default 32) the
//! concurrent keep-alive clients.

use std::alloc::System;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use registry_core::{CacheTime, LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
use ssr_example::server::{Server, ServerConfig};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

/// Counts the bytes allocated, for the registry's cost.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn allocated() -> u64 {
    GLOBAL.stats().bytes_allocated as u64
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

/// Requests per second of `prefix{n}` pages over `seconds`, from `clients` keep-alive clients.
async fn round(client: &HttpClient, base: &str, prefix: &str, clients: usize, seconds: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let client = client.clone();
        let done = Arc::clone(&done);
        let url = format!("{base}{prefix}");
        tasks.spawn(async move {
            let mut n = 0_usize;
            while Instant::now() < deadline {
                // A different workspace every time: nothing is cached across requests.
                let uri: hyper::Uri = format!("{url}c{c}n{n}").parse().expect("a URI");
                let response = client.get(uri).await.expect("a response");
                assert_eq!(response.status(), 200);
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .expect("a body")
                    .to_bytes();
                assert!(body.len() > 1_000, "a short page");
                done.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        });
    }
    let started = Instant::now();
    while let Some(task) = tasks.join_next().await {
        task.expect("a client failed");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// What one page costs: bytes allocated per request, bytes of HTML, and the time of one
/// request when it is the only one.
struct PageCost {
    allocated: f64,
    page_bytes: f64,
    micros: f64,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Time and bytes of what the renderer does per request, registry-wise: a registry with an
/// infinite cache time and an entry-counting listener, two stores loaded, all disposed.
fn registry_cost() -> (f64, f64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let options_a = StoreOptions::new("a".to_string(), |_: LoadContext<String>| async {
            Ok::<_, std::io::Error>(vec![1_u32, 2, 3])
        });
        let options_b = StoreOptions::new("b".to_string(), |_: LoadContext<String>| async {
            Ok::<_, std::io::Error>(String::from("members"))
        });
        let iterations = 20_000_u32;
        let run = || async {
            let registry = StoreRegistry::<String>::new(
                RegistryConfig::default().default_unused_cache_time(CacheTime::Infinite),
            );
            let live = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&live);
            let subscription = registry.subscribe(move |_event| {
                counter.fetch_add(1, Ordering::Relaxed);
            });
            let a = registry.retain(&options_a);
            let b = registry.retain(&options_b);
            let _ = registry.get_or_load(&options_a);
            let _ = registry.get_or_load(&options_b);
            drop((a, b));
            registry.dispose_async().await;
            drop(subscription);
        };
        for _ in 0..1_000 {
            run().await;
        }
        let bytes_before = allocated();
        let started = Instant::now();
        for _ in 0..iterations {
            run().await;
        }
        let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
        let bytes = (allocated() - bytes_before) as f64 / f64::from(iterations);
        (micros, bytes)
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that is not ours skips the run.
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with("--"));
    if filter.is_some_and(|filter| !"rps".contains(&filter)) {
        return;
    }
    let seconds = env_or("RPS_SECONDS", 3.0_f64);
    let rounds = env_or("RPS_ROUNDS", 5_usize);
    let clients = env_or("RPS_CLIENTS", 32_usize);
    let threads = std::thread::available_parallelism().map_or(2, usize::from);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (registry_rps, plain_rps, axum_rps, bytes_per_page) = runtime.block_on(async {
        let server = Server::new(ServerConfig {
            store_delay: Duration::ZERO,
            render_threads: threads,
            site_root: std::env::temp_dir().join("ssr-example-bench-site"),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("an address");
        let router = server.router();
        tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
        let base = format!("http://{addr}");
        // The plain page as leptos_axum renders it by itself (no pinned threads).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let axum_base = format!("http://{}", listener.local_addr().expect("an address"));
        let router = server.router_without_stores();
        tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();

        // Warm up every page.
        round(&client, &base, "/ws/", clients, 0.5).await;
        round(&client, &base, "/plain/ws/", clients, 0.5).await;
        round(&client, &axum_base, "/plain/ws/", clients, 0.5).await;

        let mut registry = Vec::new();
        let mut plain = Vec::new();
        let mut axum_plain = Vec::new();
        for _ in 0..rounds {
            registry.push(round(&client, &base, "/ws/", clients, seconds).await);
            plain.push(round(&client, &base, "/plain/ws/", clients, seconds).await);
            axum_plain.push(round(&client, &axum_base, "/plain/ws/", clients, seconds).await);
        }
        let page = |prefix: &'static str| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let before = allocated();
                let mut page_bytes = 0;
                for n in 0..200 {
                    let uri: hyper::Uri = format!("{base}{prefix}bytes{n}").parse().expect("a URI");
                    let response = client.get(uri).await.expect("a response");
                    let body = response.into_body().collect().await.expect("a body");
                    page_bytes += body.to_bytes().len();
                }
                let allocated_per_page = (allocated() - before) as f64 / 200.0;
                // One client, one request at a time: the server's time per request.
                let started = Instant::now();
                for n in 0..200 {
                    let uri: hyper::Uri = format!("{base}{prefix}time{n}").parse().expect("a URI");
                    let response = client.get(uri).await.expect("a response");
                    let _ = response.into_body().collect().await.expect("a body");
                }
                PageCost {
                    allocated: allocated_per_page,
                    page_bytes: page_bytes as f64 / 200.0,
                    micros: started.elapsed().as_secs_f64() * 1e6 / 200.0,
                }
            }
        };
        let registry_cost = page("/ws/").await;
        let plain_cost = page("/plain/ws/").await;
        (
            median(&mut registry),
            median(&mut plain),
            median(&mut axum_plain),
            (registry_cost, plain_cost),
        )
    });
    let (micros, bytes) = registry_cost();
    // Against the lower of the two plain renderings: the target holds against either.
    let ratio = registry_rps / plain_rps.max(axum_rps);

    println!(
        "| page (two stores, store delay 0, {clients} keep-alive clients, {rounds} rounds of {seconds} s, median) | requests/s | bytes allocated per request | page bytes | µs per request, one client |"
    );
    println!("|---|---:|---:|---:|---:|");
    let (stores, plain) = &bytes_per_page;
    println!(
        "| stores (`use_hydrated_store`, route preloads, `SsrRenderer`) | {registry_rps:.0} | {:.0} | {:.0} | {:.0} |",
        stores.allocated, stores.page_bytes, stores.micros
    );
    println!(
        "| plain Leptos `Resource`s, same page, same renderer | {plain_rps:.0} | {:.0} | {:.0} | {:.0} |",
        plain.allocated, plain.page_bytes, plain.micros
    );
    println!(
        "| plain Leptos `Resource`s, same page, `leptos_axum`'s own handler (multi-threaded) | {axum_rps:.0} | | | |"
    );
    println!();
    println!(
        "Stores / plain: **{:.1} %** of the faster plain rendering's requests per second (target ≥ 95 %).",
        ratio * 100.0
    );
    println!(
        "A request's registry by itself (created with an entry-counting listener, two stores loaded and retained, released, disposed): **{micros:.2} µs** and **{bytes:.0} B** allocated."
    );

    if let Ok(path) = std::env::var("RPS_JSON") {
        let json = format!(
            "{{\"registry_rps\":{registry_rps:.1},\"plain_rps\":{plain_rps:.1},\"axum_plain_rps\":{axum_rps:.1},\"ratio\":{ratio:.4},\"registry_page_bytes\":{:.0},\"plain_page_bytes\":{:.0},\"registry_html_bytes\":{:.0},\"plain_html_bytes\":{:.0},\"registry_page_micros\":{:.1},\"plain_page_micros\":{:.1},\"registry_micros\":{micros:.3},\"registry_bytes\":{bytes:.0},\"clients\":{clients},\"rounds\":{rounds},\"seconds\":{seconds}}}",
            stores.allocated,
            plain.allocated,
            stores.page_bytes,
            plain.page_bytes,
            stores.micros,
            plain.micros
        );
        if let Err(error) = std::fs::write(&path, json) {
            eprintln!("cannot write {path}: {error}");
        }
    }
    // Far below the 95 % target, noise cannot explain it: fail the run.
    if ratio < 0.8 {
        eprintln!(
            "the page with stores served {:.1} % of the plain page's requests per second, under 80 %",
            ratio * 100.0
        );
        std::process::exit(1);
    }
}
