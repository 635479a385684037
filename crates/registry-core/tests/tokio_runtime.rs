//! `StoreRegistry::new` on tokio (native): a `LocalSet` with paused time.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use registry_core::{
    CacheTime, LoadContext, RegistryConfig, RegistryError, StoreOptions, StoreRegistry,
};

#[derive(Debug)]
struct Doc(String);

type Counter = Rc<Cell<usize>>;
type Registry = StoreRegistry<String>;
type Options = StoreOptions<String, Doc, String>;

fn options(loads: Counter, disposals: Counter, cache_time: Duration) -> Options {
    StoreOptions::new("doc".to_string(), move |ctx: LoadContext<String>| {
        let (loads, disposals) = (loads.clone(), disposals.clone());
        async move {
            loads.set(loads.get() + 1);
            ctx.on_dispose(move || disposals.set(disposals.get() + 1));
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(Doc(ctx.store_id().clone()))
        }
    })
    .unused_cache_time(cache_time)
}

/// A registry on `StoreRegistry::new` (tokio natively), options for "doc" at `cache_time`,
/// and the loader's load and disposal counters. Call inside a `LocalSet`.
fn setup(cache_time: Duration) -> (Registry, Options, Counter, Counter) {
    let (loads, disposals) = (Counter::default(), Counter::default());
    let registry = StoreRegistry::new(RegistryConfig::default());
    let options = options(loads.clone(), disposals.clone(), cache_time);
    (registry, options, loads, disposals)
}

#[test]
fn native_default_cache_time_is_infinite() {
    assert_eq!(
        RegistryConfig::default().default_unused_cache_time,
        CacheTime::Infinite
    );
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn tokio_runtime_loads_once_and_disposes_after_the_cache_time() {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let (registry, options, loads, disposals) = setup(Duration::from_secs(1));

            let guard = registry.retain(&options);
            let (a, b) = futures::join!(
                registry.get_or_load(&options).into_future(),
                registry.get_or_load(&options).into_future()
            );
            let (a, b) = (a.expect("the store loads"), b.expect("the store loads"));
            assert!(Rc::ptr_eq(&a, &b));
            assert_eq!(a.0, "doc");
            assert_eq!(loads.get(), 1);

            guard.release();
            tokio::time::sleep(Duration::from_millis(999)).await;
            assert_eq!(disposals.get(), 0, "disposed before its cache time ran out");
            tokio::time::sleep(Duration::from_millis(2)).await;
            assert_eq!(disposals.get(), 1);
            assert!(registry.snapshot().is_empty());
        })
        .await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn tokio_runtime_cancels_a_load_whose_entry_is_disposed() {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let (registry, options, loads, disposals) = setup(Duration::from_millis(10));

            // Only the guard holds the entry; released while loading, it is cancelled 10 ms later.
            let (guard, lookup) = registry.retain_and_get(&options);
            drop(guard);
            let result = lookup.await;
            assert!(
                matches!(result, Err(RegistryError::Cancelled)),
                "got {result:?}"
            );
            assert_eq!((loads.get(), disposals.get()), (1, 1));
            assert!(registry.snapshot().is_empty());
        })
        .await;
}
