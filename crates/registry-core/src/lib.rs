//! Load stores by id once, share them, keep them while held, dispose them when unused.
//!
//! A Rust port of LiveStore's `StoreRegistry` for single-threaded apps (Leptos in the browser,
//! a server rendering one page on one thread). A *store* is anything expensive to boot and
//! that must be shut down when unused: a local-first database per workspace, a socket-backed
//! document. The [`StoreRegistry`]:
//!
//! - loads a store by id once, however many callers ask for it at the same moment;
//! - keeps it while anything holds it ([`StoreRegistry::retain`] returns a [`RetainGuard`]);
//! - disposes it a [`CacheTime`] after the last holder lets go (60 s in the browser by
//!   default, never on native targets, where a page is rendering);
//! - caches failures, cancels loads whose entry is disposed, runs teardown
//!   ([`LoadContext::on_dispose`]) exactly once, and tolerates re-entrant calls;
//! - holds stores of every type in one registry: an entry is named by its id and its store
//!   type, so one registry per app is enough;
//! - waits for a store's async teardown ([`LoadContext::on_dispose_async`]) before loading its
//!   id again, bounds the number of idle stores ([`RegistryConfig::max_idle_entries`]), lets a
//!   later caller lengthen a cache time ([`CacheTimePolicy::Longest`]) and pauses countdowns
//!   in background tabs ([`RegistryConfig::pause_while_hidden`]).
//!
//! # Restarting a store
//!
//! [`StoreRegistry::restart`] replaces a store under its holders: its current instance ends
//! (a load in flight is cancelled, teardown runs and async teardown finishes) and the same
//! entry loads again, with new options if given (a fresh token, another configuration). Every
//! [`RetainGuard`] holds the new instance, every waiter of a cancelled load gets the new load's
//! outcome, and the entry's [`generation`](EntrySnapshot::generation) grows by one. A store can
//! restart itself through [`LoadContext::restart_handle`], when it notices that its socket or
//! worker died.
//!
//! Which to use: `restart` for a store that is held (or loading, or failed) and must be
//! replaced without unmounting what holds it; [`StoreRegistry::invalidate`] to drop a cached
//! failure or an unheld store so that the next caller loads afresh (it never touches a held,
//! healthy store); a retry of a failure is either (the Leptos adapter's `retry` invalidates
//! and loads again; `restart` keeps the holders through it).
//!
//! ```
//! use registry_core::{LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
//! use registry_core::test_util::TestRuntime;
//!
//! struct Connection { token: String }
//!
//! let registry: StoreRegistry = StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
//! let connect = |token: &str| {
//!     let token = token.to_string();
//!     StoreOptions::new("sync".to_string(), move |_: LoadContext<String>| {
//!         let token = token.clone();
//!         async move { Ok::<_, std::io::Error>(Connection { token }) }
//!     })
//! };
//! let guard = registry.retain(&connect("expired"));
//! // The token expired: reconnect with a new one, under the same holders.
//! assert!(registry.restart(&connect("fresh")));
//! let connection = registry.get_or_load(&connect("ignored")).ready().unwrap().unwrap();
//! assert_eq!(connection.token, "fresh");
//! assert!(guard.is_live());
//! ```
//!
//! # Why is this store alive?
//!
//! A debugging aid for "why is my socket still open?". [`StoreRegistry::snapshot`] says, for
//! every entry, why it has not ended ([`EntrySnapshot::alive_because`], an [`AliveReason`]
//! that reads as a sentence: held by guards, loading for a caller, counting down (with the
//! time left), paused while the page is hidden, kept by an infinite cache time, or disposing),
//! plus its in-flight load holds, a cache time that a later caller lengthened
//! ([`EntrySnapshot::cache_time_grown_from`]), its rank among idle entries under
//! [`RegistryConfig::max_idle_entries`] and its generation. With the `provenance` feature,
//! [`retain`](StoreRegistry::retain) and [`retain_and_get`](StoreRegistry::retain_and_get) are
//! `#[track_caller]` and every guard remembers where it was taken:
//! [`EntrySnapshot::holder_locations`] lists the `file:line` of each holder (adapters pass
//! their hook's caller through [`retain_from`](StoreRegistry::retain_from)). Without the
//! feature, guards and entries are no bigger and those lists are empty. The Leptos adapter's
//! inspector shows all of it.
//!
//! ```
//! use registry_core::{AliveReason, LoadContext, RegistryConfig, StoreOptions, StoreRegistry};
//! use registry_core::test_util::TestRuntime;
//!
//! let registry: StoreRegistry = StoreRegistry::with_runtime(RegistryConfig::default(), TestRuntime::new());
//! let options = StoreOptions::new("socket".to_string(), |_: LoadContext<String>| async {
//!     Ok::<_, std::io::Error>(())
//! });
//! let _guard = registry.retain(&options);
//! let entry = &registry.snapshot()[0];
//! assert_eq!(entry.alive_because, AliveReason::Held { guards: 1 });
//! assert_eq!(entry.alive_because.to_string(), "held by 1 retain guard");
//! // With the `provenance` feature: the line of the `retain` call above.
//! # #[cfg(feature = "provenance")]
//! assert_eq!(entry.holder_locations.len(), 1);
//! ```
//!
//! Time and tasks come from a [`Runtime`]: the browser's event loop on wasm32, tokio behind
//! the `tokio` feature, and `test_util::TestRuntime` (a virtual clock) behind `test-util`.
//!
//! ```
//! use std::time::Duration;
//! use registry_core::{CacheTime, LoadContext, Lookup, RegistryConfig, StoreOptions, StoreRegistry};
//! use registry_core::test_util::TestRuntime;
//!
//! #[derive(Debug)]
//! struct Doc { id: String }
//!
//! let rt = TestRuntime::new();
//! let registry = StoreRegistry::with_runtime(RegistryConfig::default(), rt.clone());
//! let options = StoreOptions::new("doc-1".to_string(), |ctx: LoadContext<String>| async move {
//!     Ok::<_, std::io::Error>(Doc { id: ctx.store_id().clone() })
//! })
//! .unused_cache_time(CacheTime::from(Duration::from_secs(10)));
//!
//! let doc = rt.block_on(registry.get_or_load(&options).into_future()).unwrap();
//! assert_eq!(doc.id, "doc-1");
//! // Nothing holds it: it is disposed 10 s later.
//! rt.advance(Duration::from_secs(10));
//! assert!(registry.snapshot().is_empty());
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alive;
mod config;
mod context;
mod entry;
mod error;
mod event;
mod event_queue;
mod expiry;
mod guard;
mod id;
mod idle;
mod load;
mod load_task;
mod lookup;
mod options;
mod panic;
mod registry;
mod restart;
mod runtime;
mod shared;
mod snapshot;
mod subscription;
mod teardown;
mod timer;

pub use alive::AliveReason;
pub use config::{CacheTime, CacheTimePolicy, DEFAULT_BROWSER_CACHE_TIME, RegistryConfig};
pub use context::LoadContext;
pub use error::RegistryError;
pub use event::{RegistryEvent, RegistryEventKind};
pub use guard::RetainGuard;
pub use id::StoreId;
pub use load::LoadFuture;
pub use lookup::{Lookup, Preload};
pub use options::StoreOptions;
pub use registry::{StoreRegistry, WeakStoreRegistry};
pub use restart::RestartHandle;
#[cfg(target_arch = "wasm32")]
#[cfg_attr(docsrs, doc(cfg(target_arch = "wasm32")))]
pub use runtime::BrowserRuntime;
pub use runtime::Runtime;
#[cfg(all(feature = "tokio", not(target_arch = "wasm32")))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "tokio", not(target_arch = "wasm32")))))]
pub use runtime::TokioRuntime;
pub use snapshot::{EntrySnapshot, EntryState};
pub use subscription::Subscription;
pub use teardown::Cancelled;

// The README's example runs as a doctest too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Test helpers: [`TestRuntime`](test_util::TestRuntime), a virtual clock and a local executor.
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test_util {
    pub use crate::runtime::test::TestRuntime;
}
