//! `execsim run FILE`: simulate a scenario file and report it (text or JSON), optionally with
//! a Chrome trace of the threads' activity and the invariant checker on.

use super::args::load_calibration;
use crate::kernel::SimTime;
use crate::output::chrome_trace::chrome_trace;
use crate::output::report::run_report;
use crate::sim::run::{simulate, SimOptions};
use crate::sim::scenario::Scenario;
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub(crate) struct RunArgs {
    /// The scenario file (TOML).
    file: PathBuf,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    json: bool,
    /// Write the threads' activity as Chrome Trace Event JSON (open in Perfetto).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Calibration file (default: the embedded one for this machine kind).
    #[arg(long)]
    calibration: Option<PathBuf>,
    /// Check the model's invariants after every event; stop and fail at the first violation
    /// (replays a failing property-test case).
    #[arg(long)]
    check: bool,
}

pub(crate) fn cmd_run(args: RunArgs) -> Result<()> {
    let mut scenario = Scenario::from_file(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let cal = load_calibration(args.calibration.as_ref())?;
    let opts = SimOptions {
        trace: args.trace.is_some(),
        check: args.check,
        ..SimOptions::default()
    };
    let out = simulate(&scenario, &cal, &opts);
    if let Some(v) = &out.violation {
        eprintln!("invariant violated: {v}");
    }
    if let Some(path) = &args.trace {
        let end = SimTime::ZERO + scenario.duration;
        let json = chrome_trace(&out.trace, &out.thread_names, end);
        std::fs::write(path, serde_json::to_vec(&json)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out.result)?);
    } else {
        print!("{}", run_report(&out.result));
        if let Some(path) = &args.trace {
            println!("trace written to {}", path.display());
        }
    }
    if let Some(v) = out.violation {
        anyhow::bail!("invariant violated (the run stopped there): {v}");
    }
    Ok(())
}
