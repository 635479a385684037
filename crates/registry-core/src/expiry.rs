//! The deadline queue: every idle countdown of the registry, served by one platform timer.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use crate::entry::EntryKey;

/// Idle deadlines, earliest first. Holds at most one item per entry: an item may be stale (its
/// entry was retained again, or its countdown restarted later), which is checked when it is
/// popped. Pushing and popping are O(log n); nothing is ever searched.
#[derive(Debug, Default)]
pub(crate) struct ExpiryQueue {
    heap: BinaryHeap<Reverse<(Duration, EntryKey)>>,
}

impl ExpiryQueue {
    pub(crate) fn push(&mut self, deadline: Duration, key: EntryKey) {
        self.heap.push(Reverse((deadline, key)));
    }

    /// The earliest deadline, if any.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.heap.peek().map(|Reverse((deadline, _))| *deadline)
    }

    /// Pops the earliest item if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Duration) -> Option<EntryKey> {
        match self.heap.peek() {
            Some(Reverse((deadline, _))) if *deadline <= now => {
                self.heap.pop().map(|Reverse((_, key))| key)
            }
            _ => None,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.heap = BinaryHeap::new();
    }
}
