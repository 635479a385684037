//! The smallest app that uses registry-core the way a page does: load a store by id, hold it,
//! read it, let it go. Built with and without the `registry` feature, the difference in the
//! release wasm is what registry-core adds (`scripts/perf.sh` measures both).

use std::rc::Rc;

use wasm_bindgen::prelude::*;

/// The store the app loads.
pub struct Counter {
    id: String,
}

#[cfg(feature = "registry")]
mod app {
    use super::*;
    use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};

    thread_local! {
        static REGISTRY: StoreRegistry<String> =
            StoreRegistry::new(RegistryConfig::default());
    }

    pub async fn open(id: String) -> Result<usize, String> {
        let options = StoreOptions::new(id, |ctx: LoadContext<String>| async move {
            ctx.on_dispose(|| ());
            Ok::<_, String>(Counter {
                id: ctx.store_id().clone(),
            })
        });
        let registry = REGISTRY.with(Clone::clone);
        let guard = registry.retain(&options);
        let store: Rc<Counter> = registry
            .get_or_load(&options)
            .await
            .map_err(|e| e.to_string())?;
        guard.release();
        Ok(store.id.len())
    }
}

#[cfg(not(feature = "registry"))]
mod app {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    thread_local! {
        static STORES: RefCell<HashMap<String, Rc<Counter>>> = RefCell::new(HashMap::new());
    }

    pub async fn open(id: String) -> Result<usize, String> {
        let store = STORES.with(|stores| {
            Rc::clone(
                stores
                    .borrow_mut()
                    .entry(id.clone())
                    .or_insert_with(|| Rc::new(Counter { id })),
            )
        });
        Ok(store.id.len())
    }
}

/// Opens the store `id` and returns the length of its id.
#[wasm_bindgen]
pub async fn open(id: String) -> Result<usize, JsError> {
    app::open(id).await.map_err(|e| JsError::new(&e))
}
