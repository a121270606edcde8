//! What the runtime schedules for itself ([`InterpEvent`]) and what it tells the service
//! layer ([`PyNotice`]).

use crate::kernel::TraceKey;
use crate::machine::ThreadId;

/// The runtime's own events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterpEvent {
    /// A thread's GIL wait timer fires (the wait may have ended or been restarted since:
    /// the thread's current deadline decides).
    GilTimeout {
        /// The waiting thread.
        thread: ThreadId,
        /// Unused (zero); kept so every event names its subject the same way.
        token: u64,
    },
    /// The holder reaches its eval-breaker check after a drop request.
    DropNotice {
        /// The holder.
        thread: ThreadId,
        /// Matches the thread's notice token, or the event is stale.
        token: u64,
    },
    /// A thread's [`Step::Sleep`](super::Step::Sleep) is over.
    SleepOver {
        /// The sleeper.
        thread: ThreadId,
    },
}

impl TraceKey for InterpEvent {
    fn trace_key(&self) -> u64 {
        match *self {
            InterpEvent::GilTimeout { thread, token } => 16 | (thread.0 as u64) << 8 | token << 32,
            InterpEvent::DropNotice { thread, token } => 17 | (thread.0 as u64) << 8 | token << 32,
            InterpEvent::SleepOver { thread } => 18 | (thread.0 as u64) << 8,
        }
    }
}

/// What the runtime tells the service layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyNotice {
    /// The thread finished its step (for `Block`: it was woken and is running again) and is
    /// on a core: the service must start its next step before handling anything else.
    StepDone(ThreadId),
}
