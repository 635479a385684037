//! The deadline queue: every idle countdown of the registry, served by one platform timer.

use std::collections::BTreeSet;

use crate::config::Nanos;
use crate::entry::EntryKey;

/// Idle deadlines, earliest first. Holds at most one item per live entry: an entry records the
/// deadline its item was queued at, so that ending the entry removes the item (the queue never
/// outgrows the live entries). An item may be earlier than its entry's current deadline (a hit
/// restarted the countdown without touching the queue); it is re-queued when it falls due.
/// Every operation is O(log n); nothing is ever searched.
#[derive(Debug, Default)]
pub(crate) struct ExpiryQueue {
    items: BTreeSet<(Nanos, EntryKey)>,
}

impl ExpiryQueue {
    pub(crate) fn push(&mut self, deadline: Nanos, key: EntryKey) {
        self.items.insert((deadline, key));
    }

    pub(crate) fn remove(&mut self, deadline: Nanos, key: EntryKey) {
        self.items.remove(&(deadline, key));
    }

    /// The earliest deadline, if any.
    pub(crate) fn next_deadline(&self) -> Option<Nanos> {
        self.items.first().map(|(deadline, _)| *deadline)
    }

    /// Pops the earliest item if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Nanos) -> Option<EntryKey> {
        match self.items.first() {
            Some((deadline, _)) if *deadline <= now => self.items.pop_first().map(|(_, key)| key),
            _ => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn clear(&mut self) {
        self.items.clear();
    }
}
