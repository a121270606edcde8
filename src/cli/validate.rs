//! `execsim validate`: the validation matrix run live and in simulation, or re-simulated
//! against the live results on file (`--sim-only`); prints the table and writes
//! `results.json`, `results.csv` and `errors.png`/`.svg` into `--out`.

use super::args::command_line;
use super::atomic_write::write_atomically;
use crate::calibrate::validate::matrix::load_matrix;
use crate::calibrate::validate::misses::KnownMisses;
use crate::calibrate::validate::queue_table::{queue_rows, queue_table};
use crate::calibrate::validate::results::{LiveRep, ValidationResults};
use crate::calibrate::validate::rows::Metric;
use crate::calibrate::validate::session::{live_session, sim_only, unmeasured, SessionInfo};
use crate::calibrate::validate::table::{csv, table};
use crate::live::LiveOptions;
use crate::output::plot::save;
use crate::output::plot::validation::{ErrorBar, ValidationFigure};
use crate::sim::calibration::Calibration;
use crate::workload::cost::Backend;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `execsim validate [--reps 3] [--out DIR] [--sim-only [--write]] [--only PATTERN]`.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Live repetitions per scenario.
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Where the results are written (and, with --sim-only, read).
    #[arg(long, default_value = "validation/results")]
    pub out: PathBuf,
    /// The matrix: a folder of scenario files NN-name.toml.
    #[arg(long, default_value = "validation/scenarios")]
    pub scenarios: PathBuf,
    /// Do not run anything live: re-simulate every scenario against the live results in
    /// --out, print the table and its summary.
    #[arg(long)]
    pub sim_only: bool,
    /// With --sim-only: write the re-simulated values into --out (after a model change).
    #[arg(long, requires = "sim_only")]
    pub write: bool,
    /// Only the scenarios whose file name contains one of these comma-separated strings
    /// (live: their results replace those on file, the others are kept).
    #[arg(long)]
    pub only: Option<String>,
    /// Calibration file of the simulation (default: the embedded calibration/default.toml,
    /// whose costs were measured from live GIL traces).
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Rows known to miss, each with its reason.
    #[arg(long, default_value = "validation/known-misses.toml")]
    pub known_misses: PathBuf,
    /// Python interpreter of the live service.
    #[arg(long, default_value = "python3")]
    pub python: PathBuf,
    /// Before each live run, wait up to this many seconds for the machine to be idle.
    #[arg(long, default_value_t = 60.0)]
    pub idle_wait: f64,
    /// A caveat kept in results.json (e.g. "provisional: one repetition on a busy machine").
    #[arg(long)]
    pub note: Option<String>,
}

/// Runs `execsim validate`.
pub fn cmd_validate(args: ValidateArgs) -> Result<()> {
    let cal = match &args.calibration {
        Some(path) => Calibration::load(path)
            .with_context(|| format!("loading calibration {}", path.display()))?,
        None => Calibration::default_embedded(),
    };
    let misses = KnownMisses::load(&args.known_misses)?;
    if args.sim_only {
        return sim_only_cmd(&args, &cal, &misses);
    }
    live_cmd(&args, &cal, &misses)
}

/// `--sim-only [--write]`.
fn sim_only_cmd(args: &ValidateArgs, cal: &Calibration, misses: &KnownMisses) -> Result<()> {
    let on_file = ValidationResults::load(&args.out.join("results.json"))?;
    let (results, changed) = sim_only(&on_file, &args.scenarios, cal)?;
    print!("{}", table(&results, misses));
    print!("{}", queue_table(&queue_rows(&results)));
    let matrix = load_matrix(&args.scenarios, None)?;
    for id in unmeasured(&results, &matrix) {
        println!("{id}: no live results on file (run `execsim validate --only {id}`)");
    }
    if args.write {
        write_all(&results, misses, &args.out)?;
    } else if !changed.is_empty() {
        println!(
            "the simulation now differs from the values on file for {} scenario(s) ({}): `execsim validate --sim-only --write` records them",
            changed.len(),
            changed.join(", ")
        );
    }
    Ok(())
}

