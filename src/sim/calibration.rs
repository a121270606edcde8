//! Calibration data: the measured coefficients of the cost model, kept as a small TOML file.
//!
//! Simulation never reads a clock; everything it knows about real speed comes from a
//! [`Calibration`], written by `execsim calibrate` (see [`crate::calibrate`]) and read back
//! here. The file looks like this:
//!
//! ```toml
//! [meta]                      # the machine and when the file was last written
//! date = "2025-11-25T04:50:12Z"
//! host = "vm"
//! kernel = "Linux 6.18.44 x86_64"
//! cpu = "AMD EPYC"
//! cpus = 2
//! tool = "execsim 0.1.0"
//!
//! [core.rust]                 # CoreCost of the Rust core
//! per_call_ns = 2.1
//! per_candidate_ns = 0.9
//! per_test_ns = 1.65
//!
//! [core.rust.fit]             # optional: how these numbers were obtained
//! date = "2025-11-25T04:50:12Z"
//! command = "execsim calibrate --backend rust"
//! runtime = "execsim 0.1.0 release build"
//! samples = 7
//! r2 = 0.99999
//! max_rel_residual = 0.012
//! # ... and one [[core.rust.fit.points]] table per measured n
//!
//! [core.cpython]              # same for CPython
//! per_call_ns = 95.0
//! per_candidate_ns = 39.0
//! per_test_ns = 64.0
//! ```
//!
//! Each backend's `fit` table keeps its provenance: re-calibrating one backend (only its
//! `[core.<backend>]`) keeps the other's numbers and history. `[meta]`: the latest write.
//!
//! **Extending.** New top-level sections (say `[machine]` or `[service]`) are added as fields
//! of [`Calibration`] marked `#[serde(default)]`, so older files still load. Every table
//! denies unknown keys, so that a typo (`per_tset_ns`) is an error naming the key instead of a
//! silently ignored line.
//!
//! **Reading** ([`Calibration::from_toml_str`]) names the key of every rejection, like
//! scenario files: a wrong type, a missing or unknown key is reported with its dotted path
//! (`parse`), an out-of-range value by the rules of [`check`] (each key's rule and why).
//!
//! The fallback is `calibration/default.toml`, embedded ([`Calibration::default_embedded`]).

pub mod check;
pub mod interpreters;
mod parse;
mod service_speed;
pub mod trace_fit_info;

pub use interpreters::InterpreterSpeed;
pub use trace_fit_info::{TraceFitInfo, TraceFitKey};

use crate::workload::cost::{Backend, CoreCost};
use crate::workload::prime::OpCount;
use parse::ParseFailure;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// The text of `calibration/default.toml`, embedded when the crate is built.
pub const EMBEDDED_DEFAULT_TOML: &str = include_str!("../../calibration/default.toml");

/// Where a calibration was read from (used in messages).
const EMBEDDED_ORIGIN: &str = "embedded calibration/default.toml";

/// A whole calibration file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Where the file came from (machine, date of the last write).
    #[serde(default)]
    pub meta: Meta,
    /// Coefficients of the prime core, one section per backend (both required).
    pub core: CoreSection,
    /// Optional `[service]`: per-step service costs fitted from live runs
    /// (`execsim calibrate --from-live`); simulation uses them unless a scenario's
    /// `[costs.service]` overrides them. Absent: the model's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<crate::service::ServiceCosts>,
    /// Optional `[rust_server]`: the Rust server's own code ([`crate::service::RustServerCosts`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_server: Option<crate::service::RustServerCosts>,
    /// Optional `[machine]`: scheduler and wake-up costs fitted from live runs; a scenario's
    /// `[costs.machine]` still wins. Absent: the model's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<crate::machine::MachineCosts>,
    /// Optional `[live_fit]`: how `[service]` and `[machine]` were fitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_fit: Option<LiveFitInfo>,
    /// Optional `[trace_fit]`: how `[service]` was measured from live GIL traces
    /// (`execsim calibrate --from-trace`) and at which host speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_fit: Option<TraceFitInfo>,
    /// Optional `[interpreters."<version>"]`: other CPython builds' speed against this file's
    /// 3.11 costs ([`interpreters`]).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub interpreters: std::collections::BTreeMap<String, InterpreterSpeed>,
    /// True when the CPython costs are a live run's, scaled by the probes that run took in
    /// its own interpreter (`crate::live::host_speed::at_speed`): a simulation of any version
    /// then uses them as they are. Not part of the file.
    #[serde(skip)]
    pub speed_of_run: bool,
}

