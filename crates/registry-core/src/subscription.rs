//! [`Subscription`]: a registered listener, unregistered when dropped.

use std::fmt;

/// A registered listener: of a registry's events
/// ([`StoreRegistry::subscribe`](crate::StoreRegistry::subscribe)) or of the page's visibility
/// ([`Runtime::on_visibility_change`](crate::Runtime::on_visibility_change)). Dropping it
/// unregisters the listener.
#[must_use = "the listener is unregistered when the subscription is dropped"]
pub struct Subscription {
    unsubscribe: Option<Box<dyn FnOnce()>>,
}

impl Subscription {
    /// A subscription that runs `unsubscribe` when dropped.
    pub fn new(unsubscribe: impl FnOnce() + 'static) -> Self {
        Self {
            unsubscribe: Some(Box::new(unsubscribe)),
        }
    }

    /// A subscription to nothing (for a runtime that cannot tell visibility: a registry given
    /// one never pauses its countdowns).
    pub fn none() -> Self {
        Self { unsubscribe: None }
    }

    /// Whether this subscribes to anything (it is not [`none`](Self::none)).
    pub fn is_active(&self) -> bool {
        self.unsubscribe.is_some()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(unsubscribe) = self.unsubscribe.take() {
            unsubscribe();
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("active", &self.is_active())
            .finish()
    }
}
