//! The command-line side of live runs: the arguments and bodies of `execsim live`,
//! `execsim compare` and the hidden `execsim __live` (the rust backend's child processes),
//! kept here so that `src/main.rs` only routes to them.

use crate::live::compare::compare;
use crate::live::gil_trace::LiveGilTrace;
use crate::live::{run_live, LiveError, LiveOptions, PartialRun};
use crate::output::live_chrome_trace::{
    live_chrome_trace, CallSlice, LiveTraceTracks, ProcessTrack, ThreadTrack,
};
use crate::output::plot::{overlay::sim_vs_live, save};
use crate::sim::calibration::Calibration;
use crate::sim::scenario::Scenario;
use crate::workload::cost::Backend;
use anyhow::{Context, Result};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// `execsim live FILE --backend rust|cpython [--json]`.
#[derive(clap::Args, Debug)]
pub struct LiveArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// Which service runs: "cpython" (the lesson's asyncio service in python3) or "rust".
    #[arg(long)]
    pub backend: Backend,
    /// Print the results as one JSON object (the shape of `execsim run --json`), no progress.
    #[arg(long)]
    pub json: bool,
    /// Python interpreter for the cpython backend.
    #[arg(long, default_value = "python3")]
    pub python: PathBuf,
    /// Rust backend: emulate CPython's GIL (switch interval from the scenario).
    #[arg(long)]
    pub emulate_gil: bool,
    /// Skip the check that the machine is idle before the run.
    #[arg(long)]
    pub no_idle_check: bool,
    /// Cpython backend: trace the service's GIL (every take, drop, timed wait and forced
    /// switch, and the blocking calls around them) and write it to this file as Chrome Trace
    /// Event JSON, like `run --trace`; the report then has the GIL's counters.
    #[arg(long, value_name = "OUT.json")]
    pub gil_trace: Option<PathBuf>,
    /// Calibration the measured host speed is compared with (default: the embedded one).
    #[arg(long)]
    pub calibration: Option<PathBuf>,
}

/// `execsim compare FILE... --backend B [--reps K]`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Scenario files (TOML); each is compared in turn.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The live backend.
    #[arg(long)]
    pub backend: Backend,
    /// Live repetitions (medians and min..max are reported).
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Print the comparisons as JSON.
    #[arg(long)]
    pub json: bool,
    /// Directory for the plots (compare-SCENARIO-BACKEND.png and .svg).
    #[arg(long, default_value = "plots")]
    pub plot_dir: PathBuf,
    /// Calibration file for the simulation (default: the embedded one).
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Python interpreter for the cpython backend.
    #[arg(long, default_value = "python3")]
    pub python: PathBuf,
    /// Rust backend: emulate CPython's GIL.
    #[arg(long)]
    pub emulate_gil: bool,
    /// Before each live run, wait up to this many seconds for the machine to be idle.
    #[arg(long, default_value_t = 120.0)]
    pub idle_wait: f64,
    /// Compare the GILs instead (cpython backend): the server GIL's counters, drop requests
    /// per request and per-thread times, simulated vs live (traced), and both GIL timelines
    /// of the same 100 ms (gil-SCENARIO.png and .svg in --plot-dir).
    #[arg(long)]
    pub gil: bool,
}

/// `execsim __live child|worker CONFIG` (hidden: the rust backend's own processes).
#[derive(clap::Args, Debug)]
pub struct InternalArgs {
    /// "child" (a live run's service or clients process) or "worker" (a process-pool worker).
    pub role: String,
    /// Its JSON configuration.
    pub config: String,
}

