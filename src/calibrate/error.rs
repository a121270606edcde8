//! Why a calibration failed.

use super::fit::FitError;
use crate::sim::calibration::CalibrationError;
use crate::workload::cost::Backend;
use crate::workload::prime::OpCountError;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Why a calibration failed.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// The Python interpreter does not exist.
    #[error("{} not found: install CPython 3 or pass --python PATH", .0.display())]
    PythonNotFound(PathBuf),
    /// The Python interpreter could not be started for another reason.
    #[error("cannot run {}: {source}", python.display())]
    Spawn {
        /// The interpreter.
        python: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The timing script ran longer than allowed and was killed.
    #[error(
        "the CPython timing script did not finish within {:.1} s and was killed \
         (raise --timeout, or time smaller n)",
        .0.as_secs_f64()
    )]
    Timeout(Duration),
    /// The timing script exited with an error.
    #[error("the CPython timing script failed ({status}):\n{stderr}")]
    ScriptFailed {
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The timing script's output was not what was expected.
    #[error("unexpected output from the CPython timing script: {0}")]
    BadOutput(String),
    /// The measured core returned a wrong p_n: it is not the lesson's algorithm.
    #[error("the {backend} core returned {got} for find_nth_prime({n}), expected {expected}")]
    WrongResult {
        /// The backend.
        backend: Backend,
        /// The argument.
        n: u64,
        /// What it returned.
        got: u64,
        /// p_n.
        expected: u64,
    },
    /// The options make no sense (no n, zero samples...).
    #[error("invalid calibration options: {0}")]
    Options(String),
    /// An n could not be counted.
    #[error(transparent)]
    OpCount(#[from] OpCountError),
    /// The least-squares fit failed.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// Reading or writing the calibration file failed.
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
}
