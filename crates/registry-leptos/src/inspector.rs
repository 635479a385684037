//! [`RegistryInspector`]: a live view of the registry for development builds and demos.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use leptos::prelude::*;
use registry_core::{AliveReason, CacheTime, EntrySnapshot, EntryState, StoreRegistry};

/// How many recent events the log shows by default.
const DEFAULT_LOG_SIZE: usize = 50;
/// How often the entries on screen are refreshed while the inspector is mounted (holders and
/// countdowns change without an event).
#[cfg(target_arch = "wasm32")]
const REFRESH: Duration = Duration::from_millis(200);

/// One entry, as the inspector shows it.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    store_id: String,
    store_type: String,
    state: &'static str,
    holders: usize,
    disposes_in: Option<Duration>,
    cache_time: CacheTime,
    generation: u64,
    /// Where its guards were taken, as `file:line` (with the `provenance` feature).
    holder_locations: Vec<String>,
    /// Why it is alive, in words.
    why_alive: String,
}

/// Loads and disposals of one store id and type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Counts {
    loads: u32,
    disposals: u32,
}

/// One line of the event log.
#[derive(Clone, Debug, PartialEq)]
struct Line {
    seq: u64,
    store_id: String,
    store_type: String,
    kind: &'static str,
    generation: u64,
}

/// The name a type has without its module path (`Todos` for `my_app::stores::Todos`),
/// generic arguments included.
fn short_type_name(name: &str) -> String {
    let mut short = String::with_capacity(name.len());
    let mut segment = String::new();
    for c in name.chars() {
        match c {
            ':' => segment.clear(),
            '<' | '>' | ',' | ' ' | '(' | ')' | '[' | ']' | '&' | ';' => {
                short.push_str(&segment);
                segment.clear();
                short.push(c);
            }
            _ => segment.push(c),
        }
    }
    short.push_str(&segment);
    short
}

fn state_name(state: EntryState) -> &'static str {
    match state {
        EntryState::Loading => "loading",
        EntryState::Ready => "ready",
        EntryState::Failed => "failed",
        EntryState::Disposing => "disposing",
        _ => "unknown",
    }
}

/// Why an entry is alive, in words: its reason, a cache time lengthened by a later caller,
/// and its rank among idle entries.
fn why_alive(entry: &EntrySnapshot<String>) -> String {
    let mut why = entry.alive_because.to_string();
    if entry.load_holds > 0 && !matches!(entry.alive_because, AliveReason::Loading) {
        why.push_str("; a caller waits for its load");
    }
    if let Some(from) = entry.cache_time_grown_from {
        why.push_str(&format!(
            "; cache time lengthened from {} to {}",
            format_cache_time(from),
            format_cache_time(entry.unused_cache_time)
        ));
    }
    if let Some(rank) = entry.idle_rank {
        why.push_str(&format!("; idle rank {rank} (1 is evicted first)"));
    }
    why
}

fn row_of(entry: EntrySnapshot<String>) -> Row {
    Row {
        store_type: short_type_name(entry.store_type),
        state: state_name(entry.state),
        holders: entry.holders,
        disposes_in: entry.disposes_in,
        cache_time: entry.unused_cache_time,
        generation: entry.generation,
        holder_locations: entry
            .holder_locations
            .iter()
            .map(|location| format!("{}:{}", location.file(), location.line()))
            .collect(),
        why_alive: why_alive(&entry),
        store_id: entry.store_id,
    }
}

/// The registry's entries, sorted by id, then type, then state.
fn rows_of(registry: &StoreRegistry) -> Vec<Row> {
    let mut rows: Vec<Row> = registry.snapshot().into_iter().map(row_of).collect();
    rows.sort_by(|a, b| {
        (&a.store_id, &a.store_type, a.state).cmp(&(&b.store_id, &b.store_type, b.state))
    });
    rows
}

fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 {
        "0 s".to_owned()
    } else if millis < 10_000 {
        format!("{:.1} s", duration.as_secs_f64())
    } else if millis < 120_000 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} min", duration.as_secs() / 60)
    }
}

fn format_cache_time(cache_time: CacheTime) -> String {
    match cache_time {
        CacheTime::Infinite => "∞".to_owned(),
        CacheTime::Finite(duration) => format_duration(duration),
    }
}

