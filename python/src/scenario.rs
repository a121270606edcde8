//! Scenarios from TOML text or from the keyword builder's nested dict (as JSON), checked by
//! the crate's own validation: an error names the key at fault.

use crate::key_error;
use execsim::sim::scenario::{Scenario, ScenarioError as CoreError};
use pyo3::prelude::*;
use std::path::Path;

fn core_error(e: CoreError) -> PyErr {
    key_error(&e.key, &e.message)
}

/// Parses and validates a scenario; `base` is the folder empirical distributions' files are
/// relative to.
pub(crate) fn parse(text: &str, base: &str) -> PyResult<Scenario> {
    Scenario::from_toml_in(text, Path::new(base)).map_err(core_error)
}

/// Checks TOML text and returns it normalised (every key written out); `name` is the
/// default label (a file's stem) when the text gives none.
#[pyfunction]
#[pyo3(signature = (text, base, name=None))]
pub(crate) fn scenario_check(text: &str, base: &str, name: Option<String>) -> PyResult<String> {
    let mut s = parse(text, base)?;
    if s.name.is_none() {
        s.name = name;
    }
    Ok(s.to_toml())
}

/// Builds a scenario from the keyword builder's nested tables (JSON text: the same keys as
/// the TOML file), checks it and returns its TOML.
#[pyfunction]
pub(crate) fn scenario_from_json(json: &str, base: &str) -> PyResult<String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| key_error("", &e.to_string()))?;
    let table = toml::Value::try_from(value).map_err(|e| key_error("", &e.to_string()))?;
    let text = toml::to_string(&table).map_err(|e| key_error("", &e.to_string()))?;
    Ok(parse(&text, base)?.to_toml())
}

/// The scenario as JSON (every key, defaults included).
#[pyfunction]
pub(crate) fn scenario_to_json(text: &str, base: &str) -> PyResult<String> {
    serde_json::to_string(&parse(text, base)?).map_err(crate::runtime_error)
}
