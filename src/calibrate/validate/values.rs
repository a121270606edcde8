//! What one run, live or simulated, measured for the validation table: per client, the
//! completions in each whole second and the latency percentiles; per phase, the placement
//! regime.

use super::regime::PhaseRegime;
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
}

impl RunValues {
    /// The values of a result, with the regimes classified from its samples.
    pub fn of(r: &RunResult, regimes: Vec<PhaseRegime>) -> RunValues {
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
        }
    }

    /// The regime of phase `label`, if classified.
    pub fn regime(&self, label: &str) -> Option<&PhaseRegime> {
        self.regimes.iter().find(|r| r.phase == label)
    }
}
