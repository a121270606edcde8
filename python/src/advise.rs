//! `advise`: which executor, pool size and switch interval, with the evidence (the crate's
//! search, as `execsim advise` runs it), and its figures.

use crate::{runtime_error, scenario::parse};
use execsim::advise::{advise as search, Advice, SearchSpec};
use execsim::output::advice::{advice_json, advice_report};
use execsim::output::plot::advice::{advice_evidence, advice_latency, AdviceThroughput};
use execsim::output::plot::figure::png_bytes;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A finished search.
#[pyclass(frozen, module = "execsim._native")]
pub(crate) struct NativeAdvice {
    advice: Advice,
}

/// Searches the executor options for a scenario (TOML text, `base` its folder) on `cores`
/// cores (default: the scenario's), against a p99 bound in ms if given. The GIL is released
/// while it runs.
#[pyfunction]
#[pyo3(signature = (text, base, p99_ms=None, cores=None, calibration=None))]
pub(crate) fn advise(
    py: Python<'_>,
    text: &str,
    base: &str,
    p99_ms: Option<f64>,
    cores: Option<usize>,
    calibration: Option<&str>,
) -> PyResult<NativeAdvice> {
    let scenario = parse(text, base)?;
    let cores = cores.unwrap_or(scenario.machine.cores);
    if !(1..=64).contains(&cores) {
        return Err(crate::key_error(
            "cores",
            &format!("must be 1 to 64, not {cores}"),
        ));
    }
    if let Some(p) = p99_ms {
        if !(p.is_finite() && p > 0.0) {
            return Err(crate::key_error(
                "p99",
                &format!("must be a positive number of milliseconds, not {p}"),
            ));
        }
    }
    let cal = crate::calibration(calibration)?;
    let spec = SearchSpec { cores, p99_ms };
    let advice = py.detach(|| search(&scenario, &cal, &spec));
    Ok(NativeAdvice { advice })
}

#[pymethods]
impl NativeAdvice {
    /// The advice as JSON (`execsim advise --json`).
    fn json(&self) -> PyResult<String> {
        serde_json::to_string(&advice_json(&self.advice)).map_err(runtime_error)
    }

    /// The human report (`execsim advise`).
    fn report(&self) -> String {
        advice_report(&self.advice)
    }

    /// Each option's throughput above its latency percentiles, as one PNG.
    fn evidence_png<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = png_bytes(&advice_evidence(&self.advice)).map_err(runtime_error)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Each option's throughput, as a PNG.
    fn throughput_png<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = png_bytes(&AdviceThroughput::of(&self.advice)).map_err(runtime_error)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Each option's latency percentiles, as a PNG.
    fn latency_png<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = png_bytes(&advice_latency(&self.advice)).map_err(runtime_error)?;
        Ok(PyBytes::new(py, &bytes))
    }
}