/// The `[live_fit]` table: provenance of the `[service]` and `[machine]` sections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveFitInfo {
    /// When the live runs were measured, UTC, ISO 8601.
    pub date: String,
    /// The command line that produced it.
    pub command: String,
    /// The live backend measured.
    pub backend: String,
    /// What ran the live service.
    pub runtime: String,
    /// Live repetitions per measurement (their median is fitted).
    pub reps: u32,
    /// How the factors were fitted.
    pub method: String,
    /// One entry per fitted group of costs.
    #[serde(default)]
    pub points: Vec<LiveFitPointRecord>,
    /// The host's speed during the live runs: the CPython prime core's cost per test, ns
    /// (median of the runs' probes); the fitted costs hold at this speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_test_ns: Option<f64>,
}

/// One measured scenario and the factor fitted from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveFitPointRecord {
    /// The measurement (e.g. `inline-one-core`).
    pub name: String,
    /// The costs it scales.
    pub scales: String,
    /// Live median rate, requests per second.
    pub live_rate: f64,
    /// Live rates of each repetition.
    pub live_rates: Vec<f64>,
    /// Simulated rate with the default costs.
    pub sim_rate_default: f64,
    /// Simulated rate with the fitted costs.
    pub sim_rate_fitted: f64,
    /// The factor applied to the model's default costs of that group.
    pub factor: f64,
}

/// The `[meta]` table: the machine the file was (last) written on. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Meta {
    /// When the file was last written, UTC, ISO 8601 (`2025-11-25T04:50:12Z`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Host name (`uname -n`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Kernel name, release and machine (`uname -srm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// CPU model name (from `/proc/cpuinfo` where available).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Number of logical CPUs available to the process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
    /// The program (and version) that wrote the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Free-form remark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The `[core]` table: one [`CoreCalibration`] per [`Backend`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreSection {
    /// `[core.rust]`: the Rust core of [`crate::workload::prime`], release build.
    pub rust: CoreCalibration,
    /// `[core.cpython]`: the lesson's functions run by CPython.
    pub cpython: CoreCalibration,
}

/// One backend's coefficients (a [`CoreCost`]) and, optionally, how they were fitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreCalibration {
    /// Fixed overhead of one call, in nanoseconds.
    pub per_call_ns: f64,
    /// Cost of trying one candidate i besides its tests, in nanoseconds.
    pub per_candidate_ns: f64,
    /// Cost of one `num % div` test with its loop step, in nanoseconds.
    pub per_test_ns: f64,
    /// Provenance and quality of the fit (absent for hand-written values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<FitInfo>,
}

/// The `[core.<backend>.fit]` table: where a backend's coefficients came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitInfo {
    /// When the measurement was taken, UTC, ISO 8601.
    pub date: String,
    /// The command line that produced it.
    pub command: String,
    /// Host name of the machine measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// What ran the core: the build of execsim, or the Python version and executable.
    pub runtime: String,
    /// Timed batches per n (the median per-call time of these is the point's value).
    pub samples: u32,
    /// How the coefficients were fitted (e.g. weighted least squares with weights 1/t²).
    pub method: String,
    /// Coefficients the fit forced to zero because the free fit made them negative.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clamped: Vec<String>,
    /// Weighted coefficient of determination of the fit (1 is perfect).
    pub r2: f64,
    /// Largest |predicted − measured| / measured over the points.
    pub max_rel_residual: f64,
    /// Root mean square of the relative residuals.
    pub rms_rel_residual: f64,
    /// The measured points the fit used.
    #[serde(default)]
    pub points: Vec<FitPointRecord>,
}

