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
        .filter(|(new, old)| {
            new.sim != old.sim
                || new.speed_used != old.speed_used
                || new.service_speed_used != old.service_speed_used
        })
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

/// A live session's outcome: the results (the scenarios measured and those kept from the
/// file) and the scenarios whose live runs failed twice (id, error).
pub struct LiveSession {
    /// The results.
    pub results: ValidationResults,
    /// Scenarios left unmeasured, with why.
    pub failed: Vec<(String, String)>,
}

/// Runs `entries` live (each `info.reps` times) and simulates them; the results replace those
/// of the same ids in `existing` (others are kept), in the matrix's name order. A scenario
/// whose live runs fail (a timeout, a process that died) is tried once more, then left out
/// and reported. `on_rep` is called after each live repetition with the scenario's id;
/// `on_scenario` with the results so far after each scenario (to save them as they come).
pub fn live_session(
    entries: &[MatrixEntry],
    existing: Option<ValidationResults>,
    cal: &Calibration,
    opts: &LiveOptions,
    info: &SessionInfo,
    mut on_rep: impl FnMut(&str, usize, &LiveRep),
    mut on_scenario: impl FnMut(&ValidationResults),
) -> LiveSession {
    let meta = machine_meta();
    let date = utc_now_iso8601();
    let mut results = ValidationResults {
        note: info.note.clone(),
        command: info.command.clone(),
        date: date.clone(),
        reps: info.reps,
        calibration: info.calibration.clone(),
        machine: MachineRecord {
            host: meta.host,
            kernel: meta.kernel,
            cpu: meta.cpu,
            cpus: meta.cpus,
        },
        python: existing
            .as_ref()
            .map(|e| e.python.clone())
            .unwrap_or_default(),
        tool: format!("execsim {}", env!("CARGO_PKG_VERSION")),
        scenarios: existing.map(|r| r.scenarios).unwrap_or_default(),
    };
    let mut failed = Vec::new();
    for e in entries {
        let attempt = |on_rep: &mut dyn FnMut(&str, usize, &LiveRep)| {
            measure(e, cal, opts, info.reps, &date, |k, rep| {
                on_rep(&e.id, k, rep)
            })
        };
        let r: Result<ScenarioResults, LiveError> = attempt(&mut on_rep).or_else(|first| {
            on_rep_failed(&e.id, &first);
            attempt(&mut on_rep)
        });
        match r {
            Ok(r) => {
                results.python = r.runtime.clone();
                results.scenarios.retain(|x| x.id != r.id);
                results.scenarios.push(r);
                results.scenarios.sort_by(|a, b| a.id.cmp(&b.id));
                on_scenario(&results);
            }
            Err(err) => failed.push((e.id.clone(), err.to_string())),
        }
    }
    LiveSession { results, failed }
}

/// Says on stderr that a scenario's live runs failed and are tried once more.
fn on_rep_failed(id: &str, e: &LiveError) {
    eprintln!("  {id}: the live run failed ({e}); trying it once more");
}
