//! Fitting the simulator's per-step costs from live runs:
//! `execsim calibrate --backend B --from-live`.
//!
//! Four short live measurements (one closed-loop client sending `n = 1`, no long request,
//! 4 s, rate = mean completions per second over seconds 1 to 4, median of K repetitions),
//! each fitting one **factor** that scales one group of the model's default costs, in this
//! order (each fit keeps the factors found before it):
//!
//! | measurement | placement | group scaled by its factor |
//! |---|---|---|
//! | `inline-one-core` | inline, loop and client on core 0 | the request's I/O path: `client_py`, `client_after_send_py`, `loop_iteration_py`, `loop_ready_iteration_py`, `loop_read_py`, `loop_write_py`, `loop_after_send_py`, `send`, `recv`, `poll` |
//! | `thread-one-core` | thread pool, everything on core 0 | the thread pool's hand-offs: `loop_submit_thread_py`, `loop_after_submit_py`, `loop_complete_py`, `loop_self_pipe_py`, `loop_drained_py`, `worker_get_py`, `worker_done_py`, `worker_after_wake_py`, `pipe_write`, `pipe_read` |
//! | `thread-split` | thread pool, loop and client on core 0, workers on core 1 | cross-core wake-ups: machine `wake_idle`, `wake_busy` |
//! | `process-split` | process pool, loop and client on core 0, workers on core 1 | the process pool's path: `loop_submit_process_py`, `manager_py`, `manager_result_py`, `manager_after_result_py`, `manager_submit_py`, `feeder_py`, `pickle_py`, `process_worker_py` |
//!
//! Each factor is found by bisection (in log space, 0.05 to 20) on the simulated rate of the
//! same scenario, which falls as the costs grow: the simulation itself is the model that is
//! inverted, so the fitted costs reproduce the four live rates by construction and
//! everything else (GIL convoys, placement effects, the long request) is predicted, not
//! fitted. The ratios between costs within a group stay those of the embedded calibration
//! (`calibration/default.toml`, each cost measured from live GIL traces); only each group's
//! total is refitted here, for a machine whose speed differs.

use crate::kernel::SimDuration;
use crate::live::host_speed::HostSpeed;
use crate::live::{run_live, LiveError, LiveOptions};
use crate::machine::MachineCosts;
use crate::service::ServiceCosts;
use crate::sim::calibration::{Calibration, LiveFitInfo, LiveFitPointRecord};
use crate::sim::lesson::closed_client;
use crate::sim::run::{simulate, SimOptions};
use crate::sim::scenario::{AffinitySpec, ExecutorKind, Scenario};

/// The groups of costs a live fit scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// The request's I/O path on the loop and the client.
    Io,
    /// The thread pool's submit and completion path.
    ThreadPool,
    /// Wake-ups onto another core.
    CrossCoreWake,
    /// The process pool's path.
    ProcessPool,
}

impl Group {
    /// The names of the costs the group scales.
    pub fn scales(self) -> &'static str {
        match self {
            Group::Io => "service: client_py client_after_send_py loop_iteration_py loop_ready_iteration_py loop_read_py loop_write_py loop_after_send_py send recv poll",
            Group::ThreadPool => "service: loop_submit_thread_py loop_after_submit_py loop_complete_py loop_self_pipe_py loop_drained_py worker_get_py worker_done_py worker_after_wake_py pipe_write pipe_read",
            Group::CrossCoreWake => "machine: wake_idle wake_busy",
            Group::ProcessPool => "service: loop_submit_process_py manager_py manager_result_py manager_after_result_py manager_submit_py feeder_py pickle_py process_worker_py",
        }
    }
}

fn scale(d: SimDuration, f: f64) -> SimDuration {
    SimDuration::from_nanos((d.as_nanos() as f64 * f).round().max(0.0) as u64)
}

/// The costs a fit scales: the embedded calibration's (`calibration/default.toml`, measured
/// segment by segment from live GIL traces), so the ratios within each group are the traces'
/// and only each group's total is fitted to the machine at hand.
pub fn base_costs() -> (ServiceCosts, MachineCosts) {
    // Parsed once: every step of every bisection asks for them.
    static BASE: std::sync::OnceLock<(ServiceCosts, MachineCosts)> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        let cal = Calibration::default_embedded();
        (
            cal.service.unwrap_or_default(),
            cal.machine.unwrap_or_default(),
        )
    })
}

