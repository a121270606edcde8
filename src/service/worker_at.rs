//! Where a thread-pool worker is in its loop, which decides what its next plan does.

/// Where a pool worker is in its loop (`_worker` in `concurrent/futures/thread.py`), when it
/// next needs a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WorkerAt {
    /// Just started, holding the GIL: its first `get`.
    Started,
    /// Back from an item, holding the GIL: `_idle_semaphore.release()`, then `get`.
    ItemDone,
    /// Asleep in the queue lock's `sem_wait` (GIL released); its next plan is its wake-up.
    Asleep,
    /// Its `sem_wait` took the lock; it has retaken the GIL and looks at the list again.
    Retook,
}
