//! Threads as the OS sees them: an id, a run state, the cores they may use, and the burst
//! they are executing (Linux's `task_struct`, reduced to what scheduling needs). What the
//! scheduling policy keeps per thread (virtual runtime...) lives in the policy.

use super::CoreId;
use serde::Serialize;

/// A thread known to the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ThreadId(pub u32);

/// Where a thread stands with the OS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ThreadRunState {
    /// Not runnable (sleeping in the kernel) and not being woken.
    Blocked,
    /// Woken; on its way to a core's run queue.
    Waking,
    /// Runnable, waiting in a core's run queue.
    Queued,
    /// On a core (running a burst, switching in, or between bursts).
    Running,
}

/// The machine's record of one thread.
#[derive(Clone, Debug)]
pub(super) struct Thread {
    /// Allowed cores, one bit per core (`sched_setaffinity`).
    pub affinity: u64,
    pub state: ThreadRunState,
    /// The core it is on (running or queued).
    pub core: Option<CoreId>,
    /// The core it last ran on (or blocked on).
    pub prev_core: Option<CoreId>,
    /// Work left in the current burst (zero: none).
    pub remaining: u64,
    pub has_burst: bool,
    /// CPU time consumed in bursts.
    pub cpu_time: u64,
    /// When it last joined a run queue (meaningful while `Queued`).
    pub queued_since: u64,
    /// Time spent runnable in a run queue, waiting for a core: from each enqueue (a wake-up's
    /// arrival, or a preemption) to the dispatch that puts it on a core (Linux's
    /// `sched_info.run_delay`, the second field of `/proc/PID/task/TID/schedstat`).
    pub run_delay: u64,
    /// How many of its next `WakeArrive` events are the preemption checks of wake-ups that
    /// enqueued it at once rather than arrivals. Events at one instant run in the order they
    /// were scheduled, and such a check is scheduled at the instant of its wake-up, so it
    /// comes before any later wake-up's arrival. (A `MachineEvent` variant of its own would
    /// be plainer, but a fourth variant alone made the lesson run 1% more instructions,
    /// through the event's trace-key `match`.)
    pub checks_pending: u32,
    /// Extra CPU time its next burst carries, ns: for a wake-up it made of a thread on a vCPU
    /// halted beyond the host's halt-poll window (the waker's system call is that much
    /// longer).
    pub owed: u64,
    /// Nominal work, ns, it still runs cold: set when it starts on a vCPU halted beyond the
    /// halt-poll window (cold caches; see `MachineCosts::cold_work`).
    pub cold_left: u64,
    /// How cold (0 to 1) that work runs: `MachineCosts::coldness_after` the idleness.
    pub cold_level: f64,
    /// Switching to it costs `MachineCosts::ctx_switch_lean` (it runs no interpreter).
    pub lean: bool,
}

impl Thread {
    /// A blocked thread that never ran, allowed on the cores of `affinity`.
    pub fn new(affinity: u64) -> Self {
        Thread {
            affinity,
            state: ThreadRunState::Blocked,
            core: None,
            prev_core: None,
            remaining: 0,
            has_burst: false,
            cpu_time: 0,
            queued_since: 0,
            run_delay: 0,
            checks_pending: 0,
            owed: 0,
            cold_left: 0,
            cold_level: 0.0,
            lean: false,
        }
    }

    /// True if the thread may run on core `c`.
    #[inline]
    pub fn allowed_on(&self, c: usize) -> bool {
        self.affinity & (1 << c) != 0
    }
}
