//! Other CPython builds against the calibration's own (3.11): the `[interpreters."3.13"]`
//! tables, and a calibration brought to another speed.
//!
//! A calibration's costs are those of CPython 3.11 on its host. Another build runs the same
//! code at another speed: the table of a version holds how much slower (or faster) it ran the
//! prime core and the request path than 3.11 **on one host, in the same minutes**, so the
//! ratio holds on any host the file's 3.11 costs were measured on. Simulating a scenario of
//! that version multiplies the prime core's coefficients by `core_ratio` and the service's CPU
//! steps by `service_ratio` ([`Calibration::scaled`]); wake-up and scheduler costs are the
//! machine's and stay.
//!
//! ```toml
//! [interpreters."3.13t"]
//! core_ratio = 1.235          # per test, python3.13t over python3.11
//! service_ratio = 1.21        # the request path's traced segments, over 3.11's
//! source = "python3 validation/interpreters/speed_ratios.py ... (2026-12-03, AMD EPYC)"
//! ```
//!
//! A file without a version's table uses the embedded calibration's
//! ([`Calibration::interpreter_speed`]).

use super::Calibration;
use crate::interp::PythonVersion;
use crate::kernel::SimDuration;
use crate::workload::cost::Backend;
use serde::{Deserialize, Serialize};

/// How fast one CPython build runs the lesson's code, against 3.11 on the same host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterpreterSpeed {
    /// The prime core's cost per test over 3.11's.
    pub core_ratio: f64,
    /// The service's CPU steps (the request path's GIL-holding segments) over 3.11's.
    pub service_ratio: f64,
    /// How the ratios were measured: commands, date, host, runs.
    pub source: String,
}

impl Calibration {
    /// The speed of `version` against this file's 3.11 costs: its own
    /// `[interpreters."<version>"]`, else the embedded calibration's; 1 and 1 for 3.11.
    pub fn interpreter_speed(&self, version: PythonVersion) -> InterpreterSpeed {
        if version == PythonVersion::V3_11 {
            return InterpreterSpeed {
                core_ratio: 1.0,
                service_ratio: 1.0,
                source: "the calibration's own interpreter".into(),
            };
        }
        if let Some(s) = self.interpreters.get(version.label()) {
            return s.clone();
        }
        static EMBEDDED: std::sync::OnceLock<Calibration> = std::sync::OnceLock::new();
        EMBEDDED
            .get_or_init(Calibration::default_embedded)
            .interpreters
            .get(version.label())
            .cloned()
            .unwrap_or_else(|| {
                panic!("the embedded calibration has no [interpreters.\"{version}\"] table (the crate's tests check it)")
            })
    }

    /// The costs a simulation of `version` uses: this calibration at `version`'s speed, unless
    /// its CPython costs are already a live run's ([`Calibration::speed_of_run`]), whose
    /// probes timed that run's interpreter.
    pub fn for_version(&self, version: PythonVersion) -> std::borrow::Cow<'_, Calibration> {
        if version == PythonVersion::V3_11 || self.speed_of_run {
            return std::borrow::Cow::Borrowed(self);
        }
        let speed = self.interpreter_speed(version);
        std::borrow::Cow::Owned(self.scaled(speed.core_ratio, Some(speed.service_ratio)))
    }

    /// This calibration with the CPython core's three coefficients multiplied by
    /// `core_ratio` and, when `service_factor` is given, every CPU step of the service
    /// ([`crate::service::ServiceCosts::scale_request_steps`]) and the machine's
    /// `migration_refill` (the interpreter's code refetching its lines) by it. Wake-up and
    /// scheduler costs are not scaled.
    pub fn scaled(&self, core_ratio: f64, service_factor: Option<f64>) -> Calibration {
        let mut out = self.clone();
        let mut core = self.core_calibration(Backend::Cpython).clone();
        core.per_call_ns *= core_ratio;
        core.per_candidate_ns *= core_ratio;
        core.per_test_ns *= core_ratio;
        out.set_core(Backend::Cpython, core);
        if let Some(factor) = service_factor {
            let mut s = self.service.unwrap_or_default();
            s.scale_request_steps(factor);
            out.service = Some(s);
            if let Some(m) = out.machine.as_mut() {
                m.migration_refill =
                    SimDuration((m.migration_refill.0 as f64 * factor).round() as u64);
            }
        }
        out
    }
}

/// Range checks of the `[interpreters]` tables (see `check.rs`).
pub(super) fn check(cal: &Calibration) -> Result<(), (String, String)> {
    for (name, s) in &cal.interpreters {
        let key = |k: &str| format!("interpreters.{name}.{k}");
        match PythonVersion::from_label(name) {
            Some(v) if v != PythonVersion::V3_11 => {}
            _ => {
                return Err((
                    format!("interpreters.{name}"),
                    "must name another version than the file's own: \"3.13\" or \"3.13t\"".into(),
                ))
            }
        }
        for (k, v) in [
            ("core_ratio", s.core_ratio),
            ("service_ratio", s.service_ratio),
        ] {
            if !(v.is_finite() && (0.1..=10.0).contains(&v)) {
                return Err((key(k), format!("must be a ratio from 0.1 to 10, got {v}")));
            }
        }
    }
    Ok(())
}