/// The costs with `group` scaled by `f` (from [`base_costs`]).
pub fn apply(group: Group, f: f64, s: &mut ServiceCosts, m: &mut MachineCosts) {
    let (d, dm) = base_costs();
    match group {
        Group::Io => {
            s.client_py = scale(d.client_py, f);
            s.client_after_send_py = scale(d.client_after_send_py, f);
            s.loop_iteration_py = scale(d.loop_iteration_py, f);
            s.loop_ready_iteration_py = scale(d.loop_ready_iteration_py, f);
            s.loop_read_py = scale(d.loop_read_py, f);
            s.loop_write_py = scale(d.loop_write_py, f);
            s.loop_after_send_py = scale(d.loop_after_send_py, f);
            s.send = scale(d.send, f);
            s.recv = scale(d.recv, f);
            s.poll = scale(d.poll, f);
        }
        Group::ThreadPool => {
            s.loop_submit_thread_py = scale(d.loop_submit_thread_py, f);
            s.loop_after_submit_py = scale(d.loop_after_submit_py, f);
            s.loop_complete_py = scale(d.loop_complete_py, f);
            s.loop_self_pipe_py = scale(d.loop_self_pipe_py, f);
            s.loop_drained_py = scale(d.loop_drained_py, f);
            s.worker_get_py = scale(d.worker_get_py, f);
            s.worker_done_py = scale(d.worker_done_py, f);
            s.worker_after_wake_py = scale(d.worker_after_wake_py, f);
            s.pipe_write = scale(d.pipe_write, f);
            s.pipe_read = scale(d.pipe_read, f);
        }
        Group::CrossCoreWake => {
            m.wake_idle = scale(dm.wake_idle, f);
            m.wake_busy = scale(dm.wake_busy, f);
        }
        Group::ProcessPool => {
            s.loop_submit_process_py = scale(d.loop_submit_process_py, f);
            s.manager_py = scale(d.manager_py, f);
            s.manager_result_py = scale(d.manager_result_py, f);
            s.manager_after_result_py = scale(d.manager_after_result_py, f);
            s.manager_submit_py = scale(d.manager_submit_py, f);
            s.feeder_py = scale(d.feeder_py, f);
            s.pickle_py = scale(d.pickle_py, f);
            s.process_worker_py = scale(d.process_worker_py, f);
        }
    }
}

/// One measurement of the fit.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Its name.
    pub name: &'static str,
    /// The group it fits.
    pub group: Group,
    /// The scenario run (live and simulated).
    pub scenario: Scenario,
}

/// Length of each fit measurement.
pub const FIT_DURATION_S: u64 = 4;

fn one_client(name: &str, executor: ExecutorKind, workers: Vec<u16>) -> Scenario {
    let mut s = crate::sim::lesson::scenario(
        executor,
        SimDuration::from_millis(5),
        crate::sim::lesson::Placement::Unpinned,
    );
    s.name = Some(format!("fit-{name}"));
    s.duration = SimDuration::from_secs(FIT_DURATION_S);
    s.clients = vec![closed_client("simple", 1, SimDuration::ZERO)];
    s.affinity = AffinitySpec {
        event_loop: vec![0],
        clients: vec![0],
        workers,
        helpers: None,
    };
    s
}

/// The four measurements, in fitting order.
pub fn measurements() -> Vec<Measurement> {
    vec![
        Measurement {
            name: "inline-one-core",
            group: Group::Io,
            scenario: one_client("inline-one-core", ExecutorKind::Inline, vec![0]),
        },
        Measurement {
            name: "thread-one-core",
            group: Group::ThreadPool,
            scenario: one_client("thread-one-core", ExecutorKind::Thread, vec![0]),
        },
        Measurement {
            name: "thread-split",
            group: Group::CrossCoreWake,
            scenario: one_client("thread-split", ExecutorKind::Thread, vec![1]),
        },
        Measurement {
            name: "process-split",
            group: Group::ProcessPool,
            scenario: one_client("process-split", ExecutorKind::Process, vec![1]),
        },
    ]
}

/// The rate a fit compares: mean completions per second over seconds 1 to the end.
pub fn fit_rate(r: &crate::sim::results::RunResult) -> f64 {
    r.client("simple")
        .map_or(0.0, |c| c.rate(1, c.per_second.len()))
}

fn sim_rate(s: &Scenario, cal: &Calibration, sc: ServiceCosts, mc: MachineCosts) -> f64 {
    let mut s = s.clone();
    s.costs.service = Some(sc);
    s.costs.machine = Some(mc);
    fit_rate(&simulate(&s, cal, &SimOptions::default()).result)
}

