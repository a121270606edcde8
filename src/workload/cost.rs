//! Cost models: from exact operation counts to virtual durations.
//!
//! A call `find_nth_prime(n)` costs `per_call + per_candidate × candidates + per_test × tests`
//! nanoseconds, where the counts come from [`crate::workload::prime::op_count`] (exact) and the three
//! coefficients are **calibrated** by timing the real core on this machine
//! (`execsim calibrate`). The per-candidate term matters: in CPython each value of i costs
//! about 39 ns of loop overhead besides its `num % div` tests, which dominates for small n.
//! Calibration is data: nothing here reads a clock.

use crate::kernel::SimDuration;
use crate::workload::prime::{op_count, OpCount, OpCountError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Which implementation of the prime core a cost applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The Rust core of [`crate::workload::prime`], compiled in release mode.
    Rust,
    /// The same algorithm run by CPython (`python3`).
    Cpython,
}

impl Backend {
    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Rust => "rust",
            Backend::Cpython => "cpython",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rust" => Ok(Backend::Rust),
            "cpython" | "python" => Ok(Backend::Cpython),
            other => Err(format!(
                "unknown backend {other:?}: expected \"rust\" or \"cpython\""
            )),
        }
    }
}

/// Calibrated cost coefficients of the prime core for one backend.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreCost {
    /// Fixed overhead of one call, in nanoseconds.
    pub per_call_ns: f64,
    /// Cost of trying one candidate i (loop overhead besides its tests), in nanoseconds.
    pub per_candidate_ns: f64,
    /// Cost of one `num % div` test (with its loop step), in nanoseconds.
    pub per_test_ns: f64,
}

impl CoreCost {
    /// Predicted nanoseconds for a call with these counts (float, unrounded).
    pub fn nanos(&self, ops: &OpCount) -> f64 {
        self.per_call_ns
            + self.per_candidate_ns * ops.candidates as f64
            + self.per_test_ns * ops.tests as f64
    }

    /// Predicted duration of a call with these counts, rounded to the nanosecond.
    pub fn duration(&self, ops: &OpCount) -> SimDuration {
        SimDuration::from_nanos(self.nanos(ops).max(0.0).round() as u64)
    }
}

/// Turns request arguments n into durations, caching the exact op counts.
///
/// ```
/// use execsim::workload::cost::{CoreCost, CostModel};
/// let mut m = CostModel::new(CoreCost { per_call_ns: 100.0, per_candidate_ns: 1.0, per_test_ns: 2.0 });
/// // find_nth_prime(3): candidates 2, 3, 4, 5 (4 of them); tests: 4%2, 5%2 = 2.
/// assert_eq!(m.duration(3).unwrap().as_nanos(), 100 + 4 + 4);
/// ```
#[derive(Clone, Debug)]
pub struct CostModel {
    core: CoreCost,
    counts: BTreeMap<u64, OpCount>,
}

impl CostModel {
    /// A model with the given coefficients.
    pub fn new(core: CoreCost) -> Self {
        CostModel {
            core,
            counts: BTreeMap::new(),
        }
    }

    /// The coefficients.
    pub fn core(&self) -> &CoreCost {
        &self.core
    }

    /// The exact op count of `find_nth_prime(n)` (cached here and process-wide: it is a pure
    /// function of n, and n = 100,000 takes milliseconds to count).
    pub fn ops(&mut self, n: u64) -> Result<OpCount, OpCountError> {
        if let Some(c) = self.counts.get(&n) {
            return Ok(*c);
        }
        let c = shared_op_count(n)?;
        self.counts.insert(n, c);
        Ok(c)
    }

    /// Predicted duration of `find_nth_prime(n)`.
    pub fn duration(&mut self, n: u64) -> Result<SimDuration, OpCountError> {
        let ops = self.ops(n)?;
        Ok(self.core.duration(&ops))
    }
}

/// [`op_count`] memoised for the whole process (thread-safe; the result does not depend on
/// which thread or run asks first).
pub fn shared_op_count(n: u64) -> Result<OpCount, OpCountError> {
    use std::sync::{Mutex, OnceLock};
    static MEMO: OnceLock<Mutex<BTreeMap<u64, OpCount>>> = OnceLock::new();
    let memo = MEMO.get_or_init(|| Mutex::new(BTreeMap::new()));
    if let Some(c) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&n) {
        return Ok(*c);
    }
    let c = op_count(n)?;
    memo.lock().unwrap_or_else(|e| e.into_inner()).insert(n, c);
    Ok(c)
}
