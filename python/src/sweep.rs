//! Sweeps: the grid over a scenario as the crate's sweep file, its points run here (in
//! parallel, on a pool of the caller's size) or one by one elsewhere (a Dask task each), and
//! the rows joined into the CSV a single run writes.

use crate::error_with_key;
use execsim::sim::sweep::{merge, run_points, to_csv, Sweep, SweepError};
use pyo3::prelude::*;
use std::convert::Infallible;
use std::path::Path;

fn sweep_error(e: SweepError) -> PyErr {
    error_with_key(e.to_string(), &e.key().unwrap_or_default())
}

fn parse(text: &str, base: &str) -> PyResult<Sweep> {
    Sweep::from_toml(text, Some(Path::new(base)), None).map_err(sweep_error)
}

/// The sweep file of scenario `scenario` (TOML) over `grid_json` (a JSON list of `[dotted
/// key, [values]]` pairs, in the grid's order), `reps` replications each, optionally a random `sample`
/// of the grid's points: checked, as TOML text.
#[pyfunction]
#[pyo3(signature = (scenario, grid_json, reps, base, sample=None, sample_seed=1))]
pub(crate) fn sweep_text(
    scenario: &str,
    grid_json: &str,
    reps: u32,
    base: &str,
    sample: Option<u64>,
    sample_seed: u64,
) -> PyResult<String> {
    let bad = |e: &dyn std::fmt::Display| crate::key_error("grid", &e.to_string());
    let pairs: Vec<(String, serde_json::Value)> =
        serde_json::from_str(grid_json).map_err(|e| bad(&e))?;
    let mut grid = toml::Table::new();
    for (key, values) in pairs {
        grid.insert(key, toml::Value::try_from(values).map_err(|e| bad(&e))?);
    }
    let mut doc: toml::Table = scenario
        .parse()
        .map_err(|e: toml::de::Error| crate::key_error("", &e.to_string()))?;
    let mut sweep = toml::Table::new();
    sweep.insert("reps".into(), i64::from(reps).into());
    if let Some(n) = sample {
        let n = i64::try_from(n).map_err(|_| crate::key_error("sample", "too large"))?;
        sweep.insert("sample".into(), n.into());
        let seed =
            i64::try_from(sample_seed).map_err(|_| crate::key_error("sample_seed", "too large"))?;
        sweep.insert("sample_seed".into(), seed.into());
    }
    sweep.insert("grid".into(), grid.into());
    doc.insert("sweep".into(), sweep.into());
    let text = toml::to_string(&doc).map_err(crate::runtime_error)?;
    let sw = parse(&text, base)?;
    sw.points(None).map_err(sweep_error)?;
    Ok(text)
}

/// The indices of the sweep's points, in order (all of the grid, or its sample).
#[pyfunction]
pub(crate) fn sweep_points(text: &str, base: &str) -> PyResult<Vec<usize>> {
    Ok(parse(text, base)?.shard_indices(None))
}

/// Runs the sweep's points `indices` (default: all), in parallel on `threads` threads
/// (default: one per core), with the GIL released; returns the CSV (a header, then one row
/// per point in the order given).
#[pyfunction]
#[pyo3(signature = (text, base, indices=None, threads=None, calibration=None))]
pub(crate) fn sweep_csv(
    py: Python<'_>,
    text: &str,
    base: &str,
    indices: Option<Vec<usize>>,
    threads: Option<usize>,
    calibration: Option<&str>,
) -> PyResult<String> {
    let sw = parse(text, base)?;
    let cal = crate::calibration(calibration)?;
    let indices = indices.unwrap_or_else(|| sw.shard_indices(None));
    let points = indices
        .iter()
        .map(|&i| sw.point(i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(sweep_error)?;
    if threads == Some(0) {
        return Err(crate::key_error("threads", "must be at least 1"));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(crate::runtime_error)?;
    let results = py.detach(|| {
        match pool.install(|| run_points::<Infallible>(&points, sw.reps, &cal, &|_| Ok(()))) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    });
    Ok(to_csv(&sw, &results))
}

/// Joins CSVs of parts of one sweep into the CSV of the whole: the header once, the rows in
/// point order (what `execsim merge` does with shard files).
#[pyfunction]
pub(crate) fn sweep_merge(texts: Vec<String>) -> PyResult<String> {
    merge(&texts).map_err(|e| crate::key_error("", &e))
}
