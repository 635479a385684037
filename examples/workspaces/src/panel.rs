//! The registry panel: counters of boots and disposals, the live snapshot (id, state, holders,
//! countdown to disposal) and a log of what happened.

use std::time::Duration;

use leptos::prelude::*;

use crate::activity::Activity;
use crate::live::{LiveSnapshot, state_name};
use crate::settings::CacheTimePicker;

/// Everything the registry holds and did, live.
#[component]
pub fn RegistryPanel() -> impl IntoView {
    let activity = expect_context::<Activity>();
    let live = LiveSnapshot::expect();
    let entries = move || live.entries();

    view! {
        <aside class="panel" aria-label="Registry">
            <h2>"Registry"</h2>
            <CacheTimePicker/>
            <div class="counters">
                <Counter label="boots" testid="loads-count" value=Signal::derive(move || activity.loads())/>
                <Counter label="disposals" testid="disposals-count" value=Signal::derive(move || activity.disposals())/>
                <Counter
                    label="live entries"
                    testid="entries-count"
                    value=Signal::derive(move || u32::try_from(entries().len()).unwrap_or(u32::MAX))
                />
            </div>
            <table class="snapshot" data-testid="snapshot">
                <thead>
                    <tr><th>"store id"</th><th>"state"</th><th>"holders"</th><th>"disposes in"</th></tr>
                </thead>
                <tbody>
                    <For each=entries key=|entry| entry.store_id.clone() let:entry>
                        <SnapshotRow store_id=entry.store_id.clone()/>
                    </For>
                </tbody>
            </table>
            <Show when=move || entries().is_empty()>
                <p class="empty" data-testid="snapshot-empty">"No entries: nothing is loaded."</p>
            </Show>
            <h3>"Activity"</h3>
            <ol class="log" data-testid="log">
                <For each=move || activity.log() key=|line| line.seq let:line>
                    <li class=line.kind.class()>
                        <time>{line.time}</time>
                        " "
                        {line.text}
                    </li>
                </For>
            </ol>
        </aside>
    }
}

/// A big number with a label under it.
#[component]
fn Counter(label: &'static str, testid: &'static str, value: Signal<u32>) -> impl IntoView {
    view! {
        <div class="counter">
            <strong data-testid=testid>{value}</strong>
            <span>{label}</span>
        </div>
    }
}

/// One entry of the snapshot; its cells follow the live snapshot while the row exists.
#[component]
fn SnapshotRow(store_id: String) -> impl IntoView {
    let live = LiveSnapshot::expect();
    let id = store_id.clone();
    let entry = Memo::new(move |_| {
        live.entries()
            .into_iter()
            .find(|entry| entry.store_id == id)
    });
    let state = move || state_name(entry.get().map(|entry| entry.state));
    let holders = move || entry.get().map_or(0, |entry| entry.holders);
    let disposes_in = move || {
        entry
            .get()
            .map(|entry| countdown(entry.holders, entry.disposes_in))
            .unwrap_or_default()
    };
    view! {
        <tr data-store-id=store_id.clone() class=move || format!("row-{}", state())>
            <td class="id">{store_id.clone()}</td>
            <td class="state"><span class=move || format!("badge {}", state())>{state}</span></td>
            <td class="holders">{holders}</td>
            <td class="disposes-in">{disposes_in}</td>
        </tr>
    }
}

/// What the "disposes in" cell says of an entry with `holders` and `disposes_in`.
fn countdown(holders: usize, disposes_in: Option<Duration>) -> String {
    match disposes_in {
        Some(left) => format!("{:.1} s", left.as_secs_f64()),
        None if holders > 0 => "held".to_string(),
        // Idle without a countdown: its cache time is infinite.
        None => "never".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_countdown_reads_in_tenths_of_a_second() {
        assert_eq!(countdown(0, Some(Duration::from_millis(4_260))), "4.3 s");
    }

    #[test]
    fn a_held_entry_has_no_countdown() {
        assert_eq!(countdown(2, None), "held");
    }

    #[test]
    fn an_idle_entry_without_countdown_is_never_disposed() {
        assert_eq!(countdown(0, None), "never");
    }
}
