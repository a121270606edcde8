//! The `execsim` command line. Each subcommand is a variant of `Command` with its own
//! argument struct and a `cmd_*` function; the work lives in the layers below.
//!
//! To add a subcommand: add a variant (its doc comment is the help text), an `Args` struct,
//! a `cmd_*` function returning `anyhow::Result<()>`, and a line in [`run`]'s `match`.

pub mod live;
pub mod plot;

use crate::calibrate::{self, CalibrateOptions, LONG_REQUEST_N};
use crate::sim::calibration::{human_duration, Calibration, CostReport};
use crate::workload::cost::Backend;
use crate::workload::prime::op_count;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Deterministic simulation of an asyncio service offloading the lesson's prime computation.
#[derive(Parser, Debug)]
#[command(name = "execsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Time the real prime core on this machine and fit the cost model's coefficients.
    Calibrate(CalibrateArgs),
    /// Exact work of find_nth_prime(N) and its predicted duration.
    Cost(CostArgs),
    /// Simulate a scenario file: per-second completions per client, latency, GIL counters.
    ///
    /// The scenario is TOML. Top-level keys: seed (default 1), duration ("12s"), name.
    /// [machine] cores (default 2). [python] gil = "cpython" | "free-threaded",
    /// switch_interval ("5ms"), runtime = "cpython" | "rust" (whose prime-core costs).
    /// [server] kind = "asyncio" | "thread-per-connection", executor = "inline" | "thread" |
    /// "process" | "interpreter", workers (default: CPython's). [[clients]] name, n (or
    /// mix = [{n, weight}, ...]), start ("0s"), mode = "closed" | "open", think ("0s"),
    /// rate (open loop, per second), arrivals = "poisson" | "constant", in_process (true),
    /// count (1). [affinity] loop, clients, workers, helpers: lists of allowed cores.
    /// [costs.machine], [costs.interp], [costs.service]: overrides of calibrated costs.
    /// See README.md for the whole list.
    Run(RunArgs),
    /// Simulate the lesson's scenarios and print them side by side.
    Lesson(LessonArgs),
    /// Draw figures as PNG and SVG: `plot lesson` (the lesson's simulated figures), `plot run
    /// FILE` (one scenario's rates, latency and GIL timeline), `plot overlay SIM LIVE`.
    Plot(plot::PlotArgs),
    /// Run a sweep: a base scenario and a grid of values for any keys, in parallel; one CSV
    /// row per point.
    ///
    /// The sweep file is a scenario file plus a [sweep] table: reps (replications, 95% CI
    /// columns when > 1), sample and sample_seed (a seeded random subset of the grid), base (a
    /// scenario file, instead of inline keys), and [sweep.grid] with dotted keys such as
    /// "python.switch_interval" = ["5ms", "1ms"], "server.workers" = [1, 2, 4],
    /// "clients[1].n" = [1000, 100000], "affinity.workers" = [[1], [0]].
    Sweep(SweepArgs),
    /// Join sweep shard CSVs (from --shard runs) into the file a single run would give.
    Merge(MergeArgs),
    /// Run a scenario for real on loopback (127.0.0.1, an ephemeral port) with the CPython
    /// reference service or the Rust server; reports what `run` reports.
    Live(live::LiveArgs),
    /// Simulate a scenario and run it live K times; print simulated vs live rates per client
    /// and phase (median, min..max, relative error) and write a plot.
    Compare(live::CompareArgs),
    /// Internal: the rust backend's live processes.
    #[command(name = "__live", hide = true)]
    LiveInternal(live::InternalArgs),
}