fn show_progress(json: bool) -> bool {
    !json && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

fn options(backend: Backend, python: PathBuf, emulate_gil: bool, progress: bool) -> LiveOptions {
    let mut o = LiveOptions::new(backend);
    o.python = python;
    o.emulate_gil = emulate_gil;
    o.progress = progress;
    o.handle_ctrlc = true;
    o
}

fn load(file: &Path) -> Result<Scenario> {
    Scenario::from_file(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// Runs `execsim live`.
// long: prints the run, its host speed, its GIL figures and trace, in the order a user reads them
pub fn live(args: LiveArgs) -> Result<()> {
    let scenario = load(&args.file)?;
    let cal = super::args::load_calibration(args.calibration.as_ref())?;
    let mut opts = options(
        args.backend,
        args.python,
        args.emulate_gil,
        show_progress(args.json),
    );
    opts.idle_check = !args.no_idle_check;
    opts.gil_trace = args.gil_trace.is_some();
    let out = match run_live(&scenario, &opts) {
        Ok(out) => out,
        Err(e) => {
            if let LiveError::Died {
                partial: Some(p), ..
            } = &e
            {
                print_truncated(p, args.json)?;
            }
            return Err(e.into());
        }
    };
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    if let (Some(path), Some(trace)) = (&args.gil_trace, &out.gil_trace) {
        write_gil_trace(path, trace)?;
    }
    let speed = out
        .core_probe
        .as_ref()
        .map(|p| crate::live::host_speed::HostSpeed::from_probe(p, &cal));
    if args.json {
        let mut v = serde_json::to_value(&out.result)?;
        if let (Some(obj), Some(h)) = (v.as_object_mut(), &speed) {
            obj.insert("host_speed".into(), serde_json::to_value(h)?);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("live run of {} with {}", scenario.label(), out.runtime);
        if let Some(b) = out.busy_cores_before {
            println!("machine before the run: {:.0}% of a core busy", b * 100.0);
        }
        if let Some(h) = &speed {
            println!("{}", h.line());
        }
        print!("{}", crate::output::report::run_report(&out.result));
        println!(
            "cleanup: process group {}, port {} {}",
            if out.cleanup.group_empty {
                "empty"
            } else {
                "NOT empty"
            },
            out.port,
            if out.port_released {
                "released"
            } else {
                "STILL LISTENING"
            }
        );
        if let (Some(path), Some(trace)) = (&args.gil_trace, &out.gil_trace) {
            let files: Vec<String> = trace
                .processes
                .iter()
                .map(|p| {
                    format!(
                        "{} (pid {}): {} records, {:.1} MiB{}",
                        p.name,
                        p.pid,
                        p.records,
                        p.bytes as f64 / (1 << 20) as f64,
                        if p.dropped > 0 {
                            format!(", {} DROPPED", p.dropped)
                        } else {
                            String::new()
                        }
                    )
                })
                .collect();
            println!("GIL trace: {}", files.join("; "));
            println!("GIL trace written to {}", path.display());
        }
    }
    Ok(())
}

/// Writes a live GIL trace as Chrome Trace Event JSON.
fn write_gil_trace(path: &Path, trace: &LiveGilTrace) -> Result<()> {
    let json = live_chrome_trace(&gil_trace_tracks(trace));
    std::fs::write(path, serde_json::to_vec(&json)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// Prints what a run that was cut short measured, marked truncated: with `json`, the result
/// object of `execsim run --json` with a `truncated` member (seconds received and planned);
/// otherwise the usual report after a TRUNCATED line. The error itself goes to stderr.
fn print_truncated(p: &PartialRun, json: bool) -> Result<()> {
    if json {
        let mut v = serde_json::to_value(&p.result)?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert(
                "truncated".into(),
                serde_json::json!({
                    "seconds_seen": p.seconds_seen,
                    "seconds_planned": p.seconds_planned,
                }),
            );
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "TRUNCATED live run: {} of {} s measured before a process of the run died; only the \
             per-second counts are known (latencies, issued requests and threads are not)",
            p.seconds_seen, p.seconds_planned
        );
        print!("{}", crate::output::report::run_report(&p.result));
    }
    Ok(())
}

/// Runs `execsim compare`.
pub fn compare_cmd(args: CompareArgs) -> Result<()> {
    anyhow::ensure!((1..=100).contains(&args.reps), "--reps must be 1 to 100");
    let cal = match &args.calibration {
        Some(p) => Calibration::load(p).with_context(|| format!("loading {}", p.display()))?,
        None => Calibration::default_embedded(),
    };
    let progress = show_progress(args.json);
    let mut opts = options(
        args.backend,
        args.python.clone(),
        args.emulate_gil,
        progress,
    );
    anyhow::ensure!(
        args.idle_wait.is_finite() && (0.0..=3600.0).contains(&args.idle_wait),
        "--idle-wait must be 0 to 3600 seconds"
    );
    opts.idle_wait = std::time::Duration::from_secs_f64(args.idle_wait);
    if args.gil {
        return compare_gil_cmd(&args, &cal, &opts);
    }
    let mut all = Vec::new();
    for file in &args.files {
        let scenario = load(file)?;
        let c = compare(&scenario, &cal, &opts, args.reps, |k, out| {
            if progress {
                let simple: Vec<String> = out
                    .result
                    .clients
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.completed))
                    .collect();
                eprintln!(
                    "  {} repetition {} done: completed {}",
                    scenario.label(),
                    k + 1,
                    simple.join(", ")
                );
            }
        })?;
        for w in &c.warnings {
            eprintln!("warning: {w}");
        }
        // The simulation next to the per-second median of the live repetitions.
        let stem = format!("compare-{}-{}", c.scenario, c.backend);
        let plots = save(
            &sim_vs_live(&c.sim, &c.live_median_run()),
            &args.plot_dir,
            &stem,
        )
        .with_context(|| format!("drawing {stem} in {}", args.plot_dir.display()))?;
        if !args.json {
            print!("{c}");
            println!("plots: {} and {}\n", plots[0].display(), plots[1].display());
        }
        all.push(c);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(())
}

/// Runs `execsim calibrate --backend B --from-live`: fits the service and wake-up costs from
/// live runs (see [`crate::calibrate::live_fit`]) and writes them into the calibration file
/// `out`.
pub fn calibrate_from_live(
    backend: Backend,
    out: &Path,
    python: PathBuf,
    reps: usize,
    command: &str,
) -> Result<()> {
    anyhow::ensure!((1..=20).contains(&reps), "--reps must be 1 to 20");
    anyhow::ensure!(
        backend == Backend::Cpython,
        "--from-live fits CPython's per-step costs; the Rust server's are measured instead: \
         its system calls are the calibration's [service] keys and its own code per request is \
         [rust_server] (`python3 validation/rust/user_time.py` measures it; see the README's \
         \"The Rust server\")"
    );
    let (cal, _) = Calibration::load_or_default(out)?;
    let mut opts = options(backend, python, false, false);
    opts.idle_wait = std::time::Duration::from_secs(120);
    eprintln!(
        "fitting service costs from live {backend} runs: {} measurements x {reps} repetitions of {} s",
        crate::calibrate::live_fit::measurements().len(),
        crate::calibrate::live_fit::FIT_DURATION_S
    );
    let fit = crate::calibrate::live_fit::fit_from_live(&cal, &opts, reps, command, |line| {
        eprintln!("  {line}")
    })?;
    for w in &fit.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{:<16} {:>10} {:>12} {:>12} {:>8}  scales",
        "measurement", "live req/s", "sim default", "sim fitted", "factor"
    );
    for p in &fit.info.points {
        println!(
            "{:<16} {:>10.0} {:>12.0} {:>12.0} {:>8.3}  {}",
            p.name, p.live_rate, p.sim_rate_default, p.sim_rate_fitted, p.factor, p.scales
        );
    }
    let created = crate::calibrate::live_fit::save_fit(out, &fit)
        .with_context(|| format!("writing {}", out.display()))?;
    wrote(out, "[service], [machine] and [live_fit]", created);
    Ok(())
}

/// Runs `execsim calibrate --backend cpython --from-trace`: measures the service costs from
/// live GIL traces (see [`crate::calibrate::trace_fit`]) and writes them into the calibration
/// file `out`.
pub fn calibrate_from_trace(
    out: &Path,
    python: PathBuf,
    reps: usize,
    only: &[String],
    command: &str,
) -> Result<()> {
    anyhow::ensure!((1..=20).contains(&reps), "--reps must be 1 to 20");
    let names: Vec<&str> = crate::calibrate::trace_fit::traced_scenarios()
        .iter()
        .map(|t| t.name)
        .collect();
    for o in only {
        anyhow::ensure!(
            names.contains(&o.as_str()),
            "--only: unknown traced scenario {o:?} (one of: {})",
            names.join(", ")
        );
    }
    let (cal, _) = Calibration::load_or_default(out)?;
    let mut opts = options(Backend::Cpython, python, false, false);
    opts.idle_wait = std::time::Duration::from_secs(120);
    let scenarios = crate::calibrate::trace_fit::traced_scenarios();
    eprintln!(
        "measuring service costs from live GIL traces: {} scenarios x {reps} launches of {} s",
        scenarios.len(),
        crate::calibrate::trace_fit::TRACE_DURATION_S
    );
    let fit =
        crate::calibrate::trace_fit::fit_from_trace(&cal, &opts, reps, only, command, |line| {
            eprintln!("  {line}")
        })?;
    for w in &fit.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{:<24} {:>10}  {:<28} segment",
        "key", "median", "launch medians"
    );
    for k in &fit.info.keys {
        let launches: Vec<String> = k
            .launch_medians_ns
            .iter()
            .map(|x| format!("{:.1}", x / 1e3))
            .collect();
        let value = if k.key.ends_with("slowdown") {
            format!("{:>9.3}x", k.median_ns)
        } else {
            format!("{:>8.1}us", k.median_ns / 1e3)
        };
        println!(
            "{:<24} {value}  {:<28} {} ({})",
            k.key,
            launches.join(" "),
            k.segment,
            k.run
        );
    }
    println!(
        "host speed during the traces: {:.1} ns per test (launches: {:?})",
        fit.info.per_test_ns, fit.info.launch_per_test_ns
    );
    if let Some(p) = fit.info.service_probe_ns {
        println!(
            "request path during the traces: {:.1} us per asyncio round trip (launches: {:?})",
            p / 1e3,
            fit.info.launch_service_probe_ns
        );
    }
    let created = crate::calibrate::trace_fit::save_trace_fit(out, &fit)
        .with_context(|| format!("writing {}", out.display()))?;
    let sections = if fit.machine.is_some() {
        "[service], the wake-up keys of [machine] and [trace_fit]"
    } else {
        "[service] and [trace_fit]"
    };
    wrote(out, sections, created);
    Ok(())
}

/// Says which sections of the calibration file `out` a fit wrote.
fn wrote(out: &Path, sections: &str, created: bool) {
    let how = if created {
        "new file"
    } else {
        "other sections kept"
    };
    println!("wrote {sections} to {} ({how})", out.display());
}

/// Runs `execsim __live ROLE CONFIG` and returns the process's exit code.
pub fn internal(args: InternalArgs) -> Result<()> {
    let code = match args.role.as_str() {
        "child" => crate::live::rust_backend::child_main(&args.config),
        "worker" => crate::live::rust_backend::worker_main(&args.config),
        other => anyhow::bail!("unknown live role {other:?} (child or worker)"),
    };
    std::process::exit(code)
}

/// Runs `execsim compare --gil`: the GILs, simulated and live, for each file.
fn compare_gil_cmd(args: &CompareArgs, cal: &Calibration, opts: &LiveOptions) -> Result<()> {
    anyhow::ensure!(
        args.backend == Backend::Cpython,
        "--gil compares CPython's GIL: it needs --backend cpython"
    );
    let mut all = Vec::new();
    for file in &args.files {
        let scenario = load(file)?;
        let c = crate::live::compare_gil::compare_gil(&scenario, cal, opts, args.reps, |k, _| {
            if opts.progress {
                eprintln!("  {} repetition {} done", scenario.label(), k + 1);
            }
        })?;
        for w in &c.warnings {
            eprintln!("warning: {w}");
        }
        let stem = format!("gil-{}", c.scenario);
        let plots =
            match &c.live_trace {
                Some(live) => {
                    let names = live.thread_names();
                    let fig = crate::output::plot::gil_compare::GilTimelines::new(
                        &c.scenario,
                        (&c.sim_trace, &c.sim_names),
                        (&live.activity, &names),
                        c.window,
                    );
                    Some(save(&fig, &args.plot_dir, &stem).with_context(|| {
                        format!("drawing {stem} in {}", args.plot_dir.display())
                    })?)
                }
                None => None,
            };
        if !args.json {
            print!("{c}");
            if let Some(p) = plots {
                println!("timelines: {} and {}\n", p[0].display(), p[1].display());
            }
        }
        all.push(c);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(())
}

/// A live GIL trace as the Chrome export reads it.
pub fn gil_trace_tracks(trace: &LiveGilTrace) -> LiveTraceTracks {
    LiveTraceTracks {
        processes: trace
            .processes
            .iter()
            .map(|p| ProcessTrack {
                pid: p.pid,
                name: format!("{} (interpreter {})", p.name, p.interp),
            })
            .collect(),
        threads: trace
            .threads
            .iter()
            .map(|t| ThreadTrack {
                pid: t.pid,
                tid: t.tid,
                name: t.name.clone(),
            })
            .collect(),
        activity: trace.activity.clone(),
        calls: trace
            .calls
            .iter()
            .map(|c| CallSlice {
                thread: c.thread.0 as usize,
                name: c.span.call.name().to_string(),
                from: c.from,
                to: c.to,
                args: serde_json::json!({"arg": c.span.arg, "ret": c.span.ret}),
            })
            .collect(),
        end: trace.end,
    }
}
