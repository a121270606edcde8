//! Timing the lesson's prime functions in CPython: the functions, verbatim, in a script
//! ([`CPYTHON_SCRIPT`]: `src/workload/lesson_core.py` + `src/live/lifeline.py` +
//! `src/calibrate/calibrate_core.py`, embedded) run by `python3 -I -c`; it times them with
//! `time.perf_counter_ns` and prints JSON on stdout, and progress lines on stderr.
//!
//! The interpreter runs under the crate's one child supervisor
//! ([`crate::live::supervise::Group`]): in a process group of its own, bounded in time (on
//! timeout the group is killed), and always reaped. It dies with execsim, even killed by
//! SIGKILL (the supervisor's parent-death signal, and the script's lifeline thread, which also
//! ends it [`WATCHDOG_MARGIN`] after the timeout).

use super::error::CalibrateError;
use super::measurement::{Measured, Measurement};
use crate::live::supervise::{Group, Output};
use crate::workload::cost::Backend;
use crate::workload::prime::op_count;
use serde::Deserialize;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// The CPython timing script (the lesson's `find_nth_prime` and `is_prime`, verbatim).
pub const CPYTHON_SCRIPT: &str = concat!(
    include_str!("../workload/lesson_core.py"),
    include_str!("../live/lifeline.py"),
    include_str!("calibrate_core.py")
);

/// How long after the timeout the script ends by itself if execsim has not killed it.
pub const WATCHDOG_MARGIN: Duration = Duration::from_secs(5);

/// The prefix of the progress lines the script writes on stderr.
const PROGRESS_PREFIX: &str = "execsim-progress ";

#[derive(Deserialize)]
struct ScriptOutput {
    implementation: String,
    version: String,
    executable: String,
    gil_disabled: bool,
    points: Vec<ScriptPoint>,
}

#[derive(Deserialize)]
struct ScriptPoint {
    n: u64,
    batch: u64,
    per_call_ns: Vec<f64>,
    result: u64,
}

/// Runs the CPython timing script with `python` and parses its output.
///
/// Errors: [`CalibrateError::PythonNotFound`] if `python` does not exist,
/// [`CalibrateError::Timeout`] if it runs longer than `timeout` (it is then killed),
/// [`CalibrateError::ScriptFailed`] with its stderr if it exits with an error, and
/// [`CalibrateError::WrongResult`] if it computes a wrong p_n.
pub fn measure_cpython(
    python: &Path,
    ns: &[u64],
    samples: u32,
    min_batch: Duration,
    timeout: Duration,
    progress: bool,
) -> Result<Measured, CalibrateError> {
    let expected: Vec<u64> = ns
        .iter()
        .map(|&n| op_count(n).map(|c| c.prime))
        .collect::<Result<_, _>>()?;
    let config = serde_json::json!({
        "ns": ns,
        "samples": samples,
        "min_batch_ns": min_batch.as_nanos() as u64,
        "progress": progress,
        "watchdog_s": timeout.saturating_add(WATCHDOG_MARGIN).as_secs_f64(),
    });
    let mut cmd = Command::new(python);
    cmd.arg("-I")
        .arg("-c")
        .arg(CPYTHON_SCRIPT)
        .arg(config.to_string());
    let out = run_script(python, cmd, timeout, progress)?;
    let parsed: ScriptOutput = serde_json::from_str(&out).map_err(|e| {
        let shown: String = out.chars().take(300).collect();
        CalibrateError::BadOutput(format!("{e} (stdout began: {shown:?})"))
    })?;
    measured(python, parsed, ns, &expected)
}

/// Runs the script in a [`Group`] and returns its stdout; its progress lines are echoed on
/// stderr when `progress`, its other stderr lines kept for [`CalibrateError::ScriptFailed`].
fn run_script(
    python: &Path,
    cmd: Command,
    timeout: Duration,
    progress: bool,
) -> Result<String, CalibrateError> {
    let spawn_err = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            CalibrateError::PythonNotFound(python.to_path_buf())
        } else {
            CalibrateError::Spawn {
                python: python.to_path_buf(),
                source: e,
            }
        }
    };
    let mut group = Group::new();
    let idx = group
        .spawn_filtered(cmd, move |line| match line.strip_prefix(PROGRESS_PREFIX) {
            Some(rest) => {
                if progress {
                    eprintln!("  {rest}");
                }
                false
            }
            None => true,
        })
        .map_err(spawn_err)?;
    let deadline = Instant::now() + timeout;
    let out = read_stdout(&group, deadline).ok_or(CalibrateError::Timeout(timeout))?;
    let status: Option<ExitStatus> = group.wait_exit(idx, deadline).map_err(spawn_err)?;
    // Kills what may be left (nothing, normally) and waits for the stderr reader.
    group.shutdown();
    match status {
        None => Err(CalibrateError::Timeout(timeout)),
        Some(status) if !status.success() => Err(CalibrateError::ScriptFailed {
            status,
            stderr: group.stderr_tail(idx).trim_end().to_string(),
        }),
        Some(_) => Ok(out),
    }
}

/// The group's stdout until it closes, or None if `deadline` passes first.
fn read_stdout(group: &Group, deadline: Instant) -> Option<String> {
    let mut out = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        match group.rx.recv_timeout(left) {
            Ok(Output::Line(_, line)) => {
                out.push_str(&line);
                out.push('\n');
            }
            Ok(Output::Closed(_)) | Err(RecvTimeoutError::Disconnected) => return Some(out),
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Checks the script's points against the request (same n, correct p_n) and names what ran.
fn measured(
    python: &Path,
    parsed: ScriptOutput,
    ns: &[u64],
    expected: &[u64],
) -> Result<Measured, CalibrateError> {
    if parsed.points.len() != ns.len() {
        return Err(CalibrateError::BadOutput(format!(
            "{} points for {} values of n",
            parsed.points.len(),
            ns.len()
        )));
    }
    let mut warnings = Vec::new();
    if parsed.implementation != "cpython" {
        let w = format!(
            "{} is {} {}, not CPython: its timings do not describe the lesson's service",
            python.display(),
            parsed.implementation,
            parsed.version
        );
        eprintln!("warning: {w}");
        warnings.push(w);
    }
    let mut points = Vec::with_capacity(ns.len());
    for (p, (&n, &expected)) in parsed.points.into_iter().zip(ns.iter().zip(expected)) {
        if p.n != n || p.per_call_ns.is_empty() {
            return Err(CalibrateError::BadOutput(format!(
                "point for n = {} does not match the request n = {n}",
                p.n
            )));
        }
        if p.result != expected {
            return Err(CalibrateError::WrongResult {
                backend: Backend::Cpython,
                n,
                got: p.result,
                expected,
            });
        }
        points.push(Measurement {
            n,
            batch: p.batch,
            per_call_ns: p.per_call_ns,
        });
    }
    let name = if parsed.implementation == "cpython" {
        "CPython".to_string()
    } else {
        parsed.implementation.clone()
    };
    let gil = if parsed.gil_disabled {
        ", free-threaded"
    } else {
        ""
    };
    Ok(Measured {
        runtime: format!("{name} {}{gil} ({})", parsed.version, parsed.executable),
        points,
        warnings,
    })
}
