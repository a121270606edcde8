//! One simulation (`run`), its figures, and the lesson.

use crate::{calibration, runtime_error, scenario::parse};
use execsim::kernel::SimDuration;
use execsim::output::plot::figure::png_bytes;
use execsim::output::plot::figures::{default_window, run_timeline, TracedRun};
use execsim::output::plot::latency::LatencyPercentiles;
use execsim::output::plot::throughput::Throughput;
use execsim::output::report::{lesson_summary, run_report};
use execsim::sim::calibration::Calibration;
use execsim::sim::results::RunResult;
use execsim::sim::run::{simulate, SimOptions};
use execsim::sim::scenario::Scenario;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A finished simulation: its results, and what is needed to trace it again for a GIL
/// timeline (the same scenario, seed and calibration give the same run).
#[pyclass(frozen, module = "execsim._native")]
pub(crate) struct NativeRun {
    scenario: Scenario,
    cal: Calibration,
    result: RunResult,
}

/// Simulates a scenario (TOML text, `base` its folder) with `seed` in place of its own if
/// given, and the calibration file at `calibration` (default: the embedded one). The GIL is
/// released while it runs.
#[pyfunction]
#[pyo3(signature = (text, base, seed=None, calibration=None))]
pub(crate) fn run(
    py: Python<'_>,
    text: &str,
    base: &str,
    seed: Option<u64>,
    calibration: Option<&str>,
) -> PyResult<NativeRun> {
    let mut scenario = parse(text, base)?;
    if let Some(s) = seed {
        scenario.seed = s;
    }
    let cal = crate::calibration(calibration)?;
    let result = py.detach(|| simulate(&scenario, &cal, &SimOptions::default()).result);
    Ok(NativeRun {
        scenario,
        cal,
        result,
    })
}

/// The lesson's six scenarios simulated with the embedded calibration: the summary table
/// `execsim lesson` prints, and the runs as JSON.
#[pyfunction]
pub(crate) fn lesson(py: Python<'_>) -> PyResult<(String, String)> {
    let cal = calibration(None)?;
    let runs = py.detach(|| execsim::sim::lesson::run_all(&cal));
    let json = serde_json::to_string(&runs).map_err(runtime_error)?;
    Ok((lesson_summary(&runs), json))
}

fn png<'py>(py: Python<'py>, bytes: Vec<u8>) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &bytes)
}

#[pymethods]
impl NativeRun {
    /// The results as JSON (`execsim run --json`).
    fn json(&self) -> PyResult<String> {
        serde_json::to_string(&self.result).map_err(runtime_error)
    }

    /// The human report (`execsim run`).
    fn report(&self) -> String {
        run_report(&self.result)
    }

    /// Every client's completed requests per second, as a PNG.
    fn throughput_png<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = png_bytes(&Throughput::clients(&self.result)).map_err(runtime_error)?;
        Ok(png(py, bytes))
    }

    /// Every client's latency percentiles, as a PNG.
    fn latency_png<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = png_bytes(&LatencyPercentiles::clients(&self.result)).map_err(runtime_error)?;
        Ok(png(py, bytes))
    }

    /// The threads' GIL timeline over `[start_s, start_s + window_s)` (default: 50 ms from
    /// one second after the last client starts), as a PNG. The run is simulated again with
    /// tracing on; its trace hash must equal this one's.
    #[pyo3(signature = (start_s=None, window_s=None))]
    fn gil_timeline_png<'py>(
        &self,
        py: Python<'py>,
        start_s: Option<f64>,
        window_s: Option<f64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (from0, len0) = default_window(&self.result);
        let from = seconds("start", start_s)?.unwrap_or(from0);
        let len = seconds("window", window_s)?.unwrap_or(len0);
        if len == SimDuration::ZERO {
            return Err(crate::key_error("window", "must be positive"));
        }
        let opts = SimOptions {
            trace: true,
            ..SimOptions::default()
        };
        let bytes = py.detach(|| {
            let out = simulate(&self.scenario, &self.cal, &opts);
            debug_assert_eq!(out.result.trace_hash, self.result.trace_hash);
            let run = TracedRun {
                result: &out.result,
                trace: &out.trace,
                thread_names: &out.thread_names,
            };
            png_bytes(&run_timeline(&run, from, len))
        });
        Ok(png(py, bytes.map_err(runtime_error)?))
    }
}

/// A non-negative number of seconds, or an error naming `key`.
fn seconds(key: &str, v: Option<f64>) -> PyResult<Option<SimDuration>> {
    match v {
        None => Ok(None),
        Some(x) if x.is_finite() && x >= 0.0 => Ok(Some(SimDuration::from_secs_f64(x))),
        Some(x) => Err(crate::key_error(
            key,
            &format!("must be a non-negative number of seconds, not {x}"),
        )),
    }
}
