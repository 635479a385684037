//! The example's server: `cargo run -p ssr-example` (after building the browser's side, see
//! `scripts/ssr.sh`). Serves on 127.0.0.1 at the port in `PORT` (default 3000).

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse::<u16>().ok())
        .unwrap_or(3000);
    let config = ssr_example::server::ServerConfig::from_env();
    let server = ssr_example::server::Server::new(config);
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
            std::process::exit(1);
        }
    };
    println!("serving on http://127.0.0.1:{port}/");
    if let Err(error) = axum::serve(listener, server.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    {
        eprintln!("server error: {error}");
        std::process::exit(1);
    }
}

// The browser's side is the library's `hydrate`.
#[cfg(target_arch = "wasm32")]
fn main() {}
