//! What one run, live or simulated, measured for the validation table: per client, the
//! completions in each whole second and the latency percentiles; per phase, the placement
//! regime and each thread's time on a CPU and in a run queue.

use super::regime::PhaseRegime;
use super::thread_time::PhaseThreads;
use crate::sim::results::RunResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Latency percentiles of one client, µs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
}

/// What a run (live or simulated) measured, per client (expanded names: `open-0`, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunValues {
    /// Completions in each whole second.
    pub per_second: BTreeMap<String, Vec<u64>>,
    /// Latency percentiles, measured from each request's creation (open loop: its scheduled
    /// arrival).
    pub latency_us: BTreeMap<String, Percentiles>,
    /// The placement regime of each phase.
    pub regimes: Vec<PhaseRegime>,
    /// Each thread's time on a CPU and waiting in a run queue, per phase (empty for live
    /// repetitions recorded before it was measured).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<PhaseThreads>,
}

impl RunValues {
    /// The values of a result, with the regimes classified from its samples and the threads'
    /// times per phase.
    pub fn of(r: &RunResult, regimes: Vec<PhaseRegime>, threads: Vec<PhaseThreads>) -> RunValues {
        RunValues {
            per_second: r
                .clients
                .iter()
                .map(|c| (c.name.clone(), c.per_second.clone()))
                .collect(),
            latency_us: r
                .clients
                .iter()
                .map(|c| {
                    let l = c.latency_us;
                    let p = Percentiles {
                        p50: l.p50,
                        p90: l.p90,
                        p99: l.p99,
                    };
                    (c.name.clone(), p)
                })
                .collect(),
            regimes,
            threads,
        }
    }

    /// The threads' times in phase `label`, if measured.
    pub fn threads_in(&self, label: &str) -> Option<&PhaseThreads> {
        self.threads.iter().find(|p| p.phase == label)
    }

    /// The regime of phase `label`, if classified.
    pub fn regime(&self, label: &str) -> Option<&PhaseRegime> {
        self.regimes.iter().find(|r| r.phase == label)
    }
}
