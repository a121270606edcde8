//! The validation results file (`validation/results/results.json`): every live repetition's
//! values, the host speed and regime of each, the machine, and the simulation of each
//! scenario at the speed its live runs measured. `execsim validate --sim-only` and
//! `tests/validation.rs` re-simulate from it; the CSV and the figure are drawn from it.
//!
//! Simulated and live values are stored as the integers they are measured as (completions
//! per whole second, latency percentiles in µs) and the speed ratio with 4 decimals, so that
//! re-simulating from the file gives the stored values bit for bit. The live regimes are
//! stored as the shares they were classified from (their samples are not kept): a change of
//! [`super::regime::Regime::of`]'s thresholds needs no new live runs, a change of how the
//! shares are measured does.

use super::rows::Row;
pub use super::values::{Percentiles, RunValues};
use crate::live::host_speed::HostSpeed;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One live repetition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveRep {
    /// What it measured.
    #[serde(flatten)]
    pub values: RunValues,
    /// Its prime core's speed against the calibration.
    pub host_speed: Option<HostSpeed>,
    /// Busy cores measured just before it.
    pub busy_cores_before: Option<f64>,
    /// Its warnings (busy machine, ...).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One scenario of the matrix: its file, its live repetitions and its simulation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResults {
    /// The file's stem (`05-thread-convoy-5ms`).
    pub id: String,
    /// What it checks (the file's first comment line).
    pub checks: String,
    /// The file's text when it was run live (a changed file needs new live runs).
    pub scenario_toml: String,
    /// When its live repetitions ran (UTC).
    pub date: String,
    /// What ran the live service.
    pub runtime: String,
    /// The live repetitions.
    pub live: Vec<LiveRep>,
    /// The speed the simulation ran at: the median of the repetitions' ratios (None: the
    /// calibration's).
    pub speed_used: Option<f64>,
    /// The request-path speed the simulation ran at: the median of the repetitions'
    /// request-path probes, ns per round trip (None: scaled by the prime core's ratio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_speed_used: Option<f64>,
    /// The simulation at that speed.
    pub sim: RunValues,
    /// The comparison rows (derived from the above; kept for readers of the file).
    pub rows: Vec<Row>,
}

/// This machine, for the record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MachineRecord {
    /// Host name.
    pub host: Option<String>,
    /// `uname -srm`.
    pub kernel: Option<String>,
    /// CPU model.
    pub cpu: Option<String>,
    /// CPUs available.
    pub cpus: Option<u32>,
}

/// The whole results file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidationResults {
    /// A caveat about these results (e.g. provisional: one repetition on a busy machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The command that ran the live part (the last one, with `--only`).
    pub command: String,
    /// When the file was last written (UTC).
    pub date: String,
    /// Live repetitions per scenario.
    pub reps: usize,
    /// The calibration file the simulation used.
    pub calibration: String,
    /// The machine of the live runs.
    pub machine: MachineRecord,
    /// What ran the live service.
    pub python: String,
    /// The crate that wrote the file.
    pub tool: String,
    /// Every scenario, in file order.
    pub scenarios: Vec<ScenarioResults>,
}

impl ValidationResults {
    /// Reads `path`.
    pub fn load(path: &Path) -> anyhow::Result<ValidationResults> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let de = &mut serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(de)
            .map_err(|e| anyhow::anyhow!("{}: {}: {}", path.display(), e.path(), e.inner()))
    }

    /// The text written to the file (pretty JSON, a final newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("results always serialise");
        s.push('\n');
        s
    }

    /// Every row of every scenario.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.scenarios.iter().flat_map(|s| &s.rows)
    }
}