/// One measured point of a fit, as stored in the file.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitPointRecord {
    /// The argument of `find_nth_prime`.
    pub n: u64,
    /// Median measured time of one call, nanoseconds.
    pub measured_ns: f64,
    /// The fitted model's prediction for that call, nanoseconds.
    pub predicted_ns: f64,
    /// (predicted − measured) / measured.
    pub rel_error: f64,
}

impl CoreCalibration {
    /// The coefficients as a [`CoreCost`].
    pub fn cost(&self) -> CoreCost {
        CoreCost {
            per_call_ns: self.per_call_ns,
            per_candidate_ns: self.per_candidate_ns,
            per_test_ns: self.per_test_ns,
        }
    }
}

/// Why a calibration could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    /// The file does not exist.
    #[error("calibration file {} not found", .0.display())]
    NotFound(PathBuf),
    /// The file exists but could not be read.
    #[error("cannot read calibration file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not valid TOML; the message says where the syntax broke (line, column).
    #[error("invalid calibration ({origin}): {message}")]
    Parse {
        /// Where the text came from (a path, or the embedded default).
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A key is missing, unknown, of the wrong type or out of range (see [`check`] for the
    /// rule of each key).
    #[error("invalid calibration ({origin}): {key}: {message}")]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// The dotted key at fault, like `core.cpython.per_test_ns` or
        /// `core.rust.fit.points[2].n`.
        key: String,
        /// What is wrong with it (the value found, the line when known).
        message: String,
    },
    /// The file could not be written.
    #[error("cannot write calibration file {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The calibration could not be serialised to TOML.
    #[error("cannot serialise calibration: {0}")]
    Serialize(String),
}

impl Calibration {
    /// The calibration embedded in the binary (`calibration/default.toml` at build time).
    ///
    /// # Panics
    /// If the embedded file does not parse, which is a build defect (the crate's tests check
    /// it).
    pub fn default_embedded() -> Calibration {
        Calibration::from_toml_str(EMBEDDED_DEFAULT_TOML, EMBEDDED_ORIGIN)
            .unwrap_or_else(|e| panic!("the embedded calibration/default.toml is broken: {e}"))
    }

    /// Parses and checks a calibration from TOML text; `origin` names the source in error
    /// messages. Every rejection names its key ([`CalibrationError::Invalid`]) or says where
    /// the TOML syntax broke ([`CalibrationError::Parse`]); nothing in the text makes it
    /// panic.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Calibration, CalibrationError> {
        let origin = origin.to_string();
        let invalid =
            |origin: String, (key, message): (String, String)| CalibrationError::Invalid {
                origin,
                key,
                message,
            };
        let cal = parse::parse(text).map_err(|f| match f {
            ParseFailure::Syntax(message) => CalibrationError::Parse {
                origin: origin.clone(),
                message,
            },
            ParseFailure::Key { key, message } => invalid(origin.clone(), (key, message)),
        })?;
        check::check(&cal).map_err(|f| invalid(origin, f))?;
        Ok(cal)
    }

    /// Reads and checks a calibration file.
    pub fn load(path: impl AsRef<Path>) -> Result<Calibration, CalibrationError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                CalibrationError::NotFound(path.to_path_buf())
            } else {
                CalibrationError::Read {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        Calibration::from_toml_str(&text, &path.display().to_string())
    }

    /// The calibration as TOML text, with a header comment.
    pub fn to_toml_string(&self) -> Result<String, CalibrationError> {
        let body = toml::to_string(self).map_err(|e| CalibrationError::Serialize(e.to_string()))?;
        Ok(format!(
            "# execsim calibration: cost of find_nth_prime(n) = per_call_ns + per_candidate_ns * \
             candidates + per_test_ns * tests,\n# with exact counts from execsim::workload::prime::op_count. \
             Written by `execsim calibrate`; see src/calibration.rs.\n\n{body}"
        ))
    }

    /// Writes the calibration to `path` (through a temporary file renamed into place, so that
    /// a failed write never leaves a truncated file), creating the parent directory if needed.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CalibrationError> {
        let path = path.as_ref();
        let text = self.to_toml_string()?;
        let write_err = |source| CalibrationError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, text).map_err(write_err)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            write_err(e)
        })
    }

    /// The coefficients of one backend.
    pub fn core(&self, backend: Backend) -> CoreCost {
        self.core_calibration(backend).cost()
    }

    /// One backend's section, with its fit information.
    pub fn core_calibration(&self, backend: Backend) -> &CoreCalibration {
        match backend {
            Backend::Rust => &self.core.rust,
            Backend::Cpython => &self.core.cpython,
        }
    }

    /// Replaces one backend's section, leaving the other untouched.
    pub fn set_core(&mut self, backend: Backend, core: CoreCalibration) {
        match backend {
            Backend::Rust => self.core.rust = core,
            Backend::Cpython => self.core.cpython = core,
        }
    }

    /// Predicted nanoseconds of a call with counts `ops` on `backend`.
    pub fn predict_ns(&self, backend: Backend, ops: &OpCount) -> f64 {
        self.core(backend).nanos(ops)
    }
}

