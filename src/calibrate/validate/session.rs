//! A validation session: the matrix run live (all of it, or the scenarios `--only` selects,
//! merged into the results already in the directory), or re-simulated against the live
//! results on file (`--sim-only`, scenarios in parallel).

use super::matrix::{read_entry, MatrixEntry};
use super::measure::{measure, resimulate};
use super::results::{LiveRep, MachineRecord, ScenarioResults, ValidationResults};
use crate::calibrate::machine_info::{machine_meta, utc_now_iso8601};
use crate::live::{LiveError, LiveOptions};
use crate::sim::calibration::Calibration;
use rayon::prelude::*;
use std::path::Path;

/// Re-simulates every scenario of `results` with `cal`; the scenario files in `matrix_dir`
/// must be the ones the live runs ran (a changed file needs new live runs). Returns the new
/// results and the ids whose simulated values changed.
pub fn sim_only(
    results: &ValidationResults,
    matrix_dir: &Path,
    cal: &Calibration,
) -> anyhow::Result<(ValidationResults, Vec<String>)> {
    let entries: Vec<MatrixEntry> = results
        .scenarios
        .iter()
        .map(|r| {
            let path = matrix_dir.join(format!("{}.toml", r.id));
            let e = read_entry(&path).map_err(|e| {
                anyhow::anyhow!("{e} (its live results are on file: run `execsim validate --only {}` after restoring it, or remove them)", r.id)
            })?;
            anyhow::ensure!(
                e.text == r.scenario_toml,
                "{} changed since its live runs: run `execsim validate --only {}` to measure it again",
                path.display(),
                r.id
            );
            Ok(e)
        })
        .collect::<anyhow::Result<_>>()?;
    let scenarios: Vec<ScenarioResults> = results
        .scenarios
        .par_iter()
        .zip(entries.par_iter())
        .map(|(r, e)| {
            let mut r = r.clone();
            resimulate(&mut r, &e.scenario, cal);
            r
        })
        .collect();
    let changed = scenarios
        .iter()
        .zip(&results.scenarios)
        .filter(|(new, old)| new.sim != old.sim || new.speed_used != old.speed_used)
        .map(|(new, _)| new.id.clone())
        .collect();
    let mut out = results.clone();
    out.scenarios = scenarios;
    Ok((out, changed))
}

/// Ids of matrix files that have no results on file.
pub fn unmeasured(results: &ValidationResults, matrix: &[MatrixEntry]) -> Vec<String> {
    matrix
        .iter()
        .filter(|e| !results.scenarios.iter().any(|r| r.id == e.id))
        .map(|e| e.id.clone())
        .collect()
}

/// What a live session records about itself.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    /// The command line.
    pub command: String,
    /// The calibration file used.
    pub calibration: String,
    /// A caveat to keep in the file.
    pub note: Option<String>,
    /// Live repetitions per scenario.
    pub reps: usize,
}

/// Runs `entries` live (each `info.reps` times) and simulates them; the results replace those
/// of the same ids in `existing` (others are kept), in the matrix's name order. `on_rep` is
/// called after each live repetition with the scenario's id.
pub fn live_session(
    entries: &[MatrixEntry],
    existing: Option<ValidationResults>,
    cal: &Calibration,
    opts: &LiveOptions,
    info: &SessionInfo,
    mut on_rep: impl FnMut(&str, usize, &LiveRep),
) -> Result<ValidationResults, LiveError> {
    let meta = machine_meta();
    let date = utc_now_iso8601();
    let mut scenarios = existing.map(|r| r.scenarios).unwrap_or_default();
    let mut python = String::new();
    for e in entries {
        let r = measure(e, cal, opts, info.reps, &date, |k, rep| {
            on_rep(&e.id, k, rep)
        })?;
        python = r.runtime.clone();
        scenarios.retain(|x| x.id != r.id);
        scenarios.push(r);
    }
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(ValidationResults {
        note: info.note.clone(),
        command: info.command.clone(),
        date,
        reps: info.reps,
        calibration: info.calibration.clone(),
        machine: MachineRecord {
            host: meta.host,
            kernel: meta.kernel,
            cpu: meta.cpu,
            cpus: meta.cpus,
        },
        python,
        tool: format!("execsim {}", env!("CARGO_PKG_VERSION")),
        scenarios,
    })
}
