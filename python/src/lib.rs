//! `execsim._native`: the Python package's native module, a thin layer over the execsim
//! crate. Everything crosses as text (TOML scenarios, JSON results, CSV sweeps) or PNG bytes;
//! the Python side (`python/execsim/`) wraps it in classes. Every simulation runs with the
//! GIL released (`Python::detach`), so simulations in Python threads run in parallel.

mod advise;
mod live;
mod run;
mod scenario;
mod sweep;

use execsim::sim::calibration::Calibration;
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    execsim,
    ScenarioError,
    PyValueError,
    "A scenario, sweep or argument that cannot be run; `key` names the key at fault."
);

/// A `ScenarioError` with its `key` attribute set (empty when the whole text is at fault).
pub(crate) fn key_error(key: &str, message: &str) -> PyErr {
    let text = if key.is_empty() {
        message.to_string()
    } else {
        format!("{key}: {message}")
    };
    error_with_key(text, key)
}

/// A `ScenarioError` whose message (already naming the key) is `text`, with `key` set.
pub(crate) fn error_with_key(text: String, key: &str) -> PyErr {
    let err = ScenarioError::new_err(text);
    Python::attach(|py| {
        // Setting an attribute on a fresh exception instance cannot fail in practice; if it
        // did, the message still names the key.
        let _ = err.value(py).setattr("key", key);
    });
    err
}

/// Any other failure, as a `RuntimeError` with the error's whole chain.
pub(crate) fn runtime_error(e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// The calibration at `path`, or the embedded one for this machine kind.
pub(crate) fn calibration(path: Option<&str>) -> PyResult<Calibration> {
    match path {
        None => Ok(Calibration::default_embedded()),
        Some(p) => Calibration::load(std::path::Path::new(p))
            .map_err(|e| key_error("calibration", &format!("{p}: {e:#}"))),
    }
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(scenario::scenario_check, m)?)?;
    m.add_function(wrap_pyfunction!(scenario::scenario_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(scenario::scenario_to_json, m)?)?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    m.add_function(wrap_pyfunction!(run::lesson, m)?)?;
    m.add_class::<run::NativeRun>()?;
    m.add_function(wrap_pyfunction!(sweep::sweep_text, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_points, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_csv, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_merge, m)?)?;
    m.add_function(wrap_pyfunction!(advise::advise, m)?)?;
    m.add_class::<advise::NativeAdvice>()?;
    m.add_function(wrap_pyfunction!(live::compare, m)?)?;
    Ok(())
}
