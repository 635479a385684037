//! [`Resources`]: how many database connections and tab channels the page has open, so that
//! the panel can show disposal freeing them.

use leptos::prelude::*;

/// Counts of open resources, shared by the stores that open them and the panel that shows them.
#[derive(Clone, Debug, Default)]
pub struct Resources {
    /// Open IndexedDB connections.
    pub connections: ArcRwSignal<i32>,
    /// Open `BroadcastChannel`s.
    pub channels: ArcRwSignal<i32>,
}

thread_local! {
    static RESOURCES: Resources = Resources::default();
}

impl Resources {
    /// The page's counters.
    pub fn of_page() -> Self {
        RESOURCES.with(Clone::clone)
    }
}

/// The open connections and channels, for the panel.
#[component]
pub fn ResourceCounts() -> impl IntoView {
    let resources = Resources::of_page();
    let (connections, channels) = (resources.connections, resources.channels);
    view! {
        <dl class="resources">
            <dt>"Open database connections"</dt>
            <dd data-testid="open-connections">{move || connections.get()}</dd>
            <dt>"Open tab channels"</dt>
            <dd data-testid="open-channels">{move || channels.get()}</dd>
        </dl>
    }
}
