//! Measuring the service's per-step costs from live GIL traces:
//! `execsim calibrate --backend cpython --from-trace`.
//!
//! Each cost key of [`ServiceCosts`] stands for one stretch of one thread of the live CPython
//! service: the GIL time between two of its system calls ([`segments`]), or one system call.
//! Six scenarios are traced, one light closed-loop client (`n = 1`, no long request, 4 s,
//! the first second skipped), launch by launch through the six, `launches` times:
//!
//! - `thread-one`, `process-one`, `tpc-one`: the asyncio server with a thread pool, with a
//!   process pool, and the thread-per-connection server, every thread and process on core 0.
//!   **The keys come from these**: on one vCPU nothing halts and no interpreter's objects
//!   change core, so each segment is its own work, with none of the cache refills the
//!   simulation charges separately ([`trace_refill`](super::trace_refill));
//!   [`trace_process`] says which segment each process-pool key is;
//! - `thread-split` (the loop on core 0, the client thread and the pool worker on core 1),
//!   `process-split` (the loop, the client and the pool's manager and feeder threads on core
//!   0, the worker processes on core 1) and `tpc-split` (the client on core 0, the connection
//!   thread on core 1): the wake-ups across CPUs ([`trace_wakes`](super::trace_wakes)) and,
//!   against the one-vCPU traces, the cache refills after a halt and after a migration.
//!
//! `worker_requeue_py` is the exception: a worker woken for nothing by the work queue needs
//! a second worker, which `thread-split` may show; its hold is a few lines of C, with no
//! working set to refill, and a run that shows none keeps the key's value.
//!
//! [`KEYS`] lists which segment each key is. Each key's value is the median over launches of
//! each launch's median, so one launch in another speed mode of the host moves it less than a
//! pooled median would. (Scaling each launch by its own speed probe was tried and dropped:
//! over 3 + 3 launches the probes ranged 86 to 143 ns per test while the launches' segment
//! medians did not follow them; two probes per run do not follow a speed that changes every
//! 100 ms, as [`crate::live::host_speed`] found for rates.) Nothing is fitted: the simulation
//! does not run. The speed probes of every launch ([`crate::live::host_speed`]: the prime
//! core and the request path) are recorded as the speeds at which these costs hold
//! (`[trace_fit] per_test_ns`, `service_probe_ns`), and `compare`/`validate` scale the costs
//! by a run's request-path probe over it (the prime core's when either side lacks one).
//!
//! **System calls that wake a thread on another CPU** cost that kick inside them, which the
//! simulation charges separately (`wake_idle_waker`): the keys' system calls (`send`, the
//! worker's self-pipe `send` as `pipe_write`) are traced on one vCPU, where they wake a thread
//! on their own CPU, and the wake-up keys of `[machine]` come from the cross-CPU wake-ups of
//! `thread-split`.
//!
//! Where two keys always run in one GIL hold, the hold is on one key and the other is 0:
//! `worker_get_py` (the worker's `queue.get` returns into `fn(*args)` and `set_result` in
//! one hold: on `worker_done_py`) and `loop_ready_iteration_py` (an `epoll_wait(0)` iteration's
//! own code is split between the segments before and after its `epoll_wait`). `pickle_py`
//! and the start-up costs keep their values.
//!
//! [`segments`]: crate::live::gil_trace::segments

use super::trace_process::{self, DERIVED, DIRECT};
use super::trace_refill::RefillFit;
use super::trace_wakes::{WakeFit, WakeSamples};
use crate::kernel::SimDuration;
use crate::live::gil_trace::record::Call;
use crate::live::gil_trace::segments::thread_segments;
use crate::live::gil_trace::LiveGilTrace;
use crate::live::host_speed::{median_service_ns, round4, HostSpeed};
use crate::live::stats::median;
use crate::live::{run_live, LiveError, LiveOptions};
use crate::machine::MachineCosts;
use crate::machine::ThreadId;
use crate::service::{ServerKind, ServiceCosts};
use crate::sim::calibration::{Calibration, TraceFitInfo, TraceFitKey};
use crate::sim::lesson::closed_client;
use crate::sim::scenario::{AffinitySpec, ExecutorKind, Scenario};
use std::collections::BTreeMap;

