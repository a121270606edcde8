//! A scenario's request types (`[[requests]]`) as the CPython reference service runs them
//! (`src/workload/steps.py`): each step's kind and distribution in seconds, and a seed per
//! type for its draws.

use crate::sim::scenario::Scenario;
use crate::workload::distribution::DurationDist;
use crate::workload::request_type::StepKind;
use serde::{Deserialize, Serialize};

/// One step, as `steps.py`'s `draw_steps` reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveStep {
    /// "python", "native-released", "native-held" or "io".
    pub kind: String,
    /// "fixed", "lognormal", "exp", "uniform" or "empirical".
    pub dist: String,
    /// Fixed: the duration; lognormal: the median; exp: the mean; uniform: the min (s).
    pub a: f64,
    /// Lognormal: the p99; uniform: the max (s); else 0.
    pub b: f64,
    /// Empirical: the samples (s).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<f64>,
}

/// One request type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveRequestType {
    /// Its name.
    pub name: String,
    /// Bytes passed to the executor with the call.
    pub payload: u64,
    /// Bytes the call returns.
    pub reply: u64,
    /// Seed of its draws.
    pub seed: u64,
    /// Its steps.
    pub steps: Vec<LiveStep>,
}

fn kind_name(k: StepKind) -> &'static str {
    match k {
        StepKind::Python => "python",
        StepKind::NativeReleased => "native-released",
        StepKind::NativeHeld => "native-held",
        StepKind::Io => "io",
    }
}

fn step(kind: StepKind, d: &DurationDist) -> LiveStep {
    let s = |x: crate::kernel::SimDuration| x.as_secs_f64();
    let (dist, a, b, samples) = match d {
        DurationDist::Fixed(x) => ("fixed", s(*x), 0.0, vec![]),
        DurationDist::LogNormal { median, p99 } => ("lognormal", s(*median), s(*p99), vec![]),
        DurationDist::Exp { mean } => ("exp", s(*mean), 0.0, vec![]),
        DurationDist::Uniform { min, max } => ("uniform", s(*min), s(*max), vec![]),
        DurationDist::Empirical(v) => ("empirical", 0.0, 0.0, v.iter().map(|&x| s(x)).collect()),
    };
    LiveStep {
        kind: kind_name(kind).into(),
        dist: dist.into(),
        a,
        b,
        samples,
    }
}

/// The scenario's request types for the live service (seeded from the scenario's seed).
pub fn live_requests(s: &Scenario) -> Vec<LiveRequestType> {
    s.requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let t = r.to_request_type();
            LiveRequestType {
                name: t.name.clone(),
                payload: t.payload,
                reply: t.reply,
                seed: s
                    .seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(1 << 40 | i as u64),
                steps: t.steps.iter().map(|w| step(w.kind, &w.duration)).collect(),
            }
        })
        .collect()
}
