//! No per-request leak: the server's resident memory after 10,000 requests stays within a small
//! bound of what it was after 1,000. In a test binary of its own, so that nothing else runs in
//! the process.

mod support;

use std::time::Duration;

use registry_leptos::ssr::{LiveCounts, SsrRenderer};
use support::{eventually, get, start};

/// The resident set size of this process, in bytes (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

async fn requests(addr: std::net::SocketAddr, from: usize, count: usize) {
    let clients = 50;
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        tasks.spawn(async move {
            for n in (from + client..from + count).step_by(clients) {
                let page = get(addr, &format!("/ws/mem{n}")).await;
                assert_eq!(page.status, 200);
            }
        });
    }
    while let Some(task) = tasks.join_next().await {
        task.expect("a client failed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resident_memory_does_not_grow_with_requests() {
    let Some(_) = resident_bytes() else {
        eprintln!("no /proc/self/statm: resident memory cannot be read on this system");
        return;
    };
    let (server, addr) = start(Duration::ZERO).await;
    requests(addr, 0, 1_000).await;
    eventually("registries disposed", || {
        SsrRenderer::live_counts() == LiveCounts::default()
    })
    .await;
    let after_1k = resident_bytes().unwrap_or_default();
    requests(addr, 1_000, 9_000).await;
    eventually("registries disposed", || {
        SsrRenderer::live_counts() == LiveCounts::default()
    })
    .await;
    let after_10k = resident_bytes().unwrap_or_default();
    let stats = server.stats();
    assert_eq!(
        stats.loads.load(std::sync::atomic::Ordering::SeqCst),
        20_000
    );
    // 9,000 more requests: a leaked request registry (kilobytes with its entries) would add
    // tens of MB. Leptos itself keeps about 64 B per request here (measured with its own
    // handlers and no stores: about 0.6 MB per 10,000 requests), within the bound.
    let growth = after_10k.saturating_sub(after_1k);
    eprintln!("resident: {after_1k} B after 1,000 requests, {after_10k} B after 10,000");
    assert!(
        growth < 4 * 1024 * 1024,
        "resident memory grew by {growth} B from 1,000 to 10,000 requests \
         ({after_1k} -> {after_10k})"
    );
}