/// Length of each traced run, s.
pub const TRACE_DURATION_S: u64 = 4;

/// The warm-up skipped at the start of each run, s.
pub const SKIP_S: u64 = 1;

/// Each measured key: `(key, traced scenario, thread and segment)`.
pub const KEYS: [(&str, &str, &str); 22] = [
    (
        "send",
        "process-one",
        "client: a socket send() that wakes the loop on its own CPU",
    ),
    (
        "recv",
        "thread-one",
        "loop: a socket recv() that finds the request",
    ),
    ("poll", "thread-one", "loop: an epoll_wait(0) call"),
    (
        "pipe_write",
        "thread-one",
        "worker: its self-pipe send() (waking the loop on its own CPU)",
    ),
    (
        "pipe_read",
        "thread-one",
        "loop: a self-pipe recv() call (with data or empty)",
    ),
    (
        "client_py",
        "thread-one",
        "client: from recv() returning to send()",
    ),
    (
        "client_after_send_py",
        "thread-one",
        "client: from send() returning to recv()",
    ),
    (
        "loop_iteration_py",
        "thread-one",
        "loop: from epoll_wait(events) to the socket recv()",
    ),
    (
        "loop_read_py",
        "thread-one",
        "loop: from the socket recv() to epoll_wait(0)",
    ),
    (
        "loop_submit_thread_py",
        "thread-one",
        "loop: from epoll_wait(0) to the work queue's sem_post",
    ),
    (
        "loop_after_submit_py",
        "thread-one",
        "loop: from that sem_post to the next epoll_wait",
    ),
    (
        "loop_complete_py",
        "thread-one",
        "loop: from epoll_wait(events) to the self-pipe recv()",
    ),
    (
        "loop_self_pipe_py",
        "thread-one",
        "loop: between the two self-pipe recv() calls",
    ),
    (
        "loop_drained_py",
        "thread-one",
        "loop: from the empty self-pipe recv() to epoll_wait",
    ),
    (
        "loop_write_py",
        "thread-one",
        "loop: from epoll_wait(0) to the reply's send()",
    ),
    (
        "loop_after_send_py",
        "thread-one",
        "loop: from the reply's send() to epoll_wait",
    ),
    (
        "worker_done_py",
        "thread-one",
        "worker: from its semaphore wait to its self-pipe send()",
    ),
    (
        "worker_after_wake_py",
        "thread-one",
        "worker: from its self-pipe send() to its semaphore wait",
    ),
    (
        "worker_requeue_py",
        "thread-split",
        "worker: from a semaphore wait to the next, no send between (woken for nothing)",
    ),
    (
        "conn_thread_py",
        "tpc-one",
        "connection thread: from recv() to send()",
    ),
    (
        "conn_after_send_py",
        "tpc-one",
        "connection thread: from send() to recv()",
    ),
    (
        "loop_ready_iteration_py",
        "thread-one",
        "0: in the segments around each epoll_wait(0)",
    ),
];

/// Keys set to 0 because their code is inside another key's segment.
const INSIDE_OTHERS: [&str; 2] = ["loop_ready_iteration_py", "worker_get_py"];

/// One traced scenario.
#[derive(Clone, Debug)]
pub struct TracedScenario {
    /// Its name in [`KEYS`].
    pub name: &'static str,
    /// The scenario run live.
    pub scenario: Scenario,
}

