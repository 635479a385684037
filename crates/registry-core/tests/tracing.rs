//! What `get_or_load` tells `tracing`: a `StoreRegistry.getOrLoad` span around every call, hits
//! included, whenever a subscriber records the debug level (and none otherwise). Its own test
//! binary: a subscriber raises `tracing`'s global level for every thread of the binary.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use registry_core::test_util::TestRuntime;
use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records the names of the spans it is asked to make, at levels up to `max`.
struct SpanNames {
    max: LevelFilter,
    names: Mutex<Vec<&'static str>>,
    next: AtomicU64,
}

impl SpanNames {
    fn new(max: LevelFilter) -> Self {
        Self {
            max,
            names: Mutex::new(Vec::new()),
            next: AtomicU64::new(1),
        }
    }
}

impl Subscriber for SpanNames {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.names
            .lock()
            .expect("no test panics while holding it")
            .push(span.metadata().name());
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// `get_or_load` three times on one id (a miss, then two hits, the second while held), under a
/// subscriber that records up to `max`; the names of the spans it was asked to make.
fn spans_of_three_lookups(max: LevelFilter) -> Vec<&'static str> {
    let subscriber = std::sync::Arc::new(SpanNames::new(max));
    tracing::subscriber::with_default(std::sync::Arc::clone(&subscriber), || {
        let registry: StoreRegistry =
            StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
        let options = StoreOptions::new("a".to_string(), |_: LoadContext<String>| async {
            Ok::<_, Infallible>(1)
        });
        assert!(registry.get_or_load(&options).is_ready());
        assert!(registry.get_or_load(&options).is_ready());
        let _guard = registry.retain(&options);
        assert!(registry.get_or_load(&options).is_ready());
    });
    let names = subscriber.names.lock().expect("no test panicked").clone();
    names
        .into_iter()
        .filter(|name| *name == "StoreRegistry.getOrLoad")
        .collect()
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn every_get_or_load_has_its_span_when_debug_is_recorded() {
    assert_eq!(spans_of_three_lookups(LevelFilter::DEBUG).len(), 3);
    assert_eq!(spans_of_three_lookups(LevelFilter::TRACE).len(), 3);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn get_or_load_makes_no_span_when_debug_is_not_recorded() {
    assert!(spans_of_three_lookups(LevelFilter::INFO).is_empty());
}
