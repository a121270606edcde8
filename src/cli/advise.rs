//! `execsim advise FILE`: which executor, pool size and switch interval for the workload in
//! FILE, ranked, with the evidence as figures.

use super::args::load_calibration;
use crate::advise::{advise, Advice, Assessed, SearchSpec};
use crate::output::advice::{advice_json, advice_report};
use crate::output::plot::advice::{advice_evidence, advice_latency, AdviceThroughput};
use crate::output::plot::figures::{default_window, run_timeline, TracedRun};
use crate::output::plot::save;
use crate::sim::calibration::Calibration;
use crate::sim::run::{simulate, SimOptions};
use crate::sim::scenario::Scenario;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub(crate) struct AdviseArgs {
    /// The scenario file (TOML): the service's request types and clients.
    file: PathBuf,
    /// Cores of the machine to advise for (default: the scenario's machine.cores).
    #[arg(long)]
    cores: Option<usize>,
    /// The 99th-percentile latency the service must meet, in milliseconds.
    #[arg(long)]
    p99: Option<f64>,
    /// Print the advice as one JSON object: {"best": {...}, "options": [...]}.
    #[arg(long)]
    json: bool,
    /// Directory for the figures (default: plots/advise-SCENARIO).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Do not draw the figures.
    #[arg(long)]
    no_plots: bool,
    /// Calibration file (default: the embedded one).
    #[arg(long)]
    calibration: Option<PathBuf>,
}

pub(crate) fn cmd_advise(args: AdviseArgs) -> Result<()> {
    let scenario = Scenario::from_file(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let cores = args.cores.unwrap_or(scenario.machine.cores);
    if !(1..=64).contains(&cores) {
        bail!("--cores: must be 1 to 64, not {cores}");
    }
    if let Some(p) = args.p99 {
        if !(p.is_finite() && p > 0.0) {
            bail!("--p99: must be a positive number of milliseconds, not {p}");
        }
    }
    let cal = load_calibration(args.calibration.as_ref())?;
    let spec = SearchSpec {
        cores,
        p99_ms: args.p99,
    };
    let advice = advise(&scenario, &cal, &spec);
    let files = if args.no_plots {
        Vec::new()
    } else {
        let dir = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("plots/advise-{}", scenario.label())));
        figures(&advice, &scenario, &cal, &dir)?
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&advice_json(&advice))?);
    } else {
        print!("{}", advice_report(&advice));
        for f in &files {
            println!("figure: {}", f.display());
        }
    }
    Ok(())
}

/// The advice's figures in `dir`: throughput above latency per option (`advice`), each of them
/// alone, and the GIL timelines of the recommended option and of the default
/// `ThreadPoolExecutor()`.
fn figures(a: &Advice, s: &Scenario, cal: &Calibration, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    files.extend(save(&advice_evidence(a), dir, "advice")?);
    files.extend(save(&AdviceThroughput::of(a), dir, "throughput")?);
    files.extend(save(&advice_latency(a), dir, "latency")?);
    for (stem, o) in [("gil-best", a.best()), ("gil-default", a.default_choice())] {
        files.extend(timeline(o, s, cal, a.cores, dir, stem)?);
    }
    Ok(files)
}

/// One option's GIL timeline (a traced simulation of it), 50 ms after the warm-up.
fn timeline(
    o: &Assessed,
    s: &Scenario,
    cal: &Calibration,
    cores: usize,
    dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>> {
    let mut sc = o.candidate.apply(s);
    sc.machine.cores = cores;
    sc.name = Some(format!("{} with {}", s.label(), o.label));
    let opts = SimOptions {
        trace: true,
        ..SimOptions::default()
    };
    let out = simulate(&sc, cal, &opts);
    let run = TracedRun {
        result: &out.result,
        trace: &out.trace,
        thread_names: &out.thread_names,
    };
    let (from, len) = default_window(&out.result);
    Ok(save(&run_timeline(&run, from, len), dir, stem)?.to_vec())
}
