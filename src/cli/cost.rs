//! `execsim cost N`: the exact work of find_nth_prime(N) and its predicted duration.

use super::args::BackendArg;
use crate::sim::calibration::{Calibration, CostReport};
use crate::workload::cost::Backend;
use crate::workload::prime::op_count;
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub(crate) struct CostArgs {
    /// The argument of find_nth_prime (1 to 10,000,000).
    n: u64,
    /// Only this backend (default: both).
    #[arg(long, value_enum)]
    backend: Option<BackendArg>,
    /// Calibration file (default: the one embedded in the binary).
    #[arg(long)]
    calibration: Option<PathBuf>,
}

pub(crate) fn cmd_cost(args: CostArgs) -> Result<()> {
    let (calibration, origin) = match &args.calibration {
        Some(path) => (Calibration::load(path)?, path.display().to_string()),
        None => (
            Calibration::default_embedded(),
            "embedded default".to_string(),
        ),
    };
    let ops = op_count(args.n)?;
    let backends = match args.backend {
        Some(b) => vec![b.into()],
        None => vec![Backend::Cpython, Backend::Rust],
    };
    print!(
        "{}",
        CostReport {
            ops,
            calibration: &calibration,
            origin,
            backends,
        }
    );
    Ok(())
}
