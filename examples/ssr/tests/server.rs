//! The server-rendered example over loopback HTTP: the stores' data and snapshots in the HTML,
//! concurrent loads, many requests with every registry and entry gone afterwards, isolation
//! between requests, escaping, and no crash on a multi-threaded runtime.

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use registry_leptos::ssr::{LiveCounts, SsrRenderer};
use support::{PANICS, eventually, get, serve, start};
use tokio::sync::Mutex;

/// The live counts are process-wide: tests that read them run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

fn zero() -> LiveCounts {
    LiveCounts::default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_holds_the_stores_data_and_their_snapshots() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_server, addr) = start(Duration::from_millis(5)).await;
    let page = get(addr, "/ws/acme").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    // Rendered into the HTML, in place (no fallback).
    assert!(
        body.contains("<li data-done=\"true\">Plan the week of acme</li>"),
        "{body}"
    );
    assert!(body.contains("<li>Grace (acme)</li>"), "{body}");
    assert!(!body.contains("Loading todos"), "{body}");
    assert!(!body.contains("Loading members"), "{body}");
    // The browser-only store renders its fallback.
    assert!(body.contains("Open in this tab: …"), "{body}");
    // So does the badge that reads the members with `use_store`, beside the cards that read
    // them with `use_hydrated_store`.
    assert!(
        body.contains(r#"<span data-testid="member-badge">Members: …</span>"#),
        "{body}"
    );
    // The snapshots, serialized for hydration (JSON in a JavaScript string).
    assert!(
        body.contains(r#"[{\"title\":\"Plan the week of acme\",\"done\":true},"#),
        "{body}"
    );
    // One snapshot per store, however many components read it (three read the members).
    assert_eq!(
        body.matches(r#"{\"name\":\"Ada (acme)\",\"role\":\"owner\"}"#)
            .count(),
        1,
        "{body}"
    );
    assert_eq!(body.matches("registry_leptos::store").count(), 2, "{body}");
    assert!(!body.contains(r#"= "null";"#), "{body}");

    // The members page shares the route's members store.
    let page = get(addr, "/ws/acme/members").await;
    assert!(
        page.body.contains("<li>Ada (acme)<!>: <!>owner</li>"),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_fails_on_the_server_renders_its_failure_and_carries_it() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (server, addr) = start(Duration::from_millis(5)).await;
    let page = get(addr, "/ws/offline-lab").await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    // The members failed, and their readers opt in to carrying failures: the members card
    // renders the failure (with its retry button), the todos card renders, its owner line
    // says nobody, and the failure goes into the page for the browser to start from.
    assert!(
        body.contains(r#"<p data-testid="members-error">the store failed to load: the member directory is offline</p>"#),
        "{body}"
    );
    assert!(body.contains(r#"data-testid="members-retry""#), "{body}");
    assert!(body.contains("Owned by <!>nobody"), "{body}");
    assert!(!body.contains("Loading members…"), "{body}");
    assert!(!body.contains("Loading todos…"), "{body}");
    assert!(
        body.contains(r#"\"title\":\"Plan the week of offline-lab\""#),
        "{body}"
    );
    assert!(
        body.contains(r#"\"error\":\"the member directory is offline\""#),
        "{body}"
    );
    assert!(
        !body.contains(r#"\"name\":\"Ada (offline-lab)\""#),
        "{body}"
    );
    eventually("registries disposed", || {
        SsrRenderer::live_counts() == zero()
    })
    .await;
    let stats = server.stats();
    assert_eq!(
        stats.loads.load(Ordering::SeqCst),
        stats.teardowns.load(Ordering::SeqCst)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ssr_mode_renders_the_data() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_server, addr) = start(Duration::from_millis(30)).await;
    for mode in [
        "/ws",
        "/async/ws",
        "/out-of-order/ws",
        "/partially-blocked/ws",
    ] {
        let page = get(addr, &format!("{mode}/garden")).await;
        assert_eq!(page.status, 200, "{mode}");
        assert!(
            page.body.contains(">Plan the week of garden</li>"),
            "{mode}: {}",
            page.body
        );
        assert!(
            page.body.contains("<li>Linus (garden)</li>"),
            "{mode}: {}",
            page.body
        );
        assert!(
            page.body
                .contains(r#"\"title\":\"Review the backlog of garden\""#),
            "{mode}"
        );
    }
    eventually("registries disposed", || {
        SsrRenderer::live_counts() == zero()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stores_of_a_page_load_at_the_same_time() {
    let _one = ONE_AT_A_TIME.lock().await;
    let delay = Duration::from_millis(200);
    let (server, addr) = start(delay).await;
    // Warm up (the first render initializes lazily built state).
    assert_eq!(get(addr, "/ws/warm").await.status, 200);
    server
        .stats()
        .load_times
        .lock()
        .expect("load times")
        .clear();

    let started = Instant::now();
    let page = get(addr, "/ws/timing").await;
    let elapsed = started.elapsed();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Plan the week of timing") && page.body.contains("Ada (timing)"));

    let times = server
        .stats()
        .load_times
        .lock()
        .expect("load times")
        .clone();
    assert_eq!(times.len(), 2, "two stores loaded");
    let (first, second) = (times[0], times[1]);
    for (start, end) in [first, second] {
        assert!(end - start >= delay, "a load took {:?}", end - start);
    }
    // Both loads ran at the same time: the second started before the first ended.
    assert!(
        second.0 < first.1 && first.0 < second.1,
        "the loads did not overlap: {times:?}"
    );
    // One load's time plus rendering, well under two loads' time (a waterfall).
    assert!(
        elapsed < Duration::from_millis(350),
        "the page took {elapsed:?} for two stores of {delay:?} each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_requests_from_fifty_clients_leave_nothing_behind() {
    let _one = ONE_AT_A_TIME.lock().await;
    let panics = PANICS.load(Ordering::SeqCst);
    let (server, addr) = start(Duration::from_millis(2)).await;
    let paths = ["/ws/", "/async/ws/", "/out-of-order/ws/", "/ws/{}/members"];
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..50 {
        clients.spawn(async move {
            for n in 0..20 {
                let id = format!("c{client}-{n}");
                let path = match paths[(client + n) % paths.len()] {
                    "/ws/{}/members" => format!("/ws/{id}/members"),
                    prefix => format!("{prefix}{id}"),
                };
                let page = get(addr, &path).await;
                assert_eq!(page.status, 200, "{path}");
                assert!(
                    page.body.contains(&format!("Ada ({id})")),
                    "{path}: {}",
                    page.body
                );
            }
        });
    }
    while let Some(client) = clients.join_next().await {
        client.expect("a client failed");
    }
    eventually("every request's registries and entries are gone", || {
        SsrRenderer::live_counts() == zero()
    })
    .await;
    let stats = server.stats();
    let loads = stats.loads.load(Ordering::SeqCst);
    // Two stores per page (todos and members), loaded once each per request.
    assert_eq!(loads, 2_000);
    eventually("every teardown ran", || {
        stats.teardowns.load(Ordering::SeqCst) == loads
    })
    .await;
    assert_eq!(PANICS.load(Ordering::SeqCst), panics, "something panicked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_each_get_only_their_own_stores() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_server, addr) = start(Duration::from_millis(20)).await;
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..200 {
        requests.spawn(async move {
            let id = format!("iso{n}x");
            let page = get(addr, &format!("/ws/{id}")).await;
            (id, page)
        });
    }
    while let Some(result) = requests.join_next().await {
        let (id, page) = result.expect("a request failed");
        assert_eq!(page.status, 200);
        // Every workspace id in the page (HTML and snapshots) is this request's.
        let mut found = 0;
        for (at, _) in page.body.match_indices("iso") {
            let rest = &page.body[at + 3..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            assert_eq!(
                format!("iso{digits}x"),
                id,
                "another request's store in {id}'s page"
            );
            found += 1;
        }
        // The heading, two todos and three members, each in the HTML and in a snapshot.
        assert!(found >= 11, "{id} appears {found} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_store_data_cannot_break_out_of_the_page() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_server, addr) = start(Duration::from_millis(5)).await;
    let body = get(addr, "/ws/tricky").await.body;
    // In the HTML, as text.
    assert!(
        body.contains(
            "Close the &lt;/script&gt;&lt;script&gt;window.__broken = true&lt;/script&gt; tag"
        ),
        "{body}"
    );
    assert!(body.contains("Keep &lt;!-- this --&gt; visible"), "{body}");
    assert!(
        body.contains(r#"Quote "double" and 'single' &amp; ampersand"#),
        "{body}"
    );
    // In the snapshot script (JSON in a JavaScript string), `<` is escaped as `\u003c`, so
    // neither `</script>` nor `<!--` appears.
    assert!(
        body.contains(r"Close the \\u003c/script>\\u003cscript>"),
        "{body}"
    );
    assert!(body.contains(r"Keep \\u003c!-- this --> visible"), "{body}");
    assert!(
        body.contains(r#"Quote \\\"double\\\" and 'single' & ampersand"#),
        "{body}"
    );
    // Nowhere raw.
    assert!(!body.contains("<script>window.__broken"), "{body}");
    assert!(!body.contains("<!-- this -->"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_the_renderer_stores_render_their_fallbacks_and_nothing_panics() {
    let _one = ONE_AT_A_TIME.lock().await;
    let panics = PANICS.load(Ordering::SeqCst);
    let server = ssr_example::server::Server::new(support::config(Duration::from_millis(5)));
    // leptos_axum's own handlers on the multi-threaded runtime: renders hop between worker
    // threads, where an `Rc` registry in a `SendWrapper`, or a `spawn_local`, would panic.
    let addr = serve(server.router_without_stores()).await;
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..200 {
        requests.spawn(async move { get(addr, &format!("/ws/mt{n}")).await });
    }
    while let Some(page) = requests.join_next().await {
        let page = page.expect("a request failed");
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Loading todos…"), "{}", page.body);
        assert!(page.body.contains("Loading members…"), "{}", page.body);
    }
    assert_eq!(
        server.stats().loads.load(Ordering::SeqCst),
        0,
        "a store loaded"
    );
    assert_eq!(SsrRenderer::live_counts(), zero());

    // With the renderer on the same multi-threaded runtime, concurrently.
    let (server, addr) = start(Duration::from_millis(5)).await;
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..200 {
        requests.spawn(async move { get(addr, &format!("/ws/mt{n}")).await });
    }
    while let Some(page) = requests.join_next().await {
        assert!(
            page.expect("a request failed")
                .body
                .contains("Plan the week of mt")
        );
    }
    eventually("registries disposed", || {
        SsrRenderer::live_counts() == zero()
    })
    .await;
    assert_eq!(server.stats().loads.load(Ordering::SeqCst), 400);
    assert_eq!(PANICS.load(Ordering::SeqCst), panics, "something panicked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_modes_send_the_page_before_the_stores_have_loaded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let _one = ONE_AT_A_TIME.lock().await;
    let delay = Duration::from_millis(600);
    let (_server, addr) = start(delay).await;
    // (path, what arrives before the stores have loaded, what arrives after)
    let cases = [
        (
            "/out-of-order/ws/early",
            "Loading todos…",
            "Plan the week of early",
        ),
        (
            "/ws/early",
            r#"<h1 data-testid="workspace">early</h1>"#,
            "Plan the week of early",
        ),
    ];
    for (path, early, late) in cases {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        let started = Instant::now();
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut received = Vec::new();
        let mut buffer = [0_u8; 4096];
        let mut early_at = None;
        loop {
            let read = stream.read(&mut buffer).await.expect("read");
            if read == 0 {
                break;
            }
            received.extend_from_slice(&buffer[..read]);
            if early_at.is_none() && String::from_utf8_lossy(&received).contains(early) {
                early_at = Some(started.elapsed());
            }
        }
        let text = String::from_utf8_lossy(&received);
        let early_at = early_at.unwrap_or_else(|| panic!("{path}: no {early:?} in {text}"));
        assert!(text.contains(late), "{path}: {text}");
        assert!(
            early_at < delay * 3 / 4,
            "{path}: the first part arrived after {early_at:?}, stores take {delay:?}"
        );
        assert!(
            started.elapsed() >= delay,
            "{path}: the whole page before the stores loaded"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_renders_the_apps_not_found_page_with_a_404() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_server, addr) = start(Duration::from_millis(5)).await;
    let page = get(addr, "/no/such/page").await;
    assert_eq!(page.status, 404, "{}", page.body);
    // The app renders it (its shell, its router's fallback), through the renderer.
    assert!(page.body.contains("<p>Not found.</p>"), "{}", page.body);
    assert!(page.body.contains("<header>"), "{}", page.body);
    eventually("registries disposed", || {
        SsrRenderer::live_counts() == zero()
    })
    .await;
}
