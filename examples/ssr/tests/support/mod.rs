//! Shared by the server tests: start the example on a free loopback port, GET pages over raw
//! HTTP/1.1, count panics.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ssr_example::server::{Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Panics anywhere in the process since the hook was set (by [`serve`]).
pub static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    });
}

/// A config for tests: `delay` per store load, two render threads.
pub fn config(delay: Duration) -> ServerConfig {
    ServerConfig {
        store_delay: delay,
        render_threads: 2,
        site_root: std::env::temp_dir().join("ssr-example-tests-site"),
    }
}

/// Starts `server`'s router (or `router`) on a free loopback port.
pub async fn serve(router: axum::Router) -> SocketAddr {
    count_panics();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("the listener's address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    addr
}

/// Starts the example with stores (`SsrRenderer`), `delay` per store load.
pub async fn start(delay: Duration) -> (Server, SocketAddr) {
    let server = Server::new(config(delay));
    let addr = serve(server.router()).await;
    (server, addr)
}

/// A response: its status code and its body (de-chunked).
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub body: String,
}

/// GETs `path` (HTTP/1.1, `Connection: close`), within 20 s.
pub async fn get(addr: SocketAddr, path: &str) -> Page {
    tokio::time::timeout(Duration::from_secs(20), get_now(addr, path))
        .await
        .unwrap_or_else(|_| panic!("GET {path} did not finish in 20 s"))
}

async fn get_now(addr: SocketAddr, path: &str) -> Page {
    request_now(addr, "GET", path).await
}

async fn request_now(addr: SocketAddr, method: &str, path: &str) -> Page {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .expect("read the response");
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status code");
    let chunked = head
        .lines()
        .any(|line| line.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Page { status, body }
}

/// Decodes a chunked HTTP/1.1 body.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").expect("a chunk size line");
        let size = usize::from_str_radix(size.trim(), 16).expect("a hex chunk size");
        if size == 0 {
            return body;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

/// Waits (up to 10 s) until `done` holds, polling every 10 ms.
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: still not true after 10 s");
}
