//! What several commands share: the command-line spelling of a prime core backend, loading
//! `--calibration`, and the command line as typed (recorded for provenance).

use crate::sim::calibration::Calibration;
use crate::workload::cost::Backend;
use anyhow::{Context, Result};
use clap::ValueEnum;
use std::path::PathBuf;

/// A prime core implementation (command-line spelling of [`Backend`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum BackendArg {
    /// The crate's Rust core (release build).
    Rust,
    /// The lesson's functions run by CPython.
    #[value(alias = "python")]
    Cpython,
}

impl From<BackendArg> for Backend {
    fn from(b: BackendArg) -> Backend {
        match b {
            BackendArg::Rust => Backend::Rust,
            BackendArg::Cpython => Backend::Cpython,
        }
    }
}

/// The calibration in `path`, or the one embedded in the binary.
pub(crate) fn load_calibration(path: Option<&PathBuf>) -> Result<Calibration> {
    match path {
        Some(p) => {
            Calibration::load(p).with_context(|| format!("loading calibration {}", p.display()))
        }
        None => Ok(Calibration::default_embedded()),
    }
}

/// The command line as typed, with the program shown as `execsim` (for provenance).
pub(crate) fn command_line() -> String {
    let args = std::env::args().skip(1).map(|a| {
        if a.is_empty() || a.contains(char::is_whitespace) {
            format!("'{a}'")
        } else {
            a
        }
    });
    std::iter::once("execsim".to_string())
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}
