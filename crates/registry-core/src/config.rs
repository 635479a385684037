//! How long an unused store is kept, and the registry's other settings: [`CacheTime`],
//! [`CacheTimePolicy`] and [`RegistryConfig`].

use std::time::Duration;

/// The cache time browsers use by default: how long an unused store is kept.
pub const DEFAULT_BROWSER_CACHE_TIME: Duration = Duration::from_secs(60);

/// How long a store is kept after its last holder lets go.
///
/// `CacheTime::from(Duration::ZERO)` disposes a store inside the call that released its last
/// hold; [`CacheTime::Infinite`] keeps it until [`invalidate`](crate::StoreRegistry::invalidate),
/// [`dispose`](crate::StoreRegistry::dispose) or, with
/// [`max_idle_entries`](RegistryConfig::max_idle_entries), eviction. Durations of any length
/// work, including those longer than the browser's `setTimeout` limit of about 24.8 days; a
/// duration of 584 years or more (more nanoseconds than a `u64` holds) behaves as
/// [`CacheTime::Infinite`].
///
/// ```
/// use std::time::Duration;
/// use registry_core::CacheTime;
///
/// assert_eq!(CacheTime::from(Duration::from_secs(30)), CacheTime::Finite(Duration::from_secs(30)));
/// assert!(CacheTime::Infinite > CacheTime::from(Duration::MAX));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CacheTime {
    /// Dispose this long after the last holder lets go.
    Finite(Duration),
    /// Never dispose an unused store.
    Infinite,
}

impl From<Duration> for CacheTime {
    fn from(duration: Duration) -> Self {
        CacheTime::Finite(duration)
    }
}

/// A cache time as the registry stores it: nanoseconds, [`NEVER`] for infinite.
pub(crate) type Nanos = u64;

/// "Never": an infinite cache time, or no deadline.
pub(crate) const NEVER: Nanos = u64::MAX;

impl CacheTime {
    pub(crate) fn to_nanos(self) -> Nanos {
        match self {
            CacheTime::Finite(duration) => u64::try_from(duration.as_nanos()).unwrap_or(NEVER),
            CacheTime::Infinite => NEVER,
        }
    }

    pub(crate) fn from_nanos(nanos: Nanos) -> Self {
        if nanos == NEVER {
            CacheTime::Infinite
        } else {
            CacheTime::Finite(Duration::from_nanos(nanos))
        }
    }
}

/// Which cache time a live entry keeps when later options for its id name another one.
///
/// ```
/// use registry_core::{CacheTimePolicy, RegistryConfig};
///
/// assert_eq!(CacheTimePolicy::default(), CacheTimePolicy::FirstWins);
/// let config = RegistryConfig::default().cache_time_policy(CacheTimePolicy::Longest);
/// assert_eq!(config.cache_time_policy, CacheTimePolicy::Longest);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CacheTimePolicy {
    /// The first options seen for an entry set its cache time until it ends; later ones are
    /// ignored (LiveStore's rule).
    #[default]
    FirstWins,
    /// A later caller whose cache time is longer extends the live entry's; a shorter one is
    /// ignored. An idle entry's running countdown keeps its deadline until the next hit or
    /// release restarts it with the longer time.
    Longest,
}

/// Registry-wide settings. The fields are public; the builder methods set them one by one.
///
/// ```
/// use std::time::Duration;
/// use registry_core::{CacheTime, RegistryConfig};
///
/// let config = RegistryConfig::default()
///     .default_unused_cache_time(Duration::from_secs(5))
///     .max_idle_entries(100);
/// assert_eq!(config.default_unused_cache_time, CacheTime::Finite(Duration::from_secs(5)));
/// assert_eq!(config.max_idle_entries, Some(100));
///
/// let mut config = RegistryConfig::default();
/// config.pause_while_hidden = true;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryConfig {
    /// Cache time of stores whose options set none.
    ///
    /// Defaults to [`DEFAULT_BROWSER_CACHE_TIME`] (60 s) on wasm32, where the registry lives in
    /// a browser tab, and to [`CacheTime::Infinite`] on native targets, where it serves a
    /// server-side render: nothing may be disposed under a page that is still rendering.
    pub default_unused_cache_time: CacheTime,
    /// The most idle entries (nothing holds them, their load settled) kept at once. When more
    /// are idle, the least recently used are disposed at once, whatever their cache time.
    /// An entry becomes the most recently used when it goes idle and on every hit. Held and
    /// loading entries are never evicted. `None` (the default): no bound.
    pub max_idle_entries: Option<usize>,
    /// Whether later options can lengthen a live entry's cache time. Default:
    /// [`CacheTimePolicy::FirstWins`].
    pub cache_time_policy: CacheTimePolicy,
    /// Whether idle countdowns stop while the page is hidden (a background tab) and resume
    /// with the time they had left when it is visible again. Default `false`. Only runtimes
    /// that can tell visibility pause: the browser's and `TestRuntime`
    /// ([`Runtime::is_hidden`](crate::Runtime::is_hidden)); tokio never does.
    pub pause_while_hidden: bool,
}

impl RegistryConfig {
    /// Sets [`default_unused_cache_time`](Self::default_unused_cache_time).
    #[must_use]
    pub fn default_unused_cache_time(mut self, cache_time: impl Into<CacheTime>) -> Self {
        self.default_unused_cache_time = cache_time.into();
        self
    }

    /// Sets [`max_idle_entries`](Self::max_idle_entries) to `Some(max)`.
    #[must_use]
    pub fn max_idle_entries(mut self, max: usize) -> Self {
        self.max_idle_entries = Some(max);
        self
    }

    /// Sets [`cache_time_policy`](Self::cache_time_policy).
    #[must_use]
    pub fn cache_time_policy(mut self, policy: CacheTimePolicy) -> Self {
        self.cache_time_policy = policy;
        self
    }

    /// Sets [`pause_while_hidden`](Self::pause_while_hidden).
    #[must_use]
    pub fn pause_while_hidden(mut self, pause: bool) -> Self {
        self.pause_while_hidden = pause;
        self
    }
}

impl Default for RegistryConfig {
    fn default() -> Self {
        let default_unused_cache_time = if cfg!(target_arch = "wasm32") {
            CacheTime::Finite(DEFAULT_BROWSER_CACHE_TIME)
        } else {
            CacheTime::Infinite
        };
        Self {
            default_unused_cache_time,
            max_idle_entries: None,
            cache_time_policy: CacheTimePolicy::FirstWins,
            pause_while_hidden: false,
        }
    }
}
