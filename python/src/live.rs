//! `compare`: the scenario run live (loopback, reaped whatever happens) and simulated, side
//! by side (`execsim compare`).

use crate::{runtime_error, scenario::parse};
use execsim::live::compare::compare as run_compare;
use execsim::live::LiveOptions;
use execsim::workload::cost::Backend;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Runs the scenario live `reps` times on `backend` ("cpython": the reference service under
/// `python`; "rust": the tokio server of the `execsim` binary at `exe`), then simulates it;
/// returns the comparison as JSON and as the text `execsim compare` prints. The GIL is
/// released while it runs; Python's own Ctrl-C handling is left in place.
#[pyfunction]
#[pyo3(signature = (text, base, backend, reps, python, exe=None, calibration=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn compare(
    py: Python<'_>,
    text: &str,
    base: &str,
    backend: &str,
    reps: usize,
    python: String,
    exe: Option<String>,
    calibration: Option<&str>,
) -> PyResult<(String, String)> {
    let scenario = parse(text, base)?;
    let backend = match backend {
        "cpython" => Backend::Cpython,
        "rust" => Backend::Rust,
        other => {
            return Err(crate::key_error(
                "backend",
                &format!("must be \"cpython\" or \"rust\", not {other:?}"),
            ))
        }
    };
    if !(1..=100).contains(&reps) {
        return Err(crate::key_error("reps", "must be 1 to 100"));
    }
    if backend == Backend::Rust && exe.is_none() {
        return Err(crate::key_error(
            "exe",
            "the rust backend runs the execsim command-line tool's server: give its path \
             (exe=\"target/release/execsim\", or put execsim on PATH)",
        ));
    }
    let cal = crate::calibration(calibration)?;
    let mut opts = LiveOptions::new(backend);
    opts.python = PathBuf::from(python);
    opts.exe = exe.map(PathBuf::from);
    let c = py
        .detach(|| run_compare(&scenario, &cal, &opts, reps, |_, _| {}))
        .map_err(runtime_error)?;
    let json = serde_json::to_string(&c).map_err(runtime_error)?;
    Ok((json, c.to_string()))
}
