//! `execsim plot`: its arguments and what it does. The figures only read results; what they
//! need is simulated here (and, for the lesson, in [`super::figures`]).

use super::args::load_calibration;
use super::figures::{lesson_figures, traced, LessonFigureOptions};
use crate::kernel::SimDuration;
use crate::output::plot::figures::{default_window, run_figures};
use crate::output::plot::overlay::sim_vs_live;
use crate::output::plot::save;
use crate::sim::results::RunResult;
use crate::sim::run::{simulate, SimOptions};
use crate::sim::scenario::Scenario;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Arguments of `execsim plot`.
#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// What to draw.
    #[command(subcommand)]
    pub what: PlotWhat,
}

/// The figures `execsim plot` can draw (each as PNG and SVG).
#[derive(clap::Subcommand, Debug)]
pub enum PlotWhat {
    /// The lesson's simulated figures: throughput over time, latency percentiles and
    /// distribution, GIL timelines (own core, shared core), switch interval x pool size heatmap.
    Lesson {
        /// Output directory.
        #[arg(long, default_value = "plots")]
        out: PathBuf,
        /// Calibration file (default: the embedded one).
        #[arg(long)]
        calibration: Option<PathBuf>,
    },
    /// One scenario file's figures: every client's rate, latency, and the GIL timeline.
    Run {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "plots/run")]
        out: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Calibration file (default: the embedded one).
        #[arg(long)]
        calibration: Option<PathBuf>,
        /// Start of the timeline window in seconds (default: 1 s after the last client start).
        #[arg(long)]
        from: Option<f64>,
        /// Length of the timeline window in milliseconds.
        #[arg(long, default_value_t = 50.0)]
        window_ms: f64,
    },
    /// Overlay two results (JSON of a RunResult, as `run --json` prints): the first solid
    /// (simulated), the second dashed (live).
    Overlay {
        /// The simulated result (JSON).
        sim: PathBuf,
        /// The live result (JSON).
        live: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "plots")]
        out: PathBuf,
        /// File name without extension.
        #[arg(long, default_value = "sim_vs_live")]
        name: String,
    },
}

fn read_result(path: &Path) -> Result<RunResult> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a RunResult", path.display()))
}

fn report(files: &[PathBuf], dir: &Path, start: std::time::Instant) {
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
    {
        println!("{}", f.display());
    }
    println!(
        "{} figures (PNG and SVG) written to {} in {:.1} s",
        files.len() / 2,
        dir.display(),
        start.elapsed().as_secs_f64()
    );
}

/// Runs `execsim plot`.
pub fn plot_cmd(args: PlotArgs) -> Result<()> {
    let start = std::time::Instant::now();
    match args.what {
        PlotWhat::Lesson { out, calibration } => {
            let cal = load_calibration(calibration.as_ref())?;
            let runs = crate::sim::lesson::run_all(&cal);
            let files = lesson_figures(&runs, &cal, &out, &LessonFigureOptions::default())?;
            report(&files, &out, start);
        }
        PlotWhat::Run {
            file,
            out,
            seed,
            calibration,
            from,
            window_ms,
        } => {
            let window = (from, window_ms);
            let files = plot_run(&file, &out, seed, calibration.as_ref(), window)?;
            report(&files, &out, start);
        }
        PlotWhat::Overlay {
            sim,
            live,
            out,
            name,
        } => {
            let (s, l) = (read_result(&sim)?, read_result(&live)?);
            let files = save(&sim_vs_live(&s, &l), &out, &name)?;
            report(&files, &out, start);
        }
    }
    Ok(())
}

/// `plot run`: simulates the scenario `file` traced and draws its figures in `out`, the
/// timeline over `(from, window_ms)` (start in seconds, None: [`default_window`]'s; length in
/// milliseconds).
fn plot_run(
    file: &Path,
    out: &Path,
    seed: Option<u64>,
    calibration: Option<&PathBuf>,
    (from, window_ms): (Option<f64>, f64),
) -> Result<Vec<PathBuf>> {
    let mut scenario =
        Scenario::from_file(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    if let Some(s) = seed {
        scenario.seed = s;
    }
    anyhow::ensure!(
        window_ms.is_finite() && window_ms > 0.0,
        "--window-ms must be a positive number"
    );
    let cal = load_calibration(calibration)?;
    let sim = simulate(
        &scenario,
        &cal,
        &SimOptions {
            trace: true,
            ..SimOptions::default()
        },
    );
    let (default_from, _) = default_window(&sim.result);
    let from = from.map(SimDuration::from_secs_f64).unwrap_or(default_from);
    let len = SimDuration::from_secs_f64(window_ms / 1000.0);
    Ok(run_figures(&traced(&sim), out, from, len)?)
}
