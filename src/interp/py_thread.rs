//! A Python thread's state in the runtime (CPython's `PyThreadState`, reduced to what the
//! GIL protocol needs): its interpreter, what it is doing, the step it will resume, and its
//! place in the GIL protocol.

use super::{InterpId, Step};

/// What a Python thread is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Between steps (only while the service decides, at one instant).
    Free,
    /// Running Python code.
    Python,
    /// Running a system call or native code without the GIL.
    Native,
    /// Running C code that keeps the GIL (no eval-breaker checks).
    NativeHeld,
    /// In a [`Step::Sleep`]: blocked until its end, whoever else wakes it.
    Sleeping,
    /// Blocked in a [`Step::Block`].
    Blocked,
    /// In `take_gil`'s timed wait (including the moments it is awake to re-check).
    GilWait,
    /// Dropped the GIL on request and waits for another thread to take it
    /// (FORCE_SWITCHING).
    SwitchWait,
    /// Spinning on a held Python-level lock: in its `sched_yield` and look.
    LockSpin,
    /// Parked on a held Python-level lock.
    LockParked,
    /// Unparked by the lock's release, on its way to look again.
    LockWoken,
}

/// One Python thread.
#[derive(Clone, Debug)]
pub(super) struct PyThread {
    pub interp: InterpId,
    /// Holds its interpreter's GIL.
    pub holds: bool,
    pub phase: Phase,
    /// The step to resume after a GIL wait or a forced switch.
    pub pending: Option<Step>,
    /// The Python it runs (or last ran) is a [`Step::PythonLoop`].
    pub in_loop: bool,
    /// Bumped at each change of the thread's wait.
    pub wait_token: u64,
    /// The GIL's `switch_number` when the current timed wait began.
    pub saved_switch: u64,
    /// Its last timed wait expired (rather than being signalled).
    pub timed_out: bool,
    /// Signalled by a dropper and on its way to re-check.
    pub signalled: bool,
    /// Its timed-out wait stands behind the pending drop request.
    pub requested: bool,
    /// Matches the pending `DropNotice` event, or that event is stale.
    pub notice_token: u64,
    /// When the current timed GIL wait expires (None: not in a timed wait).
    pub deadline: Option<u64>,
    /// A `GilTimeout` event for this thread is in the queue (at most one ever is: it
    /// re-arms itself for a later deadline instead of leaving stale events behind).
    pub timer_pending: bool,
    /// When it took the GIL it holds.
    pub hold_since: u64,
    /// Time it held its GIL before the current hold.
    pub hold_total: u64,
    /// When its current wait to take the GIL began (None: not waiting).
    pub wait_since: Option<u64>,
    /// Time it waited to take its GIL before the current wait.
    pub wait_total: u64,
    /// The Python-level lock it is spinning or parked on.
    pub wants: Option<super::PyLockId>,
    /// Spins made in its current acquisition.
    pub spins: u32,
}

impl PyThread {
    /// A blocked thread of `interp` holding nothing.
    pub fn new(interp: InterpId) -> Self {
        PyThread {
            interp,
            holds: false,
            phase: Phase::Blocked,
            pending: None,
            in_loop: false,
            wait_token: 0,
            saved_switch: 0,
            timed_out: false,
            signalled: false,
            requested: false,
            notice_token: 0,
            deadline: None,
            timer_pending: false,
            hold_since: 0,
            hold_total: 0,
            wait_since: None,
            wait_total: 0,
            wants: None,
            spins: 0,
        }
    }
}