/// A live view of the [`StoreRegistry`] that [`provide_store_registry`](crate::provide_store_registry)
/// provided: every entry with its store type, state, generation (restarts), holders, idle
/// countdown, cache time and why it is alive, in words (held, loading, counting down, paused,
/// kept by an infinite cache time, disposing; a lengthened cache time; its rank among idle
/// entries), with the `file:line` of each holder when the `provenance` feature is on;
/// per-store counters of loads and disposals (a restart counts one of each); and a log of
/// recent lifecycle events. Drop it into a development build, a debug route or a demo
/// (feature `inspector`).
///
/// It costs nothing while it is not rendered: it listens to the registry
/// ([`StoreRegistry::subscribe`]) and reads its snapshot every 200 ms (for holders and
/// countdowns) only while it is mounted, and a registry without listeners records no events.
/// The counters and the log start when it mounts.
///
/// Stable hooks for tests and styling: the root is `[data-testid=registry-panel]`; each entry
/// a `tr[data-testid=entry]` with `data-store-id`, `data-store-type`, `data-state`
/// (`loading`, `ready`, `failed`, `disposing`), `data-holders` and `data-generation`, holding
/// a `[data-testid=why-alive]` sentence and a `[data-testid=holder-location]` per holder's
/// `file:line`; each counter a `[data-testid=counter]` with `data-store-id`,
/// `data-store-type`, `data-loads` and `data-disposals`; each log line a
/// `[data-testid=event]` with `data-kind` and `data-generation`.
///
/// It shows the registry of `String` ids ([`use_store_registry`](crate::use_store_registry));
/// without one in context it panics like that function, saying what to provide.
///
/// On the server it renders its frame with no entries (the server's registry is not in
/// context; see the crate docs).
///
/// ```
/// use leptos::prelude::*;
/// use registry_core::{RegistryConfig, StoreRegistry};
/// use registry_leptos::{RegistryInspector, provide_store_registry};
///
/// #[component]
/// fn App() -> impl IntoView {
///     provide_store_registry(StoreRegistry::new(RegistryConfig::default()));
///     view! {
///         <main>"…"</main>
///         <RegistryInspector/>
///     }
/// }
/// # let owner = Owner::new();
/// # owner.set();
/// # assert!(view! { <App/> }.to_html().contains("data-testid=\"registry-panel\""));
/// ```
#[component]
pub fn RegistryInspector(
    /// How many recent events the log keeps (50 by default).
    #[prop(optional)]
    log_size: Option<usize>,
) -> impl IntoView {
    let registry = crate::use_store_registry();
    let log_size = log_size.unwrap_or(DEFAULT_LOG_SIZE);
    let rows = RwSignal::new(rows_of(&registry));
    let counts: RwSignal<BTreeMap<(String, String), Counts>> = RwSignal::new(BTreeMap::new());
    let log: RwSignal<VecDeque<Line>> = RwSignal::new(VecDeque::new());
    #[cfg(target_arch = "wasm32")]
    watch(registry, rows, counts, log, log_size);
    #[cfg(not(target_arch = "wasm32"))]
    drop((registry, log_size));

    let entries = move || {
        rows.get()
            .into_iter()
            .map(|row| {
                let countdown = row.disposes_in.map(format_duration).unwrap_or_default();
                let locations = row
                    .holder_locations
                    .iter()
                    .map(|location| {
                        view! { <li data-testid="holder-location">{location.clone()}</li> }
                    })
                    .collect_view();
                view! {
                    <tr
                        data-testid="entry"
                        data-store-id=row.store_id.clone()
                        data-store-type=row.store_type.clone()
                        data-state=row.state
                        data-holders=row.holders.to_string()
                        data-generation=row.generation.to_string()
                    >
                        <td class="id">{row.store_id.clone()}</td>
                        <td class="type">{row.store_type.clone()}</td>
                        <td class="state"><span class=format!("state {}", row.state)>{row.state}</span></td>
                        <td class="generation">{row.generation}</td>
                        <td class="holders">{row.holders}</td>
                        <td class="countdown">{countdown}</td>
                        <td class="cache-time">{format_cache_time(row.cache_time)}</td>
                        <td class="why-alive">
                            <span data-testid="why-alive">{row.why_alive.clone()}</span>
                            <ul class="holder-locations">{locations}</ul>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let counters = move || {
        counts
            .get()
            .into_iter()
            .map(|((store_type, store_id), counts)| {
                view! {
                    <li
                        data-testid="counter"
                        data-store-id=store_id.clone()
                        data-store-type=store_type.clone()
                        data-loads=counts.loads.to_string()
                        data-disposals=counts.disposals.to_string()
                    >
                        <span class="id">{store_id.clone()}</span>
                        " "
                        <span class="type">{store_type.clone()}</span>
                        ": "
                        {format!("{} loads, {} disposals", counts.loads, counts.disposals)}
                    </li>
                }
            })
            .collect_view()
    };
    let lines = move || {
        log.get()
            .into_iter()
            .rev()
            .map(|line| {
                view! {
                    <li
                        data-testid="event"
                        data-kind=line.kind
                        data-store-id=line.store_id.clone()
                        data-generation=line.generation.to_string()
                    >
                        <span class="seq">{format!("#{}", line.seq)}</span>
                        " "
                        <span class="kind">{line.kind}</span>
                        " "
                        <span class="id">{line.store_id.clone()}</span>
                        " "
                        <span class="type">{line.store_type.clone()}</span>
                        " "
                        <span class="generation">{format!("gen {}", line.generation)}</span>
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <section class="registry-inspector" data-testid="registry-panel" aria-label="Store registry">
            <h2>"Store registry"</h2>
            <table class="entries">
                <caption>"Entries"</caption>
                <thead>
                    <tr>
                        <th scope="col">"id"</th>
                        <th scope="col">"type"</th>
                        <th scope="col">"state"</th>
                        <th scope="col">"gen"</th>
                        <th scope="col">"holders"</th>
                        <th scope="col">"disposed in"</th>
                        <th scope="col">"cache time"</th>
                        <th scope="col">"why alive"</th>
                    </tr>
                </thead>
                <tbody>{entries}</tbody>
            </table>
            <Show when=move || rows.with(Vec::is_empty)>
                <p class="empty" data-testid="entries-empty">"No entries: nothing is loaded."</p>
            </Show>
            <h3>"Loads and disposals"</h3>
            <ul class="counters">{counters}</ul>
            <h3>"Recent events"</h3>
            <ol class="events" data-testid="event-log">{lines}</ol>
        </section>
    }
}

/// Listens to the registry while the inspector is mounted: every event updates the counters,
/// the log and the rows; a timer refreshes the rows (holders, countdowns) in between.
#[cfg(target_arch = "wasm32")]
fn watch(
    registry: StoreRegistry,
    rows: RwSignal<Vec<Row>>,
    counts: RwSignal<BTreeMap<(String, String), Counts>>,
    log: RwSignal<VecDeque<Line>>,
    log_size: usize,
) {
    use std::cell::Cell;
    use std::rc::Rc;

    use registry_core::{RegistryEvent, RegistryEventKind};

    let seq = Rc::new(Cell::new(0_u64));
    let reader = registry.downgrade();
    let subscription = registry.subscribe(move |event: &RegistryEvent<String>| {
        let store_type = short_type_name(event.store_type);
        let key = (store_type.clone(), event.store_id.clone());
        match event.kind {
            RegistryEventKind::LoadStarted => {
                counts.update(|counts| counts.entry(key).or_default().loads += 1);
            }
            // A restart disposes of the entry's previous instance.
            RegistryEventKind::Disposed | RegistryEventKind::Restarted => {
                counts.update(|counts| counts.entry(key).or_default().disposals += 1);
            }
            _ => {}
        }
        seq.set(seq.get() + 1);
        let line = Line {
            seq: seq.get(),
            store_id: event.store_id.clone(),
            store_type,
            kind: event.kind.name(),
            generation: event.generation,
        };
        log.update(|log| {
            log.push_back(line);
            while log.len() > log_size {
                log.pop_front();
            }
        });
        if let Some(registry) = reader.upgrade() {
            rows.set(rows_of(&registry));
        }
    });

    let reader = registry.downgrade();
    let interval = set_interval_with_handle(
        move || {
            if let Some(registry) = reader.upgrade() {
                let fresh = rows_of(&registry);
                if rows.with_untracked(|rows| *rows != fresh) {
                    rows.set(fresh);
                }
            }
        },
        REFRESH,
    )
    .ok();
    // Leptos cleanups must be `Send`; the browser has one thread.
    let held = send_wrapper::SendWrapper::new((subscription, interval));
    Owner::on_cleanup(move || {
        let (subscription, interval) = held.take();
        drop(subscription);
        if let Some(interval) = interval {
            interval.clear();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_lose_their_module_paths() {
        assert_eq!(short_type_name("my_app::stores::Todos"), "Todos");
        assert_eq!(
            short_type_name("my_app::Cache<alloc::string::String, u32>"),
            "Cache<String, u32>"
        );
        assert_eq!(short_type_name("u32"), "u32");
    }

    #[test]
    fn why_an_entry_is_alive_reads_as_a_sentence() {
        use registry_core::test_util::TestRuntime;
        use registry_core::{CacheTimePolicy, LoadContext, RegistryConfig, StoreOptions};

        let registry: StoreRegistry = StoreRegistry::with_runtime(
            RegistryConfig::default()
                .default_unused_cache_time(Duration::from_secs(10))
                .cache_time_policy(CacheTimePolicy::Longest)
                .max_idle_entries(3),
            TestRuntime::new(),
        );
        let options = |cache_time| {
            StoreOptions::new("a".to_string(), |_: LoadContext<String>| async {
                Ok::<_, std::io::Error>(1_u8)
            })
            .unused_cache_time(Duration::from_secs(cache_time))
        };
        let guard = registry.retain(&options(10));
        assert_eq!(rows_of(&registry)[0].why_alive, "held by 1 retain guard");
        drop(guard);
        let _ = registry.get_or_load(&options(60));
        let row = &rows_of(&registry)[0];
        assert_eq!(
            row.why_alive,
            "unused; disposed in 60.0 s; cache time lengthened from 10 s to 60 s; idle rank 1 \
             (1 is evicted first)"
        );
        assert_eq!(row.generation, 0);
        assert!(registry.restart(&options(60)));
        assert_eq!(rows_of(&registry)[0].generation, 1);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(format_duration(Duration::from_millis(1_500)), "1.5 s");
        assert_eq!(format_duration(Duration::ZERO), "0 s");
        assert_eq!(format_duration(Duration::from_secs(59)), "59 s");
        assert_eq!(format_duration(Duration::from_secs(600)), "10 min");
        assert_eq!(format_cache_time(CacheTime::Infinite), "∞");
    }
}
