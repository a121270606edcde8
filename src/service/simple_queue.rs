//! CPython 3.11's `_queue.SimpleQueue`, the thread pool's work queue, as its waiters see it:
//! who is woken by a `put`, and who is woken for nothing (and, [`SimpleQueue::condvar`], the
//! Rust server's mutex-and-condvar queue, which wakes nobody for nothing).
//!
//! The queue is a list, a flag `locked` and one `PyThread` lock, which on Linux is a POSIX
//! semaphore (`sem_post` / `sem_wait`, a futex underneath). `Modules/_queuemodule.c` (3.11):
//!
//! - `put` appends the item; `if (self->locked)` it clears the flag and releases the lock
//!   (`sem_post`: the semaphore goes to 1 and the longest-sleeping waiter is woken).
//! - `get`, holding the GIL, loops while the list is empty: a non-blocking try of the lock;
//!   if that fails, it releases the GIL and blocks on the lock (`sem_wait`), then retakes the
//!   GIL; either way it sets `locked = 1` and looks at the list again. With an item, it pops
//!   it and, **`if (self->locked)`, releases the lock** (another `sem_post`).
//!
//! That last release is the mechanism: when a second worker sleeps on the lock, the worker
//! that got the item wakes it at once. The woken worker's `sem_wait` takes the semaphore (or
//! sleeps again, at the back, if another thread took it first: glibc's `sem_wait` loops on
//! the futex), retakes the GIL, finds the list empty, takes `locked` and sleeps again. A live
//! GIL trace of two threads getting from one queue (`src/calibrate/queue_waiters_probe.py`
//! under `execsim live`'s trace library) shows it: the getter's `sem_post` 0.4 µs after it
//! took the GIL, the other waiter's `sem_wait` returning 1.3 µs later and waiting about 19 µs
//! for the GIL, which it then holds 0.32 µs (median) before sleeping again; every second item
//! wakes a worker for nothing, and each worker is switched in 4.5 times per item, against
//! once with a single waiter. (CPython 3.13 rewrote the queue: `put` hands the item to a
//! parked getter, and nobody is woken for nothing.)
//!
//! ```
//! use execsim::service::SimpleQueue;
//! let mut q = SimpleQueue::new();
//! // Two workers find the queue empty and sleep on its lock.
//! assert_eq!(q.get_holding_gil(1), None);
//! assert_eq!(q.get_holding_gil(2), None);
//! // A put wakes the first; it takes the semaphore, retakes the GIL, gets the item, and its
//! // release of the lock wakes the second, for nothing.
//! assert_eq!(q.put("job"), Some(1));
//! assert!(q.woken(1));
//! assert_eq!(q.get_after_wait(1), Some(("job", Some(2))));
//! assert!(q.woken(2));
//! assert_eq!(q.get_after_wait(2), None);
//! ```

use std::collections::VecDeque;

/// The queue: its items, its `locked` flag, its lock's semaphore and who sleeps on it.
/// `W` names a waiter (a thread).
#[derive(Clone, Debug)]
pub struct SimpleQueue<T, W = crate::machine::ThreadId> {
    items: VecDeque<T>,
    /// `self->locked`: a getter holds the lock (it took it and has not released it).
    locked: bool,
    /// The semaphore's value: true when the lock is free (0 or 1: the queue only releases a
    /// lock it holds).
    free: bool,
    /// Threads asleep in `sem_wait`, longest-sleeping first (the futex wakes in that order).
    sleepers: VecDeque<W>,
    /// A mutex and a condvar instead ([`SimpleQueue::condvar`]).
    condvar: bool,
}

impl<T, W: Copy> Default for SimpleQueue<T, W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, W: Copy> SimpleQueue<T, W> {
    /// An empty queue whose lock is free.
    pub fn new() -> Self {
        SimpleQueue {
            items: VecDeque::new(),
            locked: false,
            free: true,
            sleepers: VecDeque::new(),
            condvar: false,
        }
    }

    /// The Rust server's work queue, as its waiters see it: a mutex and a condvar
    /// (`src/live/rust_backend/pool.rs`). `put` notifies the longest waiter
    /// (`notify_one`); a woken waiter always takes the mutex and looks at the list (an item,
    /// or it waits again, at the back); `get` wakes nobody.
    ///
    /// ```
    /// use execsim::service::SimpleQueue;
    /// let mut q = SimpleQueue::condvar();
    /// assert_eq!(q.get_holding_gil(1), None);
    /// assert_eq!(q.get_holding_gil(2), None);
    /// assert_eq!(q.put("job"), Some(1));
    /// assert!(q.woken(1));
    /// // Nobody else is woken by the get.
    /// assert_eq!(q.get_after_wait(1), Some(("job", None)));
    /// assert_eq!(q.sleepers().collect::<Vec<_>>(), vec![2]);
    /// ```
    pub fn condvar() -> Self {
        SimpleQueue {
            condvar: true,
            ..Self::new()
        }
    }

