//! [`Activity`]: what the registry did, counted and logged for the page (and for the e2e tests,
//! which read the counters like a person would).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use leptos::prelude::*;

use crate::workspace::LoadError;

/// How many lines the activity log keeps.
const LOG_LINES: usize = 12;

/// What kind of thing happened, for the log's colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A boot started.
    Load,
    /// A boot finished.
    Ready,
    /// A boot failed.
    Failed,
    /// A store was disposed.
    Disposed,
    /// A hover started a boot ahead of navigation.
    Preload,
    /// The user asked to boot a failed store again.
    Retry,
}

impl EventKind {
    /// The CSS class of a log line of this kind.
    pub fn class(self) -> &'static str {
        match self {
            EventKind::Load => "ev-load",
            EventKind::Ready => "ev-ready",
            EventKind::Failed => "ev-failed",
            EventKind::Disposed => "ev-disposed",
            EventKind::Preload => "ev-preload",
            EventKind::Retry => "ev-retry",
        }
    }
}

/// One line of the activity log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Increasing; the key of the line in the list.
    pub seq: u64,
    /// Wall-clock time, `HH:MM:SS`.
    pub time: String,
    /// What kind of event it was.
    pub kind: EventKind,
    /// What happened.
    pub text: String,
}

/// Counters and a short log of the registry's work, shared by the whole app (`Copy`).
#[derive(Clone, Copy, Debug)]
pub struct Activity {
    loads: RwSignal<u32>,
    disposals: RwSignal<u32>,
    log: RwSignal<VecDeque<LogLine>>,
    next_seq: StoredValue<u64>,
    boots_by_id: StoredValue<HashMap<String, u32>>,
}

impl Activity {
    /// Empty counters and log. Call inside the app's owner (the signals live there).
    pub fn new() -> Self {
        Self {
            loads: RwSignal::new(0),
            disposals: RwSignal::new(0),
            log: RwSignal::new(VecDeque::new()),
            next_seq: StoredValue::new(0),
            boots_by_id: StoredValue::new(HashMap::new()),
        }
    }

    /// How many boots started (loader calls), reactively.
    pub fn loads(&self) -> u32 {
        self.loads.get()
    }

    /// How many entries ended (stores and cached failures disposed), reactively.
    pub fn disposals(&self) -> u32 {
        self.disposals.get()
    }

    /// The newest log lines, newest first, reactively.
    pub fn log(&self) -> Vec<LogLine> {
        self.log.with(|log| log.iter().cloned().collect())
    }

    /// Records that a boot of `id` started; returns which boot of `id` it is (1 for the first).
    pub fn record_load_started(&self, id: &str) -> u32 {
        self.loads.update(|n| *n += 1);
        let mut boot_number = 0;
        self.boots_by_id.update_value(|boots| {
            let count = boots.entry(id.to_string()).or_default();
            *count += 1;
            boot_number = *count;
        });
        tracing::info!(store_id = id, boot_number, "booting workspace");
        self.push(EventKind::Load, format!("boot {id} (#{boot_number})"));
        boot_number
    }

    /// Records that a boot of `id` finished after `took`.
    pub fn record_load_ready(&self, id: &str, took: Duration) {
        tracing::info!(
            store_id = id,
            took_ms = took.as_millis() as u64,
            "workspace ready"
        );
        self.push(
            EventKind::Ready,
            format!("{id} ready after {} ms", took.as_millis()),
        );
    }

    /// Records that a boot of `id` failed.
    pub fn record_load_failed(&self, id: &str, error: &LoadError) {
        tracing::warn!(store_id = id, %error, "workspace failed to boot");
        self.push(EventKind::Failed, format!("{id} failed to boot"));
    }

    /// Records that the entry of `id` ended.
    pub fn record_disposed(&self, id: &str) {
        self.disposals.update(|n| *n += 1);
        tracing::info!(store_id = id, "workspace disposed");
        self.push(EventKind::Disposed, format!("{id} disposed"));
    }

    /// Records that hovering a link started booting `id` ahead of time.
    pub fn record_preload(&self, id: &str) {
        tracing::info!(store_id = id, "preloading workspace on hover");
        self.push(EventKind::Preload, format!("hover preloads {id}"));
    }

    /// Records that the user asked to boot `id` again after a failure.
    pub fn record_retry(&self, id: &str) {
        tracing::info!(store_id = id, "retrying workspace");
        self.push(EventKind::Retry, format!("retry {id}"));
    }

    fn push(&self, kind: EventKind, text: String) {
        let seq = self.next_seq.get_value();
        self.next_seq.set_value(seq + 1);
        let line = LogLine {
            seq,
            time: clock_time(),
            kind,
            text,
        };
        self.log.update(|log| {
            log.push_front(line);
            log.truncate(LOG_LINES);
        });
    }
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

/// The local time as `HH:MM:SS` (from the browser's clock; only called in the browser).
fn clock_time() -> String {
    let now = js_sys::Date::new_0();
    format!(
        "{:02}:{:02}:{:02}",
        now.get_hours(),
        now.get_minutes(),
        now.get_seconds()
    )
}
