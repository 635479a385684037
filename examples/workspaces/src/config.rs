//! [`DemoConfig`]: knobs read from the page's query string, for demos and tests.
//!
//! - `?ttl=MS`: the registry's default cache time (default 5 s, short enough to watch);
//! - `?delay=MS`: an artificial boot delay added to every load (default 600 ms);
//! - `?max_idle=N`: the bound on idle stores (default: none);
//! - `?teardown=MS`: how long closing a workspace takes (default 300 ms), to watch a re-open
//!   wait for it;
//! - `?crash=MS`: a workspace loses its channel to other tabs this long after it opens, and
//!   restarts itself (default: never), to watch a store recover under its holders.

use std::time::Duration;

/// The knobs of one page session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoConfig {
    /// The registry's default cache time.
    pub ttl: Duration,
    /// Added to every boot.
    pub delay: Duration,
    /// The registry's `max_idle_entries`.
    pub max_idle: Option<usize>,
    /// Added to every workspace's teardown.
    pub teardown: Duration,
    /// How long after it opens a workspace loses its channel and restarts itself (`None`:
    /// never).
    pub crash: Option<Duration>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(5),
            delay: Duration::from_millis(600),
            max_idle: None,
            teardown: Duration::from_millis(300),
            crash: None,
        }
    }
}

impl DemoConfig {
    /// The config a query string (`?ttl=2000&max_idle=2`, the `?` optional) asks for; unknown
    /// keys and unreadable values are ignored.
    pub fn from_query(query: &str) -> Self {
        let mut config = Self::default();
        for pair in query.trim_start_matches('?').split('&') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let Ok(number) = value.parse::<u64>() else {
                tracing::warn!(
                    key,
                    value,
                    "ignoring a query parameter that is not a number"
                );
                continue;
            };
            match key {
                "ttl" => config.ttl = Duration::from_millis(number),
                "delay" => config.delay = Duration::from_millis(number),
                "max_idle" => config.max_idle = usize::try_from(number).ok(),
                "teardown" => config.teardown = Duration::from_millis(number),
                "crash" => config.crash = Some(Duration::from_millis(number)),
                _ => {}
            }
        }
        config
    }

    /// The config of this page (`location.search`); the defaults outside a browser.
    pub fn of_page() -> Self {
        web_sys::window()
            .and_then(|window| window.location().search().ok())
            .map_or_else(Self::default, |query| Self::from_query(&query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_set_the_knobs() {
        let config =
            DemoConfig::from_query("?ttl=2000&delay=50&max_idle=2&teardown=1500&crash=200");
        assert_eq!(
            config,
            DemoConfig {
                ttl: Duration::from_millis(2000),
                delay: Duration::from_millis(50),
                max_idle: Some(2),
                teardown: Duration::from_millis(1500),
                crash: Some(Duration::from_millis(200)),
            }
        );
    }

    #[test]
    fn unknown_or_unreadable_parameters_keep_the_defaults() {
        assert_eq!(
            DemoConfig::from_query("ttl=soon&x=1&flag"),
            DemoConfig::default()
        );
        assert_eq!(DemoConfig::from_query(""), DemoConfig::default());
    }
}
