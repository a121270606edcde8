//! CPU cores: what each one runs, what waits in its run queue, and the segment of time it is
//! in (Linux's `struct rq`, without the policy's own fields). [`RunQueues`] is the read-only
//! view of all cores that the scheduling policy decides from.

use super::ThreadId;
use serde::Serialize;

/// A CPU core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CoreId(pub u16);

/// What a core is doing between two of its events.
#[derive(Clone, Debug)]
pub(super) enum Segment {
    Idle,
    /// Switching in the current thread; then it resumes its burst or becomes idle-running.
    Switching,
    /// Running the current thread's burst since `start`.
    Burst {
        start: u64,
    },
    /// The thread is on the core but has no burst (only between calls, at one instant).
    Between,
}

/// One core.
#[derive(Clone, Debug)]
pub(super) struct Core {
    pub current: Option<ThreadId>,
    pub segment: Segment,
    /// Bumped whenever the segment changes: a `SegmentEnd` with an older token is stale.
    pub token: u64,
    /// Runnable threads waiting for this core, in arrival order.
    pub queue: Vec<ThreadId>,
    /// Woken threads on their way to this core's queue.
    pub incoming: u32,
    /// When the wake-up that kicked this core's halted vCPU arrives (meaningful while
    /// threads are on their way to an otherwise empty core): later wake-ups ride on that kick.
    pub kicked_until: u64,
    /// The thread that ran here last (switching back to it costs no context switch).
    pub last_thread: Option<ThreadId>,
    pub tick_token: u64,
    pub tick_pending: bool,
    /// Time spent running bursts.
    pub busy_ns: u64,
    /// When the core last became idle (its vCPU halted), ns; meaningful while `halted`.
    pub idle_since: u64,
    /// The core found nothing to run and has not run a thread since.
    pub halted: bool,
    /// Work (nominal ns) still to run slower after its last halt
    /// (`MachineCosts::halt_refill_work`).
    pub refill_left: u64,
    /// Busy time (ns) until its next stall (`u64::MAX`: not drawn yet;
    /// `MachineCosts::stall_every`).
    pub stall_in: u64,
    /// The current segment's planned stalls: (ns after its start, length).
    pub stalls: Vec<(u64, u64)>,
    /// How much of the current segment's work its stalls were drawn for (ns).
    pub stalls_until: u64,
}

impl Core {
    /// An idle core with an empty queue.
    pub fn new() -> Self {
        Core {
            current: None,
            segment: Segment::Idle,
            token: 0,
            queue: Vec::new(),
            incoming: 0,
            kicked_until: 0,
            last_thread: None,
            tick_token: 0,
            tick_pending: false,
            busy_ns: 0,
            idle_since: 0,
            halted: true,
            refill_left: 0,
            stall_in: u64::MAX,
            stalls: Vec::new(),
            stalls_until: 0,
        }
    }

    /// Runs nothing, has nothing queued and nothing on its way: what wake-up placement and
    /// idle balancing call idle.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty() && self.incoming == 0
    }
}

/// The scheduling policy's read-only view of the run queues: for each core, the thread on it
/// and the threads queued there (runnable, not running), in arrival order.
#[derive(Clone, Copy)]
pub(crate) struct RunQueues<'a> {
    cores: &'a [Core],
}

impl<'a> RunQueues<'a> {
    /// The view of `cores`.
    #[inline]
    pub(super) fn new(cores: &'a [Core]) -> Self {
        RunQueues { cores }
    }

    /// The thread on core `c`, if any.
    #[inline]
    pub fn current(&self, c: CoreId) -> Option<ThreadId> {
        self.cores[c.0 as usize].current
    }

    /// The threads queued on core `c`, in arrival order.
    #[inline]
    pub fn queued(&self, c: CoreId) -> &'a [ThreadId] {
        &self.cores[c.0 as usize].queue
    }
}
