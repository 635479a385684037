//! The browser's side of the stores: fetching from the server's API, and counters that the
//! end-to-end tests read (`window.__stores`, by store and event: `todos:loads`).

use registry_core::LoadContext;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::stores::{LoadError, Start};

/// Adds one to `window.__stores[counter]`.
fn count(counter: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str("__stores");
    let counters = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(JsValue::is_object)
        .unwrap_or_else(|| {
            let counters = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&window, &key, &counters);
            counters.into()
        });
    let field = JsValue::from_str(counter);
    let value = js_sys::Reflect::get(&counters, &field)
        .ok()
        .and_then(|value| value.as_f64())
        .unwrap_or(0.0);
    let _ = js_sys::Reflect::set(&counters, &field, &JsValue::from_f64(value + 1.0));
}

/// Counts a store's start (`window.__stores["todos:loads"]` or `["todos:hydrations"]`, for a
/// `todos` store), and its teardown (`["todos:teardowns"]`).
pub(crate) fn started(ctx: &LoadContext<String>, store: &'static str, start: Start) {
    count(&match start {
        Start::Loaded => format!("{store}:loads"),
        Start::Hydrated => format!("{store}:hydrations"),
    });
    ctx.on_dispose(move || count(&format!("{store}:teardowns")));
}

/// GETs `url` and reads its JSON body.
pub(crate) async fn fetch_json<T: serde::de::DeserializeOwned>(
    url: String,
) -> Result<T, LoadError> {
    let failed = |what: &str, error: JsValue| LoadError(format!("{what} {url}: {error:?}"));
    let window = web_sys::window().ok_or_else(|| LoadError("no window".to_string()))?;
    let response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .map_err(|error| failed("fetch", error))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|error| failed("fetch", error))?;
    if !response.ok() {
        return Err(LoadError(format!("{url}: HTTP {}", response.status())));
    }
    let text = response.text().map_err(|error| failed("read", error))?;
    let text = JsFuture::from(text)
        .await
        .map_err(|error| failed("read", error))?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|error| LoadError(format!("{url}: {error}")))
}

/// The value of `name` in the page URL's query string.
pub(crate) fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}
