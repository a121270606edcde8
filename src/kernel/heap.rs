//! The pending events' store: a binary min-heap on `(time, sequence)` ([`EventHeap`]).
//!
//! A service simulation keeps only a handful of events pending (two on average in the
//! lesson, six at most), and pops every one of them. `std`'s `BinaryHeap` pops by sifting
//! the last element to the bottom and back up, and moves each element through a temporary:
//! right for big heaps, slow for tiny ones. This heap sifts down with early stopping and
//! swaps in place. The order is the same total order, so the same events pop in the same
//! sequence (and the trace hashes are unchanged).

/// One pending event.
pub(super) struct Entry<E> {
    /// When, in nanoseconds.
    pub(super) time: u64,
    /// Scheduling order, unique: ties in `time` pop in this order.
    pub(super) seq: u64,
    /// The event.
    pub(super) event: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    fn key(&self) -> u128 {
        (self.time as u128) << 64 | self.seq as u128
    }
}

/// A min-heap of entries by `(time, seq)`.
pub(super) struct EventHeap<E> {
    items: Vec<Entry<E>>,
}

impl<E> EventHeap<E> {
    /// An empty heap with room for `n` entries.
    pub(super) fn with_capacity(n: usize) -> Self {
        EventHeap {
            items: Vec::with_capacity(n),
        }
    }

    /// Number of entries.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The earliest entry.
    #[inline]
    pub(super) fn peek(&self) -> Option<&Entry<E>> {
        self.items.first()
    }

    /// Adds `e`.
    #[inline(always)]
    pub(super) fn push(&mut self, e: Entry<E>) {
        let mut i = self.items.len();
        let key = e.key();
        self.items.push(e);
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.items[parent].key() <= key {
                break;
            }
            self.items.swap(i, parent);
            i = parent;
        }
    }

    /// Removes the earliest entry.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<Entry<E>> {
        let last = self.items.pop()?;
        if self.items.is_empty() {
            return Some(last);
        }
        let top = std::mem::replace(&mut self.items[0], last);
        let n = self.items.len();
        let key = self.items[0].key();
        let mut i = 0;
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let c = if r < n && self.items[r].key() < self.items[l].key() {
                r
            } else {
                l
            };
            if key <= self.items[c].key() {
                break;
            }
            self.items.swap(i, c);
            i = c;
        }
        Some(top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any interleaving of pushes and pops pops in `(time, seq)` order, as a sorted list.
        #[test]
        fn pops_in_key_order(ops in prop::collection::vec((any::<bool>(), 0u64..50), 1..400)) {
            let mut heap = EventHeap::with_capacity(4);
            let mut model: Vec<(u64, u64)> = Vec::new();
            for (seq, (push, time)) in ops.into_iter().enumerate() {
                let seq = seq as u64;
                if push || model.is_empty() {
                    heap.push(Entry { time, seq, event: seq });
                    model.push((time, seq));
                    model.sort_unstable_by(|a, b| b.cmp(a));
                } else {
                    let e = heap.pop().expect("non-empty");
                    prop_assert_eq!(Some((e.time, e.seq)), model.pop());
                    prop_assert_eq!(e.event, e.seq);
                }
                prop_assert_eq!(heap.len(), model.len());
                prop_assert_eq!(heap.peek().map(|e| (e.time, e.seq)), model.last().copied());
            }
        }
    }
}
