//! [`LiveSnapshot`]: the registry's [`snapshot`](registry_core::StoreRegistry::snapshot), polled
//! ten times a second into a signal, so that the sidebar and the registry panel can show each
//! entry's state, holders and countdown as they change.

use std::time::Duration;

use leptos::prelude::*;
use registry_core::{EntrySnapshot, EntryState};
use registry_leptos::use_store_registry;

/// How often the snapshot is read.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// The registry's entries, sorted by store id, refreshed while the app is mounted (`Copy`).
#[derive(Clone, Copy, Debug)]
pub struct LiveSnapshot(RwSignal<Vec<EntrySnapshot<String>>>);

impl LiveSnapshot {
    /// Starts polling the registry provided by `provide_store_registry`, stops on cleanup, and
    /// provides the result as context. Returns it too.
    pub fn provide() -> Self {
        let registry = use_store_registry();
        let read = move || {
            let mut entries = registry.snapshot();
            entries.sort_by(|a, b| a.store_id.cmp(&b.store_id));
            entries
        };
        let entries = RwSignal::new(read());
        let refresh = move || {
            let next = read();
            if entries.with_untracked(|current| *current != next) {
                entries.set(next);
            }
        };
        match set_interval_with_handle(refresh, POLL_EVERY) {
            Ok(handle) => on_cleanup(move || handle.clear()),
            Err(error) => {
                tracing::error!(?error, "setInterval failed: the registry panel is frozen")
            }
        }
        let live = Self(entries);
        provide_context(live);
        live
    }

    /// The live snapshot provided by an ancestor.
    ///
    /// # Panics
    ///
    /// Without [`LiveSnapshot::provide`] above.
    pub fn expect() -> Self {
        expect_context()
    }

    /// Every entry, reactively.
    pub fn entries(&self) -> Vec<EntrySnapshot<String>> {
        self.0.get()
    }

    /// The state of `id`'s entry, if it has one, reactively.
    pub fn state_of(&self, id: &str) -> Option<EntryState> {
        self.0
            .with(|entries| entries.iter().find(|e| e.store_id == id).map(|e| e.state))
    }
}

/// A short word for an entry state, also its CSS class.
pub fn state_name(state: Option<EntryState>) -> &'static str {
    match state {
        None => "absent",
        Some(EntryState::Loading) => "loading",
        Some(EntryState::Ready) => "ready",
        Some(EntryState::Failed) => "failed",
        Some(_) => "unknown",
    }
}
