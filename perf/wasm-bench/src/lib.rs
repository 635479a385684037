//! The native benches' workloads (`crates/registry-core/benches/registry.rs`) for wasm32: each
//! [`Bench`] is set up by `new`, given its inputs by `prepare(n)` (untimed) and run `n` times by
//! `run()`, which the page times with `performance.now()` (see `perf/browser/page.mjs`).

use std::cell::Cell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use registry_core::test_util::TestRuntime;
use registry_core::{
    CacheTime, LoadContext, LoadFuture, Lookup, RegistryConfig, RetainGuard, StoreOptions,
    StoreRegistry,
};
use wasm_bindgen::prelude::*;

/// The trivial store, as in the native benches.
pub struct Store {
    id: String,
}

type Registry = StoreRegistry<String>;
type Options = StoreOptions<String, Store, Infallible>;

fn options(id: String, cache_time: impl Into<CacheTime>, disposed: &Rc<Cell<u32>>) -> Options {
    let disposed = Rc::clone(disposed);
    StoreOptions::new(id, move |ctx: LoadContext<String>| {
        let disposed = Rc::clone(&disposed);
        async move {
            ctx.on_dispose(move || disposed.set(disposed.get() + 1));
            Ok(Store {
                id: ctx.store_id().clone(),
            })
        }
    })
    .unused_cache_time(cache_time)
}

fn hit(lookup: Lookup<Store, Infallible>) -> Rc<Store> {
    match lookup {
        Lookup::Ready(Ok(store)) => store,
        _ => panic!("the entry is loaded"),
    }
}

/// A load that never finishes on its own (W4 only issues the waiters).
struct Never;

impl Future for Never {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

/// One workload, ready to run.
#[wasm_bindgen]
pub struct Bench {
    name: String,
    rt: TestRuntime,
    registry: Registry,
    opts: Options,
    disposed: Rc<Cell<u32>>,
    map: HashMap<String, Rc<Store>>,
    batch: Vec<Options>,
    waiters: Vec<LoadFuture<Store, Infallible>>,
    next: u32,
    _holder: Option<RetainGuard>,
    sink: usize,
}

#[wasm_bindgen]
impl Bench {
    /// `name`: `floor`, `W1`, `W1b`, `W2`, `W3`, `W3c` or `W4`.
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str) -> Bench {
        let rt = TestRuntime::new();
        let registry: Registry = StoreRegistry::with_runtime(RegistryConfig::default(), rt.clone());
        let disposed = Rc::new(Cell::new(0));
        let minute = Duration::from_secs(60);
        let cache_time = if name == "W2" { Duration::ZERO } else { minute };
        let opts = options(name.to_string(), cache_time, &disposed);
        let mut holder = None;
        let mut map = HashMap::new();
        match name {
            "floor" => {
                map.insert(
                    name.to_string(),
                    Rc::new(Store {
                        id: name.to_string(),
                    }),
                );
            }
            "W1" | "W2" => {
                holder = Some(registry.retain(&opts));
                hit(registry.get_or_load(&opts));
            }
            "W1b" => {
                hit(registry.get_or_load(&opts));
                rt.run_until_stalled();
            }
            "W3" | "W3c" | "W4" => {}
            other => panic!("unknown workload {other}"),
        }
        Bench {
            name: name.to_string(),
            rt,
            registry,
            opts,
            disposed,
            map,
            batch: Vec::new(),
            waiters: Vec::new(),
            next: 0,
            _holder: holder,
            sink: 0,
        }
    }

    /// Makes the inputs of the next `run()` of `n` operations (untimed).
    pub fn prepare(&mut self, n: u32) {
        let (prefix, cache_time) = match self.name.as_str() {
            "W3" => ("w3", Duration::ZERO),
            "W3c" => ("w3c", Duration::from_millis(1)),
            "W4" => ("w4", Duration::ZERO),
            _ => {
                self.next = n;
                return;
            }
        };
        if self.name == "W4" {
            self.waiters = Vec::with_capacity(n as usize);
            let id = format!("{prefix}-{}", self.disposed.get());
            self.opts = StoreOptions::new(id, |_ctx: LoadContext<String>| async {
                Never.await;
                Ok(Store { id: String::new() })
            })
            .unused_cache_time(Duration::ZERO);
            self.next = n;
            return;
        }
        let start = self.next;
        self.batch = (start..start + n)
            .map(|i| options(format!("{prefix}-{i}"), cache_time, &self.disposed))
            .collect();
        self.next = start + n;
    }

    /// Runs the prepared operations: what the page times.
    pub fn run(&mut self) {
        let n = self.next;
        match self.name.as_str() {
            "floor" => {
                let key = self.opts.store_id();
                for _ in 0..n {
                    let store = self.map.get(black_box(key)).map(Rc::clone);
                    self.sink += black_box(store).is_some() as usize;
                }
            }
            "W1" | "W1b" => {
                for _ in 0..n {
                    let store = hit(self.registry.get_or_load(black_box(&self.opts)));
                    self.sink += black_box(store).id.len();
                }
            }
            "W2" => {
                for _ in 0..n {
                    self.registry.retain(black_box(&self.opts)).release();
                }
            }
            "W3" | "W3c" => {
                for opts in &self.batch {
                    black_box(hit(self.registry.get_or_load(opts)));
                }
                if self.name == "W3c" {
                    self.rt.advance(Duration::from_millis(1));
                }
            }
            "W4" => {
                let mut cx = Context::from_waker(Waker::noop());
                for _ in 0..n {
                    let Lookup::Pending(mut future) = self.registry.get_or_load(&self.opts) else {
                        panic!("the load is in flight")
                    };
                    assert!(Pin::new(&mut future).poll(&mut cx).is_pending());
                    self.waiters.push(future);
                }
            }
            _ => unreachable!(),
        }
    }

    /// Checks what the last `run()` did and cleans up after it (untimed). Returns an error
    /// message, or an empty string.
    pub fn check(&mut self) -> String {
        let problem = match self.name.as_str() {
            "W3" | "W3c" => {
                let live = self.registry.snapshot().len();
                (live != 0).then(|| format!("{live} entries were not disposed"))
            }
            "W2" => {
                let holders = self.registry.snapshot().first().map(|e| e.holders);
                (holders != Some(1)).then(|| format!("holders {holders:?} != 1"))
            }
            "W4" => {
                let snapshot = self.registry.snapshot();
                let problem = (snapshot.len() != 1).then(|| format!("{} loads", snapshot.len()));
                self.waiters.clear();
                self.registry.invalidate(&self.opts);
                self.registry.dispose();
                self.registry =
                    StoreRegistry::with_runtime(RegistryConfig::default(), self.rt.clone());
                self.disposed.set(self.disposed.get() + 1);
                problem
            }
            _ => None,
        };
        self.batch.clear();
        problem.unwrap_or_default()
    }
}
