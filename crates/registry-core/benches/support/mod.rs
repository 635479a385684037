//! What both bench binaries share: the trivial store, its options and a registry on the virtual
//! clock. The store is as small as the anchor's (`{ storeId, disposed }`), so that the registry
//! is measured, not store creation.

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use registry_core::test_util::TestRuntime;
use registry_core::{CacheTime, LoadContext, Lookup, RegistryConfig, StoreOptions, StoreRegistry};

/// The trivial store: its id, like the anchor's `{ storeId, disposed }`.
#[derive(Debug)]
pub struct Store {
    #[allow(dead_code, reason = "the payload a real store would carry")]
    pub id: String,
}

pub type Registry = StoreRegistry<String>;
pub type Options = StoreOptions<String, Store, Infallible>;

pub fn registry(rt: &TestRuntime) -> Registry {
    StoreRegistry::with_runtime(RegistryConfig::default(), rt.clone())
}

/// Options whose loader is ready on its first poll (the anchor's synchronous `createStore`).
pub fn options(id: impl Into<String>, cache_time: impl Into<CacheTime>) -> Options {
    StoreOptions::new(id.into(), |ctx: LoadContext<String>| async move {
        Ok::<_, Infallible>(Store {
            id: ctx.store_id().clone(),
        })
    })
    .unused_cache_time(cache_time)
}

/// Like [`options`], and the store counts its disposal (the anchor's `acquireRelease`
/// finalizer), so that a workload can check that every store it loaded was disposed.
#[allow(dead_code, reason = "used by one of the two bench binaries only")]
pub fn counted_options(id: String, cache_time: Duration, disposed: &Rc<Cell<u64>>) -> Options {
    let disposed = Rc::clone(disposed);
    StoreOptions::new(id, move |ctx: LoadContext<String>| {
        let disposed = Rc::clone(&disposed);
        async move {
            ctx.on_dispose(move || disposed.set(disposed.get() + 1));
            Ok::<_, Infallible>(Store {
                id: ctx.store_id().clone(),
            })
        }
    })
    .unused_cache_time(cache_time)
}

/// Loads `options`' store (synchronously: the loader is ready at once) and returns it.
pub fn load(registry: &Registry, options: &Options) -> Rc<Store> {
    match registry.get_or_load(options) {
        Lookup::Ready(Ok(store)) => store,
        other => panic!("a ready loader answers synchronously, got {other:?}"),
    }
}

/// `n` ids spread over `0..len` by a fixed pseudo-random sequence (the same in every run).
#[allow(dead_code, reason = "used by one of the two bench binaries only")]
pub fn spread(n: usize, len: usize) -> Vec<usize> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            usize::try_from(x % len as u64).expect("below len, which is a usize")
        })
        .collect()
}
