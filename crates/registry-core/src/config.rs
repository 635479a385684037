//! How long an unused store is kept: [`CacheTime`] and [`RegistryConfig`].

use std::time::Duration;

/// The cache time browsers use by default: how long an unused store is kept.
pub const DEFAULT_BROWSER_CACHE_TIME: Duration = Duration::from_secs(60);

/// How long a store is kept after its last holder lets go.
///
/// `CacheTime::from(Duration::ZERO)` disposes a store inside the call that released its last
/// hold; [`CacheTime::Infinite`] keeps it until [`invalidate`](crate::StoreRegistry::invalidate)
/// or [`dispose`](crate::StoreRegistry::dispose). Durations of any length work, including those
/// longer than the browser's `setTimeout` limit of about 24.8 days, and a duration so long that
/// the deadline cannot be represented behaves as [`CacheTime::Infinite`].
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

/// Registry-wide settings.
///
/// ```
/// use std::time::Duration;
/// use registry_core::{CacheTime, RegistryConfig};
///
/// let config = RegistryConfig::default().with_default_unused_cache_time(Duration::from_secs(5));
/// assert_eq!(config.default_unused_cache_time, CacheTime::Finite(Duration::from_secs(5)));
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
}

impl RegistryConfig {
    /// Returns the config with another default cache time.
    pub fn with_default_unused_cache_time(mut self, cache_time: impl Into<CacheTime>) -> Self {
        self.default_unused_cache_time = cache_time.into();
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
        }
    }
}