#[derive(clap::Args, Debug)]
struct RunArgs {
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

#[derive(clap::Args, Debug)]
struct SweepArgs {
    /// The sweep file (TOML).
    file: PathBuf,
    /// Where to write the CSV (default: standard output).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Run only the points whose index is I modulo N (e.g. 0/4).
    #[arg(long)]
    shard: Option<crate::sim::sweep::Shard>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// For a two-key grid: draw this CSV column as a heatmap next to the CSV (default: the
    /// first client's rate in the last phase). Needs --out.
    #[arg(long)]
    heatmap: Option<String>,
    /// Calibration file (default: the embedded one).
    #[arg(long)]
    calibration: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct MergeArgs {
    /// Shard CSV files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Where to write the merged CSV (default: standard output).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct LessonArgs {
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

/// A prime core implementation (command-line spelling of [`Backend`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendArg {
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

#[derive(clap::Args, Debug)]
struct CalibrateArgs {
    /// Which core to time.
    #[arg(long, value_enum)]
    backend: BackendArg,
    /// Calibration file to write; if it exists, only this backend's section is replaced.
    #[arg(long, default_value = "calibration.toml")]
    out: PathBuf,
    /// Python interpreter for the cpython backend.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Values of n to time, comma-separated (default: a list per backend).
    #[arg(long = "n", value_delimiter = ',')]
    ns: Option<Vec<u64>>,
    /// Timed batches per n (the median is kept); default 7.
    #[arg(long)]
    samples: Option<u32>,
    /// Kill the Python subprocess after this many seconds.
    #[arg(long, default_value_t = 300.0)]
    timeout: f64,
    /// Instead of timing the prime core, fit the simulator's per-step service and wake-up
    /// costs from live runs of the backend (writes [service], [machine], [live_fit]).
    #[arg(long)]
    from_live: bool,
    /// With --from-live: live repetitions per measurement (the median is fitted).
    #[arg(long, default_value_t = 3)]
    reps: usize,
}

#[derive(clap::Args, Debug)]
struct CostArgs {
    /// The argument of find_nth_prime (1 to 10,000,000).
    n: u64,
    /// Only this backend (default: both).
    #[arg(long, value_enum)]
    backend: Option<BackendArg>,
    /// Calibration file (default: the one embedded in the binary).
    #[arg(long)]
    calibration: Option<PathBuf>,
}

/// Parses the command line, runs the command, and turns an error into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Calibrate(args) => cmd_calibrate(args),
        Command::Cost(args) => cmd_cost(args),
        Command::Run(args) => cmd_run(args),
        Command::Lesson(args) => cmd_lesson(args),
        Command::Plot(args) => plot::plot_cmd(args),
        Command::Sweep(args) => cmd_sweep(args),
        Command::Merge(args) => cmd_merge(args),
        Command::Live(args) => live::live(args),
        Command::Compare(args) => live::compare_cmd(args),
        Command::LiveInternal(args) => live::internal(args),
    }
}

/// The command line as typed, with the program shown as `execsim` (for provenance).
fn command_line() -> String {
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

fn cmd_calibrate(args: CalibrateArgs) -> Result<()> {
    let backend: Backend = args.backend.into();
    if args.from_live {
        return live::calibrate_from_live(
            backend,
            &args.out,
            args.python,
            args.reps,
            &command_line(),
        );
    }
    let mut opts = CalibrateOptions::new(backend);
    opts.python = args.python;
    if let Some(ns) = args.ns {
        opts.ns = ns;
    }
    if let Some(s) = args.samples {
        opts.samples = s;
    }
    anyhow::ensure!(
        args.timeout.is_finite() && args.timeout > 0.0,
        "--timeout must be a positive number of seconds"
    );
    opts.timeout = Duration::from_secs_f64(args.timeout);
    opts.command = command_line();
    opts.progress = true;
    opts.handle_ctrlc = true;
    eprintln!(
        "timing the {backend} core at n = {:?}, {} samples each...",
        opts.ns, opts.samples
    );
    let run = calibrate::calibrate(&opts)?;
    print!("{run}");
    let long = op_count(LONG_REQUEST_N)?;
    println!(
        "prediction for find_nth_prime({LONG_REQUEST_N}): {}",
        human_duration(run.core.cost().nanos(&long))
    );
    let merged = calibrate::merge_into_file(&args.out, backend, run.core)
        .with_context(|| format!("writing {}", args.out.display()))?;
    for note in &merged.notes {
        println!("note: {note}");
    }
    println!(
        "wrote [core.{backend}] to {} ({})",
        args.out.display(),
        if merged.created {
            "new file"
        } else {
            "other sections kept"
        }
    );
    Ok(())
}

fn cmd_cost(args: CostArgs) -> Result<()> {
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

fn load_calibration(path: Option<&PathBuf>) -> Result<Calibration> {
    match path {
        Some(p) => {
            Calibration::load(p).with_context(|| format!("loading calibration {}", p.display()))
        }
        None => Ok(Calibration::default_embedded()),
    }
}

fn cmd_run(args: RunArgs) -> Result<()> {
    use crate::sim::run::{simulate, SimOptions};
    let mut scenario = crate::sim::scenario::Scenario::from_file(&args.file)
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
        let end = crate::kernel::SimTime::ZERO + scenario.duration;
        let json = crate::output::chrome_trace::chrome_trace(&out.trace, &out.thread_names, end);
        std::fs::write(path, serde_json::to_vec(&json)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out.result)?);
    } else {
        print!("{}", crate::output::report::run_report(&out.result));
        if let Some(path) = &args.trace {
            println!("trace written to {}", path.display());
        }
    }
    if let Some(v) = out.violation {
        anyhow::bail!("invariant violated (the run stopped there): {v}");
    }
    Ok(())
}

fn cmd_lesson(args: LessonArgs) -> Result<()> {
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
            println!("{}", crate::output::report::run_report(r));
        }
    }
    println!("The lesson: client \"simple\" sends 1 in a closed loop from 0 s; client \"long\" sends 100000 from 2 s.");
    println!("Simple client's completed requests per second, before (1-2 s) and during (3-12 s) the long request:\n");
    print!("{}", crate::output::report::lesson_table(&runs, 2));
    println!(
        "\n{} scenarios, 12 s of virtual time each, simulated in {:.2} s (seeds and trace hashes: --json)",
        runs.len(),
        wall.as_secs_f64()
    );
    if !args.no_plots {
        let start = std::time::Instant::now();
        let opts = crate::output::plot::figures::LessonFigureOptions::default();
        let files = crate::output::plot::figures::lesson_figures(&runs, &cal, &args.plots, &opts)?;
        println!(
            "{} figures (PNG and SVG) drawn in {}/ in {:.1} s (see README.md, Pictures)",
            files.len() / 2,
            args.plots.display(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn cmd_sweep(args: SweepArgs) -> Result<()> {
    use std::io::IsTerminal;
    let sweep = crate::sim::sweep::Sweep::from_file(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let cal = load_calibration(args.calibration.as_ref())?;
    let total = sweep
        .indices()
        .into_iter()
        .filter(|i| args.shard.is_none_or(|s| i % s.count == s.index))
        .count();
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} points  {elapsed} (eta {eta})",
            )
            .expect("valid template"),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting the worker threads")?;
    let start = std::time::Instant::now();
    let results =
        pool.install(|| crate::sim::sweep::run(&sweep, &cal, args.shard, &|| bar.inc(1)))?;
    bar.finish_and_clear();
    let csv = crate::sim::sweep::to_csv(&sweep, &results);
    match &args.out {
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            std::fs::write(p, &csv).with_context(|| format!("writing {}", p.display()))?;
            eprintln!(
                "{} points x {} reps in {:.2} s -> {}",
                results.len(),
                sweep.reps,
                start.elapsed().as_secs_f64(),
                p.display()
            );
        }
        None => print!("{csv}"),
    }
    if let (Some(out), Some(first)) = (&args.out, results.first()) {
        // Default: the first client's rate in the last phase.
        let client = first.names[0].split('.').next().unwrap_or("").to_string();
        let metric = args.heatmap.clone().or_else(|| {
            first
                .names
                .iter()
                .rfind(|n| n.starts_with(&format!("{client}.rate@")))
                .cloned()
        });
        if let Some(metric) = metric {
            if let Some((xs, ys, values)) =
                crate::sim::sweep::grid_matrix(&sweep, &results, &metric)
            {
                let fig = crate::output::plot::heatmap::Heatmap {
                    title: format!("{metric} over {} x {}", sweep.grid[0].0, sweep.grid[1].0),
                    subtitle: format!(
                        "sweep {} ({} reps per point)",
                        args.file.display(),
                        sweep.reps
                    ),
                    x_desc: sweep.grid[1].0.clone(),
                    y_desc: sweep.grid[0].0.clone(),
                    value_desc: metric.clone(),
                    x_labels: xs,
                    y_labels: ys,
                    panels: vec![crate::output::plot::heatmap::HeatmapPanel {
                        title: String::new(),
                        values,
                    }],
                };
                let dir = out
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                let stem = format!(
                    "{}-heatmap",
                    out.file_stem().and_then(|s| s.to_str()).unwrap_or("sweep")
                );
                let files = crate::output::plot::save(&fig, dir, &stem)
                    .map_err(|e| anyhow::anyhow!("heatmap: {e}"))?;
                eprintln!("heatmap of {metric}: {}", files[0].display());
            } else if args.heatmap.is_some() {
                anyhow::bail!(
                    "--heatmap needs a grid of exactly two keys and an existing column {metric:?}"
                );
            }
        }
    }
    Ok(())
}

fn cmd_merge(args: MergeArgs) -> Result<()> {
    let texts = args
        .files
        .iter()
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())))
        .collect::<Result<Vec<_>>>()?;
    let merged = crate::sim::sweep::merge(&texts).map_err(|e| anyhow::anyhow!(e))?;
    match &args.out {
        Some(p) => std::fs::write(p, merged).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{merged}"),
    }
    Ok(())
}
