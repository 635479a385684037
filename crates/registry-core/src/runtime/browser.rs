use std::time::Duration;

use futures::future::LocalBoxFuture;
use wasm_bindgen::prelude::wasm_bindgen;

use super::{MAX_SLEEP, Runtime};

#[wasm_bindgen]
extern "C" {
    // `globalThis.performance.now()`: present in windows and workers alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// The browser's event loop: tasks through `wasm_bindgen_futures::spawn_local`, sleeps through
/// `setTimeout` (via `gloo-timers`), the clock through `performance.now()`.
///
/// Works in windows and in workers. Sleeps longer than [`MAX_SLEEP`] are chained.
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
}
