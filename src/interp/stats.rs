//! Counters of a GIL, as CPython's `gil->switch_number` and the runtime's own tallies.

use serde::Serialize;

/// Counters of one interpreter's GIL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GilStats {
    /// Times the GIL passed to a different thread (`switch_number`).
    pub handoffs: u64,
    /// Times a waiter set the drop request.
    pub drop_requests: u64,
    /// Times a thread took the GIL (any thread, including re-takes by the same thread).
    pub acquisitions: u64,
    /// Timed waits in `take_gil` that ran out (`COND_TIMED_WAIT` timing out), whether or not
    /// they then set the drop request.
    pub timeouts: u64,
}
