//! Why is a store alive: `EntrySnapshot`'s holders (their call sites with the `provenance`
//! feature), its reason (`AliveReason`), a lengthened cache time and its rank among idle
//! entries. Runs natively and in a browser, with and without `provenance`.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod support;

use registry_core::test_util::TestRuntime;
use registry_core::{
    AliveReason, CacheTime, CacheTimePolicy, EntryState, RegistryConfig, StoreRegistry,
};

use support::{TestLoader, live_entry, pending, ready_store, registry, secs};

/// Where the call to this is: `(file, line)`.
#[track_caller]
fn here() -> (&'static str, u32) {
    let location = std::panic::Location::caller();
    (location.file(), location.line())
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_store_retained_from_two_call_sites_lists_both_until_each_lets_go() {
    let rt = TestRuntime::new();
    let registry = registry(&rt, CacheTime::Infinite);
    let options = TestLoader::new(&rt).options("a");
    let (first, first_at) = (registry.retain(&options), here());
    let (second, second_at) = (registry.retain_and_get(&options).0, here());
    let locations = |registry: &StoreRegistry| -> Vec<(&'static str, u32)> {
        live_entry(registry, "a")
            .holder_locations
            .iter()
            .map(|location| (location.file(), location.line()))
            .collect()
    };
    assert_eq!(
        live_entry(&registry, "a").alive_because,
        AliveReason::Held { guards: 2 }
    );
    if cfg!(feature = "provenance") {
        assert_eq!(locations(&registry), [first_at, second_at]);
        assert_eq!(first.location().map(|l| l.line()), Some(first_at.1));
    } else {
        assert!(locations(&registry).is_empty());
        assert_eq!(first.location(), None);
    }
    first.release();
    assert_eq!(
        live_entry(&registry, "a").alive_because,
        AliveReason::Held { guards: 1 }
    );
    if cfg!(feature = "provenance") {
        assert_eq!(locations(&registry), [second_at]);
    }
    // An adapter passes its hook's caller.
    let hook_at = std::panic::Location::caller();
    let third = registry.retain_from(&options, hook_at);
    if cfg!(feature = "provenance") {
        assert_eq!(locations(&registry).len(), 2);
        assert!(locations(&registry).contains(&(hook_at.file(), hook_at.line())));
    }
    drop((second, third));
    assert!(locations(&registry).is_empty());
    assert_eq!(
        live_entry(&registry, "a").alive_because,
        AliveReason::NoCountdown
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn each_reason_appears_when_it_applies() {
    let rt = TestRuntime::new();
    let registry = StoreRegistry::with_runtime(
        RegistryConfig::default()
            .default_unused_cache_time(secs(10))
            .pause_while_hidden(true),
        rt.clone(),
    );
    let loader = TestLoader::new(&rt).delayed(secs(1));
    let options = loader.options("a");

    // A caller waits for the load.
    let waiting = pending(registry.get_or_load(&options));
    let entry = live_entry(&registry, "a");
    assert_eq!(entry.alive_because, AliveReason::Loading);
    assert_eq!((entry.holders, entry.load_holds), (1, 1));

    // Unheld: counting down.
    rt.advance(secs(1));
    drop(waiting);
    rt.advance(secs(4));
    let entry = live_entry(&registry, "a");
    assert_eq!(entry.load_holds, 0);
    assert_eq!(
        entry.alive_because,
        AliveReason::CountingDown { left: secs(6) }
    );
    assert_eq!(entry.alive_because.to_string(), "unused; disposed in 6.0 s");

    // Paused while the page is hidden.
    rt.set_hidden(true);
    rt.advance(secs(60));
    assert_eq!(
        live_entry(&registry, "a").alive_because,
        AliveReason::CountdownPaused { left: secs(6) }
    );
    rt.set_hidden(false);

    // Restarted: the same entry, a new generation.
    assert!(registry.restart(&options));
    assert_eq!(live_entry(&registry, "a").generation, 1);
    rt.advance(secs(1));

    // Disposing: its async teardown runs.
    let slow = support::Options::new("slow".to_owned(), {
        let rt = rt.clone();
        move |ctx: registry_core::LoadContext<String>| {
            let sleeper = rt.clone();
            ctx.on_dispose_async(move || {
                use registry_core::Runtime as _;
                sleeper.sleep(secs(3))
            });
            async {
                Ok(support::TestStore {
                    id: "slow".into(),
                    load: 1,
                })
            }
        }
    });
    let _ = ready_store(registry.get_or_load(&slow));
    assert!(registry.invalidate(&slow));
    let entry = live_entry(&registry, "slow");
    assert_eq!(entry.state, EntryState::Disposing);
    assert_eq!(entry.alive_because, AliveReason::Disposing);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_lengthened_cache_time_and_the_idle_rank_are_reported() {
    let rt = TestRuntime::new();
    let registry = StoreRegistry::with_runtime(
        RegistryConfig::default()
            .default_unused_cache_time(secs(10))
            .cache_time_policy(CacheTimePolicy::Longest)
            .max_idle_entries(5),
        rt.clone(),
    );
    let loader = TestLoader::new(&rt);
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    assert_eq!(live_entry(&registry, "a").cache_time_grown_from, None);
    let _ = ready_store(registry.get_or_load(&loader.options_with("a", secs(60))));
    let entry = live_entry(&registry, "a");
    assert_eq!(entry.cache_time_grown_from, Some(CacheTime::from(secs(10))));
    assert_eq!(entry.unused_cache_time, CacheTime::from(secs(60)));

    let _ = ready_store(registry.get_or_load(&loader.options("b")));
    let _ = ready_store(registry.get_or_load(&loader.options("c")));
    let held = registry.retain(&loader.options("d"));
    let rank = |id: &str| live_entry(&registry, id).idle_rank;
    assert_eq!(
        (rank("a"), rank("b"), rank("c"), rank("d")),
        (Some(1), Some(2), Some(3), None)
    );
    // A hit makes "a" the most recently used.
    let _ = ready_store(registry.get_or_load(&loader.options("a")));
    assert_eq!(
        (rank("b"), rank("c"), rank("a")),
        (Some(1), Some(2), Some(3))
    );
    drop(held);
    assert_eq!(rank("d"), Some(4));
}