/// The live session: runs the selected scenarios, saves after each, writes everything.
fn live_cmd(args: &ValidateArgs, cal: &Calibration, misses: &KnownMisses) -> Result<()> {
    let json = args.out.join("results.json");
    anyhow::ensure!((1..=20).contains(&args.reps), "--reps must be 1 to 20");
    anyhow::ensure!(
        args.idle_wait.is_finite() && (0.0..=3600.0).contains(&args.idle_wait),
        "--idle-wait must be 0 to 3600 seconds"
    );
    let entries = load_matrix(&args.scenarios, args.only.as_deref())?;
    let existing = match (&args.only, json.exists()) {
        (Some(_), true) => Some(ValidationResults::load(&json)?),
        _ => None,
    };
    let mut opts = LiveOptions::new(Backend::Cpython);
    opts.python = args.python.clone();
    opts.handle_ctrlc = true;
    opts.idle_wait = Duration::from_secs_f64(args.idle_wait);
    opts.thread_sampling = Some(Duration::from_millis(50));
    let info = SessionInfo {
        command: command_line(),
        calibration: calibration_name(args),
        note: args
            .note
            .clone()
            .or(existing.as_ref().and_then(|e| e.note.clone())),
        reps: args.reps,
    };
    eprintln!(
        "validating {} scenario(s) x {} live repetition(s)",
        entries.len(),
        args.reps
    );
    let session = live_session(
        &entries,
        existing,
        cal,
        &opts,
        &info,
        report_rep,
        // Saved after each scenario, so that a stopped session keeps what it measured.
        |so_far| {
            if let Err(e) = write_atomically(&json, so_far.to_json().as_bytes()) {
                eprintln!("warning: cannot save {}: {e:#}", json.display());
            }
        },
    );
    print!(
        "{}{}",
        table(&session.results, misses),
        queue_table(&queue_rows(&session.results))
    );
    write_all(&session.results, misses, &args.out)?;
    if !session.failed.is_empty() {
        let list: Vec<String> = session
            .failed
            .iter()
            .map(|(id, e)| format!("{id}: {e}"))
            .collect();
        anyhow::bail!(
            "{} scenario(s) failed twice and were left out (rerun them with --only):\n{}",
            list.len(),
            list.join("\n")
        );
    }
    Ok(())
}

/// One line on a live repetition just measured: its host speed and regimes (and warnings).
fn report_rep(id: &str, k: usize, rep: &LiveRep) {
    let speed = rep
        .host_speed
        .as_ref()
        .map_or("no probe".to_string(), |h| format!("speed {:.2}x", h.ratio));
    let regimes: Vec<String> = rep
        .values
        .regimes
        .iter()
        .map(|r| format!("{}: {}", r.phase, r.regime))
        .collect();
    eprintln!(
        "  {id} repetition {}: {speed}; {}",
        k + 1,
        regimes.join(", ")
    );
    for w in &rep.warnings {
        eprintln!("    warning: {w}");
    }
}

/// Writes results.json, results.csv and the figure into `dir`.
fn write_all(results: &ValidationResults, misses: &KnownMisses, dir: &Path) -> Result<()> {
    let json = dir.join("results.json");
    write_atomically(&json, results.to_json().as_bytes())?;
    let csv_path = dir.join("results.csv");
    write_atomically(&csv_path, csv(results, misses)?.as_bytes())?;
    let fig = save(&validation_figure(results, misses), dir, "errors")
        .with_context(|| format!("drawing the figure in {}", dir.display()))?;
    println!(
        "wrote {}, {}, {} and {}",
        json.display(),
        csv_path.display(),
        fig[0].display(),
        fig[1].display()
    );
    Ok(())
}

/// The figure of `results`' rows.
fn validation_figure(results: &ValidationResults, misses: &KnownMisses) -> ValidationFigure {
    let bars = results
        .rows()
        .map(|r| ErrorBar {
            label: match r.metric {
                Metric::Rate => r.key(),
                _ => format!("{} (latency)", r.key()),
            },
            error: r.rel_error,
            tolerance: r.tolerance,
            known_miss: misses.listed(r).is_some(),
        })
        .collect();
    let mut subtitle = format!(
        "(simulated - live) / live per row; live: {} repetition(s) per scenario, {}, {}, {}",
        results.reps,
        results.python,
        results.machine.cpu.as_deref().unwrap_or("unknown CPU"),
        results.date
    );
    if let Some(n) = &results.note {
        subtitle.push('\n');
        subtitle.push_str(n);
    }
    ValidationFigure {
        title: "Simulation vs live: relative error per row".into(),
        subtitle,
        bars,
    }
}

/// How results name the calibration: its path, or `calibration/default.toml` (embedded).
fn calibration_name(args: &ValidateArgs) -> String {
    args.calibration
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "calibration/default.toml".into())
}
