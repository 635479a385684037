//! Entry point of the workspaces demo: see the library's docs.

fn main() {
    // The app runs in a browser only; a native build (for workspace-wide checks) does nothing.
    #[cfg(target_arch = "wasm32")]
    workspaces_demo::start();
}
