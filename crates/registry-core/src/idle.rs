//! The recency order of idle entries, for
//! [`max_idle_entries`](crate::RegistryConfig::max_idle_entries).

use std::collections::VecDeque;

use crate::entry::EntryKey;

/// Idle entries, least recently used first: a queue of `(sequence number, key)` items, where
/// an entry's own [`idle_seq`](crate::entry::Entry::idle_seq) says which of its items is
/// current. Touching an entry pushes a new item and makes its older ones stale; stale items are
/// skipped when popped and swept when they outnumber the current ones. Every operation is O(1)
/// amortized; nothing is searched.
#[derive(Debug, Default)]
pub(crate) struct IdleOrder {
    items: VecDeque<(u64, EntryKey)>,
    /// The last sequence number handed out (0 means "not idle").
    seq: u64,
    /// How many entries are idle (have a current item).
    len: usize,
}

impl IdleOrder {
    /// Makes the entry `key`, whose current sequence number is `*idle_seq`, the most recently
    /// used idle entry.
    pub(crate) fn touch(&mut self, key: EntryKey, idle_seq: &mut u64) {
        if *idle_seq == 0 {
            self.len += 1;
        }
        self.seq += 1;
        *idle_seq = self.seq;
        self.items.push_back((self.seq, key));
    }

    /// The entry is no longer idle (held again, or ended).
    pub(crate) fn forget(&mut self, idle_seq: &mut u64) {
        if *idle_seq != 0 {
            *idle_seq = 0;
            self.len -= 1;
        }
    }

    /// How many entries are idle.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Pops the oldest item; `is_current(key, seq)` tells whether it is its entry's current
    /// one. Returns the least recently used idle entry.
    pub(crate) fn pop_oldest(
        &mut self,
        mut is_current: impl FnMut(EntryKey, u64) -> bool,
    ) -> Option<EntryKey> {
        while let Some((seq, key)) = self.items.pop_front() {
            if is_current(key, seq) {
                return Some(key);
            }
        }
        None
    }

    /// Drops stale items once they outnumber the current ones (amortized O(1) per touch).
    pub(crate) fn sweep(&mut self, mut is_current: impl FnMut(EntryKey, u64) -> bool) {
        if self.items.len() > 2 * self.len + 32 {
            self.items.retain(|&(seq, key)| is_current(key, seq));
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}
