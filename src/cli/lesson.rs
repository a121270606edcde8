//! `execsim lesson`: simulate the lesson's scenarios, print them side by side, and draw the
//! lesson's figures.

use super::args::load_calibration;
use super::figures::{lesson_figures, LessonFigureOptions};
use crate::output::report::{lesson_summary, run_report};
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub(crate) struct LessonArgs {
    /// Also print each scenario's per-second report.
    #[arg(long)]
    verbose: bool,
    /// Print the results as a JSON array instead.
    #[arg(long)]
    json: bool,
    /// Calibration file (default: the embedded one).
    #[arg(long)]
    calibration: Option<PathBuf>,
    /// Directory for the lesson's figures (PNG and SVG; not with --json).
    #[arg(long, default_value = "plots")]
    plots: PathBuf,
    /// Do not draw the figures.
    #[arg(long)]
    no_plots: bool,
}

pub(crate) fn cmd_lesson(args: LessonArgs) -> Result<()> {
    let cal = load_calibration(args.calibration.as_ref())?;
    let start = std::time::Instant::now();
    let runs = crate::sim::lesson::run_all(&cal);
    let wall = start.elapsed();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&runs)?);
        return Ok(());
    }
    if args.verbose {
        for r in &runs {
            println!("{}", run_report(r));
        }
    }
    print!("{}", lesson_summary(&runs));
    println!(
        "\n{} scenarios, 12 s of virtual time each, simulated in {:.2} s (seeds and trace hashes: --json)",
        runs.len(),
        wall.as_secs_f64()
    );
    if !args.no_plots {
        let start = std::time::Instant::now();
        let opts = LessonFigureOptions::default();
        let files = lesson_figures(&runs, &cal, &args.plots, &opts)?;
        println!(
            "{} figures (PNG and SVG) drawn in {}/ in {:.1} s (see README.md, Pictures)",
            files.len() / 2,
            args.plots.display(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