fn one_client(name: &str, kind: ServerKind, executor: ExecutorKind, aff: AffinitySpec) -> Scenario {
    let mut s = crate::sim::lesson::scenario(
        executor,
        SimDuration::from_millis(5),
        crate::sim::lesson::Placement::Unpinned,
    );
    s.name = Some(format!("trace-{name}"));
    s.server.kind = kind;
    s.duration = SimDuration::from_secs(TRACE_DURATION_S);
    s.clients = vec![closed_client("simple", 1, SimDuration::ZERO)];
    s.affinity = aff;
    s
}

/// The six traced scenarios: each server shape on one vCPU (the keys), and split over two
/// (the wake-ups and the cache refills).
pub fn traced_scenarios() -> Vec<TracedScenario> {
    let aff = |event_loop: u16, clients: u16, workers: u16| AffinitySpec {
        event_loop: vec![event_loop],
        clients: vec![clients],
        workers: vec![workers],
        helpers: None,
    };
    let shapes = [
        (ServerKind::Asyncio, ExecutorKind::Thread, aff(0, 1, 1)),
        (ServerKind::Asyncio, ExecutorKind::Process, aff(0, 0, 1)),
        (
            ServerKind::ThreadPerConnection,
            ExecutorKind::Thread,
            aff(0, 0, 1),
        ),
    ];
    let mut out = Vec::new();
    for (split, names) in [
        (false, ["thread-one", "process-one", "tpc-one"]),
        (true, ["thread-split", "process-split", "tpc-split"]),
    ] {
        for ((kind, executor, a), name) in shapes.iter().cloned().zip(names) {
            let a = if split { a } else { aff(0, 0, 0) };
            out.push(TracedScenario {
                name,
                scenario: one_client(name, kind, executor, a),
            });
        }
    }
    out
}

use super::trace_threads::{loop_samples, ping_pong_samples, worker_samples, Samples};

/// The samples of every key one traced run shows, thread by thread (threads are told apart
/// by the names the service registers: `event-loop`, `worker-K`, `client:NAME`, `conn-K`).
pub fn trace_samples(trace: &LiveGilTrace) -> BTreeMap<&'static str, Vec<u64>> {
    let mut out = Samples::new();
    let from = crate::kernel::SimTime(SKIP_S * 1_000_000_000);
    for (k, t) in trace.threads.iter().enumerate() {
        let segs = thread_segments(trace, ThreadId(k as u32), from);
        let name = t.name.as_str();
        if name == "event-loop" {
            loop_samples(&segs, &mut out);
        } else if name.starts_with("worker-") && !name.starts_with("worker-process-") {
            worker_samples(&segs, &mut out);
        } else if name.starts_with("client:") && !name.ends_with("/recv") {
            ping_pong_samples(
                &segs,
                "client_py",
                "client_after_send_py",
                Some("send"),
                &mut out,
            );
        } else if name.starts_with("conn-") {
            ping_pong_samples(
                &segs,
                "conn_thread_py",
                "conn_after_send_py",
                None,
                &mut out,
            );
        } else if name == "manager" {
            trace_process::manager_samples(&segs, &mut out);
        } else if name == "feeder" {
            trace_process::per_request_total(&segs, Call::Write, "feeder_total", &mut out);
        } else if name.starts_with("worker-process-") {
            let key = "process_worker_total";
            trace_process::per_request_total(&segs, Call::Write, key, &mut out);
        }
    }
    out
}

fn median_u64(xs: &[u64]) -> f64 {
    let v: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
    median(&v)
}

/// The result of a trace fit.
#[derive(Clone, Debug)]
pub struct TraceFit {
    /// The service costs: the calibration's, with every measured key replaced.
    pub service: ServiceCosts,
    /// Provenance (written as `[trace_fit]`).
    pub info: TraceFitInfo,
    /// `[machine]` with the wake-up keys the traces measured ([`trace_wakes`](super::trace_wakes); None when
    /// `thread-split` or `process-split` was not traced).
    pub machine: Option<MachineCosts>,
    /// Warnings of the live runs, and keys no trace showed.
    pub warnings: Vec<String>,
}

