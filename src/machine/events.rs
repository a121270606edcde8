//! What the machine schedules for itself ([`MachineEvent`]) and what it tells the layer above
//! ([`Notice`]).

use super::{CoreId, ThreadId};
use crate::kernel::TraceKey;

/// The machine's own events, wrapped by the model that owns the event queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineEvent {
    /// A woken thread reaches its target core's run queue; or, for a thread the policy had
    /// enqueued at once (a free wake-up onto the waker's own core, under a policy that asks
    /// for it; never under CFS), the core checks whether it preempts.
    WakeArrive {
        /// The thread.
        thread: ThreadId,
        /// The core chosen at wake-up.
        core: CoreId,
    },
    /// The segment a core is running ends (a burst, or a context switch in progress).
    SegmentEnd {
        /// The core.
        core: CoreId,
        /// Matches the core's current segment token, or the event is stale.
        token: u64,
    },
    /// A timer tick on a core with waiting threads.
    Tick {
        /// The core.
        core: CoreId,
        /// Matches the core's tick token, or the event is stale.
        token: u64,
    },
}

impl TraceKey for MachineEvent {
    fn trace_key(&self) -> u64 {
        match *self {
            MachineEvent::WakeArrive { thread, core } => {
                1 | (thread.0 as u64) << 8 | (core.0 as u64) << 40
            }
            MachineEvent::SegmentEnd { core, token } => 2 | (core.0 as u64) << 8 | token << 24,
            MachineEvent::Tick { core, token } => 3 | (core.0 as u64) << 8 | token << 24,
        }
    }
}

/// What the machine tells the layer above after handling an event or a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The thread is running on a core with nothing to do: its burst finished, or it was
    /// just dispatched after a wake-up. The layer above must call [`Machine::compute`] or
    /// [`Machine::block`] for it before handling anything else.
    ///
    /// [`Machine::compute`]: super::Machine::compute
    /// [`Machine::block`]: super::Machine::block
    Idle(ThreadId),
    /// A preempted thread got a core back and resumes its burst.
    Resumed(ThreadId),
    /// A running thread lost its core (its burst is saved).
    Preempted(ThreadId),
}