/// Finds the factor of `group` whose simulated rate matches `target` (bisection in log
/// space; the rate falls as the factor grows). Returns the factor, clamped to [0.05, 20].
pub fn solve_factor(
    m: &Measurement,
    cal: &Calibration,
    sc: ServiceCosts,
    mc: MachineCosts,
    target: f64,
) -> f64 {
    let rate_at = |f: f64| {
        let (mut s, mut mm) = (sc, mc);
        apply(m.group, f, &mut s, &mut mm);
        sim_rate(&m.scenario, cal, s, mm)
    };
    let (mut lo, mut hi) = (0.05f64.ln(), 20f64.ln());
    if rate_at(lo.exp()) <= target {
        return lo.exp();
    }
    if rate_at(hi.exp()) >= target {
        return hi.exp();
    }
    for _ in 0..30 {
        let mid = 0.5 * (lo + hi);
        if rate_at(mid.exp()) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// The outcome of a live fit.
#[derive(Clone, Debug)]
pub struct LiveFit {
    /// The fitted service costs.
    pub service: ServiceCosts,
    /// The fitted machine costs.
    pub machine: MachineCosts,
    /// Provenance (written as `[live_fit]`).
    pub info: LiveFitInfo,
    /// Warnings of the live runs.
    pub warnings: Vec<String>,
}

/// Measures the four scenarios live (`reps` times each) and fits the factors.
/// `progress` receives one line per step.
pub fn fit_from_live(
    cal: &Calibration,
    opts: &LiveOptions,
    reps: usize,
    command: &str,
    mut progress: impl FnMut(&str),
) -> Result<LiveFit, LiveError> {
    let (mut sc, mut mc) = base_costs();
    let mut points = Vec::new();
    let mut warnings = Vec::new();
    let mut runtime = String::new();
    let mut speeds = Vec::new();
    for m in measurements() {
        let mut rates = Vec::new();
        for k in 0..reps.max(1) {
            let out = run_live(&m.scenario, opts)?;
            let r = fit_rate(&out.result);
            progress(&format!(
                "{}: repetition {} of {}: {r:.0} req/s",
                m.name,
                k + 1,
                reps.max(1)
            ));
            warnings.extend(out.warnings.iter().map(|w| format!("{}: {w}", m.name)));
            runtime = out.runtime;
            rates.push(r);
            if let Some(p) = &out.core_probe {
                speeds.push(HostSpeed::from_probe(p, cal).per_test_ns());
            }
        }
        let live = crate::live::stats::median(&rates);
        // The simulation models the backend that ran (the Rust server: no GIL, its core).
        let m = Measurement {
            scenario: crate::live::backend_model::modelled(&m.scenario, opts),
            ..m
        };
        let default_rate = sim_rate(&m.scenario, cal, sc, mc);
        let f = solve_factor(&m, cal, sc, mc, live);
        apply(m.group, f, &mut sc, &mut mc);
        let fitted_rate = sim_rate(&m.scenario, cal, sc, mc);
        progress(&format!(
            "{}: live {live:.0} req/s, simulated {default_rate:.0} before, factor {f:.3} -> {fitted_rate:.0}",
            m.name
        ));
        points.push(LiveFitPointRecord {
            name: m.name.to_string(),
            scales: m.group.scales().to_string(),
            live_rate: live,
            live_rates: rates,
            sim_rate_default: default_rate,
            sim_rate_fitted: fitted_rate,
            factor: (f * 1e4).round() / 1e4,
        });
    }
    Ok(LiveFit {
        service: sc,
        machine: mc,
        info: LiveFitInfo {
            date: crate::calibrate::utc_now_iso8601(),
            command: command.to_string(),
            backend: opts.backend.to_string(),
            runtime,
            reps: reps.max(1) as u32,
            method: "per group of costs, one factor on the model's defaults, found by \
                     bisection so that the simulated rate of the measurement scenario equals \
                     the live median (groups fitted in the order listed)"
                .into(),
            points,
            per_test_ns: (!speeds.is_empty())
                .then(|| crate::live::host_speed::round4(crate::live::stats::median(&speeds))),
        },
        warnings,
    })
}

/// Writes a fit into the calibration file at `path` (created from the embedded default if
/// missing), replacing only `[service]`, `[machine]` and `[live_fit]`.
pub fn save_fit(
    path: &std::path::Path,
    fit: &LiveFit,
) -> Result<bool, crate::sim::calibration::CalibrationError> {
    let (mut cal, created) = Calibration::load_or_default(path)?;
    cal.service = Some(fit.service);
    cal.machine = Some(fit.machine);
    cal.live_fit = Some(fit.info.clone());
    cal.save(path)?;
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_recovers_a_known_scale() {
        // Simulate with the I/O path 1.5x the base costs, then fit from that "live" rate.
        let cal = Calibration::default_embedded();
        let m = measurements().remove(0);
        let (base_s, base_m) = base_costs();
        let (mut s, mut mc) = (base_s, base_m);
        apply(Group::Io, 1.5, &mut s, &mut mc);
        let target = sim_rate(&m.scenario, &cal, s, mc);
        let f = solve_factor(&m, &cal, base_s, base_m, target);
        assert!((f - 1.5).abs() < 0.05, "{f}");
    }
}
