//! The costs of the GIL protocol.

use crate::kernel::SimDuration;
use serde::{Deserialize, Serialize};

/// Costs of the GIL protocol.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InterpCosts {
    /// Extra delay of a timed condition wait beyond its timeout (the kernel's timer slack,
    /// 50 µs by default for normal threads).
    pub timer_slack: SimDuration,
    /// Random extra delay, uniform in [0, this], added to each timed wait's expiry (real
    /// timers fire anywhere in their slack window: `docs/model.md` measured 50 to 70 µs past the
    /// interval). Drawn from a seeded stream. Default 0: with 20 µs the convoy figures move
    /// by under 1%, and two CPU-bound threads sharing a core still starve the event loop
    /// (see the module notes), so the coincidence of timers is not what causes that.
    pub timer_jitter: SimDuration,
    /// From the drop request being set to the holder releasing the GIL, while the holder
    /// runs Python (eval-breaker check and `drop_gil`).
    pub drop_notice: SimDuration,
    /// `sched_yield` calls a free-threaded build's contended `PyMutex` makes before it parks
    /// (`MAX_SPIN_COUNT` in `Python/lock.c`: 40).
    pub lock_spins: u32,
    /// One spin: the `sched_yield` call and the look at the lock ([`super::py_lock`]).
    pub lock_spin: SimDuration,
}

impl Default for InterpCosts {
    fn default() -> Self {
        InterpCosts {
            timer_slack: SimDuration::from_micros(50),
            timer_jitter: SimDuration::ZERO,
            drop_notice: SimDuration::from_micros(5),
            lock_spins: 40,
            lock_spin: super::py_lock::LOCK_SPIN,
        }
    }
}
