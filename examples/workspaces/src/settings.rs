//! [`Settings`]: the demo's knobs, and the cache-time picker that sets them.

use std::time::Duration;

use leptos::prelude::*;
use registry_core::CacheTime;

/// The cache time a fresh page starts with: short, so that disposal is easy to watch.
pub const DEFAULT_CACHE_TIME: Duration = Duration::from_secs(5);

/// The choices of the cache-time picker: (value of the `<option>`, label, cache time).
const CHOICES: &[(&str, &str, CacheTime)] = &[
    ("0", "0 s (at once)", CacheTime::Finite(Duration::ZERO)),
    ("2", "2 s", CacheTime::Finite(Duration::from_secs(2))),
    ("5", "5 s", CacheTime::Finite(DEFAULT_CACHE_TIME)),
    ("30", "30 s", CacheTime::Finite(Duration::from_secs(30))),
    ("inf", "never", CacheTime::Infinite),
];

/// App-wide settings, provided as context (`Copy`).
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The cache time given to stores booted from now on (a live store keeps the time it was
    /// booted with: the first options for an id win).
    pub cache_time: RwSignal<CacheTime>,
}

impl Settings {
    /// Default settings, provided as context.
    pub fn provide() -> Self {
        let settings = Self {
            cache_time: RwSignal::new(CacheTime::Finite(DEFAULT_CACHE_TIME)),
        };
        provide_context(settings);
        settings
    }

    /// The settings provided by an ancestor.
    ///
    /// # Panics
    ///
    /// Without [`Settings::provide`] above.
    pub fn expect() -> Self {
        expect_context()
    }
}

/// A `<select>` for the cache time of stores booted from now on.
#[component]
pub fn CacheTimePicker() -> impl IntoView {
    let settings = Settings::expect();
    let selected = move || {
        let current = settings.cache_time.get();
        CHOICES
            .iter()
            .find(|(_, _, time)| *time == current)
            .map_or("5", |(value, _, _)| *value)
    };
    let on_change = move |event| {
        let value = event_target_value(&event);
        if let Some((_, _, time)) = CHOICES.iter().find(|(v, _, _)| *v == value) {
            tracing::info!(cache_time = ?time, "cache time changed");
            settings.cache_time.set(*time);
        }
    };
    view! {
        <label class="picker">
            "Cache time "
            <select data-testid="cache-time" on:change=on_change prop:value=selected>
                {CHOICES
                    .iter()
                    .map(|(value, label, _)| view! { <option value=*value>{*label}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}