    /// `put(item)`, by a thread holding the GIL: the thread it wakes, if any.
    pub fn put(&mut self, item: T) -> Option<W> {
        self.items.push_back(item);
        if self.condvar {
            return self.sleepers.pop_front();
        }
        if self.locked {
            self.locked = false;
            self.release()
        } else {
            None
        }
    }

    /// A sleeper woken by a `sem_post` runs: true if its `sem_wait` takes the semaphore
    /// (it then retakes the GIL and calls [`get_after_wait`](Self::get_after_wait)), false if
    /// another thread took it first (it sleeps again, at the back).
    pub fn woken(&mut self, w: W) -> bool {
        if self.condvar || self.free {
            self.free = false;
            true
        } else {
            self.sleepers.push_back(w);
            false
        }
    }

    /// `get()` by `w`, back with the GIL after [`woken`](Self::woken) returned true: it
    /// sets `locked` (only now: a `put` before it saw the flag clear and released nothing),
    /// then goes on as [`get_holding_gil`](Self::get_holding_gil).
    pub fn get_after_wait(&mut self, w: W) -> Option<(T, Option<W>)> {
        self.locked = !self.condvar;
        self.get_holding_gil(w)
    }

    /// `get()` by `w`, holding the GIL, at the top of its loop: the item and the sleeper its
    /// release of the lock wakes, or `None` if `w` finds the list empty and goes to sleep on
    /// the lock.
    pub fn get_holding_gil(&mut self, w: W) -> Option<(T, Option<W>)> {
        if let Some(item) = self.items.pop_front() {
            let woken = if self.locked {
                self.locked = false;
                self.release()
            } else {
                None
            };
            return Some((item, woken));
        }
        // The non-blocking try: if the lock is free, take it and loop once more (the list is
        // still empty: nothing runs Python meanwhile); then block.
        if self.free && !self.condvar {
            self.free = false;
            self.locked = true;
        }
        self.sleepers.push_back(w);
        None
    }

    /// The items waiting, oldest first.
    pub fn items(&self) -> impl Iterator<Item = &T> + '_ {
        self.items.iter()
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True if no item waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Threads asleep on the lock, longest-sleeping first.
    pub fn sleepers(&self) -> impl Iterator<Item = W> + '_ {
        self.sleepers.iter().copied()
    }

    /// `PyThread_release_lock`: `sem_post`, waking the longest-sleeping waiter.
    fn release(&mut self) -> Option<W> {
        self.free = true;
        self.sleepers.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::SimpleQueue;

    #[test]
    fn one_waiter_is_woken_once_per_item() {
        let mut q: SimpleQueue<u32, u8> = SimpleQueue::new();
        assert_eq!(q.get_holding_gil(0), None);
        for i in 0..5 {
            assert_eq!(q.put(i), Some(0));
            assert!(q.woken(0));
            assert_eq!(q.get_after_wait(0), Some((i, None)));
            assert_eq!(q.get_holding_gil(0), None);
        }
    }

    #[test]
    fn a_getter_that_finds_an_item_wakes_the_next_sleeper_for_nothing() {
        let mut q: SimpleQueue<u32, u8> = SimpleQueue::new();
        assert_eq!(q.get_holding_gil(0), None);
        assert_eq!(q.get_holding_gil(1), None);
        assert_eq!(q.put(7), Some(0));
        assert!(q.woken(0));
        assert_eq!(q.get_after_wait(0), Some((7, Some(1))));
        // Worker 0 finishes first and takes the free lock before 1 runs: 1 sleeps again.
        assert_eq!(q.get_holding_gil(0), None);
        assert!(!q.woken(1));
        assert_eq!(q.sleepers().collect::<Vec<_>>(), [0, 1]);
        // The next put wakes 0, the longest sleeper.
        assert_eq!(q.put(8), Some(0));
    }

    #[test]
    fn a_getter_back_from_work_takes_a_waiting_item_without_sleeping() {
        let mut q: SimpleQueue<u32, u8> = SimpleQueue::new();
        assert_eq!(q.get_holding_gil(1), None);
        // Worker 0 is busy; two items arrive: the first wakes 1, the second wakes nobody.
        assert_eq!(q.put(1), Some(1));
        assert_eq!(q.put(2), None);
        assert_eq!(q.get_holding_gil(0), Some((1, None)));
        assert!(q.woken(1));
        assert_eq!(q.get_after_wait(1), Some((2, None)));
        assert!(q.is_empty());
    }

    #[test]
    fn a_put_while_a_woken_getter_retakes_the_gil_releases_nothing() {
        let mut q: SimpleQueue<u32, u8> = SimpleQueue::new();
        assert_eq!(q.get_holding_gil(0), None);
        assert_eq!(q.get_holding_gil(1), None);
        assert_eq!(q.put(1), Some(0));
        assert!(q.woken(0));
        // 0 has the semaphore but not yet the GIL: `locked` is still clear, so this put
        // wakes nobody.
        assert_eq!(q.put(2), None);
        assert_eq!(q.get_after_wait(0), Some((1, Some(1))));
        assert!(q.woken(1));
        assert_eq!(q.get_after_wait(1), Some((2, None)));
        assert!(q.is_empty());
    }
}