/// Per traced scenario, per key, each launch's median (ns) and sample count.
type LaunchMedians = BTreeMap<(&'static str, &'static str), (Vec<f64>, u64)>;

/// Runs each traced scenario `launches` times with the GIL trace on and measures the keys.
/// `progress` receives one line per launch.
///
/// With `only` (names of [`traced_scenarios`]), only those are traced and only their keys
/// replaced; when `cal` already has a `[trace_fit]`, the new values are brought to its speed
/// (times its `per_test_ns` over this run's, as `compare` scales a run's costs) so that every
/// key of `[service]` holds at one speed, and each such key records the speed it was traced at.
pub fn fit_from_trace(
    cal: &Calibration,
    opts: &LiveOptions,
    launches: usize,
    only: &[String],
    command: &str,
    mut progress: impl FnMut(&str),
) -> Result<TraceFit, LiveError> {
    let traced = measure(cal, opts, launches, only, &mut progress)?;
    let (launches_of, probes, mut warnings, runtime, wakes) = traced;
    let speeds: Vec<f64> = probes.iter().map(HostSpeed::per_test_ns).collect();
    let service_probes: Vec<f64> = probes.iter().filter_map(HostSpeed::service_ns).collect();
    let per_test = if speeds.is_empty() {
        cal.core.cpython.per_test_ns
    } else {
        median(&speeds)
    };
    let service_probe = median_service_ns(&probes);
    let base = cal.trace_fit.as_ref().filter(|_| !only.is_empty());
    let target = base.map_or(round4(per_test), |b| b.per_test_ns);
    let service_target = base.map_or(service_probe, |b| b.service_probe_ns);
    // Brought to the file's speed as `compare` scales a run's costs: by the request-path
    // probes when both sides have one, else by the prime core's.
    let factor = match (service_target, service_probe) {
        (Some(t), Some(p)) => t / p,
        _ => target / round4(per_test),
    };
    let mut medians = launches_of;
    for (launch, _) in medians.values_mut() {
        launch.iter_mut().for_each(|x| *x *= factor);
    }
    let (service, mut keys) = assemble(cal.service.unwrap_or_default(), &medians, &mut warnings);
    let machine = machine_from_traces(&wakes, cal, &medians, &mut keys);
    if let Some(b) = base {
        for k in &mut keys {
            k.traced_per_test_ns = Some(round4(per_test));
            k.traced_service_probe_ns = service_probe;
        }
        let mut merged: Vec<TraceFitKey> = b
            .keys
            .iter()
            .filter(|k| keys.iter().all(|n| n.key != k.key))
            .cloned()
            .collect();
        merged.append(&mut keys);
        keys = merged;
    }
    Ok(TraceFit {
        service,
        machine,
        info: TraceFitInfo {
            date: crate::calibrate::utc_now_iso8601(),
            command: command.to_string(),
            runtime,
            cpu: crate::live::procfs::cpu_model(),
            launches: launches.max(1) as u32,
            per_test_ns: target,
            launch_per_test_ns: match base {
                Some(b) => b.launch_per_test_ns.clone(),
                None => speeds.iter().map(|&s| round4(s)).collect(),
            },
            service_probe_ns: service_target,
            launch_service_probe_ns: match base {
                Some(b) => b.launch_service_probe_ns.clone(),
                None => service_probes.iter().map(|&s| round4(s)).collect(),
            },
            method: "each key: the median over launches of each launch's median GIL time of \
                     its segment (or duration of its system call), seconds 1 to 4 of one \
                     closed-loop client sending n = 1; per_test_ns and service_probe_ns: \
                     the medians of the launches' speed probes (prime core, request path)"
                .into(),
            keys,
        },
        warnings,
    })
}

/// What the traced launches measured: per scenario and key each launch's median and the
/// samples, the launches' host speeds, the runs' warnings, the runtime and the wake-ups.
type Measured = (
    LaunchMedians,
    Vec<HostSpeed>,
    Vec<String>,
    String,
    WakeSamples,
);

