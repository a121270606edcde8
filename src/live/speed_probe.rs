//! The host's speed around one live run, timed in processes of their own: before the
//! CPython service starts and after it is killed, [`LAYOUTS`]`.len()` short Python processes
//! each time the prime core and the request path (`speed_probe.py`), and the run keeps the
//! **fast mode** of their readings ([`fast_mode`]).
//!
//! **Why processes of their own, several, and the fast mode (measured).** On the AMD EPYC
//! hosts of this VM kind (family 0x1a, 2026-12-03) the request-path probe runs at one of two
//! speeds depending on where the process's stack lies: the same probe in fresh processes that
//! differ only in the size of one environment variable (0 to 4,096 bytes, 32 sizes) read
//! 20.1–21.5 µs or 46–61 µs per round trip, in no pattern a run could avoid; in a new thread
//! of the same process, 46–78 µs every time. The reference service's argument string (the
//! scenario's JSON) moved it the same way: when the service timed it in its own main thread,
//! the validation matrix of that host read 47.5–55 µs in every launch of three scenarios
//! (`13`, `14`, `17`) and 21–23 µs in the other 21, while those three served their light
//! client as fast as the rest: the simulation, scaled by the probe, was at half the live
//! rate. Editing the service's source moved which scenarios read slow. The service's own
//! threads ran at the fast mode's speed, and the calibrations' probes (the medians of 30
//! launches each) are fast-mode readings, so the run's speed is the fast mode of several
//! layouts. Timed after the run rather than during its last second, the probe also no longer
//! measures the GIL contention of a CPU-bound thread still running (the after-probes of
//! 2026-12-02 read 20–302 µs after such runs).
//!
//! The prime core's probe does not show the two modes across layouts (193–210 µs for
//! `find_nth_prime(60)` over 27 sizes, two outliers at 291 and 319) but flips in time, as
//! the after-probes in the service's main thread showed (1.5× the calibration in a third of
//! the runs of that matrix, where the long requests ran at the before-probe's speed): its
//! fast mode is kept too.
//!
//! ```
//! use execsim::live::speed_probe::fast_mode;
//! // Three layouts in the slow mode, two in the fast one: the fast mode's median.
//! assert_eq!(fast_mode(&[47_000.0, 21_000.0, 52_000.0, 22_000.0, 46_000.0]), Some(21_500.0));
//! assert_eq!(fast_mode(&[]), None);
//! ```

use super::supervise::{Group, Output};
use super::{LiveError, LiveOptions};
use crate::live::cold_start::ColdProbe;
use crate::live::stats::median;
use crate::workload::cost::Backend;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, Instant};

/// The probe's argument: `find_nth_prime(60)` is 280 candidates and 4,203 tests, about 0.3 ms
/// at the calibration's speed.
pub const PROBE_N: u64 = 60;

/// Calls per probe (the shortest is kept): a few milliseconds in all.
pub const PROBE_REPS: u32 = 7;

/// The probe's source: the prime core, `speed_probe.py`, and the call that prints both
/// timings (embedded at build time).
pub const SPEED_PROBE: &str = concat!(
    include_str!("../workload/lesson_core.py"),
    include_str!("speed_probe.py"),
    "\nprint_probes()\n"
);

/// The sizes of the padding variable ([`PAD_VAR`]) of the probe processes, bytes: one process
/// per size, spread over a page so that their stacks start at different offsets within it
/// (steps of 43 × 16 bytes: the kernel aligns the initial stack to 16).
pub const LAYOUTS: [usize; 6] = [0, 688, 1376, 2064, 2752, 3440];

/// The environment variable whose size places each probe process's stack.
pub const PAD_VAR: &str = "EXECSIM_PROBE_PAD";

/// A reading within this factor of the fastest is in the fast mode (the two modes are 2.2×
/// apart; readings within one mode spread by about 10%).
pub const FAST_MODE_WITHIN: f64 = 1.25;

/// How long one probe process may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// One probe process's timings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeReading {
    /// The size of its padding variable, bytes.
    pub pad: usize,
    /// The prime core: shortest thread CPU time of the probe's calls, ns.
    pub core_ns: f64,
    /// The request path: thread CPU time per asyncio round trip on loopback, ns.
    pub service_ns: f64,
}

/// What one live run measured of the host's speed: the fast modes of the probe processes'
/// readings before and after it, and the service's cold-start probe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoreProbe {
    /// The prime core's argument timed.
    pub n: u64,
    /// Calls per probe process (the shortest is kept).
    pub reps: u32,
    /// The prime core before the run, ns.
    pub before_ns: f64,
    /// After the run, ns.
    #[serde(default)]
    pub after_ns: Option<f64>,
    /// The request path before the run, ns per round trip.
    #[serde(default)]
    pub service_before_ns: Option<f64>,
    /// The same after the run.
    #[serde(default)]
    pub service_after_ns: Option<f64>,
    /// The cold-start probe's back-to-back round trip ([`crate::live::cold_start`]), ns.
    #[serde(default)]
    pub service_warm_rt_ns: Option<f64>,
    /// The same right after the thread slept 5 ms.
    #[serde(default)]
    pub service_cold_rt_ns: Option<f64>,
    /// Each probe process's readings before the run.
    #[serde(default)]
    pub readings_before: Vec<ProbeReading>,
    /// The same after the run.
    #[serde(default)]
    pub readings_after: Vec<ProbeReading>,
}

