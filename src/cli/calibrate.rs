//! `execsim calibrate`: time the real prime core and fit the cost model's coefficients, or
//! (with `--from-live`) fit the simulator's per-step costs from live runs.

use super::args::{command_line, BackendArg};
use super::live;
use crate::calibrate::{self, CalibrateOptions, LONG_REQUEST_N};
use crate::sim::calibration::human_duration;
use crate::workload::cost::Backend;
use crate::workload::prime::op_count;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub(crate) struct CalibrateArgs {
    /// Which core to time.
    #[arg(long, value_enum, required_unless_present_any = ["machine", "bytes"])]
    backend: Option<BackendArg>,
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
    /// Instead of timing the prime core, measure the simulator's per-step service costs from
    /// live GIL traces of the cpython backend (writes [service] and [trace_fit]).
    #[arg(long, conflicts_with = "from_live")]
    from_trace: bool,
    /// With --from-trace: trace only these scenarios (comma-separated: thread-split,
    /// process-split, tpc-split) and replace only their keys, brought to the speed the
    /// file's [trace_fit] holds at.
    #[arg(long, value_delimiter = ',', requires = "from_trace")]
    only: Vec<String>,
    /// With --from-live: live repetitions per measurement (the median is fitted); with
    /// --from-trace: launches per traced scenario.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Instead of timing a core, measure what waking a thread costs on this machine (two
    /// pinned threads, CPUs 0 and 1) and write the wake-up keys of [machine].
    #[arg(long, conflicts_with_all = ["from_live", "from_trace"])]
    machine: bool,
    /// Instead of timing a core, measure what a process pool's payloads cost per byte
    /// (pickling, unpickling, pipe write and read, with --python) and write [service.bytes].
    #[arg(long, conflicts_with_all = ["from_live", "from_trace", "machine"])]
    bytes: bool,
}

pub(crate) fn cmd_calibrate(args: CalibrateArgs) -> Result<()> {
    if args.machine {
        return calibrate_machine(&args.out, &command_line());
    }
    if args.bytes {
        return calibrate_bytes(&args.out, &args.python);
    }
    let backend: Backend = args
        .backend
        .context("--backend is required (cpython or rust)")?
        .into();
    if args.from_trace {
        anyhow::ensure!(
            backend == Backend::Cpython,
            "--from-trace needs --backend cpython (the GIL trace is CPython's)"
        );
        return live::calibrate_from_trace(
            &args.out,
            args.python,
            args.reps,
            &args.only,
            &command_line(),
        );
    }
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

/// `calibrate --machine`: the wake-up probe, written into `[machine]` of `out`.
fn calibrate_machine(out: &std::path::Path, command: &str) -> Result<()> {
    use crate::sim::calibration::Calibration;
    let (mut cal, created) =
        Calibration::load_or_default(out).with_context(|| format!("reading {}", out.display()))?;
    eprintln!("timing wake-ups between CPUs 0 and 1...");
    let probe = crate::calibrate::wake_probe::measure()?;
    print!("{}", probe.table());
    let base = cal.machine.unwrap_or_default();
    let m = probe.machine_costs(&base);
    for (key, v) in [
        ("wake_idle", m.wake_idle),
        ("wake_jitter", m.wake_jitter),
        ("halt_poll", m.halt_poll),
        ("wake_halted", m.wake_halted),
        ("wake_halted_jitter", m.wake_halted_jitter),
        ("wake_idle_waker", m.wake_idle_waker),
        ("wake_halted_waker", m.wake_halted_waker),
    ] {
        println!("{key:<20} {}", human_duration(v.as_nanos() as f64));
    }
    cal.machine = Some(m);
    save_part(&cal, out, created, "the wake-up keys of [machine]", command)
}

/// Writes `cal` to `out` and says which part was measured (`created`: a new file).
fn save_part(
    cal: &crate::sim::calibration::Calibration,
    out: &std::path::Path,
    created: bool,
    what: &str,
    command: &str,
) -> Result<()> {
    cal.save(out)
        .with_context(|| format!("writing {}", out.display()))?;
    let file = if created {
        "new file"
    } else {
        "other sections kept"
    };
    println!(
        "wrote {what} to {} ({file}; measured by: {command})",
        out.display()
    );
    Ok(())
}

/// `calibrate --bytes`: the per-byte probe, written into `[service.bytes]` of `out`.
fn calibrate_bytes(out: &std::path::Path, python: &std::path::Path) -> Result<()> {
    use crate::sim::calibration::Calibration;
    let (mut cal, created) =
        Calibration::load_or_default(out).with_context(|| format!("reading {}", out.display()))?;
    eprintln!("timing pickling and pipes for 64 KiB to 4 MiB...");
    let (bytes, table) =
        crate::calibrate::bytes_probe::measure(python).map_err(anyhow::Error::msg)?;
    print!("{table}");
    let mut service = cal.service.unwrap_or_default();
    service.bytes = bytes;
    cal.service = Some(service);
    save_part(&cal, out, created, "[service.bytes]", &command_line())
}
