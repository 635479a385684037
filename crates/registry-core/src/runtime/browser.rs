use std::time::Duration;

use futures::future::LocalBoxFuture;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;

use super::{MAX_SLEEP, Runtime};
use crate::Subscription;

#[wasm_bindgen]
extern "C" {
    // `globalThis.performance.now()`: present in windows and workers alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// The browser's event loop: tasks through `wasm_bindgen_futures::spawn_local`, sleeps through
/// `setTimeout` (via `gloo-timers`), the clock through `performance.now()`.
///
/// Works in windows and in workers. Sleeps longer than `setTimeout`'s limit are chained.
/// Visibility is the document's (`document.hidden` and its `visibilitychange` event); in a
/// worker the page counts as visible.
#[derive(Clone, Copy, Debug, Default)]
pub struct BrowserRuntime;

impl Runtime for BrowserRuntime {
    fn spawn_local(&self, task: LocalBoxFuture<'static, ()>) {
        wasm_bindgen_futures::spawn_local(task);
    }

    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        Box::pin(async move {
            let mut left = duration;
            while !left.is_zero() {
                let step = left.min(MAX_SLEEP);
                // Round up so a deadline is never reported early.
                let millis = step.as_nanos().div_ceil(1_000_000);
                let millis = u32::try_from(millis)
                    .unwrap_or(i32::MAX as u32)
                    .min(i32::MAX as u32);
                gloo_timers::future::TimeoutFuture::new(millis).await;
                left = left.saturating_sub(step);
            }
        })
    }

    fn now(&self) -> Duration {
        Duration::from_secs_f64((performance_now() / 1000.0).max(0.0))
    }

    fn is_hidden(&self) -> bool {
        document().is_some_and(|document| document.hidden())
    }

    fn on_visibility_change(&self, listener: Box<dyn Fn()>) -> Subscription {
        let Some(document) = document() else {
            return Subscription::none();
        };
        let closure = Closure::<dyn Fn()>::new(listener);
        let function: js_sys::Function =
            closure.as_ref().unchecked_ref::<js_sys::Function>().clone();
        if document
            .add_event_listener_with_callback("visibilitychange", &function)
            .is_err()
        {
            tracing::warn!("cannot listen to visibilitychange: idle countdowns never pause");
            return Subscription::none();
        }
        Subscription::new(move || {
            let _ = document.remove_event_listener_with_callback("visibilitychange", &function);
            drop(closure);
        })
    }
}

/// The window's document; `None` in a worker.
fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|window| window.document())
}