/// What [`Calibration::merge_core_into_file`] did.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The calibration as written.
    pub calibration: Calibration,
    /// Whether the file was created (rather than updated).
    pub created: bool,
    /// Remarks for the user (e.g. where the other backend's section came from).
    pub notes: Vec<String>,
}

impl Calibration {
    /// The calibration file at `path`, or the embedded default if there is none; the flag is
    /// true in that case (the file is to be created). A file that does not parse is an error.
    pub fn load_or_default(path: &Path) -> Result<(Calibration, bool), CalibrationError> {
        match Calibration::load(path) {
            Ok(c) => Ok((c, false)),
            Err(CalibrationError::NotFound(_)) => Ok((Calibration::default_embedded(), true)),
            Err(e) => Err(e),
        }
    }

    /// Writes `core` as `backend`'s section of the calibration file at `path`, and `meta` (the
    /// machine measured) as its `[meta]`.
    ///
    /// If the file exists it is loaded and only that section and `[meta]` are replaced (every
    /// other section is kept); a file that does not parse is an error and is left alone. If it
    /// does not exist, it is created from the embedded default with that section replaced.
    pub fn merge_core_into_file(
        path: &Path,
        backend: Backend,
        core: CoreCalibration,
        meta: Meta,
    ) -> Result<Merged, CalibrationError> {
        let (mut cal, created) = Calibration::load_or_default(path)?;
        let other = match backend {
            Backend::Rust => Backend::Cpython,
            Backend::Cpython => Backend::Rust,
        };
        let mut notes = Vec::new();
        let other_fit = &cal.core_calibration(other).fit;
        if created {
            notes.push(format!(
                "the [core.{other}] section is a copy of the embedded default calibration"
            ));
        } else if let Some(fit) = other_fit {
            if fit.host.is_some() && fit.host != meta.host {
                notes.push(format!(
                    "the [core.{other}] section was measured on another host ({})",
                    fit.host.as_deref().unwrap_or("?")
                ));
            }
        } else {
            notes.push(format!(
                "the [core.{other}] section has no fit information (hand-written or \
                 placeholder values)"
            ));
        }
        cal.meta = meta;
        cal.set_core(backend, core);
        cal.save(path)?;
        Ok(Merged {
            calibration: cal,
            created,
            notes,
        })
    }
}

