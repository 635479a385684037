//! The deadline queue: every idle countdown of the registry, served by one platform timer.

use crate::config::{NEVER, Nanos};
use crate::entry::EntryKey;

/// The position of an entry that has no item in the queue.
pub(crate) const NOT_QUEUED: u32 = u32::MAX;

/// Idle deadlines, earliest first: a binary heap whose entries know where their item is (each
/// entry's [`queue_pos`](crate::entry::Entry::queue_pos), kept up to date through the
/// `set_pos` callback of every operation that moves items). Ending an entry removes its item,
/// so the queue never outgrows the live entries; pushing, popping and removing are O(log n),
/// and nothing is ever searched. (A `BTreeSet` does the same with five times the code in a
/// release wasm.)
///
/// An item may be earlier than its entry's current deadline (a hit restarted the countdown
/// without touching the queue); it is re-queued when it falls due.
#[derive(Debug, Default)]
pub(crate) struct ExpiryQueue {
    items: Vec<(Nanos, EntryKey)>,
}

impl ExpiryQueue {
    pub(crate) fn push(
        &mut self,
        deadline: Nanos,
        key: EntryKey,
        mut set_pos: impl FnMut(EntryKey, u32),
    ) {
        self.items.push((deadline, key));
        self.sift_up(self.items.len() - 1, &mut set_pos);
    }

    /// The deadline of the item at `pos` ([`NEVER`] for none).
    pub(crate) fn deadline_at(&self, pos: u32) -> Nanos {
        self.items
            .get(pos as usize)
            .map_or(NEVER, |(deadline, _)| *deadline)
    }

    /// Removes the item at `pos`; the caller marks its entry as not queued.
    pub(crate) fn remove(&mut self, pos: u32, mut set_pos: impl FnMut(EntryKey, u32)) {
        let pos = pos as usize;
        if pos >= self.items.len() {
            return;
        }
        self.items.swap_remove(pos);
        if pos < self.items.len() {
            set_pos(self.items[pos].1, pos as u32);
            let pos = self.sift_up(pos, &mut set_pos);
            self.sift_down(pos, &mut set_pos);
        }
    }

    /// The earliest deadline, if any.
    pub(crate) fn next_deadline(&self) -> Option<Nanos> {
        self.items.first().map(|(deadline, _)| *deadline)
    }

    /// Pops the earliest item if it is due at `now` (its entry is marked not queued).
    pub(crate) fn pop_due(
        &mut self,
        now: Nanos,
        mut set_pos: impl FnMut(EntryKey, u32),
    ) -> Option<EntryKey> {
        let &(deadline, key) = self.items.first()?;
        if deadline > now {
            return None;
        }
        self.remove(0, &mut set_pos);
        set_pos(key, NOT_QUEUED);
        Some(key)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn clear(&mut self) {
        self.items = Vec::new();
    }

    /// Moves the item at `pos` up to its place; returns where it ended.
    fn sift_up(&mut self, mut pos: usize, set_pos: &mut impl FnMut(EntryKey, u32)) -> usize {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.items[pos] >= self.items[parent] {
                break;
            }
            self.items.swap(pos, parent);
            set_pos(self.items[pos].1, pos as u32);
            pos = parent;
        }
        set_pos(self.items[pos].1, pos as u32);
        pos
    }

    fn sift_down(&mut self, mut pos: usize, set_pos: &mut impl FnMut(EntryKey, u32)) {
        let len = self.items.len();
        loop {
            let left = 2 * pos + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.items[right] < self.items[left] {
                right
            } else {
                left
            };
            if self.items[child] >= self.items[pos] {
                break;
            }
            self.items.swap(pos, child);
            set_pos(self.items[pos].1, pos as u32);
            pos = child;
        }
        set_pos(self.items[pos].1, pos as u32);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use slotmap::SlotMap;

    use super::*;

    /// Pushes, removes and pops in a pseudo-random order, checking the heap order and every
    /// recorded position after each step.
    #[test]
    fn positions_follow_the_items() {
        let mut keys: SlotMap<EntryKey, ()> = SlotMap::with_key();
        let mut queue = ExpiryQueue::default();
        let mut pos: HashMap<EntryKey, u32> = HashMap::new();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for step in 0..5_000 {
            match next() % 3 {
                0 | 1 => {
                    let key = keys.insert(());
                    queue.push(next() % 1_000, key, |k, p| {
                        pos.insert(k, p);
                    });
                }
                _ => {
                    if let Some((&key, &at)) = pos.iter().find(|(_, p)| **p != NOT_QUEUED) {
                        if step % 2 == 0 {
                            queue.remove(at, |k, p| {
                                pos.insert(k, p);
                            });
                            pos.insert(key, NOT_QUEUED);
                        } else if let Some(popped) = queue.pop_due(u64::MAX, |k, p| {
                            pos.insert(k, p);
                        }) {
                            assert_eq!(pos[&popped], NOT_QUEUED);
                        }
                    }
                }
            }
            for (i, &(deadline, key)) in queue.items.iter().enumerate() {
                assert_eq!(pos[&key], i as u32, "the recorded position of an item");
                if i > 0 {
                    assert!(queue.items[(i - 1) / 2].0 <= deadline, "heap order");
                }
            }
            assert_eq!(
                pos.values().filter(|p| **p != NOT_QUEUED).count(),
                queue.len()
            );
        }
    }
}