impl CoreProbe {
    /// The run's probe from the readings before and after it (of `find_nth_prime(`[`PROBE_N`]`)`,
    /// [`PROBE_REPS`] calls; the readings after may be empty: not measured) and the
    /// service's cold-start probe; None without readings before.
    pub fn from_readings(
        before: Vec<ProbeReading>,
        after: Vec<ProbeReading>,
        cold: Option<ColdProbe>,
    ) -> Option<CoreProbe> {
        let core = |r: &[ProbeReading]| fast_mode(&r.iter().map(|x| x.core_ns).collect::<Vec<_>>());
        let service =
            |r: &[ProbeReading]| fast_mode(&r.iter().map(|x| x.service_ns).collect::<Vec<_>>());
        Some(CoreProbe {
            n: PROBE_N,
            reps: PROBE_REPS,
            before_ns: core(&before)?,
            after_ns: core(&after),
            service_before_ns: service(&before),
            service_after_ns: service(&after),
            service_warm_rt_ns: cold.map(|c| c.warm_ns),
            service_cold_rt_ns: cold.map(|c| c.cold_ns),
            readings_before: before,
            readings_after: after,
        })
    }
}

/// The median of the readings within [`FAST_MODE_WITHIN`] of the fastest (None for none).
pub fn fast_mode(values: &[f64]) -> Option<f64> {
    let fastest = values.iter().copied().reduce(f64::min)?;
    let fast: Vec<f64> = values
        .iter()
        .copied()
        .filter(|&v| v <= fastest * FAST_MODE_WITHIN)
        .collect();
    Some(median(&fast))
}

/// The probe readings of a live run with `opts` before or after it: the CPython backend's
/// ([`probe_host`] with its interpreter), none for the Rust backend (its core's speed is
/// stable, [`crate::live::host_speed`]).
pub fn around_run(opts: &LiveOptions) -> Result<Option<Vec<ProbeReading>>, LiveError> {
    match opts.backend {
        Backend::Cpython => probe_host(&opts.python, &opts.python_args).map(Some),
        Backend::Rust => Ok(None),
    }
}

/// Runs one probe process per entry of [`LAYOUTS`], one after the other, with `python`
/// (the prime core's probe: `find_nth_prime(`[`PROBE_N`]`)`, [`PROBE_REPS`] calls). Each process runs in a supervised group of its
/// own (killed and reaped whatever happens; a group cannot outlive its first process, so one
/// each) and must answer within 20 s. `args` go before the probe's own (`-X gil=1`).
pub fn probe_host(python: &Path, args: &[String]) -> Result<Vec<ProbeReading>, LiveError> {
    let mut out = Vec::with_capacity(LAYOUTS.len());
    for &pad in &LAYOUTS {
        let mut cmd = std::process::Command::new(python);
        cmd.args(args)
            .arg("-I")
            .arg("-c")
            .arg(SPEED_PROBE)
            .arg(PROBE_N.to_string())
            .arg(PROBE_REPS.to_string())
            .env(PAD_VAR, "x".repeat(pad));
        let mut group = Group::new();
        let idx = group.spawn(cmd).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LiveError::PythonNotFound(python.to_path_buf()),
            _ => LiveError::Spawn {
                what: "the speed probe (python)".into(),
                source: e,
            },
        })?;
        let reading = read_one(&group, idx, pad);
        let _ = group.wait_exit(idx, Instant::now() + Duration::from_secs(2));
        group.shutdown();
        out.push(reading?);
    }
    Ok(out)
}

/// The timings printed by probe process `idx`, started with a padding of `pad` bytes.
fn read_one(group: &Group, idx: usize, pad: usize) -> Result<ProbeReading, LiveError> {
    #[derive(Deserialize)]
    struct Line {
        core_ns: f64,
        service_ns: f64,
    }
    let failed = |what: String| LiveError::Child {
        message: format!("the speed probe {what}"),
        stderr: group.stderr_tail(idx),
    };
    let until = Instant::now() + PROBE_TIMEOUT;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match group.rx.recv_timeout(left) {
            Ok(Output::Line(i, line)) if i == idx => {
                let l: Line = serde_json::from_str(&line)
                    .map_err(|e| failed(format!("printed {line:?}: {e}")))?;
                return Ok(ProbeReading {
                    pad,
                    core_ns: l.core_ns,
                    service_ns: l.service_ns,
                });
            }
            Ok(Output::Closed(i)) if i == idx => {
                return Err(failed("ended without printing its timings".into()))
            }
            Ok(_) => {}
            Err(_) => {
                return Err(failed(format!(
                    "did not answer within {} s",
                    PROBE_TIMEOUT.as_secs()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(core_ns: f64, service_ns: f64) -> ProbeReading {
        ProbeReading {
            pad: 0,
            core_ns,
            service_ns,
        }
    }

    #[test]
    fn the_fast_mode_is_the_median_of_the_readings_near_the_fastest() {
        assert_eq!(fast_mode(&[10.0]), Some(10.0));
        assert_eq!(fast_mode(&[10.0, 12.4, 12.6, 30.0]), Some(11.2));
        assert_eq!(fast_mode(&[21.0, 20.5, 21.5, 47.0, 46.0, 52.0]), Some(21.0));
    }

    #[test]
    fn a_run_probe_takes_each_fast_mode_and_keeps_every_reading() {
        let before = vec![
            reading(200.0, 47_000.0),
            reading(195.0, 21_000.0),
            reading(300.0, 22_000.0),
        ];
        let cold = ColdProbe {
            warm_ns: 20_000.0,
            cold_ns: 30_000.0,
        };
        let p = CoreProbe::from_readings(before.clone(), Vec::new(), Some(cold)).unwrap();
        assert_eq!(p.before_ns, 197.5);
        assert_eq!(p.service_before_ns, Some(21_500.0));
        assert_eq!((p.after_ns, p.service_after_ns), (None, None));
        assert_eq!(p.service_cold_rt_ns, Some(30_000.0));
        assert_eq!(p.readings_before, before);
        assert!(CoreProbe::from_readings(Vec::new(), before, None).is_none());
    }
}