/// Runs each chosen traced scenario `launches` times with the GIL trace on.
fn measure(
    cal: &Calibration,
    opts: &LiveOptions,
    launches: usize,
    only: &[String],
    progress: &mut impl FnMut(&str),
) -> Result<Measured, LiveError> {
    let mut opts = opts.clone();
    opts.gil_trace = true;
    let (mut launches_of, mut speeds) = (LaunchMedians::new(), Vec::new());
    let (mut warnings, mut runtime) = (Vec::new(), String::new());
    let mut wakes = WakeSamples::default();
    let chosen = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let traced: Vec<TracedScenario> = traced_scenarios()
        .into_iter()
        .filter(|t| chosen(t.name))
        .collect();
    // Launch by launch through the scenarios, so that a drift of the host's speed over the
    // minutes this takes moves the one-vCPU and split traces alike.
    for k in 0..launches.max(1) {
        for ts in &traced {
            let out = run_live(&ts.scenario, &opts)?;
            warnings.extend(out.warnings.iter().map(|w| format!("{}: {w}", ts.name)));
            runtime = out.runtime.clone();
            let trace = out.gil_trace.as_ref().ok_or_else(|| {
                LiveError::Scenario(format!("{}: the live run returned no GIL trace", ts.name))
            })?;
            let samples = trace_samples(trace);
            wakes.add(ts.name, trace, SKIP_S * 1_000_000_000);
            let probe = out
                .core_probe
                .as_ref()
                .map(|p| HostSpeed::from_probe(p, cal));
            let speed = probe.as_ref().map(HostSpeed::per_test_ns);
            speeds.extend(probe);
            for (key, v) in &samples {
                let e = launches_of.entry((ts.name, key)).or_default();
                e.0.push(median_u64(v));
                e.1 += v.len() as u64;
            }
            progress(&format!(
                "{}: launch {} of {}: {} keys from {} segments{}",
                ts.name,
                k + 1,
                launches.max(1),
                samples.len(),
                samples.values().map(Vec::len).sum::<usize>(),
                speed.map_or(String::new(), |s| format!(", host at {s:.1} ns per test"))
            ));
        }
    }
    Ok((launches_of, speeds, warnings, runtime, wakes))
}

/// The costs with every measured key replaced, and the record of each.
fn assemble(
    mut service: ServiceCosts,
    medians: &LaunchMedians,
    warnings: &mut Vec<String>,
) -> (ServiceCosts, Vec<TraceFitKey>) {
    let mut keys = Vec::new();
    for k in INSIDE_OTHERS {
        service.set(k, SimDuration::ZERO);
    }
    let direct = DIRECT.iter().map(|&(k, seg)| (k, "process-one", seg));
    for (key, run, segment) in KEYS.into_iter().chain(direct) {
        if INSIDE_OTHERS.contains(&key) {
            continue;
        }
        let Some((launch, n)) = lookup(medians, run, key, warnings) else {
            continue;
        };
        let m = median(launch).round();
        service.set(key, SimDuration::from_nanos(m as u64));
        keys.push(key_record(key, run, segment, m, launch, n));
    }
    for (key, total, segment, less) in DERIVED {
        let run = "process-one";
        let Some((launch, n)) = lookup(medians, run, total, warnings) else {
            continue;
        };
        let sub = less.nanos(&service) as f64;
        let m = (median(launch).round() - sub).max(0.0);
        service.set(key, SimDuration::from_nanos(m as u64));
        let launch: Vec<f64> = launch.iter().map(|x| (x - sub).max(0.0)).collect();
        keys.push(key_record(key, run, segment, m, &launch, n));
    }
    (service, keys)
}

