//! [`PreloadingLink`], [`RoutePreloader`] and [`preload_path`]: warm a page's stores before
//! its components mount.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use registry_core::StoreRegistry;
use registry_leptos::use_store_registry;

use crate::config::DemoConfig;
use crate::workspace::workspace_options;

/// The workspace ids a path shows: `/workspace/:id` one, `/split/:a/:b` two.
pub fn workspaces_of_path(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["workspace", id] if !id.is_empty() => vec![(*id).to_owned()],
        ["split", a, b] if !a.is_empty() && !b.is_empty() => vec![(*a).to_owned(), (*b).to_owned()],
        _ => Vec::new(),
    }
}

/// Starts loading the stores of the page at `path`: route-level code, run when the location
/// changes (back, forward, a typed URL) and when a link is clicked, pointed at or focused, so
/// that the store is loading before the page's components mount.
pub fn preload_path(registry: &StoreRegistry, config: DemoConfig, path: &str) {
    for id in workspaces_of_path(path) {
        // The load runs whether or not the returned future is awaited.
        drop(registry.preload(&workspace_options(id, config)));
    }
}

/// Preloads the stores of every location the router goes to.
#[component]
pub fn RoutePreloader() -> impl IntoView {
    let config = expect_context::<DemoConfig>();
    let registry = send_wrapper::SendWrapper::new(use_store_registry());
    let location = use_location();
    Effect::new(move |_| preload_path(&registry, config, &location.pathname.get()));
}

/// A link to `href` (a workspace or a split view) that preloads its stores when clicked,
/// pointed at or focused. `test_id` and `store_id` become its `data-testid` and
/// `data-store-id`.
#[component]
pub fn PreloadingLink(
    /// Where the link goes.
    href: String,
    /// Its `data-testid`.
    #[prop(into)]
    test_id: String,
    /// Its `data-store-id`, if it names one workspace.
    #[prop(optional, into)]
    store_id: Option<String>,
    /// What the link reads.
    children: Children,
) -> impl IntoView {
    let config = expect_context::<DemoConfig>();
    let registry = send_wrapper::SendWrapper::new(use_store_registry());
    let path = href.clone();
    // The click runs before the router navigates: the store is loading when the page mounts.
    let warm = move || preload_path(&registry, config, &path);
    let (on_hover, on_focus, on_click) = (warm.clone(), warm.clone(), warm);
    view! {
        <A href=href
            attr:data-testid=test_id
            attr:data-store-id=store_id
            on:mouseenter=move |_| on_hover()
            on:focus=move |_| on_focus()
            on:click=move |_| on_click()
        >
            {children()}
        </A>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_workspaces_they_show() {
        assert_eq!(workspaces_of_path("/workspace/acme"), ["acme"]);
        assert_eq!(workspaces_of_path("/split/a/b"), ["a", "b"]);
        assert!(workspaces_of_path("/").is_empty());
        assert!(workspaces_of_path("/workspace/").is_empty());
        assert!(workspaces_of_path("/elsewhere/x").is_empty());
    }
}