/// A duration in nanoseconds in human units with about three significant digits:
/// `"850 ns"`, `"1.2 µs"`, `"31.4 s"`, `"18.2 min"`, `"2.5 h"`.
///
/// ```
/// use execsim::sim::calibration::human_duration;
/// assert_eq!(human_duration(1_234.0), "1.2 µs");
/// assert_eq!(human_duration(31.4e9), "31.4 s");
/// assert_eq!(human_duration(18.2 * 60e9), "18.2 min");
/// ```
pub fn human_duration(ns: f64) -> String {
    if !ns.is_finite() {
        return format!("{ns} ns");
    }
    let (value, unit) = match ns.abs() {
        a if a < 1e3 => (ns, "ns"),
        a if a < 1e6 => (ns / 1e3, "µs"),
        a if a < 1e9 => (ns / 1e6, "ms"),
        a if a < 60e9 => (ns / 1e9, "s"),
        a if a < 3600e9 => (ns / 60e9, "min"),
        a if a < 86_400e9 => (ns / 3600e9, "h"),
        _ => (ns / 86_400e9, "days"),
    };
    if value.abs() >= 100.0 || unit == "ns" && value.fract() == 0.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// What `execsim cost N` prints: the exact work of `find_nth_prime(n)` and the predicted
/// duration on each of `backends` under `cal`.
pub struct CostReport<'a> {
    /// The exact counts.
    pub ops: OpCount,
    /// The calibration used.
    pub calibration: &'a Calibration,
    /// Where the calibration came from (for the report).
    pub origin: String,
    /// The backends to predict for.
    pub backends: Vec<Backend>,
}

impl fmt::Display for CostReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.ops;
        writeln!(f, "n           {}", o.n)?;
        writeln!(f, "p_n         {}", o.prime)?;
        if o.tests >= 1_000_000 {
            writeln!(f, "tests       {} ({:.3e})", o.tests, o.tests as f64)?;
        } else {
            writeln!(f, "tests       {}", o.tests)?;
        }
        writeln!(f, "candidates  {}", o.candidates)?;
        let m = &self.calibration.meta;
        let measured = match (&m.date, &m.host) {
            (Some(d), Some(h)) => format!(", written {d} on {h}"),
            (Some(d), None) => format!(", written {d}"),
            _ => String::new(),
        };
        writeln!(f, "calibration {}{measured}", self.origin)?;
        for &b in &self.backends {
            let c = self.calibration.core(b);
            let ns = c.nanos(o);
            writeln!(
                f,
                "{:<11} {:>10}  ({:.9} s = {} ns + {} ns x candidates + {} ns x tests)",
                b.name(),
                human_duration(ns),
                ns * 1e-9,
                c.per_call_ns,
                c.per_candidate_ns,
                c.per_test_ns
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        assert_eq!(human_duration(0.0), "0 ns");
        assert_eq!(human_duration(850.0), "850 ns");
        assert_eq!(human_duration(2.5), "2.5 ns");
        assert_eq!(human_duration(1_234.0), "1.2 µs");
        assert_eq!(human_duration(123_456.0), "123 µs");
        assert_eq!(human_duration(31.4e9), "31.4 s");
        assert_eq!(human_duration(18.24 * 60e9), "18.2 min");
        assert_eq!(human_duration(2.5 * 3600e9), "2.5 h");
    }

    #[test]
    fn embedded_default_round_trips() {
        let cal = Calibration::default_embedded();
        let text = cal.to_toml_string().unwrap();
        let back = Calibration::from_toml_str(&text, "round trip").unwrap();
        assert_eq!(back, cal);
    }

    #[test]
    fn negative_coefficient_is_rejected_by_key() {
        let text = "[core.rust]\nper_call_ns = 1.0\nper_candidate_ns = -1.0\nper_test_ns = 1.0\n\
                    [core.cpython]\nper_call_ns = 1.0\nper_candidate_ns = 1.0\nper_test_ns = 1.0\n";
        let e = Calibration::from_toml_str(text, "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("core.rust.per_candidate_ns"), "{e}");
    }
}