/// The launches' medians and sample count of `sample` in scenario `run`; a warning when `run`
/// was traced but showed no such segment (a scenario not traced, with `--only`, is silent).
fn lookup<'a>(
    medians: &'a LaunchMedians,
    run: &'static str,
    sample: &'static str,
    warnings: &mut Vec<String>,
) -> Option<(&'a Vec<f64>, u64)> {
    let found = medians.get(&(run, sample)).map(|(l, n)| (l, *n));
    if found.is_none() && medians.keys().any(|(r, _)| *r == run) {
        warnings.push(format!("{sample}: no {run} trace showed its segment; kept"));
    }
    found
}

fn key_record(key: &str, run: &str, segment: &str, m: f64, launch: &[f64], n: u64) -> TraceFitKey {
    TraceFitKey {
        key: key.to_string(),
        run: run.to_string(),
        segment: segment.to_string(),
        median_ns: m,
        launch_medians_ns: launch.iter().map(|x| x.round()).collect(),
        samples: n,
        traced_per_test_ns: None,
        traced_service_probe_ns: None,
    }
}

/// Writes a trace fit into the calibration file at `path` (created from the embedded default
/// if missing), replacing only `[service]` and `[trace_fit]`, and removing `[live_fit]` (whose
/// factors scaled the costs now replaced).
pub fn save_trace_fit(
    path: &std::path::Path,
    fit: &TraceFit,
) -> Result<bool, crate::sim::calibration::CalibrationError> {
    let (mut cal, created) = Calibration::load_or_default(path)?;
    cal.service = Some(fit.service);
    if let Some(m) = fit.machine {
        cal.machine = Some(m);
    }
    cal.trace_fit = Some(fit.info.clone());
    cal.live_fit = None;
    cal.save(path)?;
    Ok(created)
}

/// `[machine]` with the keys the traces measure: the wake-ups ([`apply_wakes`]) and the cache
/// refills ([`RefillFit`]); None when neither was traced.
fn machine_from_traces(
    wakes: &WakeSamples,
    cal: &Calibration,
    medians: &LaunchMedians,
    keys: &mut Vec<TraceFitKey>,
) -> Option<MachineCosts> {
    let mut machine = apply_wakes(wakes, cal, keys);
    let refill = RefillFit::of(|run, key| {
        let found = medians.iter().find(|((r, k), _)| *r == run && *k == key);
        found.map(|(_, (launch, _))| median(launch))
    });
    if let Some(fit) = refill {
        let m = machine.get_or_insert_with(|| cal.machine.unwrap_or_default());
        fit.apply(m);
        let samples = |run: &str| -> u64 {
            medians
                .iter()
                .filter(|((r, _), _)| *r == run)
                .map(|(_, (_, n))| n)
                .sum()
        };
        keys.extend(fit.records(m, samples));
    }
    machine
}

/// The wake-up keys of `[machine]` from the traces' cross-CPU wake-ups
/// ([`crate::calibrate::trace_wakes`]), each recorded in `keys` (as `machine.KEY`).
fn apply_wakes(
    wakes: &WakeSamples,
    cal: &Calibration,
    keys: &mut Vec<TraceFitKey>,
) -> Option<MachineCosts> {
    let fit = WakeFit::of(&wakes.cross())?;
    let mut m = cal.machine.unwrap_or_default();
    fit.apply(&mut m);
    let what =
        "wake-ups across CPUs (client and loop send(), worker self-pipe send(), loop sem_post())";
    let n = fit.samples as u64;
    for (key, seg, v) in [
        ("machine.wake_idle", "from the waker's call's end to the wakee's return", m.wake_idle),
        ("machine.wake_jitter", "twice the interquartile range of the same (the base above is the median less half of it)", m.wake_jitter),
        ("machine.wake_idle_waker", "the waker's call less the same call waking nobody elsewhere", m.wake_idle_waker),
    ] {
        let seg = format!("{what}: {seg}");
        keys.push(key_record(key, "thread-split", &seg, v.as_nanos() as f64, &[], n));
    }
    Some(m)
}
